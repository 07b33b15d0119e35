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

}  // namespace
}  // namespace envctl::cloud
