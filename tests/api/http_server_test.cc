// HttpServer over loopback sockets, driven by raw requests.
#include "api/http_server.h"

#include <sys/resource.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/http_test_client.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::api {
namespace {

using ::envctl::api::testing::Fetch;
using ::envctl::api::testing::ParsedResponse;
using ::envctl::api::testing::TestConnection;
using ::testing::HasSubstr;
using ::testing::StartsWith;

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("GET", "/echo", [](const HttpRequest& r) {
      const std::string* agent = r.Header("x-test-AGENT");
      return Text(200, absl::StrCat(r.method, " ", r.path, " ?", r.query,
                                    " agent=", agent ? *agent : "(none)", " body=", r.body));
    });
    server_->Handle("POST", "/echo", [](const HttpRequest& r) {
      return Text(201, absl::StrCat("posted ", r.body.size(), " bytes: ", r.body));
    });
    server_->Handle("GET", "/throws", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("handler bug");
    });
    ASSERT_OK(server_->Start("127.0.0.1:0"));
    ASSERT_GT(server_->port(), 0);
  }
  int port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ARequestReachesItsHandlerWithQueryAndCaseInsensitiveHeaders) {
  Start();
  ParsedResponse r = Fetch(port(), "GET", "/echo?a=1&b=2", "", "X-Test-Agent: gtest\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /echo ?a=1&b=2 agent=gtest body=");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.Header("Connection"), "close");
}

TEST_F(HttpServerTest, APostBodyReachesTheHandler) {
  Start();
  ParsedResponse r = Fetch(port(), "POST", "/echo", "{\"ref\":\"main\"}");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "posted 14 bytes: {\"ref\":\"main\"}");
}

TEST_F(HttpServerTest, AnUnknownPathIs404) {
  Start();
  ParsedResponse r = Fetch(port(), "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("/nope"));
}

TEST_F(HttpServerTest, PathsMatchExactly) {
  Start();
  EXPECT_EQ(Fetch(port(), "GET", "/echo/").status, 404);
  EXPECT_EQ(Fetch(port(), "GET", "/ech").status, 404);
}

TEST_F(HttpServerTest, AKnownPathWithAnotherMethodIs405WithAllow) {
  Start();
  ParsedResponse r = Fetch(port(), "DELETE", "/echo");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, POST");
}

TEST_F(HttpServerTest, HeadOfAGetRouteSendsOnlyTheHeaders) {
  Start();
  TestConnection c(port());
  c.Send("HEAD /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string raw = c.ReadToEnd();
  EXPECT_THAT(raw, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(raw, HasSubstr("Content-Length: 31\r\n"));  // of the GET handler's body
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n");      // and no body
}

TEST_F(HttpServerTest, ABodyOverTheLimitIs413WithoutReadingIt) {
  Start();
  TestConnection c(port());
  c.Send(absl::StrCat("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ", 4 * 1024 * 1024 + 1,
                      "\r\n\r\n"));
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 413);
  EXPECT_THAT(r[0].body, HasSubstr("exceeds the limit"));
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, ABodyAtTheLimitIsAccepted) {
  HttpServerOptions options;
  options.max_body_bytes = 64 * 1024;
  Start(options);
  ParsedResponse r = Fetch(port(), "POST", "/echo", std::string(64 * 1024, 'x'));
  EXPECT_EQ(r.status, 201);
  EXPECT_THAT(r.body, StartsWith("posted 65536 bytes"));
}

TEST_F(HttpServerTest, HeadersOverTheLimitAre431) {
  Start();
  TestConnection c(port());
  c.Send(absl::StrCat("GET /echo HTTP/1.1\r\nX-Big: ", std::string(65 * 1024, 'a'), "\r\n\r\n"));
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 431);
}

TEST_F(HttpServerTest, AMalformedRequestIs400AndSaysWhy) {
  Start();
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET /echo HTTP/2.0\r\n\r\n", "GET echo HTTP/1.1\r\n\r\n",
        "GET /echo HTTP/1.1\r\nNoColon\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    SCOPED_TRACE(bad);
    TestConnection c(port());
    c.Send(bad);
    auto r = c.ReadResponses(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 400);
    EXPECT_THAT(r[0].body, HasSubstr("bad request: "));
  }
}

