#include "cloudsim/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/client.h"
#include "cloudsim/tls/certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {
namespace {

using ::testing::HasSubstr;

Response Echo(const Request& r) {
  if (r.path == "/throw") throw std::runtime_error("handler bug");
  Response resp;
  resp.headers["Content-Type"] = "text/plain";
  resp.body = absl::StrCat(r.method, " ", r.path, " q=", r.Query("api-version"), " body=", r.body);
  if (r.path == "/reset") resp.reset_connection = true;
  if (r.path == "/big") resp.body = std::string(256 * 1024, 'b');
  return resp;
}

std::string Url(const HttpServer& server) {
  return absl::StrCat("http://127.0.0.1:", server.port());
}

std::string ErrorCodeOf(const Response& r) {
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

// A bare TCP connection (no TLS handshake, no HTTP unless sent), closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cloudsim-srv-XXXXXX").string();
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok()) << server.status();
  auto conn = HttpConnection::Connect(absl::StrCat("http://127.0.0.1:", (*server)->port()), {});
  ASSERT_TRUE(conn.ok()) << conn.status();
  for (int i = 0; i < 3; ++i) {
    auto r = (*conn)->RoundTrip("GET", absl::StrCat("/a%2Db/", i, "?api%2Dversion=7.4"), {}, "");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    // Path and query keys arrive percent-decoded (the Key Vault SDK sends api%2Dversion).
    EXPECT_EQ(r->body, absl::StrCat("GET /a-b/", i, " q=7.4 body="));
    EXPECT_EQ(r->headers["Connection"], "keep-alive");
  }
}

TEST(HttpServerTest, ReadsChunkedBodiesAndAnswersExpectContinue) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto conn = HttpConnection::Connect(absl::StrCat("http://127.0.0.1:", (*server)->port()), {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)
                  ->SendRaw("PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
                  .ok());
  auto r = (*conn)->ReadResponse(false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "PUT /x q= body=hello world");

  ASSERT_TRUE((*conn)
                  ->SendRaw("POST /y HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                            "Content-Length: 3\r\n\r\n")
                  .ok());
  // The interim 100 arrives before we send the body; ReadResponse skips it afterwards.
  ASSERT_TRUE((*conn)->SendRaw("abc").ok());
  r = (*conn)->ReadResponse(false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "POST /y q= body=abc");
}

TEST(HttpServerTest, ServesManyParallelClients) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto r = Fetch("POST", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/p"), {},
                       absl::StrCat(t, "-", i));
        if (r.ok() && r->body == absl::StrCat("POST /p q= body=", t, "-", i)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32 * 5);
}

TEST(HttpServerTest, StopReturnsWhileClientsHoldIdleConnections) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto conn = HttpConnection::Connect(absl::StrCat("http://127.0.0.1:", (*server)->port()), {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->RoundTrip("GET", "/", {}, "").ok());
  (*server)->Stop();  // must not wait for the idle keep-alive connection to time out
  auto after = (*conn)->RoundTrip("GET", "/", {}, "");
  EXPECT_FALSE(after.ok());
}

TEST(HttpServerTest, ResetConnectionResponseDropsTheConnection) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto r = Fetch("GET", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/reset"), {}, "");
  EXPECT_FALSE(r.ok());
}

TEST(HttpServerTest, PortInUseIsAClearError) {
  auto first = HttpServer::Start({}, Echo);
  ASSERT_TRUE(first.ok());
  ListenerOptions lo;
  lo.port = (*first)->port();
  auto second = HttpServer::Start(lo, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr(absl::StrCat("cannot listen on 127.0.0.1:", lo.port)));
}

