#include "cloudsim/http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloudsim/http/url.h"
#include "cloudsim/http/wire.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {
namespace {

// Idle keep-alive connections give their thread back after this long.
constexpr int kIdleTimeoutSeconds = 60;

// Errors the server itself answers (malformed HTTP, oversized bodies, a handler that
// threw) are ARM-shaped JSON like every other cloudsim error, so clients can parse them.
Response PlainError(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  const char* code = status == 413 ? "RequestEntityTooLarge"
                     : status >= 500 ? "InternalServerError"
                                     : "BadRequest";
  r.body = nlohmann::json({{"error", {{"code", code}, {"message", message}}}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenerOptions& options,
                                                               Handler handler) {
  // OpenSSL's socket BIO writes without MSG_NOSIGNAL: a client that closes a kept-alive
  // connection while we answer must not kill the server with SIGPIPE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket(): ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return absl::InvalidArgumentError("not an IPv4 address: " + options.address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 128) != 0) {
    int err = errno;
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", options.address, ":",
                                                      options.port, ": ", std::strerror(err)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler), fd, port));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

HttpServer::HttpServer(ListenerOptions options, Handler handler, int listen_fd, int port)
    : options_(std::move(options)), handler_(std::move(handler)), listen_fd_(listen_fd),
      port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    // Set under mu_ so the acceptor's Await re-evaluates its condition.
    stopping_ = true;
  }
  // shutdown() wakes a thread blocked in accept() on Linux.
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::list<Connection> connections;
  {
    absl::MutexLock lock(&mu_);
    for (Connection& c : connections_) {
      if (!c.done) ::shutdown(c.fd, SHUT_RDWR);
    }
    connections.splice(connections.begin(), connections_);
  }
  for (Connection& c : connections) {
    if (c.thread.joinable()) c.thread.join();
  }
}

void HttpServer::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    {
      absl::MutexLock lock(&mu_);
      ReapFinished();
      auto has_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return active_ < options_.max_connections || stopping_;
      };
      mu_.Await(absl::Condition(&has_slot));
      ReapFinished();
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_) break;
      if (errno == EMFILE || errno == ENFILE) {
        ::usleep(10000);
        continue;
      }
      break;
    }
    if (stopping_) {
      ::close(fd);
      break;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{kIdleTimeoutSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    absl::MutexLock lock(&mu_);
    connections_.emplace_back();
    Connection* c = &connections_.back();
    c->fd = fd;
    ++active_;
    c->thread = std::thread([this, c] { Serve(c); });
  }
}

void HttpServer::Serve(Connection* connection) {
  const int fd = connection->fd;
  SSL* ssl = nullptr;
  std::unique_ptr<Stream> stream;
  bool reset = false;
  if (options_.tls != nullptr) {
    ssl = SSL_new(options_.tls);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      stream = std::make_unique<SslStream>(ssl);
    } else {
      ERR_clear_error();
    }
  } else {
    stream = std::make_unique<FdStream>(fd);
  }
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  char local_ip[INET_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET, &local.sin_addr, local_ip, sizeof(local_ip));

  if (stream != nullptr) {
    BufferedReader reader(stream.get());
    while (!stopping_) {
      MessageHead head;
      absl::Status st = ReadHead(reader, &head);
      if (!st.ok()) {
        if (!absl::IsOutOfRange(st)) stream->Write(SerializeResponse(PlainError(400, std::string(st.message())), false, false));
        break;
      }
      std::vector<std::string> parts = absl::StrSplit(head.start_line, ' ', absl::SkipEmpty());
      if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
        stream->Write(SerializeResponse(PlainError(400, "malformed request line"), false, false));
        break;
      }
      Request req;
      req.method = parts[0];
      const std::string& target = parts[1];
      size_t q = target.find('?');
      req.path = PercentDecode(target.substr(0, q), false);
      if (q != std::string::npos) req.raw_query = target.substr(q + 1);
      req.query = ParseQuery(req.raw_query);
      req.headers = std::move(head.headers);
      req.host = req.Header("Host");
      req.local_address = local_ip;
      req.local_port = port_;
      if (absl::EqualsIgnoreCase(req.Header("Expect"), "100-continue")) {
        stream->Write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      st = ReadBody(reader, req.headers, false, options_.max_body_bytes, &req.body);
      if (!st.ok()) {
        int code = absl::IsResourceExhausted(st) ? 413 : 400;
        stream->Write(SerializeResponse(PlainError(code, std::string(st.message())), false, false));
        break;
      }
      bool keep_alive = parts[2] != "HTTP/1.0" &&
                        !absl::EqualsIgnoreCase(req.Header("Connection"), "close");
      Response resp;
      try {
        resp = handler_(req);
      } catch (const std::exception& e) {
        resp = PlainError(500, std::string("internal error: ") + e.what());
      } catch (...) {
        resp = PlainError(500, "internal error");
      }
      if (resp.reset_connection) {
        reset = true;
        break;
      }
      if (stopping_) keep_alive = false;
      if (!stream->Write(SerializeResponse(resp, req.method == "HEAD", keep_alive))) break;
      if (!keep_alive) break;
    }
  }
  if (reset) {
    // SO_LINGER 0 makes close() send RST: the client sees a reset connection.
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  } else if (ssl != nullptr && stream != nullptr) {
    SSL_shutdown(ssl);
  }
  if (ssl != nullptr) SSL_free(ssl);
  ERR_clear_error();
  absl::MutexLock lock(&mu_);
  ::close(fd);
  connection->fd = -1;
  connection->done = true;
  --active_;
}

}  // namespace envctl::cloudsim
