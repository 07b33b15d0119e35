// HttpServer: a small HTTP/1.1 server on POSIX sockets for the controller's plain-HTTP
// endpoints (/metrics, /healthz, webhooks). Routes are exact (method, path) pairs; an
// unknown path gets 404, a known path with another method 405 with `Allow`. Requests are
// bounded (headers 64 KiB → 431, body 4 MiB → 413), must arrive within a read timeout, and
// use Content-Length (chunked uploads get 501). Connections are kept alive (HTTP/1.1
// default) up to an idle timeout; each is served by its own thread, at most
// max_connections at once (more get 503). It binds only the address it is given.
// With tls_cert_file/tls_key_file it speaks HTTPS only (OpenSSL, TLS 1.2 or later; the
// handshake runs on the connection's thread within the read timeout); a client CA file
// turns on mutual TLS (a client without a certificate that CA signed is refused).
//
//   HttpServer http;
//   http.Handle("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, ...}; });
//   RETURN_IF_ERROR(http.Start("127.0.0.1:9464"));
//   ...
//   http.Stop();  // also done by the destructor
//
// Thread-safe: Handle() may be called before or after Start(); handlers run concurrently
// on connection threads and must be thread-safe. An exception escaping a handler becomes
// a 500; none escapes the server.
#ifndef ENVCTL_API_HTTP_SERVER_H_
#define ENVCTL_API_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct ssl_st;
struct ssl_ctx_st;

namespace envctl::api {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // the target up to '?', not decoded
  std::string query;   // the target after '?', not decoded; empty when none
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
  // Sending a response may block at most this long per write.
  absl::Duration write_timeout = absl::Seconds(10);
  // Connections served at once; beyond it a client gets 503 and is closed.
  int max_connections = 32;
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
  int port() const { return port_.load(); }

  // Stops accepting, closes idle and waiting connections, waits for running handlers to
  // return and joins every thread. Idempotent.
  void Stop();

 private:
  struct Connection {
    int fd = -1;
    ssl_st* ssl = nullptr;  // TLS session when serving HTTPS; freed when reaped
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop();
  // Serves requests until the connection should close; true when it ends by refusing a
  // request (4xx/5xx from the server itself) whose rest may still be arriving.
  bool Serve(Connection* connection);
  // The handler for (method, path), or the 404 / 405 response to send instead.
  HttpHandler Route(const std::string& method, const std::string& path, bool* head_via_get,
                    HttpResponse* error);
  void ReapFinished(bool all) ABSL_LOCKS_EXCLUDED(mu_);

  const HttpServerOptions options_;
  // Set by Start() when serving HTTPS; read-only afterwards.
  ssl_ctx_st* tls_ = nullptr;
  std::atomic<int> port_{0};
  std::atomic<bool> stopping_{false};
  int listen_fd_ = -1;
  // Written once by Stop(); every poll() in the server also watches wake_read_fd_.
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  std::thread accept_thread_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // path -> method -> handler.
  std::map<std::string, std::map<std::string, HttpHandler>> routes_ ABSL_GUARDED_BY(mu_);
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::api

#endif  // ENVCTL_API_HTTP_SERVER_H_