TEST_F(HttpServerTest, AChunkedBodyIs501) {
  Start();
  TestConnection c(port());
  c.Send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 501);
}

TEST_F(HttpServerTest, KeepAliveServesPipelinedRequestsInOrderOnOneConnection) {
  Start();
  TestConnection c(port());
  c.Send(
      "GET /echo?n=1 HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
      "GET /echo?n=3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto r = c.ReadResponses(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[0].body, HasSubstr("?n=1"));
  EXPECT_EQ(r[0].Header("Connection"), "keep-alive");
  EXPECT_EQ(r[1].body, "posted 3 bytes: abc");
  EXPECT_THAT(r[2].body, HasSubstr("?n=3"));
  EXPECT_EQ(r[2].Header("Connection"), "close");
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, Http10ClosesAfterOneResponse) {
  Start();
  TestConnection c(port());
  c.Send("GET /echo HTTP/1.0\r\n\r\n");
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, Expect100ContinueGetsAnInterimResponseBeforeTheBody) {
  Start();
  TestConnection c(port());
  c.Send(
      "POST /echo HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
      "Connection: close\r\n\r\n");
  auto interim = c.ReadResponses(1);
  ASSERT_EQ(interim.size(), 1u);
  EXPECT_EQ(interim[0].status, 100);
  c.Send("hi");
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "posted 2 bytes: hi");
}

TEST_F(HttpServerTest, AnIncompleteRequestTimesOutWith408) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(200);
  Start(options);
  TestConnection c(port());
  c.Send("GET /echo HTTP/1.1\r\nHost:");
  auto r = c.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 408);
}

TEST_F(HttpServerTest, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  Start(options);
  TestConnection c(port());
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, AnExceptionInAHandlerBecomes500) {
  Start();
  ParsedResponse r = Fetch(port(), "GET", "/throws");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("handler bug"));
  EXPECT_EQ(Fetch(port(), "GET", "/echo").status, 200);  // and the server lives on
}

TEST_F(HttpServerTest, ARouteAddedAfterStartIsServed) {
  Start();
  server_->Handle("GET", "/late", [](const HttpRequest&) { return Text(200, "late\n"); });
  EXPECT_EQ(Fetch(port(), "GET", "/late").body, "late\n");
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpServerOptions options;
  options.max_connections = 1;
  Start(options);
  absl::Notification entered, release;
  server_->Handle("GET", "/block", [&](const HttpRequest&) {
    entered.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    return Text(200, "released\n");
  });
  TestConnection first(port());
  first.Send("GET /block HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(Fetch(port(), "GET", "/echo").status, 503);
  release.Notify();
  auto r = first.ReadResponses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "released\n");
}

TEST_F(HttpServerTest, StopReturnsPromptlyWithClientsConnected) {
  Start();
  TestConnection idle(port());
  TestConnection partial(port());
  partial.Send("GET /echo HTTP/1.1\r\nHost:");
  TestConnection kept(port());
  kept.Send("GET /echo HTTP/1.1\r\n\r\n");
  ASSERT_EQ(kept.ReadResponses(1).size(), 1u);  // now idle on keep-alive
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(kept.ClosedByServer());
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, StopWaitsForARunningHandler) {
  Start();
  absl::Notification entered, release, stopped;
  std::atomic<bool> finished{false};
  server_->Handle("GET", "/slow", [&](const HttpRequest&) {
    entered.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(10));  // the work Stop must wait for
    finished = true;
    return Text(200, "done\n");
  });
  TestConnection c(port());
  c.Send("GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  bool finished_before_stop_returned = false;
  std::thread stopper([&] {
    server_->Stop();
    finished_before_stop_returned = finished;
    stopped.Notify();
  });
  // A Stop that does not wait would return while the handler is held.
  EXPECT_FALSE(stopped.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  release.Notify();
  stopper.join();
  EXPECT_TRUE(finished_before_stop_returned);
}

TEST_F(HttpServerTest, ItListensOnlyOnTheGivenAddress) {
  Start();
  EXPECT_TRUE(TestConnection(port(), "127.0.0.1").connected());
  EXPECT_FALSE(TestConnection(port(), "127.0.0.2").connected());
}

TEST_F(HttpServerTest, StartTwiceIsFailedPrecondition) {
  Start();
  EXPECT_THAT(
      server_->Start("127.0.0.1:0"),
      envctl::testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already")));
}

TEST_F(HttpServerTest, AMalformedListenAddressIsInvalidArgument) {
  for (const char* listen :
       {"", "127.0.0.1", ":9464", "127.0.0.1:x", "127.0.0.1:65536", "not-an-ip.invalid:0"}) {
    SCOPED_TRACE(listen);
    HttpServer server;
    EXPECT_THAT(server.Start(listen),
                envctl::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(listen)));
  }
}

TEST_F(HttpServerTest, ATakenPortIsUnavailableNamingTheAddress) {
  Start();
  HttpServer second;
  const std::string listen = absl::StrCat("127.0.0.1:", port());
  EXPECT_THAT(second.Start(listen),
              envctl::testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr(listen)));
}

