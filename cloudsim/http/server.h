// HttpServer: one HTTP/1.1 listener of cloudsim (HTTPS when given an SSL_CTX, plain
// otherwise), built on Boost.Beast over Boost.Asio, that hands each request to a Handler.
//
// All socket I/O is asynchronous on the listener's one I/O thread, so an idle, trickling
// or non-reading client costs a socket and a buffer, never a thread: hundreds of them do
// not keep other clients from being answered. Handlers run on a HandlerPool that grows
// with the requests in flight (they may block). At `max_connections`, a new client
// displaces a connection idling between requests; when none idles, it is closed.
//
// Requests: keep-alive (HTTP/1.1 default, pipelining answered in order), Content-Length
// or chunked bodies, `Expect: 100-continue`. Limits: the request target and each header
// line up to 64 KiB (414 / 431 beyond), at most 200 header lines (431), bodies up to
// `max_body_bytes` (413). A client idle longer than `idle_timeout`, or slower than
// `read_timeout` for one request, is disconnected (408 when a request was under way).
// Errors the server answers itself are ARM-shaped JSON. A Response with
// `reset_connection` makes the server reset the TCP connection instead of answering.
//
// Stop() (or the destructor) closes the listener and every connection, waits for running
// handlers and joins all threads, so start/stop cycles leak nothing. The handler runs on
// several threads at once and must be thread-safe.
#ifndef ENVCTL_CLOUDSIM_HTTP_SERVER_H_
#define ENVCTL_CLOUDSIM_HTTP_SERVER_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

struct ListenerOptions {
  std::string address = "127.0.0.1";
  int port = 0;            // 0 = ephemeral
  SSL_CTX* tls = nullptr;  // not owned (the server takes a reference); nullptr = plain HTTP
  int max_connections = 1024;
  size_t max_body_bytes = 64 << 20;
  size_t max_line_bytes = 64 << 10;  // request target, and each header line
  int max_header_lines = 200;
  absl::Duration idle_timeout = absl::Seconds(60);
  // From a request's first byte to its last (a 64 MiB upload included).
  absl::Duration read_timeout = absl::Seconds(60);
  // Sending one response (a client that stops reading is dropped).
  absl::Duration write_timeout = absl::Seconds(60);
  // Handlers running at once; further requests wait for a thread.
  int max_handler_threads = 256;
};

class HttpServer {
 public:
  // Binds, listens and starts serving. Errors: not an IPv4 address (InvalidArgument);
  // the address/port cannot be bound (FailedPrecondition naming address:port and the
  // OS reason).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ListenerOptions& options,
                                                           Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Idempotent; after it returns no handler call is running or will start.
  void Stop();
  int port() const;
  const std::string& address() const;

 private:
  // Everything Boost lives behind this, so that only server.cc compiles Beast.
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_SERVER_H_
