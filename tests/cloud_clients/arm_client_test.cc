// ArmClient basics: URLs, request shape, error mapping, nextLink paging.
#include "cloud/arm/arm_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::arm {
namespace {

using ::envctl::testing::IsOk;
using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::BodyOf;
using testutil::PathOf;
using testutil::QueryOf;

constexpr char kEndpoint[] = "https://arm.test";
constexpr char kRg[] = "/subscriptions/sub1/resourceGroups/rg1";

class ArmClientTest : public ::testing::Test {
 protected:
  FakeTransport transport_;
  FakeClock clock_;
  ArmClient arm_{transport_, clock_, "https://arm.test/"};
};

TEST_F(ArmClientTest, UrlAppendsApiVersionAndEncodedQuery) {
  EXPECT_EQ(arm_.Url(kRg, "2022-09-01"), std::string(kEndpoint) + kRg + "?api-version=2022-09-01");
  EXPECT_EQ(arm_.Url("/x?a=b", "v1"), "https://arm.test/x?a=b&api-version=v1");
  EXPECT_EQ(arm_.Url("/x", "v1", {{"$filter", "tagName eq 'a b'"}}),
            "https://arm.test/x?api-version=v1&%24filter=tagName%20eq%20%27a%20b%27");
  EXPECT_EQ(arm_.Url("https://other/next?x=1", "v1"), "https://other/next?x=1");
}

TEST_F(ArmClientTest, GetSendsJsonAcceptAndReturnsBody) {
  transport_.Enqueue("GET", kRg, 200, R"({"name":"rg1","location":"westeurope"})");
  auto got = arm_.Get(kRg, "2022-09-01");
  ASSERT_OK(got);
  EXPECT_EQ((*got)["name"], "rg1");
  const auto requests = transport_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(PathOf(requests[0].url), kRg);
  EXPECT_EQ(QueryOf(requests[0].url)["api-version"], "2022-09-01");
  EXPECT_EQ(requests[0].headers.at("accept"), "application/json");
  EXPECT_TRUE(requests[0].body.empty());
}

TEST_F(ArmClientTest, NotFoundKeepsArmCodeAndNamesTheCall) {
  transport_.Enqueue(
      "GET", kRg, 404,
      R"({"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg1' could not be found."}})",
      {{"x-ms-request-id", "req-42"}});
  auto got = arm_.Get(kRg, "2022-09-01");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound,
                            HasSubstr("GET /subscriptions/sub1/resourceGroups/rg1")));
  EXPECT_THAT(got.status().message(), HasSubstr("could not be found"));
  EXPECT_EQ(ServiceErrorCode(got.status()), "ResourceGroupNotFound");
  EXPECT_EQ(RequestId(got.status()), "req-42");
}

TEST_F(ArmClientTest, ErrorCodesMapToCanonicalCodes) {
  struct Case {
    int http;
    const char* code;
    absl::StatusCode want;
  };
  const Case cases[] = {
      {409, "StorageAccountAlreadyTaken", absl::StatusCode::kAlreadyExists},
      {409, "AnotherOperationInProgress", absl::StatusCode::kFailedPrecondition},
      {403, "AuthorizationFailed", absl::StatusCode::kPermissionDenied},
      {401, "InvalidAuthenticationToken", absl::StatusCode::kUnauthenticated},
      {429, "SubscriptionRequestsThrottled", absl::StatusCode::kResourceExhausted},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {400, "InvalidRequestContent", absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    FakeTransport transport;
    ArmClient arm(transport, clock_, kEndpoint);
    transport.Enqueue("PUT", "/x", c.http,
                      nlohmann::json({{"error", {{"code", c.code}, {"message", "m"}}}}).dump(),
                      {{"Retry-After", "7"}});
    auto got = arm.Put("/x", "v", nlohmann::json::object());
    EXPECT_EQ(got.status().code(), c.want) << c.code << ": " << got.status();
    EXPECT_EQ(ServiceErrorCode(got.status()), c.code);
    if (c.want == absl::StatusCode::kResourceExhausted) {
      EXPECT_EQ(RetryAfter(got.status()), absl::Seconds(7));
    }
  }
}

TEST_F(ArmClientTest, TransportErrorIsReturned) {
  transport_.Enqueue("GET", "/x", absl::UnavailableError("connection reset"));
  EXPECT_THAT(arm_.Get("/x", "v"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reset")));
}

TEST_F(ArmClientTest, NonJsonSuccessBodyIsInternalWithoutQuotingIt) {
  transport_.Enqueue("GET", "/x", 200, "<html>secret-ish</html>");
  auto got = arm_.Get("/x", "v");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kInternal, HasSubstr("not JSON")));
  EXPECT_THAT(std::string(got.status().message()), Not(HasSubstr("secret-ish")));
}

TEST_F(ArmClientTest, ListFollowsNextLinkVerbatimUntilAbsent) {
  transport_.Enqueue("GET", "/subscriptions/sub1/resourcegroups?api-version", 200,
                     R"({"value":[{"name":"a"},{"name":"b"}],
                         "nextLink":"https://arm.test/subscriptions/sub1/resourcegroups?api-version=2022-09-01&%24skiptoken=P2"})");
  transport_.Enqueue(
      "GET", "skiptoken=P2", 200,
      R"({"value":[{"name":"c"}],"nextLink":"https://arm.test/page3?api-version=2022-09-01&%24skiptoken=P3"})");
  transport_.Enqueue("GET", "skiptoken=P3", 200, R"({"value":[],"nextLink":null})");
  auto all = arm_.List("/subscriptions/sub1/resourcegroups", "2022-09-01");
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2]["name"], "c");
  const auto requests = transport_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  // nextLink is used exactly as given (no second api-version appended).
  EXPECT_EQ(
      requests[1].url,
      "https://arm.test/subscriptions/sub1/resourcegroups?api-version=2022-09-01&%24skiptoken=P2");
  EXPECT_EQ(requests[2].url, "https://arm.test/page3?api-version=2022-09-01&%24skiptoken=P3");
}

