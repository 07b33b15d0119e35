#include "cloudsim/http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/http/url.h"

namespace envctl::cloudsim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

}  // namespace

// The socket (plain or TLS) and a private I/O context that runs each operation to
// completion, so that every call is blocking and bounded by the timeout.
class HttpConnection::Impl {
 public:
  explicit Impl(absl::Duration timeout)
      : timeout_(std::chrono::microseconds(absl::ToInt64Microseconds(timeout))) {}

  absl::Status Connect(const ParsedUrl& url, const ClientOptions& options);
  absl::Status Send(const std::string& bytes);
  absl::StatusOr<Response> Read(bool head_request);
  const std::string& host_header() const { return host_header_; }

 private:
  beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }

  // Starts one asynchronous operation with `start(handler)` under the timeout and runs it
  // to completion.
  template <class Start>
  error_code Run(Start&& start) {
    error_code result = asio::error::operation_aborted;
    tcp().expires_after(timeout_);
    start([&result](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }
  // `op(stream)` with the TLS stream when there is one, else the plain one.
  template <class Op>
  error_code OnStream(Op&& op) {
    if (tls_) return Run([&](auto handler) { op(*tls_, std::move(handler)); });
    return Run([&](auto handler) { op(*plain_, std::move(handler)); });
  }

  const std::chrono::steady_clock::duration timeout_;
  asio::io_context io_;
  std::optional<asio::ssl::context> ssl_context_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<asio::ssl::stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string host_header_;
};

absl::Status HttpConnection::Impl::Connect(const ParsedUrl& url, const ClientOptions& options) {
  const std::string where = absl::StrCat(url.host, ":", url.port);
  error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(tcp::v4(), url.host, std::to_string(url.port), ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot resolve ", url.host, ": ", ec.message()));
  plain_.emplace(io_);
  ec = Run([&](auto handler) { plain_->async_connect(endpoints, std::move(handler)); });
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", ec.message()));
  plain_->socket().set_option(tcp::no_delay(true), ec);
  const bool default_port =
      (url.port == 443 && url.scheme == "https") || (url.port == 80 && url.scheme == "http");
  host_header_ = default_port ? url.host : where;
  if (url.scheme != "https") return absl::OkStatus();

  ssl_context_.emplace(asio::ssl::context::tls_client);
  if (!options.ca_file.empty()) {
    ssl_context_->load_verify_file(options.ca_file, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot load CA file ", options.ca_file, ": ", ec.message()));
    }
    ssl_context_->set_verify_mode(asio::ssl::verify_peer);
  }
  tls_.emplace(std::move(*plain_), *ssl_context_);
  plain_.reset();
  SSL* ssl = tls_->native_handle();
  asio::ip::make_address_v4(url.host, ec);
  const bool is_ip = !ec;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, url.host.c_str());
  if (!options.ca_file.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    }
  }
  ec = Run([&](auto handler) {
    tls_->async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("TLS handshake with ", host_header_, " failed: ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status HttpConnection::Impl::Send(const std::string& bytes) {
  error_code ec = OnStream([&](auto& stream, auto handler) {
    asio::async_write(stream, asio::buffer(bytes), std::move(handler));
  });
  if (ec) return absl::UnavailableError("write failed");
  return absl::OkStatus();
}

absl::StatusOr<Response> HttpConnection::Impl::Read(bool head_request) {
  while (true) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(1 << 20);
    parser.body_limit(256 << 20);
    if (head_request) parser.skip(true);  // a HEAD answer announces a body it does not send
    error_code ec = OnStream([&](auto& stream, auto handler) {
      http::async_read(stream, buffer_, parser, std::move(handler));
    });
    if (ec) return absl::UnavailableError("reading response: " + ec.message());
    auto& message = parser.get();
    if (message.result_int() < 200 && message.result_int() != 101) continue;  // interim
    Response response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      auto [it, inserted] =
          response.headers.emplace(std::string(field.name_string()), std::string(field.value()));
      if (!inserted) absl::StrAppend(&it->second, ", ", std::string(field.value()));
    }
    response.body = std::move(message.body());
    return response;
  }
}

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpConnection::~HttpConnection() = default;

absl::StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Connect(
    const std::string& url, const ClientOptions& options) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  auto impl = std::make_unique<Impl>(options.timeout);
  absl::Status connected = impl->Connect(*parsed, options);
  if (!connected.ok()) return connected;
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

absl::Status HttpConnection::SendRaw(const std::string& bytes) { return impl_->Send(bytes); }

absl::StatusOr<Response> HttpConnection::ReadResponse(bool head_request) {
  return impl_->Read(head_request);
}

absl::StatusOr<Response> HttpConnection::RoundTrip(const std::string& method,
                                                   const std::string& target,
                                                   const HeaderMap& headers,
                                                   const std::string& body) {
  // Written as given rather than through Beast's fields (which hold a header to 64 KiB),
  // so that tests can send what a hostile client would.
  std::string wire = absl::StrCat(method, " ", target, " HTTP/1.1\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&wire, name, ": ", value, "\r\n");
  if (headers.find("Host") == headers.end()) {
    absl::StrAppend(&wire, "Host: ", impl_->host_header(), "\r\n");
  }
  if (headers.find("Content-Length") == headers.end() &&
      headers.find("Transfer-Encoding") == headers.end() &&
      (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    absl::StrAppend(&wire, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&wire, "\r\n", body);
  absl::Status sent = impl_->Send(wire);
  if (!sent.ok()) return sent;
  return impl_->Read(method == "HEAD");
}

absl::StatusOr<Response> Fetch(const std::string& method, const std::string& url,
                               const HeaderMap& headers, const std::string& body,
                               const ClientOptions& options) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  auto connection = HttpConnection::Connect(url, options);
  if (!connection.ok()) return connection.status();
  HeaderMap with_close = headers;
  with_close["Connection"] = "close";
  return (*connection)->RoundTrip(method, parsed->target, with_close, body);
}

}  // namespace envctl::cloudsim
