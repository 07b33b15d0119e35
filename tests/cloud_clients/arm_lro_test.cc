// ArmClient long-running operations: both monitor header styles, resource polling,
// Retry-After pacing on the FakeClock, failure, cancellation and timeout.
#include <vector>

#include "cloud/arm/arm_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::arm {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::PathOf;

constexpr char kWs[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Databricks/workspaces/ws1";
constexpr char kSa[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1";

class ArmLroTest : public ::testing::Test {
 protected:
  ArmClient Client(LroOptions lro = {}) {
    ArmClientOptions options;
    options.lro = lro;
    return ArmClient(transport_, clock_, "https://arm.test", options);
  }
  std::vector<std::string> Paths() {
    std::vector<std::string> out;
    for (const auto& r : transport_.Requests()) out.push_back(r.method + " " + PathOf(r.url));
    return out;
  }

  FakeTransport transport_;
  FakeClock clock_;
};

TEST_F(ArmLroTest, AzureAsyncOperationIsPolledWithRetryAfterThenResourceIsRead) {
  transport_.Enqueue("PUT", kWs, 201, R"({"properties":{"provisioningState":"Accepted"}})",
                     {{"Azure-AsyncOperation", "https://arm.test/ops/op1?api-version=2023-02-01"},
                      {"Retry-After", "3"}});
  transport_.Enqueue("GET", "/ops/op1", 200, R"({"status":"InProgress"})", {{"Retry-After", "5"}});
  transport_.Enqueue("GET", "/ops/op1", 200, R"({"status":"Succeeded"})");
  transport_.Enqueue("GET", kWs, 200,
                     R"({"name":"ws1","properties":{"provisioningState":"Succeeded",
                         "workspaceUrl":"adb-1.2.azuredatabricks.net"}})");
  auto got = Client().Put(kWs, "2023-02-01", {{"location", "westeurope"}});
  ASSERT_OK(got);
  EXPECT_EQ((*got)["properties"]["workspaceUrl"], "adb-1.2.azuredatabricks.net");
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(3), absl::Seconds(5)));
  EXPECT_THAT(Paths(), ElementsAre(std::string("PUT ") + kWs, "GET /ops/op1", "GET /ops/op1",
                                   std::string("GET ") + kWs));
  EXPECT_EQ(transport_.PendingResponses(), 0);
}

TEST_F(ArmLroTest, LocationIsPolledUntil200ThenResourceIsRead) {
  transport_.Enqueue("PUT", kSa, 202, "",
                     {{"Location",
                       "https://arm.test/subscriptions/sub1/providers/Microsoft.Storage/"
                       "locations/westeurope/asyncoperations/a1?monitor=true"},
                      {"Retry-After", "17"}});
  transport_.Enqueue("GET", "asyncoperations/a1", 202, "", {{"Retry-After", "2"}});
  transport_.Enqueue("GET", "asyncoperations/a1", 200, R"({"name":"sa1"})");
  transport_.Enqueue("GET", kSa, 200,
                     R"({"name":"sa1","properties":{"provisioningState":"Succeeded"}})");
  auto got = Client().Put(kSa, "2023-05-01", {{"location", "westeurope"}});
  ASSERT_OK(got);
  EXPECT_EQ((*got)["properties"]["provisioningState"], "Succeeded");
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(17), absl::Seconds(2)));
  EXPECT_EQ(transport_.PendingResponses(), 0);
}

TEST_F(ArmLroTest, AzureAsyncOperationIsPreferredOverLocation) {
  transport_.Enqueue("DELETE", kWs, 202, "",
                     {{"Azure-AsyncOperation", "https://arm.test/status/s1"},
                      {"Location", "https://arm.test/results/r1"}});
  transport_.Enqueue("GET", "/status/s1", 200, R"({"status":"Succeeded"})");
  EXPECT_OK(Client().Delete(kWs, "2023-02-01"));
  EXPECT_EQ(transport_.Count("GET", "/results/"), 0);
}

TEST_F(ArmLroTest, RelativeMonitorUrlsResolveAgainstTheEndpoint) {
  transport_.Enqueue(
      "DELETE", kWs, 202, "",
      {{"Azure-AsyncOperation", std::string(kWs) + "/operationStatus/o1?api-version=x"}});
  transport_.Enqueue("GET", "/operationStatus/o1", 200, R"({"status":"Succeeded"})");
  EXPECT_OK(Client().Delete(kWs, "2023-02-01"));
  EXPECT_EQ(transport_.Requests()[1].url,
            std::string("https://arm.test") + kWs + "/operationStatus/o1?api-version=x");
}

