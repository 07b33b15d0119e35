// CpprestTransport and CloudSession against a real HTTPS server: an in-process cloudsim on
// 127.0.0.1 with its self-signed CA. Bounded: every wait is a request timeout or a join.
#include <atomic>
#include <csignal>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_session.h"
#include "cloud/errors.h"
#include "cloud/transport/cpprest_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/ssl.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::CloudsimEnv;
using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A peer that hangs up mid-write (timeouts, cancellation, teardown) must not kill the test
// binary. (cloudsim writes to sockets without MSG_NOSIGNAL; reported to its owner.)
void IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }

HttpRequest Req(const char* method, std::string url, std::string body = "") {
  HttpRequest r;
  r.method = method;
  r.url = std::move(url);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers["Content-Type"] = "application/json";
  return r;
}

class CpprestIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    IgnoreSigpipe();
    auto env = CloudsimEnv::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(env_, nullptr);
    CpprestTransport admin({env_->ca_cert_file});
    ASSERT_OK(admin.Send(Req("DELETE", env_->admin_endpoint + "/faults")));
  }

  std::string OpenIdUrl() const {
    return absl::StrCat(env_->authority_host, "/", env_->tenant_id,
                        "/v2.0/.well-known/openid-configuration");
  }
  void AddFault(const nlohmann::json& fault) {
    CpprestTransport admin({env_->ca_cert_file});
    auto r = admin.Send(Req("POST", env_->admin_endpoint + "/faults", fault.dump()));
    ASSERT_OK(r);
    ASSERT_LT(r->status, 300) << r->body;
  }
  std::string RgUrl(const std::string& name) const {
    return absl::StrCat(env_->arm_endpoint, "/subscriptions/", env_->subscription_id,
                        "/resourcegroups/", name, "?api-version=2021-04-01");
  }

  static CloudsimEnv* env_;
};

CloudsimEnv* CpprestIntegrationTest::env_ = nullptr;

TEST_F(CpprestIntegrationTest, TrustsTheExtraCaAndReusesTheClientPerOrigin) {
  CpprestTransport t({env_->ca_cert_file});
  auto r = t.Send(Req("GET", OpenIdUrl()));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("token_endpoint"));
  ASSERT_OK(t.Send(Req("GET", OpenIdUrl())));
  EXPECT_EQ(t.CachedClientsForTest(), 1);
}

// A client idle for idle_client_timeout is closed when the next one is taken (here at
// once: timeout zero); one in use is kept. Clients are per origin and request timeout.
TEST_F(CpprestIntegrationTest, IdleClientIsClosedWhenTheNextIsTaken) {
  CpprestTransportOptions options{env_->ca_cert_file};
  options.idle_client_timeout = absl::ZeroDuration();
  CpprestTransport t(options);
  HttpRequest first = Req("GET", OpenIdUrl());
  first.timeout = absl::Seconds(30);
  HttpRequest second = Req("GET", OpenIdUrl());
  second.timeout = absl::Seconds(31);
  ASSERT_OK(t.Send(first));
  EXPECT_EQ(t.CachedClientsForTest(), 1);
  ASSERT_OK(t.Send(second));
  EXPECT_EQ(t.CachedClientsForTest(), 1) << "the first client was idle";

  CpprestTransport keeps({env_->ca_cert_file});  // default: idle for 5 s before closing
  ASSERT_OK(keeps.Send(first));
  ASSERT_OK(keeps.Send(second));
  EXPECT_EQ(keeps.CachedClientsForTest(), 2);
}

// Beyond max_idle_clients idle clients, the least recently used are closed when the next
// client is taken, however recently they were used (clients are per origin and timeout,
// so four timeouts stand in for four origins).
TEST_F(CpprestIntegrationTest, IdleClientsBeyondTheCapAreClosedLeastRecentlyUsedFirst) {
  CpprestTransportOptions options{env_->ca_cert_file};
  options.max_idle_clients = 2;  // idle_client_timeout stays 5 s: only the cap closes them
  CpprestTransport t(options);
  for (int seconds = 30; seconds < 34; ++seconds) {
    HttpRequest r = Req("GET", OpenIdUrl());
    r.timeout = absl::Seconds(seconds);
    ASSERT_OK(t.Send(r));
  }
  // Taking the fourth client left the two most recent idle ones besides it.
  EXPECT_EQ(t.CachedClientsForTest(), 3);
  HttpRequest again = Req("GET", OpenIdUrl());
  again.timeout = absl::Seconds(33);  // the newest: reused, and the cap holds
  ASSERT_OK(t.Send(again));
  EXPECT_EQ(t.CachedClientsForTest(), 3);
}

