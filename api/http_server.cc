#include "api/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace envctl::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

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
// match), and with a client CA, required and verified client certificates. Built with
// OpenSSL directly so that every error names the file and OpenSSL's reason.
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
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP TLS ", what, " ", file, ": ", SslErrors()));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1) {
    return fail("certificate", o.tls_cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("key", o.tls_key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail("key does not match the certificate in", o.tls_cert_file);
  if (!o.tls_client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.tls_client_ca_file.c_str(), nullptr) != 1) {
      return fail("client CA", o.tls_client_ca_file);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// CR and LF removed: a handler's header value must not be able to split the response.
std::string Clean(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

using BeastResponse = http::response<http::string_body>;

BeastResponse ToBeast(const HttpResponse& r, bool keep_alive, bool head_only) {
  BeastResponse out;
  out.version(11);
  out.result(static_cast<unsigned>(r.status >= 100 && r.status <= 999 ? r.status : 500));
  if (!r.content_type.empty()) out.set(http::field::content_type, Clean(r.content_type));
  for (const auto& [name, value] : r.headers) {
    const std::string clean_name = Clean(name);
    if (clean_name.empty() || absl::EqualsIgnoreCase(clean_name, "content-length") ||
        absl::EqualsIgnoreCase(clean_name, "connection")) {
      continue;
    }
    out.insert(clean_name, Clean(value));
  }
  out.set(http::field::connection, keep_alive ? "keep-alive" : "close");
  // A HEAD answer announces the GET body's length and sends no body.
  if (!head_only) out.body() = r.body;
  out.content_length(r.body.size());
  return out;
}

class ServerCore;

// One accepted connection. Every member is used only on the connection's strand, except
// Close() and idle(), which any thread may call.
class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session();
  virtual void Begin() = 0;
  virtual void Close() = 0;
  // True while the connection waits for the first byte of its next request.
  bool idle() const { return idle_.load(); }

 protected:
  Session(ServerCore& core, uint64_t id) : core_(core), id_(id) {}
  ServerCore& core_;
  const uint64_t id_;  // 0: a refused connection, not counted
  std::atomic<bool> idle_{false};
};

// What the sessions share: options, routes, the I/O context and the handler pool.
class ServerCore {
 public:
  explicit ServerCore(const HttpServerOptions& options)
      : options(options), pool_(static_cast<size_t>(std::max(1, options.handler_threads))) {}

  void Handle(std::string method, std::string path, HttpHandler handler) {
    absl::MutexLock lock(&mu_);
    routes_[std::move(path)][std::move(method)] = std::move(handler);
  }

  // The handler for (method, path), or the 404 / 405 response to send instead.
  HttpHandler Route(const std::string& method, const std::string& path, HttpResponse* error) {
    absl::MutexLock lock(&mu_);
    auto by_path = routes_.find(path);
    if (by_path == routes_.end()) {
      *error = TextResponse(404, absl::StrCat("no such path: ", path, "\n"));
      return nullptr;
    }
    const auto& methods = by_path->second;
    if (auto it = methods.find(method); it != methods.end()) return it->second;
    if (method == "HEAD") {
      if (auto get = methods.find("GET"); get != methods.end()) return get->second;
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

  absl::Status Start(const std::string& listen);
  void Stop();
  void Unregister(uint64_t id) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(id);
  }
  bool stopping() const { return stopping_.load(); }
  int port() const { return port_.load(); }
  asio::thread_pool& pool() { return pool_; }

  const HttpServerOptions& options;

 private:
  void Accept();
  void OnAccept(tcp::socket socket);

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // path -> method -> handler.
  std::map<std::string, std::map<std::string, HttpHandler>> routes_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
  std::atomic<int> port_{0};
  // Declared in destruction order's reverse: the pool goes first (its queued work may
  // hold sessions), then the I/O context (whose sockets use the TLS context).
  std::optional<asio::ssl::context> tls_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
  asio::steady_timer accept_backoff_{io_};
  std::thread io_thread_;
  asio::thread_pool pool_;
};

Session::~Session() {
  if (id_ != 0) core_.Unregister(id_);
}

// The HTTP/1.1 exchange over a plain socket or a TLS stream.
template <class Stream>
class StreamSession final : public Session {
 public:
  static constexpr bool kTls = !std::is_same<Stream, tcp::socket>::value;

  // `args` follow the socket into Stream's constructor (the TLS context).
  template <class... Args>
  StreamSession(ServerCore& core, uint64_t id, tcp::socket socket, Args&... args)
      : Session(core, id), stream_(std::move(socket), args...), timer_(stream_.get_executor()) {}

  void Begin() override {
    if constexpr (kTls) {
      Arm(core_.options.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](error_code ec) {
        self->timer_.cancel();
        if (ec) return self->Shutdown();
        self->ReadRequest();
      });
    } else {
      ReadRequest();
    }
  }

  // Instead of Begin(): answers `status` (503 over the connection limit) and closes.
  void RefuseOnly(int status, std::string message) { Refuse(status, std::move(message)); }

  void Close() override {
    asio::post(stream_.get_executor(), [self = Self()] { self->CloseNow(); });
  }

 private:
  std::shared_ptr<StreamSession> Self() {
    return std::static_pointer_cast<StreamSession>(shared_from_this());
  }
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  // Cancels pending socket operations after `d` (they complete with operation_aborted
  // and timed_out_ set). Re-arming replaces the previous deadline.
  void Arm(absl::Duration d) {
    timed_out_ = false;
    timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(d)));
    timer_.async_wait([self = Self()](error_code ec) {
      if (ec || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket().cancel(ignored);
    });
  }

  void ReadRequest() {
    if (closed_ || core_.stopping() || served_ >= core_.options.max_requests_per_connection) {
      return Shutdown();
    }
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<size_t>(core_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(core_.options.max_body_bytes);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    // Idle until the first byte, then the read timeout for the whole request.
    idle_ = true;
    Arm(core_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = Self()](error_code ec, size_t n) {
      self->idle_ = false;
      self->timer_.cancel();
      if (ec) return self->Shutdown();  // closed, idle timeout or Stop: nothing to answer
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    Arm(core_.options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = Self()](error_code ec, size_t) {
      if (ec) return self->ReadFailed(ec);
      self->OnHeader();
    });
  }

  void ReadFailed(error_code ec) {
    timer_.cancel();
    if (timed_out_) return Refuse(408, "request timed out\n");
    if (ec == http::error::header_limit) {
      return Refuse(
          431, absl::StrCat("request headers exceed ", core_.options.max_header_bytes, " bytes\n"));
    }
    if (ec == http::error::body_limit) return RefuseTooLarge();
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
      return Shutdown();  // the client went away (or Stop closed the socket)
    }
    Refuse(400, absl::StrCat("bad request: ", ec.message(), "\n"));
  }

  void RefuseTooLarge() {
    const auto length = parser_->content_length();
    Refuse(413, absl::StrCat("request body of ", length ? *length : 0,
                             " bytes exceeds the limit of ", core_.options.max_body_bytes, "\n"));
  }

  void OnHeader() {
    const auto& request = parser_->get();
    if (request.version() != 10 && request.version() != 11) {
      return Refuse(
          400, absl::StrCat("bad request: unsupported protocol HTTP/", request.version() / 10, ".",
                            request.version() % 10, " (HTTP/1.0 and HTTP/1.1 are served)\n"));
    }
    if (request.target().empty() || request.target()[0] != '/') {
      return Refuse(400, "bad request: request target must be a path starting with '/'\n");
    }
    if (parser_->chunked() || request.count(http::field::transfer_encoding) > 0) {
      return Refuse(501, "Transfer-Encoding is not supported; send Content-Length\n");
    }
    if (const auto length = parser_->content_length();
        length && *length > core_.options.max_body_bytes) {
      return RefuseTooLarge();
    }
    if (parser_->is_done()) return Dispatch();
    const auto expect = request[http::field::expect];
    if (absl::EqualsIgnoreCase(absl::string_view(expect.data(), expect.size()), "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                        [self = Self()](error_code ec, size_t) {
                          if (ec) return self->ReadFailed(ec);
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  // Under the deadline armed when the request's first byte arrived.
  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, [self = Self()](error_code ec, size_t) {
      if (ec) return self->ReadFailed(ec);
      self->Dispatch();
    });
  }

  void Dispatch() {
    timer_.cancel();
    auto& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    const absl::string_view target(message.target().data(), message.target().size());
    const size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != absl::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !core_.stopping() &&
                            served_ + 1 < core_.options.max_requests_per_connection;
    ++served_;
    HttpResponse error;
    HttpHandler handler = core_.Route(request.method, request.path, &error);
    if (!handler) return Write(error, keep_alive, request.method == "HEAD");
    // Handlers may block; they run on the pool so that socket I/O never waits for them.
    asio::post(core_.pool(), [self = Self(), handler = std::move(handler),
                              request = std::move(request), keep_alive]() {
      HttpResponse response;
      try {
        response = handler(request);
      } catch (const std::exception& e) {
        response = TextResponse(500, absl::StrCat("internal error: ", e.what(), "\n"));
      } catch (...) {
        response = TextResponse(500, "internal error\n");
      }
      const bool head_only = request.method == "HEAD";
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response), keep_alive, head_only] {
                   self->Write(response, keep_alive, head_only);
                 });
    });
  }

  void Write(const HttpResponse& response, bool keep_alive, bool head_only) {
    if (closed_) return;
    auto message = std::make_shared<BeastResponse>(ToBeast(response, keep_alive, head_only));
    Arm(core_.options.write_timeout);
    http::async_write(stream_, *message,
                      [self = Self(), message, keep_alive](error_code ec, size_t) {
                        self->timer_.cancel();
                        if (ec || !keep_alive) return self->Shutdown();
                        self->ReadRequest();
                      });
  }

  // Answers a request the server refuses and ends the connection. The client may still
  // be sending: the rest is read and dropped for a moment (lingering close), since
  // closing with unread data sends a reset that can destroy the answer.
  void Refuse(int status, std::string message) {
    if (closed_) return;
    auto wire = std::make_shared<BeastResponse>(
        ToBeast(TextResponse(status, std::move(message)), /*keep_alive=*/false, false));
    Arm(core_.options.write_timeout);
    http::async_write(stream_, *wire, [self = Self(), wire](error_code ec, size_t) {
      self->timer_.cancel();
      if (ec) return self->CloseNow();
      if constexpr (kTls) {
        self->Shutdown();
      } else {
        error_code ignored;
        self->socket().shutdown(tcp::socket::shutdown_send, ignored);
        self->Arm(absl::Seconds(1));
        self->Drain(0);
      }
    });
  }

  void Drain(size_t total) {
    if (total > 8 * 1024 * 1024) return CloseNow();
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = Self(), total](error_code ec, size_t n) {
                              if (ec) return self->CloseNow();
                              self->Drain(total + n);
                            });
  }

  // Ends the connection in order: TLS close_notify (bounded), then FIN.
  void Shutdown() {
    if (closed_) return;
    if constexpr (kTls) {
      if (!shutting_down_ && !core_.stopping()) {
        shutting_down_ = true;
        Arm(absl::Seconds(1));
        stream_.async_shutdown([self = Self()](error_code) { self->CloseNow(); });
        return;
      }
    }
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    CloseNow();
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    idle_ = false;
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int served_ = 0;
  bool timed_out_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
};

