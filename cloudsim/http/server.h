// HttpServer: one HTTP/1.1 listener (TLS when given an SSL_CTX, plain otherwise) that
// hands each parsed request to a Handler. An acceptor thread accepts connections; each
// connection gets its own thread, up to `max_connections` at once (further clients wait
// in the kernel backlog). Connections are keep-alive; bodies may be Content-Length or
// chunked; `Expect: 100-continue` is honoured. Stop() (or the destructor) closes the
// listener, wakes every connection and joins all threads, so start/stop cycles leak
// nothing. The handler runs on connection threads concurrently and must be thread-safe.
#ifndef ENVCTL_CLOUDSIM_HTTP_SERVER_H_
#define ENVCTL_CLOUDSIM_HTTP_SERVER_H_

#include <openssl/ssl.h>

#include <atomic>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

struct ListenerOptions {
  std::string address = "127.0.0.1";
  int port = 0;             // 0 = ephemeral
  SSL_CTX* tls = nullptr;   // not owned; nullptr = plain HTTP. Must outlive the server.
  int max_connections = 256;
  size_t max_body_bytes = 64 << 20;
};

class HttpServer {
 public:
  // Binds, listens and starts accepting. Errors: the address/port cannot be bound
  // (FailedPrecondition naming address:port and the OS reason).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ListenerOptions& options,
                                                           Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Idempotent; after it returns no handler call is running or will start.
  void Stop();
  int port() const { return port_; }
  const std::string& address() const { return options_.address; }

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;
  };
  HttpServer(ListenerOptions options, Handler handler, int listen_fd, int port);
  void AcceptLoop();
  void Serve(Connection* connection);
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ListenerOptions options_;
  const Handler handler_;
  const int listen_fd_;
  const int port_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_SERVER_H_