TEST(HttpServerTest, HeaderLinesUpTo64KiBAreServedLongerOnes431) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto ok = Fetch("GET", Url(**server) + "/h", {{"X-Long", std::string(60 * 1024, 'h')}}, "");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  auto refused = Fetch("GET", Url(**server) + "/h", {{"X-Long", std::string(70 * 1024, 'h')}}, "");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 431);
  EXPECT_EQ(ErrorCodeOf(*refused), "RequestHeaderFieldsTooLarge");
  EXPECT_THAT(refused->body, HasSubstr("X-Long"));
  HeaderMap many;
  for (int i = 0; i < 201; ++i) many[absl::StrCat("X-Many-", i)] = "v";
  auto too_many = Fetch("GET", Url(**server) + "/h", many, "");
  ASSERT_TRUE(too_many.ok()) << too_many.status();
  EXPECT_EQ(too_many->status, 431);
  auto long_uri = Fetch("GET", Url(**server) + "/" + std::string(70 * 1024, 'p'), {}, "");
  ASSERT_TRUE(long_uri.ok()) << long_uri.status();
  EXPECT_EQ(long_uri->status, 414);
  EXPECT_EQ(ErrorCodeOf(*long_uri), "RequestUriTooLong");
}

TEST(HttpServerTest, BodiesOverTheLimitAre413AsJson) {
  ListenerOptions lo;
  lo.max_body_bytes = 1024;
  auto server = HttpServer::Start(lo, Echo);
  ASSERT_TRUE(server.ok());
  auto at_limit = Fetch("PUT", Url(**server) + "/b", {}, std::string(1024, 'x'));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->status, 200);
  auto over = Fetch("PUT", Url(**server) + "/b", {}, std::string(1025, 'x'));
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(ErrorCodeOf(*over), "RequestEntityTooLarge");
  // Chunked uploads are held to the same limit.
  auto conn = HttpConnection::Connect(Url(**server), {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(
      (*conn)
          ->SendRaw(absl::StrCat("PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                                 "800\r\n", std::string(0x800, 'y'), "\r\n0\r\n\r\n"))
          .ok());
  auto chunked = (*conn)->ReadResponse(false);
  ASSERT_TRUE(chunked.ok()) << chunked.status();
  EXPECT_EQ(chunked->status, 413);
}

TEST(HttpServerTest, MalformedRequestsAndThrowingHandlersGetJsonErrors) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto thrown = Fetch("GET", Url(**server) + "/throw", {}, "");
  ASSERT_TRUE(thrown.ok()) << thrown.status();
  EXPECT_EQ(thrown->status, 500);
  EXPECT_THAT(thrown->body, HasSubstr("handler bug"));
  auto bad_escape = Fetch("GET", Url(**server) + "/x?a=%zz", {}, "");
  ASSERT_TRUE(bad_escape.ok()) << bad_escape.status();
  EXPECT_EQ(bad_escape->status, 400);
  EXPECT_EQ(ErrorCodeOf(*bad_escape), "BadRequest");
  auto conn = HttpConnection::Connect(Url(**server), {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->SendRaw("GET / HTTP/1.1\r\nNo colon here\r\n\r\n").ok());
  auto malformed = (*conn)->ReadResponse(false);
  ASSERT_TRUE(malformed.ok()) << malformed.status();
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(ErrorCodeOf(*malformed), "BadRequest");
  EXPECT_EQ(malformed->headers["Connection"], "close");
}

TEST(HttpServerTest, HeadSendsTheHeadersOnlyAndPipelinedRequestsAreAnsweredInOrder) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  auto conn = HttpConnection::Connect(Url(**server), {});
  ASSERT_TRUE(conn.ok());
  auto head = (*conn)->RoundTrip("HEAD", "/big", {}, "");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->headers["Content-Length"], std::to_string(256 * 1024));
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE((*conn)
                  ->SendRaw("GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                            "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
                  .ok());
  auto one = (*conn)->ReadResponse(false);
  auto two = (*conn)->ReadResponse(false);
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->body, "GET /one q= body=");
  EXPECT_EQ(two->body, "POST /two q= body=x");
}

// Handlers block (injected latency, World::mu): the pool grows so that many run at once.
TEST(HttpServerTest, BlockingHandlersRunInParallel) {
  constexpr int kClients = 24;
  absl::Mutex mu;
  int inside = 0;
  auto server = HttpServer::Start({}, [&](const Request&) {
    absl::MutexLock lock(&mu);
    ++inside;
    auto all_in = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return inside >= kClients; };
    Response r;
    r.body =
        mu.AwaitWithTimeout(absl::Condition(&all_in), absl::Seconds(30)) ? "together" : "alone";
    return r;
  });
  ASSERT_TRUE(server.ok());
  std::atomic<int> together{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      auto r = Fetch("GET", Url(**server) + "/wait", {}, "");
      if (r.ok() && r->body == "together") ++together;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(together.load(), kClients);
}

// Clients that connect and say nothing (no TLS handshake either), trickle a request that
// never ends, or pipeline requests and never read the answers hold no thread: other
// clients are still answered.
TEST(HttpServerTest, HundredsOfIdleAndSlowClientsDoNotStopOtherRequests) {
  std::string dir = TempDir();
  auto tls = TlsMaterial::LoadOrCreate(dir, {"127.0.0.1"}, {});
  ASSERT_TRUE(tls.ok()) << tls.status();
  ListenerOptions https;
  https.tls = (*tls)->server_context();
  auto secure = HttpServer::Start(https, Echo);
  auto plain = HttpServer::Start({}, Echo);
  ASSERT_TRUE(secure.ok() && plain.ok());
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 150; ++i) {
    clients.push_back(std::make_unique<RawConnection>((*secure)->port()));
    ASSERT_TRUE(clients.back()->connected());
    clients.push_back(std::make_unique<RawConnection>((*plain)->port()));
    ASSERT_TRUE(clients.back()->connected());
    auto trickle = std::make_unique<RawConnection>((*plain)->port());
    ASSERT_TRUE(trickle->Send("PUT /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nab"));
    clients.push_back(std::move(trickle));
    auto deaf = std::make_unique<RawConnection>((*plain)->port());
    std::string requests;
    for (int k = 0; k < 8; ++k) requests += "GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_TRUE(deaf->Send(requests));
    clients.push_back(std::move(deaf));
  }
  ClientOptions co;
  co.ca_file = (*tls)->ca_file();
  for (int round = 0; round < 3; ++round) {
    auto r = Fetch("GET", absl::StrCat("https://127.0.0.1:", (*secure)->port(), "/ok"), {}, "", co);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body, "GET /ok q= body=");
    auto big = Fetch("GET", Url(**plain) + "/big", {}, "");
    ASSERT_TRUE(big.ok()) << big.status();
    EXPECT_EQ(big->body.size(), 256u * 1024);
  }
  // More clients than connections allowed: idle ones make room for those with requests.
  ListenerOptions small;
  small.max_connections = 4;
  auto limited = HttpServer::Start(small, Echo);
  ASSERT_TRUE(limited.ok());
  std::vector<std::unique_ptr<RawConnection>> idlers;
  for (int i = 0; i < 20; ++i)
    idlers.push_back(std::make_unique<RawConnection>((*limited)->port()));
  auto r = Fetch("GET", Url(**limited) + "/room", {}, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  std::filesystem::remove_all(dir);
}

