// HttpServer: the controller's HTTP/1.1 endpoints (/metrics, /healthz, webhooks), built on
// Boost.Beast over Boost.Asio (TLS through Asio SSL and OpenSSL). Routes are exact
// (method, path) pairs; an unknown path gets 404, a known path with another method 405 with
// `Allow`. Requests are bounded (headers 64 KiB -> 431, body 4 MiB -> 413), must arrive
// within a read timeout of their first byte (else 408), and use Content-Length (chunked
// uploads get 501). Connections are kept alive (HTTP/1.1 default) up to an idle timeout.
// It binds only the address it is given. With tls_cert_file/tls_key_file it speaks HTTPS
// only (TLS 1.2 or later); a client CA file turns on mutual TLS (a client without a
// certificate that CA signed is refused).
//
// Slow clients cannot starve it: all socket I/O is asynchronous on one I/O thread, so an
// idle, trickling or non-reading connection costs a socket and a buffer, not a thread;
// handlers run on a small pool of their own. At max_connections, a new client first
// displaces a connection idling between requests; only when none idles does it get 503.
//
//   HttpServer http;
//   http.Handle("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, ...}; });
//   RETURN_IF_ERROR(http.Start("127.0.0.1:9464"));
//   ...
//   http.Stop();  // also done by the destructor
//
// Thread-safe: Handle() may be called before or after Start(); handlers run concurrently
// on the handler pool and must be thread-safe. An exception escaping a handler becomes a
// 500; none escapes the server.
#ifndef ENVCTL_API_HTTP_SERVER_H_
#define ENVCTL_API_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace envctl::api {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // as sent, e.g. "GET"
  std::string path;     // the target up to '?', not decoded
  std::string query;    // the target after '?', not decoded; empty when none
  HttpHeaders headers;  // in arrival order, names as sent
  std::string body;

  // Value of the first header named `name` (compared case-insensitively); nullptr if absent.
  const std::string* Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  // Sent as Content-Type unless empty.
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers. Content-Length and Connection are set by the server.
  HttpHeaders headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
  // A request must arrive completely within this time of its first byte (else 408).
  absl::Duration read_timeout = absl::Seconds(10);
  // An open connection with no request in flight is closed after this.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Sending one response may take at most this long (a client that stops reading is dropped).
  absl::Duration write_timeout = absl::Seconds(10);
  // Connections open at once. Beyond it a connection idling between requests is closed to
  // make room; when none idles, the new client gets 503 and is closed.
  int max_connections = 1024;
  // Threads that run handlers (socket I/O has its own thread and never waits for them).
  int handler_threads = 4;
  // Requests served on one kept-alive connection before the server closes it.
  int max_requests_per_connection = 1000;
  // HTTPS (PEM files): certificate chain and key; both or neither. A client CA file
  // requires and verifies client certificates (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes `method` requests for exactly `path` to `handler`, replacing an earlier one.
  // A GET route also answers HEAD (without the body) unless HEAD has its own route.
  void Handle(std::string method, std::string path, HttpHandler handler);

  // Listens on `listen` ("127.0.0.1:9464", "[::1]:9464"; port 0 picks a free one) and
  // serves from a background thread. InvalidArgument for a malformed address or unusable
  // TLS files (naming the file and OpenSSL's reason),
  // Unavailable (naming it) when it cannot listen, FailedPrecondition when started twice.
  absl::Status Start(const std::string& listen);

  // The port actually listened on; 0 before Start().
  int port() const;

  // Stops accepting, closes idle and waiting connections, waits for running handlers to
  // return and joins every thread. Idempotent.
  void Stop();

 private:
  // Everything Boost lives behind this, so that only http_server.cc compiles Beast.
  struct Impl;

  const HttpServerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace envctl::api

#endif  // ENVCTL_API_HTTP_SERVER_H_
