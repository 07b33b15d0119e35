#include "cloudsim/http/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloudsim/http/url.h"

namespace envctl::cloudsim {

absl::StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Connect(
    const std::string& url, const ClientOptions& options) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<HttpConnection> c(new HttpConnection());
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(parsed->host.c_str(), std::to_string(parsed->port).c_str(), &hints, &res) !=
          0 ||
      res == nullptr) {
    return absl::UnavailableError("cannot resolve " + parsed->host);
  }
  c->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int64_t ms = absl::ToInt64Milliseconds(options.timeout);
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  ::setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(c->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int rc = ::connect(c->fd_, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", parsed->host, ":",
                                               parsed->port, ": ", std::strerror(errno)));
  }
  c->host_header_ = (parsed->port == 443 && parsed->scheme == "https") ||
                            (parsed->port == 80 && parsed->scheme == "http")
                        ? parsed->host
                        : absl::StrCat(parsed->host, ":", parsed->port);
  if (parsed->scheme == "https") {
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (!options.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(c->ctx_, options.ca_file.c_str(), nullptr) != 1) {
        ERR_clear_error();
        return absl::FailedPreconditionError("cannot load CA file " + options.ca_file);
      }
      SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
    }
    c->ssl_ = SSL_new(c->ctx_);
    SSL_set_fd(c->ssl_, c->fd_);
    if (!options.ca_file.empty()) {
      X509_VERIFY_PARAM* param = SSL_get0_param(c->ssl_);
      in_addr ip{};
      if (::inet_pton(AF_INET, parsed->host.c_str(), &ip) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(param, parsed->host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, parsed->host.c_str(), 0);
        SSL_set_tlsext_host_name(c->ssl_, parsed->host.c_str());
      }
    }
    if (SSL_connect(c->ssl_) != 1) {
      unsigned long err = ERR_get_error();
      char buf[256] = {0};
      ERR_error_string_n(err, buf, sizeof(buf));
      ERR_clear_error();
      return absl::UnavailableError(absl::StrCat("TLS handshake with ", c->host_header_,
                                                 " failed: ", buf));
    }
    c->stream_ = std::make_unique<SslStream>(c->ssl_);
  } else {
    c->stream_ = std::make_unique<FdStream>(c->fd_);
  }
  c->reader_ = std::make_unique<BufferedReader>(c->stream_.get());
  return c;
}

HttpConnection::~HttpConnection() {
  reader_.reset();
  stream_.reset();
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  ERR_clear_error();
}

absl::Status HttpConnection::SendRaw(const std::string& bytes) {
  if (!stream_->Write(bytes)) return absl::UnavailableError("write failed");
  return absl::OkStatus();
}

absl::StatusOr<Response> HttpConnection::ReadResponse(bool head_request) {
  while (true) {
    MessageHead head;
    absl::Status st = ReadHead(*reader_, &head);
    if (!st.ok()) return absl::UnavailableError("reading response: " + std::string(st.message()));
    std::vector<std::string> parts = absl::StrSplit(head.start_line, absl::MaxSplits(' ', 2));
    Response resp;
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &resp.status)) {
      return absl::UnavailableError("malformed status line");
    }
    if (resp.status == 100) continue;  // interim response
    resp.headers = std::move(head.headers);
    if (!head_request && resp.status != 204 && resp.status != 304) {
      bool until_eof = resp.headers.find("Content-Length") == resp.headers.end();
      st = ReadBody(*reader_, resp.headers, until_eof, 256 << 20, &resp.body);
      if (!st.ok()) return absl::UnavailableError("reading body: " + std::string(st.message()));
    }
    return resp;
  }
}

absl::StatusOr<Response> HttpConnection::RoundTrip(const std::string& method,
                                                   const std::string& target,
                                                   const HeaderMap& headers,
                                                   const std::string& body) {
  std::string out = absl::StrCat(method, " ", target, " HTTP/1.1\r\n");
  HeaderMap all = headers;
  if (all.find("Host") == all.end()) all["Host"] = host_header_;
  if (all.find("Content-Length") == all.end() && all.find("Transfer-Encoding") == all.end() &&
      (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    all["Content-Length"] = std::to_string(body.size());
  }
  for (const auto& [k, v] : all) absl::StrAppend(&out, k, ": ", v, "\r\n");
  out += "\r\n";
  out += body;
  absl::Status st = SendRaw(out);
  if (!st.ok()) return st;
  return ReadResponse(method == "HEAD");
}

absl::StatusOr<Response> Fetch(const std::string& method, const std::string& url,
                               const HeaderMap& headers, const std::string& body,
                               const ClientOptions& options) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  auto conn = HttpConnection::Connect(url, options);
  if (!conn.ok()) return conn.status();
  HeaderMap h = headers;
  h["Connection"] = "close";
  return (*conn)->RoundTrip(method, parsed->target, h, body);
}

}  // namespace envctl::cloudsim