TEST(TlsMaterialTest, ServesHttpsVerifiedByTheGeneratedCaAndReusesTheCa) {
  std::string dir = TempDir();
  auto tls = TlsMaterial::LoadOrCreate(dir, {"127.0.0.1"}, {"localhost"});
  ASSERT_TRUE(tls.ok()) << tls.status();
  auto ca_before = ReadFile((*tls)->ca_file());
  ASSERT_TRUE(ca_before.ok());
  ListenerOptions lo;
  lo.tls = (*tls)->server_context();
  auto server = HttpServer::Start(lo, Echo);
  ASSERT_TRUE(server.ok());
  ClientOptions co;
  co.ca_file = (*tls)->ca_file();
  auto r = Fetch("GET", absl::StrCat("https://127.0.0.1:", (*server)->port(), "/tls"), {}, "", co);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "GET /tls q= body=");

  // A client trusting some other CA must refuse the certificate.
  std::string other = TempDir();
  auto other_tls = TlsMaterial::LoadOrCreate(other, {"127.0.0.1"}, {});
  ASSERT_TRUE(other_tls.ok());
  co.ca_file = (*other_tls)->ca_file();
  auto refused =
      Fetch("GET", absl::StrCat("https://127.0.0.1:", (*server)->port(), "/"), {}, "", co);
  EXPECT_FALSE(refused.ok());

  auto again = TlsMaterial::LoadOrCreate(dir, {"127.0.0.1"}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*ReadFile((*again)->ca_file()), *ca_before);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other);
}

}  // namespace
}  // namespace envctl::cloudsim
