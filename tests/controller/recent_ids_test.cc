#include "controller/recent_ids.h"

#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::controller {
namespace {

TEST(RecentIdsTest, AnIdIsKnownWhileInUseAndForTheTtlAfter) {
  FakeClock clock;
  RecentIds ids(clock, absl::Minutes(10));
  EXPECT_FALSE(ids.Contains("test-1"));
  ids.Begin("test-1");
  clock.Advance(absl::Hours(2));  // a long sync: still in use
  EXPECT_TRUE(ids.Contains("test-1"));
  ids.End("test-1");
  clock.Advance(absl::Minutes(9));
  EXPECT_TRUE(ids.Contains("test-1"));
  EXPECT_FALSE(ids.Contains("test-2"));
  clock.Advance(absl::Minutes(2));
  EXPECT_FALSE(ids.Contains("test-1"));
  EXPECT_EQ(ids.size(), 0u);
}

TEST(RecentIdsTest, EmptyIdIsNeverOwn) {
  FakeClock clock;
  RecentIds ids(clock);
  ids.Begin("");
  EXPECT_FALSE(ids.Contains(""));
  EXPECT_EQ(ids.size(), 0u);
}

TEST(RecentIdsTest, NestedUsesEndWithTheLast) {
  FakeClock clock;
  RecentIds ids(clock, absl::Minutes(1));
  ids.Begin("test-runs");
  ids.Begin("test-runs");
  ids.End("test-runs");
  clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(ids.Contains("test-runs"));
  ids.End("test-runs");
  clock.Advance(absl::Minutes(2));
  EXPECT_FALSE(ids.Contains("test-runs"));
}

TEST(RecentIdsTest, OverCapacityTheOldestEndedIdsGoFirst) {
  FakeClock clock;
  RecentIds ids(clock, absl::Hours(1), 3);
  ids.Begin("running");  // in use: never evicted
  for (const char* id : {"a", "b", "c", "d"}) {
    ids.Begin(id);
    ids.End(id);
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.Contains("running"));
  EXPECT_FALSE(ids.Contains("a"));
  EXPECT_FALSE(ids.Contains("b"));
  EXPECT_TRUE(ids.Contains("c"));
  EXPECT_TRUE(ids.Contains("d"));
}

}  // namespace
}  // namespace envctl::controller
