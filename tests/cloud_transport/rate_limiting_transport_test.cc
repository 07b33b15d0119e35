#include "cloud/transport/rate_limiting_transport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::testing::Each;
using ::testing::Eq;

HttpRequest Req(const char* method) {
  HttpRequest r;
  r.method = method;
  r.url = "https://management.azure.com/x";
  return r;
}

TEST(TokenBucketTest, BurstThenSpacedAtTheRefillRate) {
  FakeClock clock;
  TokenBucket bucket(clock, {/*capacity=*/3, /*refill_per_second=*/2});
  for (int i = 0; i < 3; ++i) bucket.Acquire();
  EXPECT_TRUE(clock.Sleeps().empty());
  for (int i = 0; i < 4; ++i) bucket.Acquire();
  // FakeClock advances by each sleep, so every later caller waits exactly 1/rate.
  EXPECT_THAT(clock.Sleeps(), Each(Eq(absl::Milliseconds(500))));
  EXPECT_EQ(clock.Sleeps().size(), 4u);
}

TEST(TokenBucketTest, RefillsWhileIdleUpToCapacity) {
  FakeClock clock;
  TokenBucket bucket(clock, {2, 1});
  bucket.Acquire();
  bucket.Acquire();
  clock.Advance(absl::Seconds(100));
  bucket.Acquire();
  bucket.Acquire();
  EXPECT_TRUE(clock.Sleeps().empty());
  bucket.Acquire();
  EXPECT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], absl::Seconds(1));
}

TEST(TokenBucketTest, ConcurrentReservationsQueueBehindEachOther) {
  FakeClock clock;
  TokenBucket bucket(clock, {1, 10});
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
  // Time does not move between reservations: each waits one more slot.
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(100));
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(200));
}

TEST(RateLimitingTransportTest, ReadsAndWritesUseSeparateBuckets) {
  FakeClock clock;
  FakeTransport fake;
  fake.Always("", "", 200);
  TokenBucket reads(clock, {1, 1});
  TokenBucket writes(clock, {1, 1});
  RateLimitingTransport t(fake, reads, writes);
  ASSERT_OK(t.Send(Req("GET")));
  ASSERT_OK(t.Send(Req("PUT")));  // a write does not wait for the empty read bucket
  EXPECT_TRUE(clock.Sleeps().empty());
  ASSERT_OK(t.Send(Req("HEAD")));  // the read bucket is empty: wait one refill
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], absl::Seconds(1));
  EXPECT_EQ(fake.Count(), 3);
}

HttpRequest ArmReq(const char* method, const std::string& subscription) {
  HttpRequest r;
  r.method = method;
  r.url = "https://management.azure.com/subscriptions/" + subscription +
          "/resourceGroups/rg?api-version=2021-04-01";
  return r;
}

TEST(ArmBudgetTest, SubscriptionAndOperationTypeOfARequest) {
  EXPECT_EQ(ArmBudget::SubscriptionOf(
                "https://management.azure.com/subscriptions/ABC-1/resourceGroups/x?api-version=1"),
            "abc-1");
  EXPECT_EQ(
      ArmBudget::SubscriptionOf("https://management.azure.com/subscriptions/s2?api-version=1"),
      "s2");
  EXPECT_EQ(ArmBudget::SubscriptionOf("https://management.azure.com/providers?api-version=1"), "");
  EXPECT_EQ(ArmBudget::OpOf("get"), ArmBudget::Op::kRead);
  EXPECT_EQ(ArmBudget::OpOf("HEAD"), ArmBudget::Op::kRead);
  EXPECT_EQ(ArmBudget::OpOf("DELETE"), ArmBudget::Op::kDelete);
  EXPECT_EQ(ArmBudget::OpOf("PATCH"), ArmBudget::Op::kWrite);
}

TEST(ArmRateLimitingTransportTest, SlowsDownWhenArmSaysTheBudgetRunsLowBeforeAny429) {
  FakeClock clock;
  FakeTransport fake;
  // Our own bucket is full (100), but ARM says only 6 writes are left (other clients of the
  // subscription spend it too): after the reserve of 5, one more goes at once, then the
  // writes are spaced at the refill rate.
  fake.Always("PUT", "", 200, "{}", {{"x-ms-ratelimit-remaining-subscription-writes", "6"}});
  ArmBudgetOptions options;
  options.writes = {100, 10};
  options.reserve = 5;
  ArmBudget budget(clock, options);
  ArmRateLimitingTransport t(fake, budget);
  ASSERT_OK(t.Send(ArmReq("PUT", "s1")));
  EXPECT_TRUE(clock.Sleeps().empty());
  ASSERT_OK(t.Send(ArmReq("PUT", "s1")));
  EXPECT_TRUE(clock.Sleeps().empty()) << "one token left after ARM's answer";
  ASSERT_OK(t.Send(ArmReq("PUT", "s1")));
  ASSERT_OK(t.Send(ArmReq("PUT", "s1")));
  ASSERT_FALSE(clock.Sleeps().empty()) << "spaced before ARM runs out";
  for (absl::Duration d : clock.Sleeps()) EXPECT_LE(d, absl::Milliseconds(100));
  EXPECT_EQ(fake.Count(), 4);
}

TEST(ArmRateLimitingTransportTest, OneBucketPerSubscriptionAndDeletesHaveTheirOwn) {
  FakeClock clock;
  FakeTransport fake;
  fake.Always("", "", 200);
  ArmBudgetOptions options;
  options.reads = {1, 1};
  options.writes = {1, 1};
  options.deletes = {1, 1};
  ArmBudget budget(clock, options);
  // Two pipelines (e.g. ARM and Data Factory, or two environments) over one budget.
  ArmRateLimitingTransport arm(fake, budget), factory(fake, budget);
  ASSERT_OK(arm.Send(ArmReq("PUT", "s1")));
  ASSERT_OK(arm.Send(ArmReq("DELETE", "s1")));  // deletes: not the spent write bucket
  ASSERT_OK(arm.Send(ArmReq("PUT", "s2")));     // another subscription: its own budget
  ASSERT_OK(arm.Send(ArmReq("GET", "s1")));
  EXPECT_TRUE(clock.Sleeps().empty());
  ASSERT_OK(factory.Send(ArmReq("PUT", "s1")));  // s1's writes are spent, whoever asks
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], absl::Seconds(1));
}

}  // namespace
}  // namespace envctl::cloud
