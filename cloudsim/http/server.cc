#include "cloudsim/http/server.h"

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
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloudsim/http/handler_pool.h"
#include "cloudsim/http/request_parser.h"
#include "cloudsim/http/url.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// The whole header block; single lines are held to ListenerOptions::max_line_bytes.
constexpr uint32_t kMaxHeaderBlockBytes = 1 << 20;
// A refused upload is read and dropped for at most this long / this much, so that the
// answer is not destroyed by the reset a close with unread data sends.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 8 << 20;

// Errors the server answers itself (malformed HTTP, limits, a handler that threw) are
// ARM-shaped JSON like every other cloudsim error, so that clients can parse them.
Response JsonError(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  const char* code = status == 408   ? "RequestTimeout"
                     : status == 413 ? "RequestEntityTooLarge"
                     : status == 414 ? "RequestUriTooLong"
                     : status == 431 ? "RequestHeaderFieldsTooLarge"
                     : status >= 500 ? "InternalServerError"
                                     : "BadRequest";
  r.body = nlohmann::json({{"error", {{"code", code}, {"message", message}}}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// CR and LF removed: a header a handler sets must not be able to split the response.
std::string NoCrLf(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

using WireResponse = http::response<http::string_body>;

// The status line's reason phrase comes from Beast (obsolete_reason of the status).
WireResponse ToWire(Response&& r, bool keep_alive, bool head_only) {
  WireResponse out;
  out.version(11);
  const unsigned status =
      r.status >= 100 && r.status <= 999 ? static_cast<unsigned>(r.status) : 500;
  out.result(status);
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Connection") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    out.insert(NoCrLf(name), NoCrLf(value));
  }
  out.set(http::field::connection, keep_alive ? "keep-alive" : "close");
  if (status >= 200 && status != 204 && status != 304) {
    // A HEAD answer announces the length of the body it does not send.
    out.content_length(r.body.size());
    if (!head_only) out.body() = std::move(r.body);
  }
  return out;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

class ServerCore;

// One accepted connection. Every member is used on the I/O thread only, except idle().
class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session();
  virtual void Begin() = 0;
  // Closes the connection at once (Stop, or displaced by a newer client).
  virtual void CloseNow() = 0;
  // True while the connection waits for its TLS handshake or its next request.
  bool idle() const { return idle_.load(); }

 protected:
  Session(ServerCore& core, uint64_t id) : core_(core), id_(id) {}
  ServerCore& core_;
  const uint64_t id_;
  std::atomic<bool> idle_{false};
};

// What the sessions of one listener share: options, handler, I/O context, handler pool.
class ServerCore {
 public:
  ServerCore(ListenerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        pool_(options_.max_handler_threads, absl::Seconds(30)) {}
  ~ServerCore() { Stop(); }

  absl::Status Listen();
  void Stop();
  int port() const { return port_; }
  const ListenerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(); }
  void Unregister(uint64_t id) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(id);
  }
  // Runs the handler on the pool; `done` gets its response (on the pool thread).
  void RunHandler(Request request, std::function<void(Response)> done) {
    pool_.Post([this, request = std::move(request), done = std::move(done)]() mutable {
      Response response;
      try {
        response = handler_(request);
      } catch (const std::exception& e) {
        response = JsonError(500, std::string("internal error: ") + e.what());
      } catch (...) {
        response = JsonError(500, "internal error");
      }
      done(std::move(response));
    });
  }

 private:
  void Accept();
  void OnAccept(tcp::socket socket);

  const ListenerOptions options_;
  const Handler handler_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  // Destroyed in reverse order: the pool first (its tasks hold sessions), then the I/O
  // context (its queued handlers hold sessions, whose destructors use mu_ and sessions_;
  // their TLS streams were made from tls_).
  std::optional<asio::ssl::context> tls_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
  asio::steady_timer accept_backoff_{io_};
  std::thread io_thread_;
  HandlerPool pool_;
};

Session::~Session() { core_.Unregister(id_); }

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
    error_code ec;
    const tcp::endpoint local = socket().local_endpoint(ec);
    if (!ec) local_address_ = local.address().to_string();
    if constexpr (kTls) {
      idle_ = true;
      Arm(core_.options().read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](error_code ec) {
        self->idle_ = false;
        self->timer_.cancel();
        if (ec) return self->CloseNow();
        self->ReadRequest();
      });
    } else {
      ReadRequest();
    }
  }

  // Instead of Begin(): answers `status` and closes (over the connection limit).
  void RefuseOnly(int status, const std::string& message) { Refuse(status, message); }

  void CloseNow() override {
    if (closed_) return;
    closed_ = true;
    idle_ = false;
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

 private:
  std::shared_ptr<StreamSession> Self() {
    return std::static_pointer_cast<StreamSession>(shared_from_this());
  }
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  // Cancels pending socket operations after `d` (they complete with operation_aborted
  // and timed_out_ set). Re-arming replaces the previous deadline.
  void Arm(std::chrono::steady_clock::duration d) {
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = Self()](error_code ec) {
      if (ec || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket().cancel(ignored);
    });
  }
  void Arm(absl::Duration d) { Arm(ToChrono(d)); }

  void ReadRequest() {
    if (closed_ || core_.stopping()) return Shutdown();
    parser_.emplace(core_.options().max_line_bytes, core_.options().max_header_lines);
    parser_->header_limit(kMaxHeaderBlockBytes);
    parser_->body_limit(core_.options().max_body_bytes);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    // Idle until the first byte, then the read timeout for the whole request.
    idle_ = true;
    Arm(core_.options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = Self()](error_code ec, size_t n) {
      self->idle_ = false;
      self->timer_.cancel();
      if (ec) return self->Shutdown();  // closed, idle timeout or Stop: nothing to answer
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    Arm(core_.options().read_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = Self()](error_code ec, size_t) {
      if (ec) return self->ReadFailed(ec);
      self->OnHeader();
    });
  }

  void ReadFailed(error_code ec) {
    timer_.cancel();
    if (closed_) return;
    if (timed_out_) return Refuse(408, "The request did not arrive in time.");
    if (ec == http::error::header_limit) return RefuseHeader();
    if (ec == http::error::body_limit) return RefuseTooLarge();
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
      return Shutdown();  // the client went away
    }
    Refuse(400, absl::StrCat("Malformed HTTP request: ", ec.message(), "."));
  }

  void RefuseTooLarge() {
    Refuse(413,
           absl::StrCat("The request body exceeds ", core_.options().max_body_bytes, " bytes."));
  }

  void RefuseHeader() {
    const size_t line = core_.options().max_line_bytes;
    switch (parser_->refusal()) {
      case RequestParser::Refusal::kTargetTooLong:
        return Refuse(414, absl::StrCat("The request URI exceeds ", line, " bytes."));
      case RequestParser::Refusal::kHeaderTooLong:
        return Refuse(431, absl::StrCat("The request header ", parser_->refused_header(),
                                        " exceeds ", line, " bytes."));
      case RequestParser::Refusal::kTooManyHeaders:
        return Refuse(
            431, absl::StrCat("More than ", core_.options().max_header_lines, " request headers."));
      case RequestParser::Refusal::kNone:
        break;
    }
    Refuse(431, absl::StrCat("The request headers exceed ", kMaxHeaderBlockBytes, " bytes."));
  }

  void OnHeader() {
    if (parser_->is_done()) return Dispatch();
    if (absl::EqualsIgnoreCase(parser_->request().Header("Expect"), "100-continue")) {
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
    Request request = std::move(parser_->request());
    const absl::string_view target = parser_->target();
    const size_t q = target.find('?');
    absl::StatusOr<std::string> path = PercentDecode(target.substr(0, q), false);
    if (q != absl::string_view::npos) request.raw_query = std::string(target.substr(q + 1));
    absl::StatusOr<std::map<std::string, std::string>> query = ParseQuery(request.raw_query);
    if (!path.ok() || !query.ok()) {
      return Refuse(400, absl::StrCat("The request URI is invalid: ",
                                      (path.ok() ? query.status() : path.status()).message()));
    }
    request.path = std::move(*path);
    request.query = std::move(*query);
    request.host = request.Header("Host");
    request.local_address = local_address_;
    request.local_port = core_.port();
    const bool keep_alive = parser_->keep_alive() && !core_.stopping();
    const bool head_only = request.method == "HEAD";
    // Handlers may block; they run on the pool so that socket I/O never waits for them.
    core_.RunHandler(std::move(request), [self = Self(), keep_alive, head_only](Response response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive,
                                                head_only]() mutable {
        if (response.reset_connection) return self->Reset();
        self->Write(std::move(response), keep_alive && !self->core_.stopping(), head_only);
      });
    });
  }

  void Write(Response&& response, bool keep_alive, bool head_only) {
    if (closed_) return;
    auto message =
        std::make_shared<WireResponse>(ToWire(std::move(response), keep_alive, head_only));
    Arm(core_.options().write_timeout);
    http::async_write(stream_, *message,
                      [self = Self(), message, keep_alive](error_code ec, size_t) {
                        self->timer_.cancel();
                        if (ec || !keep_alive) return self->Shutdown();
                        self->ReadRequest();
                      });
  }

  // Fault injection: SO_LINGER 0 makes close() send RST, so the client sees a reset
  // connection and no answer (nor a TLS close_notify).
  void Reset() {
    if (closed_) return;
    error_code ignored;
    socket().set_option(asio::socket_base::linger(true, 0), ignored);
    CloseNow();
  }

  // Answers a request the server refuses and ends the connection. The client may still
  // be sending: the rest is read and dropped for a moment (lingering close).
  void Refuse(int status, const std::string& message) {
    if (closed_) return;
    auto wire = std::make_shared<WireResponse>(ToWire(JsonError(status, message), false, false));
    Arm(core_.options().write_timeout);
    http::async_write(stream_, *wire, [self = Self(), wire](error_code ec, size_t) {
      self->timer_.cancel();
      if (ec) return self->CloseNow();
      if constexpr (!kTls) {
        error_code ignored;
        self->socket().shutdown(tcp::socket::shutdown_send, ignored);
      }
      self->Arm(kLingerTime);
      self->Drain(0);
    });
  }

  void Drain(size_t total) {
    if (total > kLingerBytes || closed_) return CloseNow();
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(64 * 1024),
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
        Arm(kLingerTime);
        stream_.async_shutdown([self = Self()](error_code) { self->CloseNow(); });
        return;
      }
    }
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    CloseNow();
  }

  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string local_address_;
  bool timed_out_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
};

