#include "cloudsim/http/server.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/client.h"
#include "cloudsim/tls/certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::cloudsim {
namespace {

using ::testing::HasSubstr;

Response Echo(const Request& r) {
  Response resp;
  resp.headers["Content-Type"] = "text/plain";
  resp.body = absl::StrCat(r.method, " ", r.path, " q=", r.Query("api-version"), " body=", r.body);
  if (r.path == "/reset") resp.reset_connection = true;
  return resp;
}

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
  auto refused = Fetch("GET", absl::StrCat("https://127.0.0.1:", (*server)->port(), "/"), {}, "", co);
  EXPECT_FALSE(refused.ok());

  auto again = TlsMaterial::LoadOrCreate(dir, {"127.0.0.1"}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*ReadFile((*again)->ca_file()), *ca_before);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other);
}

}  // namespace
}  // namespace envctl::cloudsim