TEST_F(HttpServerTest, StopWithoutStartIsHarmless) {
  HttpServer server;
  server.Stop();
  EXPECT_EQ(server.port(), 0);
}

TEST_F(HttpServerTest, ResponseHeadersCannotBeSplitByAHandler) {
  Start();
  server_->Handle("GET", "/evil", [](const HttpRequest&) {
    HttpResponse r = Text(200, "x");
    r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: b");
    return r;
  });
  ParsedResponse r = Fetch(port(), "GET", "/evil");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Evil"), "aSet-Cookie: b");
  EXPECT_EQ(r.Header("Set-Cookie"), "");
}

// Hundreds of clients that connect and say nothing, trickle a request that never ends, or
// send requests and never read the answers must not keep /healthz, /metrics or a webhook
// from answering: none of them holds a thread.
TEST_F(HttpServerTest, HundredsOfIdleAndSlowClientsDoNotStopOtherRequests) {
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  constexpr int kEach = 200;  // three kinds: 600 client and 600 server sockets
  if (files.rlim_cur < 2000 && files.rlim_max >= 2000) {
    files.rlim_cur = 2000;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  ASSERT_GE(files.rlim_cur, 2000u) << "the test needs 2000 descriptors";
  Start();
  server_->Handle("GET", "/healthz", [](const HttpRequest&) { return Text(200, "ok\n"); });
  server_->Handle("GET", "/metrics",
                  [](const HttpRequest&) { return Text(200, std::string(256 * 1024, 'm')); });
  server_->Handle("POST", "/webhooks/git", [](const HttpRequest& r) {
    return Text(202, absl::StrCat("accepted ", r.body.size(), "\n"));
  });
  std::vector<std::unique_ptr<TestConnection>> clients;
  for (int i = 0; i < kEach; ++i) {
    auto idle = std::make_unique<TestConnection>(port());
    ASSERT_TRUE(idle->connected());
    clients.push_back(std::move(idle));
    auto trickle = std::make_unique<TestConnection>(port());
    ASSERT_TRUE(trickle->Send("POST /webhooks/git HTTP/1.1\r\nContent-Length: 100\r\n\r\nab"));
    clients.push_back(std::move(trickle));
    // Pipelined /metrics requests whose 256 KiB answers are never read fill the socket
    // buffers, so the server's write to this client blocks.
    auto deaf = std::make_unique<TestConnection>(port());
    std::string requests;
    for (int k = 0; k < 8; ++k) requests += "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(deaf->Send(requests));
    clients.push_back(std::move(deaf));
  }
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Fetch(port(), "GET", "/healthz").body, "ok\n");
    EXPECT_EQ(Fetch(port(), "GET", "/metrics").body.size(), 256u * 1024);
    ParsedResponse hook = Fetch(port(), "POST", "/webhooks/git", "{\"ref\":\"main\"}");
    EXPECT_EQ(hook.status, 202);
    EXPECT_EQ(hook.body, "accepted 14\n");
  }
  // More clients than connections allowed: idle ones make room for those with requests.
  HttpServerOptions small;
  small.max_connections = 4;
  HttpServer limited(small);
  limited.Handle("GET", "/healthz", [](const HttpRequest&) { return Text(200, "ok\n"); });
  ASSERT_OK(limited.Start("127.0.0.1:0"));
  std::vector<std::unique_ptr<TestConnection>> idlers;
  for (int i = 0; i < 20; ++i) idlers.push_back(std::make_unique<TestConnection>(limited.port()));
  EXPECT_EQ(Fetch(limited.port(), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace envctl::api
