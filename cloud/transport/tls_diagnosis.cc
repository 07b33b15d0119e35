#include "cloud/transport/tls_diagnosis.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace envctl::cloud {

namespace {

// A connected TCP socket or -1, within `timeout`.
int Connect(const std::string& host, int port, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof(err);
      if (::poll(&p, 1, timeout_ms) != 1 ||
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        ::close(fd);
        fd = -1;
        continue;
      }
    }
    ::fcntl(fd, F_SETFL, 0);
    timeval tv{static_cast<time_t>(timeout_ms / 1000),
               static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  freeaddrinfo(found);
  return fd;
}

std::string NameOf(X509_NAME* name) {
  if (name == nullptr) return "?";
  char buf[256];
  X509_NAME_oneline(name, buf, sizeof(buf));
  return buf;
}

std::string TimeOf(const ASN1_TIME* t) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::optional<std::string> DiagnoseTlsFailure(const std::string& host, int port,
                                              const std::string& ca_cert_file,
                                              absl::Duration timeout) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx) return std::nullopt;
  SSL_CTX_set_default_verify_paths(ctx.get());
  if (!ca_cert_file.empty())
    SSL_CTX_load_verify_locations(ctx.get(), ca_cert_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // finish, then read the verdict
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  if (!ssl) return std::nullopt;
  in6_addr ip6;
  in_addr ip4;
  const bool is_ip =
      inet_pton(AF_INET, host.c_str(), &ip4) == 1 || inet_pton(AF_INET6, host.c_str(), &ip6) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  const int fd = Connect(host, port, timeout);
  if (fd < 0) return std::nullopt;
  SSL_set_fd(ssl.get(), fd);
  std::optional<std::string> out;
  if (SSL_connect(ssl.get()) == 1) {
    const long verdict = SSL_get_verify_result(ssl.get());
    X509* cert = SSL_get1_peer_certificate(ssl.get());
    const std::string subject = cert ? NameOf(X509_get_subject_name(cert)) : "?";
    const std::string issuer = cert ? NameOf(X509_get_issuer_name(cert)) : "?";
    switch (verdict) {
      case X509_V_OK:
        break;
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        out = absl::StrCat("certificate name mismatch: the certificate of ", host,
                           " is for another name (subject ", subject,
                           "); use the host name the certificate was issued for");
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
        out = absl::StrCat("certificate expired on ", cert ? TimeOf(X509_get0_notAfter(cert)) : "?",
                           " (subject ", subject, "); renew the server's certificate");
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        out = absl::StrCat("certificate not valid before ",
                           cert ? TimeOf(X509_get0_notBefore(cert)) : "?",
                           " (check this machine's clock)");
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        out = absl::StrCat("certificate not trusted: untrusted issuer ", issuer, " (",
                           X509_verify_cert_error_string(verdict),
                           "); add its CA (ca_cert_file) or fix the server's chain");
        break;
      default:
        out = absl::StrCat("certificate rejected: ", X509_verify_cert_error_string(verdict),
                           " (subject ", subject, ", issuer ", issuer, ")");
    }
    if (cert != nullptr) X509_free(cert);
    SSL_shutdown(ssl.get());
  }
  ::close(fd);
  return out;
}

}  // namespace envctl::cloud