using PlainSession = StreamSession<tcp::socket>;
using TlsSession = StreamSession<asio::ssl::stream<tcp::socket>>;

absl::Status ServerCore::Listen() {
  error_code ec;
  const asio::ip::address_v4 address = asio::ip::make_address_v4(options_.address, ec);
  if (ec) return absl::InvalidArgumentError("not an IPv4 address: " + options_.address);
  if (options_.tls != nullptr) {
    // asio's context takes ownership of the handle it wraps; the caller keeps its own.
    SSL_CTX_up_ref(options_.tls);
    tls_.emplace(options_.tls);
  }
  tcp::acceptor acceptor(io_);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  if (acceptor.open(endpoint.protocol(), ec) ||
      acceptor.set_option(tcp::acceptor::reuse_address(true), ec) || acceptor.bind(endpoint, ec) ||
      acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                      options_.port, ": ", ec.message()));
  }
  port_ = acceptor.local_endpoint().port();
  acceptor_.emplace(std::move(acceptor));
  work_.emplace(io_.get_executor());
  Accept();
  io_thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void ServerCore::Accept() {
  acceptor_->async_accept(io_, [this](error_code ec, tcp::socket socket) {
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
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<Session> displaced;
  bool room = false;
  uint64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    room = static_cast<int>(sessions_.size()) < options_.max_connections;
    if (!room) {
      // Displace a connection that idles: it loses nothing it asked for.
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        std::shared_ptr<Session> other = it->second.lock();
        if (other != nullptr && other->idle()) {
          displaced = std::move(other);
          sessions_.erase(it);
          room = true;
          break;
        }
      }
    }
    id = next_id_++;
  }
  if (displaced != nullptr) displaced->CloseNow();  // we are on the I/O thread
  std::shared_ptr<Session> session;
  if (tls_) {
    if (!room) return;  // a plaintext answer would be noise to a TLS client: just close
    session = std::make_shared<TlsSession>(*this, id, std::move(socket), *tls_);
  } else {
    auto plain = std::make_shared<PlainSession>(*this, id, std::move(socket));
    if (!room) return plain->RefuseOnly(503, "Too many connections; retry later.");
    session = std::move(plain);
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
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_.store(true);
  if (io_thread_.joinable()) {
    // On the I/O thread: no more accepts, every connection closed (the answer of a
    // handler still running is dropped when it returns).
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
      for (auto& s : live) s->CloseNow();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  pool_.Join();  // running handlers return
  work_.reset();
  io_.stop();
  if (io_thread_.joinable()) io_thread_.join();
}

}  // namespace

class HttpServer::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenerOptions& options,
                                                              Handler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  absl::Status listening = impl->Listen();
  if (!listening.ok()) return listening;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() { impl_->Stop(); }

int HttpServer::port() const { return impl_->port(); }

const std::string& HttpServer::address() const { return impl_->options().address; }

}  // namespace envctl::cloudsim