using PlainSession = StreamSession<tcp::socket>;
using TlsSession = StreamSession<asio::ssl::stream<tcp::socket>>;

absl::Status ServerCore::Start(const std::string& listen) {
  std::string host, port;
  if (absl::Status s = SplitListen(listen, &host, &port); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("HTTP server already started");
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty() ||
      !options.tls_client_ca_file.empty()) {
    absl::StatusOr<SSL_CTX*> ctx = MakeTlsContext(options);
    if (!ctx.ok()) return ctx.status();
    tls_.emplace(*ctx);  // takes ownership
  }
  error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address \"", listen, "\": ", ec.message()));
  }
  std::string error = "no address";
  for (const auto& entry : endpoints) {
    tcp::acceptor acceptor(io_);
    if (acceptor.open(entry.endpoint().protocol(), ec) ||
        acceptor.set_option(tcp::acceptor::reuse_address(true), ec) ||
        acceptor.bind(entry.endpoint(), ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
      error = ec.message();
      continue;
    }
    acceptor_.emplace(std::move(acceptor));
    break;
  }
  if (!acceptor_) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", listen, ": ", error,
                                               "; pick another with --http-listen"));
  }
  port_.store(acceptor_->local_endpoint().port());
  started_ = true;
  work_.emplace(io_.get_executor());
  Accept();
  io_thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void ServerCore::Accept() {
  acceptor_->async_accept(asio::make_strand(io_), [this](error_code ec, tcp::socket socket) {
    if (stopping_.load() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      accept_backoff_.expires_after(std::chrono::milliseconds(50));
      accept_backoff_.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopping_.load()) Accept();
      });
      return;
    }
    OnAccept(std::move(socket));
    Accept();
  });
}