TEST_F(ArmClientTest, ListTreatsEmptyNextLinkAndMissingValueAsEnd) {
  transport_.Enqueue("GET", "/empty", 200, R"({"nextLink":""})");
  auto all = arm_.List("/empty", "v");
  ASSERT_OK(all);
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(transport_.Count(), 1);
}

TEST_F(ArmClientTest, ListErrorOnSecondPageFailsTheWholeList) {
  transport_.Enqueue("GET", "/items?", 200, R"({"value":[1],"nextLink":"https://arm.test/p2"})");
  transport_.Enqueue("GET", "/p2", 503, R"({"error":{"code":"ServerBusy","message":"busy"}})");
  EXPECT_THAT(arm_.List("/items", "v"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("busy")));
}

TEST_F(ArmClientTest, DeleteOfAbsentResourceIsOk) {
  transport_.Enqueue("DELETE", "/x", 404,
                     R"({"error":{"code":"ResourceNotFound","message":"gone"}})");
  EXPECT_OK(arm_.Delete("/x", "v"));
  transport_.Enqueue("DELETE", "/y", 204);
  EXPECT_OK(arm_.Delete("/y", "v"));
}

TEST_F(ArmClientTest, PutSendsJsonBodyAndReturnsSynchronousResult) {
  transport_.Enqueue("PUT", kRg, 201,
                     R"({"name":"rg1","properties":{"provisioningState":"Succeeded"}})");
  auto got = arm_.Put(kRg, "2022-09-01", {{"location", "westeurope"}});
  ASSERT_OK(got);
  EXPECT_EQ((*got)["name"], "rg1");
  const auto requests = transport_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(BodyOf(requests[0]), nlohmann::json({{"location", "westeurope"}}));
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
}

TEST_F(ArmClientTest, PostWithoutBodySendsNothingAndHonoursIdempotentOption) {
  transport_.Enqueue("POST", "/listKeys", 200, R"({"keys":[]})");
  RequestOptions options;
  options.idempotent = true;
  options.headers["If-Match"] = "*";
  auto got = arm_.Post("/sa/listKeys", "v", nullptr, options);
  ASSERT_OK(got);
  const auto requests = transport_.Requests();
  EXPECT_TRUE(requests[0].body.empty());
  EXPECT_TRUE(requests[0].IsIdempotent());
  EXPECT_EQ(requests[0].headers.at("if-match"), "*");
}

TEST_F(ArmClientTest, SendReturnsRawResponseAndHeaders) {
  transport_.Enqueue("GET", "/x", 200, "{}", {{"ETag", "\"e1\""}});
  auto got = arm_.Send("GET", "/x", "v", "");
  ASSERT_OK(got);
  EXPECT_EQ(got->Header("etag"), "\"e1\"");
}

TEST(ProvisioningStateTest, ReadsPropertiesProvisioningState) {
  EXPECT_EQ(ProvisioningState({{"properties", {{"provisioningState", "Creating"}}}}), "Creating");
  EXPECT_EQ(ProvisioningState({{"properties", {}}}), "");
  EXPECT_EQ(ProvisioningState(nullptr), "");
  EXPECT_TRUE(IsTerminalState("succeeded"));
  EXPECT_TRUE(IsTerminalState("Canceled"));
  EXPECT_FALSE(IsTerminalState("InProgress"));
}

}  // namespace
}  // namespace envctl::cloud::arm
