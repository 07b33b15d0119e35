#include "cloud/cloud_session.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "session-client-secret";

class CloudSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoints_.source = "test";
    endpoints_.arm_endpoint = "https://arm.test";
    endpoints_.authority_host = "https://login.test";
    endpoints_.tenant_id = "tn";
    endpoints_.subscription_id = "sub";
    endpoints_.client_id = "app";
    endpoints_.client_secret = kSecret;
    endpoints_.object_id = "oid";
    fake_.OnRequest("POST", "https://login.test/tn/oauth2/v2.0/token",
                    [](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
                      const std::string scope = r.body.substr(r.body.find("scope=") + 6);
                      return FakeTransport::Response(
                          200, R"({"access_token":"tok:)" + scope + R"(","expires_in":3600})");
                    });
  }
  std::unique_ptr<CloudSession> Make() {
    CloudSessionOptions options;
    options.transport_for_test = &fake_;
    options.retry.seed = 7;
    options.log_sink = [this](const RequestLogRecord& r) { log_.push_back(FormatRequestLog(r)); };
    auto s = CloudSession::Create(endpoints_, clock_, metrics_, std::move(options));
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }
  static HttpRequest Req(const char* method, std::string url) {
    HttpRequest r;
    r.method = method;
    r.url = std::move(url);
    return r;
  }

  CloudEndpoints endpoints_;
  FakeClock clock_;
  FakeTransport fake_;
  metrics::Metrics metrics_;
  std::vector<std::string> log_;
};

TEST_F(CloudSessionTest, ArmPipelineAuthenticatesRetriesAndCounts) {
  fake_.Enqueue("GET", "https://arm.test/subscriptions/sub/resourcegroups", 503, "",
                {{"Retry-After", "2"}});
  fake_.Always("GET", "https://arm.test/subscriptions/sub/resourcegroups", 200, R"({"value":[]})");
  auto session = Make();
  EXPECT_EQ(session->subscription_id(), "sub");
  EXPECT_EQ(session->object_id(), "oid");
  EXPECT_EQ(session->arm_endpoint(), "https://arm.test");

  auto r = session->Arm().Send(
      Req("GET", "https://arm.test/subscriptions/sub/resourcegroups?api-version=2021-04-01"));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 3u);  // token, 503, 200
  EXPECT_EQ(requests[2].headers["Authorization"],
            "Bearer tok:https%3A%2F%2Fmanagement.azure.com%2F.default");
  EXPECT_EQ(clock_.Sleeps().size(), 1u);
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr(R"(envctl_cloud_requests_total{code="503",method="GET",service="arm"} 1)"));
  EXPECT_THAT(
      metrics_.Serialize(),
      HasSubstr(R"(envctl_cloud_requests_total{code="200",method="POST",service="aad"} 1)"));
  const std::string log = absl::StrJoin(log_, "\n");
  EXPECT_THAT(log, HasSubstr("service=arm method=GET"));
  EXPECT_THAT(log, HasSubstr("attempt=2"));
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));
  EXPECT_THAT(log, Not(HasSubstr("tok:")));
}

TEST_F(CloudSessionTest, DatabricksUsesItsScopeAndPatPipelineUsesThePat) {
  fake_.Always("GET", "https://adb.test/api/2.0/workspace/list", 200, "{}");
  auto session = Make();
  ASSERT_OK(session->Databricks().Send(Req("GET", "https://adb.test/api/2.0/workspace/list")));
  EXPECT_EQ(fake_.Requests().back().headers["Authorization"],
            "Bearer tok:2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default");
  auto pat = session->DatabricksWithToken("dapi-test-pat");
  ASSERT_OK(pat->Send(Req("GET", "https://adb.test/api/2.0/workspace/list")));
  EXPECT_EQ(fake_.Requests().back().headers["Authorization"], "Bearer dapi-test-pat");
  EXPECT_THAT(
      metrics_.Serialize(),
      HasSubstr(R"(envctl_cloud_requests_total{code="200",method="GET",service="databricks"} 2)"));
}

TEST_F(CloudSessionTest, PrefetchedTokenIsFetchedOnceAndServesTheFirstRequest) {
  fake_.Enqueue("GET", "https://ws.test/api/2.0/clusters/list", 200, "{}");
  {
    auto session = Make();
    session->PrefetchTokens({kDatabricksScope});
    // Whether the prefetch has finished or not, the request takes its token (single flight).
    ASSERT_OK(session->Databricks().Send(Req("GET", "https://ws.test/api/2.0/clusters/list")));
  }  // the destructor joins the prefetch
  int token_requests = 0;
  for (const auto& r : fake_.Requests()) {
    token_requests += r.url == "https://login.test/tn/oauth2/v2.0/token" ? 1 : 0;
  }
  EXPECT_EQ(token_requests, 1);
}

TEST_F(CloudSessionTest, KeyVaultUsesTheChallengeAndUnauthenticatedHasNoToken) {
  fake_.OnRequest(
      "GET", "https://kv.test/secrets/", [](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        // This vault's audience is not the expected vault.azure.net: the first token is
        // refused and its challenge names the right one.
        auto auth = r.headers.find("Authorization");
        if (auth == r.headers.end() ||
            auth->second != "Bearer tok:https%3A%2F%2Fvault.test%2F.default") {
          return FakeTransport::Response(
              401, "",
              {{"WWW-Authenticate",
                R"(Bearer authorization="https://login.test/tn", resource="https://vault.test")"}});
        }
        return FakeTransport::Response(200, R"({"value":"x"})");
      });
  fake_.Always("GET", "https://plain.test/", 200, "");
  auto session = Make();
  auto r = session->KeyVault().Send(Req("GET", "https://kv.test/secrets/a?api-version=7.4"));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(fake_.Requests().back().headers["Authorization"],
            "Bearer tok:https%3A%2F%2Fvault.test%2F.default");
  ASSERT_OK(session->Unauthenticated().Send(Req("GET", "https://plain.test/")));
  EXPECT_EQ(fake_.Requests().back().headers.count("Authorization"), 0u);
}

TEST_F(CloudSessionTest, BadCredentialIsReportedFromEveryAuthenticatedPipeline) {
  fake_.OnRequest("POST", "/oauth2/v2.0/token", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    return FakeTransport::Response(
        401,
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})");
  });
  auto session = Make();
  EXPECT_THAT(session->Arm().Send(Req("GET", "https://arm.test/x")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("AADSTS7000215"), Not(HasSubstr(kSecret)))));
}

TEST_F(CloudSessionTest, SecretWithoutTenantFailsCreate) {
  endpoints_.tenant_id.clear();
  CloudSessionOptions options;
  options.transport_for_test = &fake_;
  EXPECT_THAT(
      CloudSession::Create(endpoints_, clock_, metrics_, std::move(options)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test: a client secret is set")));
}

}  // namespace
}  // namespace envctl::cloud
