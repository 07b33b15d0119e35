// The /_cloudsim admin API against a running cloudsim: stats, request log, faults,
// Event Grid, and ARM's token-bucket throttling.

#include "absl/synchronization/mutex.h"
#include "cloudsim/http/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

class AdminTest : public ::testing::Test {
 protected:
  void Start(cloudsim::Options options = {}) {
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    c_ = std::make_unique<SimClient>(*env_);
  }
  std::string RgUrl(const std::string& name) { return c_->Rg(name) + "?api-version=2022-09-01"; }
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> c_;
};

TEST_F(AdminTest, StatsCountReadsAndWritesPerServiceAndReset) {
  Start();
  c_->Token();  // aad read
  ASSERT_EQ(c_->Admin("DELETE", "/stats").status, 200);
  c_->Arm("PUT", RgUrl("a"), {{"location", "westeurope"}});
  c_->Arm("GET", RgUrl("a"));
  c_->Arm("GET", RgUrl("a"));
  c_->Arm("PUT",
          c_->Rg("a") + "/providers/Microsoft.DataFactory/factories/adf-f1?api-version=2018-06-01",
          {{"location", "westeurope"}});
  nlohmann::json stats = JsonOf(c_->Admin("GET", "/stats"));
  EXPECT_EQ(stats["requests"]["arm"]["read"], 2);
  EXPECT_EQ(stats["requests"]["arm"]["write"], 1);
  EXPECT_EQ(stats["requests"]["datafactory"]["write"], 1);
  EXPECT_EQ(stats["requests"]["keyvault"]["read"], 0);
  c_->Admin("DELETE", "/stats");
  EXPECT_EQ(JsonOf(c_->Admin("GET", "/stats"))["requests"]["arm"]["read"], 0);

  nlohmann::json log = JsonOf(c_->Admin("GET", "/requests"))["requests"];
  ASSERT_FALSE(log.empty());
  const nlohmann::json& last = log.back();
  EXPECT_EQ(last["method"], "PUT");
  EXPECT_EQ(last["service"], "datafactory");
  EXPECT_EQ(last["status"], 200);
  EXPECT_THAT(log.dump(), ::testing::Not(HasSubstr("api-version")));  // path only, no query
  EXPECT_THAT(log.dump(), ::testing::Not(HasSubstr(env_->client_secret)));

  ASSERT_EQ(c_->Admin("DELETE", "/requests").status, 200);
  EXPECT_TRUE(JsonOf(c_->Admin("GET", "/requests"))["requests"].empty());
  c_->Arm("GET", RgUrl("a"));
  log = JsonOf(c_->Admin("GET", "/requests"))["requests"];
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["method"], "GET");
  EXPECT_EQ(JsonOf(c_->Admin("GET", "/stats"))["requests"]["arm"]["read"], 1);  // counters kept
}

TEST_F(AdminTest, Injected429CarriesRetryAfterAndTheThrottlingBody) {
  Start();
  ASSERT_EQ(c_->Admin("POST", "/faults",
                      {{"service", "arm"},
                       {"operation", "GET */resourcegroups/*"},
                       {"status", 429},
                       {"retry_after_s", 7},
                       {"count", 1}})
                .status,
            200);
  cloudsim::Response throttled = c_->Arm("GET", RgUrl("x"));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.headers["Retry-After"], "7");
  EXPECT_EQ(ErrorCode(throttled), "SubscriptionRequestsThrottled");
  EXPECT_EQ(c_->Arm("GET", RgUrl("x")).status, 404);  // count 1: the next call goes through
  nlohmann::json log = JsonOf(c_->Admin("GET", "/requests"))["requests"];
  EXPECT_EQ(log[log.size() - 2]["status"], 429);
}

