#include "api/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/internal/http_parse.h"

namespace envctl::api {
namespace {

using internal::SerializeResponse;
using internal::TextResponse;

// Splits "host:port" / "[v6]:port"; the host must be non-empty so that nobody listens on
// every interface by accident.
absl::Status SplitListen(const std::string& listen, std::string* host, std::string* port) {
  const auto bad = [&listen](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP listen address \"", listen, "\": ", why,
                                                   "; expected host:port, e.g. 127.0.0.1:9464"));
  };
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  *host = listen.substr(0, colon);
  *port = listen.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) return bad("no host (use 0.0.0.0 to listen on every interface)");
  int n = -1;
  if (!absl::SimpleAtoi(*port, &n) || n < 0 || n > 65535) return bad("port is not 0-65535");
  return absl::OkStatus();
}

enum class Wait { kReady, kTimeout, kStopped };

// Waits until `fd` is readable, the server is stopping (wake fd readable) or `deadline`.
Wait WaitReadable(int fd, int wake_fd, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return Wait::kTimeout;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int timeout_ms =
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
    const int n = poll(fds, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Wait::kStopped;
    if (fds[1].revents != 0) return Wait::kStopped;
    if (fds[0].revents != 0) return Wait::kReady;
  }
}

// Sends all of `data`; false when the peer is gone or a write timed out (SO_SNDTIMEO).
bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Sends all of `data` over TLS; false when the peer is gone or a write timed out.
bool SslSendAll(SSL* ssl, absl::string_view data) {
  while (!data.empty()) {
    const int n = SSL_write(ssl, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// OpenSSL's reasons queued on this thread, "; "-joined (and the queue cleared).
std::string SslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "unknown error" : out;
}

// The server context for HTTPS: TLS 1.2+, the certificate chain and key (checked to
// match), and with a client CA, required and verified client certificates.
absl::StatusOr<SSL_CTX*> MakeTlsContext(const HttpServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("HTTP TLS needs both a certificate file and a key file");
  }
  if (!o.tls_client_ca_file.empty() && o.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("HTTP TLS: a client CA file needs a certificate and key too");
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("HTTP TLS: ", SslErrors()));
  const auto fail = [ctx](const std::string& what, const std::string& file) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(absl::StrCat("HTTP TLS ", what, " ", file, ": ", SslErrors()));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1) {
    return fail("certificate", o.tls_cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("key", o.tls_key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("key does not match the certificate in", o.tls_cert_file);
  if (!o.tls_client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.tls_client_ca_file.c_str(), nullptr) != 1) {
      return fail("client CA", o.tls_client_ca_file);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

void SetTimeout(int fd, int option, absl::Duration d) {
  timeval tv = absl::ToTimeval(d);
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

// Lingering close: reads and discards what the client is still sending (at most 1 s or
// 8 MiB) so that closing with unread data does not reset the connection before the client
// read the error response.
void DrainBeforeClose(int fd, int wake_fd) {
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  char sink[16 * 1024];
  size_t total = 0;
  while (total < 8 * 1024 * 1024 && WaitReadable(fd, wake_fd, deadline) == Wait::kReady) {
    const ssize_t n = recv(fd, sink, sizeof(sink), 0);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

}  // namespace

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() {
  Stop();
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

void HttpServer::Handle(std::string method, std::string path, HttpHandler handler) {
  absl::MutexLock lock(&mu_);
  routes_[std::move(path)][std::move(method)] = std::move(handler);
}

absl::Status HttpServer::Start(const std::string& listen) {
  std::string host, port;
  if (absl::Status s = SplitListen(listen, &host, &port); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("HTTP server already started");
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty() ||
      !options_.tls_client_ca_file.empty()) {
    absl::StatusOr<SSL_CTX*> ctx = MakeTlsContext(options_);
    if (!ctx.ok()) return ctx.status();
    if (tls_ != nullptr) SSL_CTX_free(tls_);
    tls_ = *ctx;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &addresses); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address \"", listen, "\": ", gai_strerror(rc)));
  }
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", listen, ": ", error,
                                               "; pick another with --http-listen"));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_.store(ntohs(bound.ss_family == AF_INET6
                        ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("HTTP server: pipe: ", std::strerror(errno)));
  }
  listen_fd_ = fd;
  wake_read_fd_ = pipe_fds[0];
  wake_write_fd_ = pipe_fds[1];
  started_ = true;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || stopping_.load()) return;
    stopping_.store(true);
  }
  // The pipe stays readable from now on, so every poll() in the server returns.
  const char byte = 1;
  while (write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    // Unblocks a connection thread stuck in send() to a client that stopped reading.
    for (auto& c : connections_) shutdown(c->fd, SHUT_RDWR);
  }
  ReapFinished(/*all=*/true);
  close(listen_fd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
}

void HttpServer::ReapFinished(bool all) {
  std::list<std::unique_ptr<Connection>> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (all || (*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    if (c->thread.joinable()) c->thread.join();
    if (c->ssl != nullptr) SSL_free(c->ssl);
    close(c->fd);
  }
}

void HttpServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    const int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: back off instead of spinning on a readable listen socket.
        pollfd wake = {wake_read_fd_, POLLIN, 0};
        poll(&wake, 1, 50);
      }
      continue;
    }
    SetTimeout(fd, SO_SNDTIMEO, options_.write_timeout);
    ReapFinished(/*all=*/false);
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      // Over HTTPS a plaintext answer would be noise to the client: just close.
      if (tls_ == nullptr) {
        SetTimeout(fd, SO_SNDTIMEO, absl::Milliseconds(100));
        SendAll(fd, SerializeResponse(TextResponse(503, "too many connections; retry later\n"),
                                      /*keep_alive=*/false, /*head_only=*/false));
      }
      close(fd);
      continue;
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread([this, raw] {
      // OpenSSL writes with write(), not send(MSG_NOSIGNAL): a client that went away must
      // not raise SIGPIPE in the process. Blocked here, it stays pending on this thread
      // and is dropped with it.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      const bool refused = Serve(raw);
      if (raw->ssl != nullptr) SSL_shutdown(raw->ssl);  // close_notify, not waiting for the peer's
      // FIN now; the descriptor itself is closed when the thread is reaped, so Stop()
      // never shuts down a reused descriptor number.
      shutdown(raw->fd, SHUT_WR);
      if (refused) DrainBeforeClose(raw->fd, wake_read_fd_);
      shutdown(raw->fd, SHUT_RDWR);
      raw->done.store(true);
    });
  }
}