TEST_F(ArmLroTest, FailedOperationIsAbortedWithTheOperationsErrorCode) {
  transport_.Enqueue("PUT", kWs, 201, R"({"properties":{"provisioningState":"Accepted"}})",
                     {{"Azure-AsyncOperation", "https://arm.test/ops/f"}});
  transport_.Enqueue("GET", "/ops/f", 200,
                     R"({"status":"Failed","error":{"code":"ManagedResourceGroupExists",
                         "message":"The managed resource group already exists."}})");
  auto got = Client().Put(kWs, "2023-02-01", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kAborted,
                            HasSubstr("ManagedResourceGroupExists: The managed resource group")));
  EXPECT_THAT(got.status().message(), HasSubstr(std::string("PUT ") + kWs));
  EXPECT_EQ(ServiceErrorCode(got.status()), "ManagedResourceGroupExists");
  EXPECT_EQ(HttpStatusOf(got.status()), 0);
}

TEST_F(ArmLroTest, CanceledOperationIsCancelled) {
  transport_.Enqueue("DELETE", kWs, 202, "", {{"Azure-AsyncOperation", "https://arm.test/ops/c"}});
  transport_.Enqueue("GET", "/ops/c", 200, R"({"status":"Canceled"})");
  EXPECT_THAT(Client().Delete(kWs, "v"),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("was canceled")));
}

TEST_F(ArmLroTest, LocationErrorStatusIsTheOperationsError) {
  transport_.Enqueue("PUT", kSa, 202, "", {{"Location", "https://arm.test/loc/1"}});
  transport_.Enqueue("GET", "/loc/1", 409,
                     R"({"error":{"code":"StorageAccountAlreadyTaken","message":"taken"}})");
  auto got = Client().Put(kSa, "v", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("taken")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "StorageAccountAlreadyTaken");
}

TEST_F(ArmLroTest, TimeoutIsDeadlineExceededNamingTheLastState) {
  LroOptions lro;
  lro.timeout = absl::Seconds(60);
  transport_.Enqueue(
      "PUT", kWs, 201, R"({"properties":{"provisioningState":"Accepted"}})",
      {{"Azure-AsyncOperation", "https://arm.test/ops/slow"}, {"Retry-After", "10"}});
  transport_.Always("GET", "/ops/slow", 200, R"({"status":"Running"})", {{"Retry-After", "10"}});
  const absl::Time start = clock_.Now();
  auto got = Client(lro).Put(kWs, "v", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kDeadlineExceeded,
                            HasSubstr("did not finish within 1m (last state: Running)")));
  EXPECT_LE(clock_.Now() - start, absl::Seconds(60));
  EXPECT_EQ(transport_.Count("GET", "/ops/slow"), 6);
}

TEST_F(ArmLroTest, RetryAfterIsClampedAndMissingRetryAfterBacksOffExponentially) {
  LroOptions lro;
  lro.min_poll_interval = absl::Seconds(1);
  lro.max_poll_interval = absl::Seconds(4);
  transport_.Enqueue("PUT", kWs, 201, R"({"properties":{"provisioningState":"Creating"}})",
                     {{"Azure-AsyncOperation", "https://arm.test/ops/b"}, {"Retry-After", "600"}});
  for (int i = 0; i < 4; ++i)
    transport_.Enqueue("GET", "/ops/b", 200, R"({"status":"InProgress"})");
  transport_.Enqueue("GET", "/ops/b", 200, R"({"status":"Succeeded"})");
  transport_.Enqueue("GET", kWs, 200, R"({"properties":{"provisioningState":"Succeeded"}})");
  ASSERT_OK(Client(lro).Put(kWs, "v", nlohmann::json::object()));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(4), absl::Seconds(1), absl::Seconds(2),
                                           absl::Seconds(4), absl::Seconds(4)));
}