TEST_F(AdminTest, ResetFaultDropsTheConnectionAndDeleteClearsFaults) {
  Start();
  ASSERT_EQ(c_->Admin("POST", "/faults", {{"service", "aad"}, {"status", 0}}).status, 200);
  cloudsim::Response reset = c_->TokenRequest("grant_type=client_credentials");
  EXPECT_EQ(reset.status, -1);  // transport error: connection reset
  c_->Admin("DELETE", "/faults");
  EXPECT_EQ(c_->TokenRequest("grant_type=client_credentials").status, 400);
  cloudsim::Response bad = c_->Admin("POST", "/faults", {{"service", "arm"}, {"status", 418}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("fault.status must be 429, 500, 503 or 0"));
}

TEST_F(AdminTest, AfterHandlingFaultActsThenLosesTheAnswer) {
  Start();
  ASSERT_EQ(c_->Admin("POST", "/faults",
                      {{"service", "arm"},
                       {"operation", "PUT */resourcegroups/*"},
                       {"status", 503},
                       {"after_handling", true},
                       {"count", 1}})
                .status,
            200);
  cloudsim::Response lost = c_->Arm("PUT", RgUrl("acted"), {{"location", "westeurope"}});
  EXPECT_EQ(lost.status, 503);
  EXPECT_EQ(ErrorCode(lost), "ServiceUnavailable");
  EXPECT_EQ(c_->Arm("GET", RgUrl("acted")).status, 200);  // the group was created all the same
  cloudsim::Response bad =
      c_->Admin("POST", "/faults", {{"status", 429}, {"after_handling", true}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("after_handling needs status 500, 503 or 0"));
}

TEST_F(AdminTest, TokenBucketThrottlesWritesWithRetryAfter) {
  cloudsim::Options options;
  options.arm_throttle.writes = {3, 0.001};
  Start(options);
  for (int i = 0; i < 3; ++i) {
    cloudsim::Response r =
        c_->Arm("PUT", RgUrl("t" + std::to_string(i)), {{"location", "westeurope"}});
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.headers["x-ms-ratelimit-remaining-subscription-writes"], std::to_string(2 - i));
  }
  cloudsim::Response throttled = c_->Arm("PUT", RgUrl("t9"), {{"location", "westeurope"}});
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(ErrorCode(throttled), "SubscriptionRequestsThrottled");
  EXPECT_THAT(JsonOf(throttled)["error"]["message"].get<std::string>(),
              HasSubstr("Number of 'write' requests"));
  int retry_after = std::stoi(throttled.headers["Retry-After"]);
  EXPECT_GE(retry_after, 1);
  EXPECT_EQ(c_->Arm("GET", RgUrl("t0")).status, 200);  // reads have their own bucket
}

TEST_F(AdminTest, EventGridValidatesThenDeliversWriteAndDeleteEvents) {
  Start();
  absl::Mutex mu;
  std::vector<nlohmann::json> events;
  std::vector<std::string> kinds;
  auto webhook = cloudsim::HttpServer::Start({}, [&](const cloudsim::Request& r) {
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    cloudsim::Response resp;
    absl::MutexLock lock(&mu);
    kinds.push_back(r.Header("aeg-event-type"));
    if (r.Header("aeg-event-type") == "SubscriptionValidation") {
      resp.body =
          nlohmann::json({{"validationResponse", body[0]["data"]["validationCode"]}}).dump();
    } else {
      for (const auto& e : body) events.push_back(e);
    }
    return resp;
  });
  ASSERT_TRUE(webhook.ok());
  std::string url =
      "http://127.0.0.1:" + std::to_string((*webhook)->port()) + "/webhooks/eventgrid";
  ASSERT_EQ(c_->Admin("POST", "/eventgrid", {{"endpoint", url}}).status, 200);
  ASSERT_EQ(c_->Arm("PUT", RgUrl("evt"), {{"location", "westeurope"}}).status, 201);
  ASSERT_EQ(c_->Arm("DELETE", RgUrl("evt")).status, 202);
  // Deliveries are asynchronous: wait (bounded) until both events arrived.
  absl::MutexLock lock(&mu);
  const auto two_events = [&events]() { return events.size() >= 2; };
  mu.AwaitWithTimeout(absl::Condition(&two_events), absl::Seconds(30));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(kinds[0], "SubscriptionValidation");
  EXPECT_EQ(kinds[1], "Notification");
  EXPECT_EQ(events[0]["eventType"], "Microsoft.Resources.ResourceWriteSuccess");
  EXPECT_EQ(events[0]["subject"], c_->Rg("evt"));
  EXPECT_EQ(events[0]["data"]["operationName"],
            "Microsoft.Resources/subscriptions/resourceGroups/write");
  EXPECT_EQ(events[1]["eventType"], "Microsoft.Resources.ResourceDeleteSuccess");

  // A webhook that does not echo the code is refused.
  auto silent = cloudsim::HttpServer::Start(
      {}, [](const cloudsim::Request&) { return cloudsim::Response{}; });
  ASSERT_TRUE(silent.ok());
  cloudsim::Response refused =
      c_->Admin("POST", "/eventgrid",
                {{"endpoint", "http://127.0.0.1:" + std::to_string((*silent)->port()) + "/"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("did not echo validationCode"));
}

}  // namespace
}  // namespace envctl::testing