HttpHandler HttpServer::Route(const std::string& method, const std::string& path,
                              bool* head_via_get, HttpResponse* error) {
  *head_via_get = false;
  absl::MutexLock lock(&mu_);
  auto by_path = routes_.find(path);
  if (by_path == routes_.end()) {
    *error = TextResponse(404, absl::StrCat("no such path: ", path, "\n"));
    return nullptr;
  }
  const auto& methods = by_path->second;
  if (auto it = methods.find(method); it != methods.end()) return it->second;
  if (method == "HEAD") {
    if (auto get = methods.find("GET"); get != methods.end()) {
      *head_via_get = true;
      return get->second;
    }
  }
  std::vector<std::string> allowed;
  for (const auto& [m, handler] : methods) allowed.push_back(m);
  if (methods.count("GET") > 0 && methods.count("HEAD") == 0) allowed.push_back("HEAD");
  std::sort(allowed.begin(), allowed.end());
  const std::string allow = absl::StrJoin(allowed, ", ");
  *error = TextResponse(405, absl::StrCat("method ", method, " not allowed for ", path,
                                          "; allowed: ", allow, "\n"));
  error->headers.emplace_back("Allow", allow);
  return nullptr;
}

bool HttpServer::Serve(Connection* connection) {
  const int fd = connection->fd;
  SSL* ssl = nullptr;
  if (tls_ != nullptr) {
    // The handshake must finish within the read timeout (a silent client holds only its
    // own thread, and not for long).
    SetTimeout(fd, SO_RCVTIMEO, options_.read_timeout);
    ssl = SSL_new(tls_);
    if (ssl == nullptr) return false;
    connection->ssl = ssl;
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      ERR_clear_error();
      return false;
    }
  }
  const auto send_all = [fd, ssl](absl::string_view data) {
    return ssl != nullptr ? SslSendAll(ssl, data) : SendAll(fd, data);
  };
  const auto reply = [&send_all](const HttpResponse& r, bool keep_alive, bool head_only) {
    return send_all(SerializeResponse(r, keep_alive, head_only));
  };
  // Answers a request the server refuses and ends the connection; the client may still be
  // sending, so the caller drains before closing (an RST could destroy the answer).
  const auto refuse = [&reply](int status, std::string message) {
    reply(TextResponse(status, std::move(message)), /*keep_alive=*/false, /*head_only=*/false);
    return true;
  };
  std::string buffer;  // bytes received and not yet consumed (pipelined requests)
  char chunk[16 * 1024];
  const auto receive = [&](absl::Time deadline) -> Wait {
    // Decrypted bytes OpenSSL already holds do not make the socket readable.
    if (ssl == nullptr || SSL_pending(ssl) == 0) {
      Wait w = WaitReadable(fd, wake_read_fd_, deadline);
      if (w != Wait::kReady) return w;
    }
    const ssize_t n = ssl != nullptr ? SSL_read(ssl, chunk, sizeof(chunk)) : recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return Wait::kStopped;  // peer closed or error: nothing more to serve
    buffer.append(chunk, static_cast<size_t>(n));
    return Wait::kReady;
  };

  for (int served = 0; served < options_.max_requests_per_connection && !stopping_.load();
       ++served) {
    // Head: wait up to the idle timeout for the first byte, then the read timeout for all.
    absl::Time deadline = absl::Now() + options_.idle_timeout;
    bool started = !buffer.empty();
    if (started) deadline = absl::Now() + options_.read_timeout;
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > options_.max_header_bytes) {
        return refuse(431, absl::StrCat("request headers exceed ", options_.max_header_bytes,
                                        " bytes\n"));
      }
      Wait w = receive(deadline);
      if (w == Wait::kTimeout && started) return refuse(408, "request timed out\n");
      if (w != Wait::kReady) return false;
      if (!started) {
        started = true;
        deadline = absl::Now() + options_.read_timeout;
      }
    }
    if (head_end > options_.max_header_bytes) {
      return refuse(431, absl::StrCat("request headers exceed ", options_.max_header_bytes,
                                      " bytes\n"));
    }
    auto head = internal::ParseRequestHead(absl::string_view(buffer).substr(0, head_end));
    if (!head.ok()) {
      return refuse(400, absl::StrCat("bad request: ", head.status().message(), "\n"));
    }
    buffer.erase(0, head_end + 4);
    if (head->chunked) {
      return refuse(501, "Transfer-Encoding is not supported; send Content-Length\n");
    }
    if (head->content_length > options_.max_body_bytes) {
      return refuse(413, absl::StrCat("request body of ", head->content_length,
                                      " bytes exceeds the limit of ", options_.max_body_bytes,
                                      "\n"));
    }
    if (head->expect_continue && buffer.size() < head->content_length) {
      if (!send_all("HTTP/1.1 100 Continue\r\n\r\n")) return false;
    }
    while (buffer.size() < head->content_length) {
      Wait w = receive(deadline);
      if (w == Wait::kTimeout) return refuse(408, "request timed out\n");
      if (w != Wait::kReady) return false;
    }
    HttpRequest& request = head->request;
    request.body = buffer.substr(0, head->content_length);
    buffer.erase(0, head->content_length);

    bool head_via_get = false;
    HttpResponse response;
    if (HttpHandler handler = Route(request.method, request.path, &head_via_get, &response)) {
      try {
        response = handler(request);
      } catch (const std::exception& e) {
        response = TextResponse(500, absl::StrCat("internal error: ", e.what(), "\n"));
      } catch (...) {
        response = TextResponse(500, "internal error\n");
      }
    }
    const bool keep_alive = head->keep_alive && !stopping_.load() &&
                            served + 1 < options_.max_requests_per_connection;
    if (!reply(response, keep_alive, request.method == "HEAD") || !keep_alive) return false;
  }
  return false;
}

}  // namespace envctl::api
