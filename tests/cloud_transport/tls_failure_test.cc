// A TLS failure says what failed and is not retried: CpprestTransport (under the
// RetryingTransport every cloud call goes through) against a loopback TLS server whose
// certificate names another host, has expired, or comes from a CA the client does not
// trust. The certificates are made here with the OpenSSL API; the server is a thread
// that completes handshakes and answers one empty 200 per connection. Bounded: accept
// polls every 50 ms, sockets time out after 5 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloud/transport/cpprest_transport.h"
#include "cloud/transport/retrying_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr long kDay = 24 * 3600;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key NewKey() { return Key(EVP_EC_gen("P-256")); }

// A certificate for `key` named `cn` with `san` (e.g. "IP:127.0.0.1"), valid from
// now + not_before_s to now + not_after_s, signed by `issuer` (self-signed when null).
Cert NewCert(EVP_PKEY* key, const std::string& cn, const std::string& san, long not_before_s,
             long not_after_s, X509* issuer, EVP_PKEY* issuer_key, bool is_ca) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  auto add = [&](int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add(NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  if (!san.empty()) add(NID_subject_alt_name, san);
  X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

// A CA whose PEM is written to a file the client may trust.
struct Ca {
  Key key = NewKey();
  Cert cert;
  std::string file;
  explicit Ca(const std::string& name) {
    cert = NewCert(key.get(), name, "", -kDay, 30 * kDay, nullptr, nullptr, /*is_ca=*/true);
    file =
        (std::filesystem::path(::testing::TempDir()) / absl::StrCat(name, "-", ::getpid(), ".pem"))
            .string();
    FILE* f = std::fopen(file.c_str(), "wb");
    PEM_write_X509(f, cert.get());
    std::fclose(f);
  }
  ~Ca() { std::filesystem::remove(file); }
};

// Serves TLS on 127.0.0.1 with `cert`/`key` until destroyed; counts connections.
class TlsServer {
 public:
  TlsServer(X509* cert, EVP_PKEY* key) : ctx_(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_use_certificate(ctx_, cert);
    SSL_CTX_use_PrivateKey(ctx_, key);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  std::string Url() const { return absl::StrCat("https://127.0.0.1:", port_, "/"); }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      ++connections_;
      timeval tv{5, 0};
      ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, conn);
      if (SSL_accept(ssl) == 1) {
        char buf[4096];
        if (SSL_read(ssl, buf, sizeof(buf)) > 0) {
          const std::string ok =
              "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
          SSL_write(ssl, ok.data(), static_cast<int>(ok.size()));
        }
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(conn);
    }
  }

  SSL_CTX* ctx_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class TlsFailureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  // GET `url` through RetryingTransport over CpprestTransport trusting `ca_file`.
  absl::StatusOr<HttpResponse> Get(const std::string& url, const std::string& ca_file) {
    CpprestTransport cpprest({ca_file});
    RetryingTransport retrying(cpprest, clock_);
    HttpRequest r;
    r.method = "GET";
    r.url = url;
    r.timeout = absl::Seconds(10);
    return retrying.Send(r);
  }

  FakeClock clock_;
  Ca ca_{"envctl-test-ca"};
};

TEST_F(TlsFailureTest, TheTrustedCertificateWorks) {  // the fixture itself is sound
  Key key = NewKey();
  Cert leaf = NewCert(key.get(), "127.0.0.1", "IP:127.0.0.1", -kDay, kDay, ca_.cert.get(),
                      ca_.key.get(), false);
  TlsServer server(leaf.get(), key.get());
  auto r = Get(server.Url(), ca_.file);
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsFailureTest, NameMismatchIsNamedAndNotRetried) {
  Key key = NewKey();
  Cert leaf = NewCert(key.get(), "api.example.com", "DNS:api.example.com", -kDay, kDay,
                      ca_.cert.get(), ca_.key.get(), false);
  TlsServer server(leaf.get(), key.get());
  EXPECT_THAT(Get(server.Url(), ca_.file),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("GET https://127.0.0.1:"),
                             HasSubstr("TLS: certificate name mismatch"),
                             HasSubstr("CN=api.example.com"), Not(HasSubstr("attempts")))));
  EXPECT_THAT(clock_.Sleeps(), ::testing::IsEmpty()) << "no retry waits";
  EXPECT_EQ(server.connections(), 2) << "one handshake, one diagnosis";
}

TEST_F(TlsFailureTest, ExpiredCertificateIsNamedWithItsDateAndNotRetried) {
  Key key = NewKey();
  Cert leaf = NewCert(key.get(), "127.0.0.1", "IP:127.0.0.1", -10 * kDay, -2 * kDay, ca_.cert.get(),
                      ca_.key.get(), false);
  TlsServer server(leaf.get(), key.get());
  EXPECT_THAT(
      Get(server.Url(), ca_.file),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("TLS: certificate expired on "), HasSubstr("GMT"),
                     HasSubstr("renew the server's certificate"), Not(HasSubstr("attempts")))));
  EXPECT_THAT(clock_.Sleeps(), ::testing::IsEmpty());
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(TlsFailureTest, UntrustedIssuerIsNamedAndNotRetried) {
  Ca other("envctl-other-ca");  // signs the server's certificate; the client trusts ca_
  Key key = NewKey();
  Cert leaf = NewCert(key.get(), "127.0.0.1", "IP:127.0.0.1", -kDay, kDay, other.cert.get(),
                      other.key.get(), false);
  TlsServer server(leaf.get(), key.get());
  EXPECT_THAT(Get(server.Url(), ca_.file),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("TLS: certificate not trusted: untrusted issuer"),
                             HasSubstr("CN=envctl-other-ca"),
                             HasSubstr("add its CA (ca_cert_file)"), Not(HasSubstr("attempts")))));
  EXPECT_THAT(clock_.Sleeps(), ::testing::IsEmpty());
  EXPECT_EQ(server.connections(), 2);
}

}  // namespace
}  // namespace envctl::cloud