void ServerCore::OnAccept(tcp::socket socket) {
  uint64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    bool room = static_cast<int>(sessions_.size()) < options.max_connections;
    if (!room) {
      // Displace a connection that idles between requests: it loses nothing it asked for.
      for (auto& [other_id, weak] : sessions_) {
        std::shared_ptr<Session> other = weak.lock();
        if (other != nullptr && other->idle()) {
          other->Close();
          room = true;
          break;
        }
      }
    }
    if (room) id = next_id_++;
  }
  std::shared_ptr<Session> session;
  if (tls_) {
    if (id == 0) return;  // a plaintext 503 would be noise to a TLS client: just close
    session = std::make_shared<TlsSession>(*this, id, std::move(socket), *tls_);
  } else {
    auto plain = std::make_shared<PlainSession>(*this, id, std::move(socket));
    if (id == 0) return plain->RefuseOnly(503, "too many connections; retry later\n");
    session = plain;
  }
  {
    absl::MutexLock lock(&mu_);
    sessions_[id] = session;
  }
  session->Begin();
}

void ServerCore::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
  }
  stopping_.store(true);
  // On the I/O thread: no more accepts, every connection closed (a running handler's
  // answer is dropped once it returns).
  std::promise<void> closed;
  asio::post(io_, [this, &closed] {
    error_code ignored;
    acceptor_->close(ignored);
    accept_backoff_.cancel();
    std::vector<std::shared_ptr<Session>> live;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [id, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->Close();
    // Close() posts each socket's close to this (single) I/O thread: signal only after
    // they ran, or io_.stop() below could drop them and leave clients connected.
    asio::post(io_, [&closed] { closed.set_value(); });
  });
  closed.get_future().wait();
  pool_.join();  // running handlers return
  work_.reset();
  io_.stop();
  if (io_thread_.joinable()) io_thread_.join();
}

}  // namespace

struct HttpServer::Impl : ServerCore {
  using ServerCore::ServerCore;
};

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

HttpServer::HttpServer(HttpServerOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string method, std::string path, HttpHandler handler) {
  impl_->Handle(std::move(method), std::move(path), std::move(handler));
}

absl::Status HttpServer::Start(const std::string& listen) { return impl_->Start(listen); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace envctl::api