TEST_F(ArmLroTest, NonTerminalProvisioningStateWithoutHeadersPollsTheResource) {
  transport_.Enqueue("PUT", kSa, 200, R"({"properties":{"provisioningState":"ResolvingDNS"}})");
  transport_.Enqueue("GET", kSa, 200, R"({"properties":{"provisioningState":"Creating"}})");
  transport_.Enqueue("GET", kSa, 200,
                     R"({"name":"sa1","properties":{"provisioningState":"Succeeded"}})");
  auto got = Client().Put(kSa, "v", nlohmann::json::object());
  ASSERT_OK(got);
  EXPECT_EQ((*got)["name"], "sa1");
  EXPECT_EQ(transport_.Count("GET", kSa), 2);
}

TEST_F(ArmLroTest, ResourcePollEndingFailedIsAborted) {
  transport_.Enqueue("PUT", kSa, 201, R"({"properties":{"provisioningState":"Creating"}})");
  transport_.Enqueue(
      "GET", kSa, 200,
      R"({"properties":{"provisioningState":"Failed","error":{"code":"Boom","message":"b"}}})");
  auto got = Client().Put(kSa, "v", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kAborted, HasSubstr("Boom: b")));
}

TEST_F(ArmLroTest, DeleteWithoutHeadersPollsUntilTheResourceIsGone) {
  transport_.Enqueue("DELETE", kSa, 202);
  transport_.Enqueue("GET", kSa, 200, R"({"properties":{"provisioningState":"Deleting"}})");
  transport_.Enqueue("GET", kSa, 404, R"({"error":{"code":"ResourceNotFound","message":"x"}})");
  EXPECT_OK(Client().Delete(kSa, "v"));
  EXPECT_EQ(transport_.PendingResponses(), 0);
}

TEST_F(ArmLroTest, DeleteViaLocationFinishesOn200Or404) {
  transport_.Enqueue("DELETE", "/resourceGroups/rg1?", 202, "",
                     {{"Location", "https://arm.test/operationresults/d1"}, {"Retry-After", "1"}});
  transport_.Enqueue("GET", "/operationresults/d1", 202, "", {{"Retry-After", "1"}});
  transport_.Enqueue("GET", "/operationresults/d1", 200);
  EXPECT_OK(Client().Delete("/subscriptions/sub1/resourceGroups/rg1", "v"));

  transport_.Enqueue("DELETE", "/resourceGroups/rg2?", 202, "",
                     {{"Location", "https://arm.test/operationresults/d2"}});
  transport_.Enqueue("GET", "/operationresults/d2", 404);
  EXPECT_OK(Client().Delete("/subscriptions/sub1/resourceGroups/rg2", "v"));
}

TEST_F(ArmLroTest, PostLroReturnsTheLocationResult) {
  transport_.Enqueue("POST", "/purge", 202, "",
                     {{"Azure-AsyncOperation", "https://arm.test/ops/p"},
                      {"Location", "https://arm.test/results/p"}});
  transport_.Enqueue("GET", "/ops/p", 200, R"({"status":"Succeeded"})");
  transport_.Enqueue("GET", "/results/p", 200, R"({"done":true})");
  auto got = Client().Post("/x/purge", "v");
  ASSERT_OK(got);
  EXPECT_EQ((*got)["done"], true);
}

TEST_F(ArmLroTest, PollTransportErrorSurfaces) {
  transport_.Enqueue("PUT", kWs, 201, R"({"properties":{"provisioningState":"Accepted"}})",
                     {{"Azure-AsyncOperation", "https://arm.test/ops/r"}});
  transport_.Enqueue("GET", "/ops/r", absl::UnavailableError("connection reset by peer"));
  EXPECT_THAT(Client().Put(kWs, "v", nlohmann::json::object()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reset")));
}

TEST_F(ArmLroTest, HttpDateRetryAfterIsHonoured) {
  // FakeClock starts at 1'800'000'000 = Fri, 15 Jan 2027 08:00:00 GMT.
  transport_.Enqueue(
      "PUT", kSa, 202, "",
      {{"Location", "https://arm.test/loc/d"}, {"Retry-After", "Fri, 15 Jan 2027 08:00:09 GMT"}});
  transport_.Enqueue("GET", "/loc/d", 200, "{}");
  transport_.Enqueue("GET", kSa, 200, R"({"properties":{"provisioningState":"Succeeded"}})");
  ASSERT_OK(Client().Put(kSa, "v", nlohmann::json::object()));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(9)));
}

}  // namespace
}  // namespace envctl::cloud::arm
