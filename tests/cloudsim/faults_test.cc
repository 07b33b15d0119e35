#include "cloudsim/admin/faults.h"

#include "absl/strings/match.h"
#include "cloudsim/arm/throttle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::cloudsim {
namespace {

using ::testing::HasSubstr;

TEST(GlobMatchTest, MatchesStarsAndQuestionMarksCaseInsensitively) {
  EXPECT_TRUE(GlobMatch("*", "GET /anything"));
  EXPECT_TRUE(GlobMatch("PUT */resourcegroups/*", "PUT /subscriptions/s/resourceGroups/rg1"));
  EXPECT_TRUE(GlobMatch("GET /secrets/?", "GET /secrets/a"));
  EXPECT_FALSE(GlobMatch("GET /secrets/?", "GET /secrets/ab"));
  EXPECT_FALSE(GlobMatch("DELETE *", "GET /x"));
}

TEST(FaultInjectorTest, CountLimitsFiringsAndServiceMustMatch) {
  FaultInjector faults;
  ASSERT_TRUE(faults
                  .Add({{"service", "arm"},
                        {"operation", "GET *"},
                        {"status", 429},
                        {"retry_after_s", 7},
                        {"count", 2}})
                  .ok());
  EXPECT_FALSE(faults.Match("keyvault", "GET /secrets/x").has_value());
  auto first = faults.Match("arm", "GET /subscriptions");
  ASSERT_TRUE(first.has_value());
  Response r = FaultResponse("arm", *first);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["Retry-After"], "7");
  EXPECT_THAT(r.body, HasSubstr("SubscriptionRequestsThrottled"));
  EXPECT_TRUE(faults.Match("arm", "GET /x").has_value());
  EXPECT_FALSE(faults.Match("arm", "GET /x").has_value());  // count exhausted
}

TEST(FaultInjectorTest, RejectsInvalidSpecsWithTheFieldName) {
  FaultInjector faults;
  auto st = faults.Add({{"service", "arm"}, {"status", 404}});
  EXPECT_THAT(std::string(st.message()), HasSubstr("fault.status must be 429, 500, 503 or 0"));
  st = faults.Add({{"service", "storage"}, {"status", 500}});
  EXPECT_THAT(std::string(st.message()), HasSubstr("fault.service must be one of"));
  st = faults.Add({{"status", 500}, {"rate", 2}});
  EXPECT_THAT(std::string(st.message()), HasSubstr("fault.rate"));
  st = faults.Add({{"service", "arm"}});
  EXPECT_THAT(std::string(st.message()), HasSubstr("needs a status or a latency_ms"));
}

TEST(FaultInjectorTest, ZeroRateNeverFiresAndStatusZeroResets) {
  FaultInjector faults;
  ASSERT_TRUE(faults.Add({{"status", 0}, {"rate", 0.0}}).ok());
  EXPECT_FALSE(faults.Match("arm", "GET /").has_value());
  faults.Clear();
  ASSERT_TRUE(faults.Add({{"service", "databricks"}, {"status", 0}}).ok());
  auto f = faults.Match("databricks", "POST /api/2.1/jobs/runs/submit");
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(FaultResponse("databricks", *f).reset_connection);
}

TEST(ArmThrottleTest, EmptyBucketThrottlesUntilRefill) {
  FakeClock clock;
  ThrottleOptions options;
  options.writes = {3, 1};
  ArmThrottle throttle(options, &clock);
  EXPECT_EQ(throttle.Take("oid", "writes").remaining, 2);
  EXPECT_TRUE(throttle.Take("oid", "writes").allowed);
  EXPECT_TRUE(throttle.Take("oid", "writes").allowed);
  ArmThrottle::Decision d = throttle.Take("oid", "writes");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(1));
  EXPECT_TRUE(throttle.Take("other-principal", "writes").allowed);  // per principal
  EXPECT_TRUE(throttle.Take("oid", "reads").allowed);               // per op type
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(throttle.Take("oid", "writes").allowed);
}

}  // namespace
}  // namespace envctl::cloudsim