// An untrusted certificate is named as such and is FailedPrecondition: not retried.
TEST_F(CpprestIntegrationTest, WithoutTheCaTlsFailureSaysTheIssuerIsUntrusted) {
  CpprestTransport t;
  EXPECT_THAT(t.Send(Req("GET", OpenIdUrl())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("GET https://127.0.0.1:"),
                             HasSubstr("TLS: certificate not trusted: untrusted issuer"),
                             HasSubstr("add its CA (ca_cert_file)"))));
}

// A POST the server handled and then lost the connection of (cloudsim fault status 0
// with after_handling) must reach the server once: cpprest resends a request whose pooled
// connection fails before the status line, which would start a second pipeline run.
TEST_F(CpprestIntegrationTest, NonIdempotentPostWhoseConnectionIsResetAfterHandlingIsSentOnce) {
  CpprestTransport t({env_->ca_cert_file});
  const std::string path = absl::StrCat("/subscriptions/", env_->subscription_id,
                                        "/resourcegroups/rg-reset/providers/Microsoft.DataFactory/"
                                        "factories/f/pipelines/p/createRun");
  // Warm the pool: the POST would otherwise get a new connection anyway.
  ASSERT_OK(t.Send(Req("GET", OpenIdUrl())));
  ASSERT_OK(t.Send(Req("GET", OpenIdUrl())));
  ASSERT_OK(t.Send(Req("DELETE", env_->admin_endpoint + "/requests")));
  AddFault({{"service", "datafactory"},
            {"operation", "POST */createRun"},
            {"status", 0},
            {"after_handling", true},
            {"count", 1}});
  EXPECT_THAT(t.Send(Req("POST", env_->arm_endpoint + path + "?api-version=2018-06-01", "{}")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("POST https://127.0.0.1:")));
  auto log = t.Send(Req("GET", env_->admin_endpoint + "/requests"));
  ASSERT_OK(log);
  nlohmann::json entries = nlohmann::json::parse(log->body);
  if (entries.is_object()) entries = entries["requests"];
  int posts = 0;
  for (const auto& e : entries)
    posts += e.value("method", "") == "POST" && e.value("path", "") == path;
  EXPECT_EQ(posts, 1) << entries.dump();
  EXPECT_EQ(t.CachedClientsForTest(), 1) << "the POST's connection is not pooled";
}

TEST_F(CpprestIntegrationTest, TimeoutIsDeadlineExceeded) {
  AddFault({{"service", "aad"}, {"operation", "*"}, {"latency_ms", 3000}, {"count", 1}});
  CpprestTransport t({env_->ca_cert_file});
  HttpRequest r = Req("GET", OpenIdUrl());
  r.timeout = absl::Milliseconds(300);
  EXPECT_THAT(t.Send(r),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no answer within 300ms")));
}

TEST_F(CpprestIntegrationTest, CancelAllEndsInFlightRequests) {
  AddFault({{"service", "aad"}, {"operation", "*"}, {"latency_ms", 5000}, {"count", 1}});
  CpprestTransport t({env_->ca_cert_file});
  std::atomic<bool> sending{false};
  absl::StatusOr<HttpResponse> result;
  std::thread worker([&] {
    sending = true;
    result = t.Send(Req("GET", OpenIdUrl()));
  });
  while (!sending) std::this_thread::yield();
  t.CancelAll();
  worker.join();
  // `sending` flips just before Send registers the request, so CancelAll may land either
  // mid-flight ("cancelled") or just before it starts ("shut down"); both must be Cancelled.
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kCancelled,
                               ::testing::AnyOf(HasSubstr("cancelled"), HasSubstr("shut down"))));
  EXPECT_THAT(t.Send(Req("GET", OpenIdUrl())),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("shut down")));
}

