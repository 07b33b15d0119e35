#include "cloudsim/admin/faults.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

TEST(FaultInjectorTest, OperationShapeStarsSegmentsWithDigitsAndDropsTheQuery) {
  EXPECT_EQ(OperationShape("PUT /subscriptions/0000-1/resourceGroups/bench-s1-rg?api-version=1"),
            "PUT /subscriptions/*/resourceGroups/*");
  EXPECT_EQ(OperationShape("GET /api/2.1/jobs/runs/get"), "GET /api/*/jobs/runs/get");
  EXPECT_EQ(OperationShape("POST /Shared/notebooks/prepare"), "POST /Shared/notebooks/prepare");
}

// Which of `ops` (in order) a fresh injector with `spec` faults.
std::vector<bool> Fired(const nlohmann::json& spec, const std::vector<std::string>& ops) {
  FaultInjector faults;
  EXPECT_TRUE(faults.Add(spec).ok());
  std::vector<bool> out;
  for (const std::string& op : ops) out.push_back(faults.Match("arm", op).has_value());
  return out;
}

TEST(FaultInjectorTest, ASeedFaultsTheSameRequestsWhateverTheOrderAndTheNames) {
  const nlohmann::json spec = {{"status", 429}, {"rate", 0.3}, {"seed", 42}};
  std::vector<std::string> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(absl::StrCat("PUT /subscriptions/s1/resourceGroups/run1-rg", i % 4));
    b.push_back(absl::StrCat("GET /other/path", i % 3));
  }
  // Run 1: all of a, then all of b. Run 2 (other names, interleaved): b and a alternating.
  std::vector<std::string> first = a;
  first.insert(first.end(), b.begin(), b.end());
  std::vector<std::string> second;
  for (int i = 0; i < 40; ++i) {
    second.push_back(b[i]);
    std::string renamed = a[i];
    renamed.replace(renamed.find("run1"), 4, "run7");
    second.push_back(renamed);
  }
  const std::vector<bool> f1 = Fired(spec, first), f2 = Fired(spec, second);
  int fired = 0;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(f1[i], f2[2 * i + 1]) << a[i];
    EXPECT_EQ(f1[40 + i], f2[2 * i]) << b[i];
    fired += f1[i] + f1[40 + i];
  }
  EXPECT_GT(fired, 5);  // about 24 of 80 at rate 0.3
  EXPECT_LT(fired, 50);
  // Another seed places them elsewhere.
  nlohmann::json other = spec;
  other["seed"] = 43;
  EXPECT_NE(Fired(other, first), f1);
}

TEST(FaultInjectorTest, RetryAfterMaxMakesRetryAfterUniformOverTheRange) {
  FaultInjector faults;
  ASSERT_TRUE(
      faults.Add({{"status", 503}, {"retry_after_s", 1}, {"retry_after_max_s", 5}, {"seed", 7}})
          .ok());
  std::map<std::string, int> seen;
  for (int i = 0; i < 500; ++i) {
    auto f = faults.Match("databricks", "GET /api/2.0/x");
    ASSERT_TRUE(f.has_value());
    ++seen[FaultResponse("databricks", *f).headers["Retry-After"]];
  }
  EXPECT_EQ(seen.size(), 5u);
  for (const char* v : {"1", "2", "3", "4", "5"}) EXPECT_GT(seen[v], 50) << v;
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