TEST_F(CpprestIntegrationTest, SessionAuthenticatesSendsLargeBodiesAndHead) {
  auto endpoints = LoadEndpointsFile(env_->endpoints_file);
  ASSERT_OK(endpoints);
  FakeClock clock;
  metrics::Metrics metrics;
  std::vector<std::string> log;
  CloudSessionOptions options;
  options.log_sink = [&log](const RequestLogRecord& r) { log.push_back(FormatRequestLog(r)); };
  auto session = CloudSession::Create(*endpoints, clock, metrics, std::move(options));
  ASSERT_OK(session);

  nlohmann::json body = {{"location", "westeurope"}, {"tags", nlohmann::json::object()}};
  for (int i = 0; i < 50; ++i)
    body["tags"][absl::StrCat("tag", i)] = std::string(256, 'a' + i % 26);
  auto put = (*session)->Arm().Send(Req("PUT", RgUrl("rg-transport"), body.dump()));
  ASSERT_OK(put);
  ASSERT_LT(put->status, 300) << put->body;
  EXPECT_EQ(nlohmann::json::parse(put->body)["tags"].size(), 50u);

  auto head = (*session)->Arm().Send(Req("HEAD", RgUrl("rg-transport")));
  ASSERT_OK(head);
  EXPECT_EQ(head->status, 204);
  EXPECT_TRUE(head->body.empty());
  auto missing = (*session)->Arm().Send(Req("HEAD", RgUrl("rg-missing")));
  ASSERT_OK(missing);
  EXPECT_EQ(missing->status, 404);

  auto get = (*session)->Arm().Send(Req("GET", RgUrl("rg-missing")));
  ASSERT_OK(get);
  EXPECT_THAT(StatusFromResponse(Service::kArm, *get),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ResourceGroupNotFound")));

  const std::string text = metrics.Serialize();
  EXPECT_THAT(
      text, HasSubstr(R"(envctl_cloud_requests_total{code="200",method="POST",service="aad"} 1)"));
  EXPECT_THAT(
      text, HasSubstr(R"(envctl_cloud_requests_total{code="204",method="HEAD",service="arm"} 1)"));
  for (const auto& line : log) EXPECT_THAT(line, Not(HasSubstr(endpoints->client_secret)));
}

TEST_F(CpprestIntegrationTest, ThrottledRequestIsRetriedAfterRetryAfter) {
  auto endpoints = LoadEndpointsFile(env_->endpoints_file);
  ASSERT_OK(endpoints);
  FakeClock clock;
  metrics::Metrics metrics;
  auto session = CloudSession::Create(*endpoints, clock, metrics);
  ASSERT_OK(session);
  // Fetch the token first so the fault hits the ARM call.
  ASSERT_OK((*session)->credential().GetToken(endpoints->ArmScope()));
  AddFault({{"service", "arm"},
            {"operation", "GET *"},
            {"status", 429},
            {"retry_after_s", 2},
            {"count", 1}});
  auto r = (*session)->Arm().Send(
      Req("GET", absl::StrCat(env_->arm_endpoint, "/subscriptions/", env_->subscription_id,
                              "/resourcegroups?api-version=2021-04-01")));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(clock.Sleeps(), ::testing::Contains(absl::Seconds(2)));
  EXPECT_THAT(metrics.Serialize(), HasSubstr(R"(envctl_cloud_throttled_total{service="arm"} 1)"));
}

// cpprest calls SSL_CTX_set_default_verify_paths on a fresh SSL context per connection;
// envctl's definition gives each context the system CAs parsed once (referenced, not
// parsed again), in a store of the context's own: what one caller adds stays its own.
TEST(SharedDefaultVerifyPathsTest, ContextsShareParsedCertificatesNotTheirStores) {
  SSL_CTX* a = SSL_CTX_new(TLS_client_method());
  SSL_CTX* b = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(SSL_CTX_set_default_verify_paths(a), 1);
  EXPECT_EQ(SSL_CTX_set_default_verify_paths(b), 1);
  EXPECT_NE(SSL_CTX_get_cert_store(a), SSL_CTX_get_cert_store(b));
  STACK_OF(X509_OBJECT)* in_a = X509_STORE_get0_objects(SSL_CTX_get_cert_store(a));
  STACK_OF(X509_OBJECT)* in_b = X509_STORE_get0_objects(SSL_CTX_get_cert_store(b));
  ASSERT_GT(sk_X509_OBJECT_num(in_a), 0) << "the system CAs";
  ASSERT_EQ(sk_X509_OBJECT_num(in_a), sk_X509_OBJECT_num(in_b));
  // The same certificate objects: parsed once.
  std::set<X509*> certs_a;
  for (int i = 0; i < sk_X509_OBJECT_num(in_a); ++i) {
    certs_a.insert(X509_OBJECT_get0_X509(sk_X509_OBJECT_value(in_a, i)));
  }
  for (int i = 0; i < sk_X509_OBJECT_num(in_b); ++i) {
    EXPECT_EQ(certs_a.count(X509_OBJECT_get0_X509(sk_X509_OBJECT_value(in_b, i))), 1u);
  }
  SSL_CTX_free(a);
  SSL_CTX_free(b);
}

TEST(CpprestDeadServerTest, ConnectionRefusedIsUnavailable) {
  IgnoreSigpipe();
  auto env = CloudsimEnv::Start();
  ASSERT_TRUE(env.ok()) << env.status();
  const std::string url =
      absl::StrCat((*env)->arm_endpoint, "/subscriptions?api-version=2021-04-01");
  const std::string ca = (*env)->ca_cert_file;
  (*env)->Stop();
  CpprestTransport t({ca});
  HttpRequest r = Req("GET", url);
  r.timeout = absl::Seconds(5);
  EXPECT_THAT(t.Send(r),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("GET https://127.0.0.1:")));
}

}  // namespace
}  // namespace envctl::cloud
