#include "reconcilers/parallel.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::reconcilers {
namespace {

using ::testing::Each;
using ::testing::Eq;

TEST(RunParallelTest, EveryIndexRunsOnceAndTheFirstErrorInIndexOrderWins) {
  std::vector<std::atomic<int>> runs(20);
  absl::Status s = RunParallel(runs.size(), 4, [&](size_t i) {
    ++runs[i];
    if (i == 7) return absl::UnavailableError("seven");
    if (i == 12) return absl::InternalError("twelve");
    return absl::OkStatus();
  });
  EXPECT_EQ(s, absl::UnavailableError("seven"));
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_TRUE(RunParallel(0, 4, [](size_t) { return absl::InternalError("never"); }).ok());
}

// The first `parallelism` indexes each wait (bounded) until all of them have started: a
// RunParallel that ran them one after another would time out here instead of passing.
TEST(RunParallelTest, RunsUpToParallelismAtOnceAndNeverMore) {
  absl::Mutex mu;
  int started = 0, in_flight = 0, max_in_flight = 0;
  bool all_met = true;
  ASSERT_TRUE(RunParallel(12, 4, [&](size_t i) {
                absl::MutexLock lock(&mu);
                ++started;
                max_in_flight = std::max(max_in_flight, ++in_flight);
                if (i < 4) {
                  all_met &= mu.AwaitWithTimeout(absl::Condition(
                                                     +[](int* n) { return *n >= 4; }, &started),
                                                 absl::Seconds(30));
                }
                --in_flight;
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(all_met) << "the first 4 indexes did not run at the same time";
  EXPECT_EQ(max_in_flight, 4);
  EXPECT_EQ(started, 12);
}

TEST(RunParallelTest, HelperThreadsCarryTheCallersLogContext) {
  log::ScopedContext scope({{"sync_id", "sync-1"}, {"resource", "notebooks"}});
  absl::Mutex mu;
  std::vector<std::string> seen;
  ASSERT_TRUE(RunParallel(8, 4, [&](size_t) {
                absl::MutexLock lock(&mu);
                seen.push_back(log::CurrentSyncId());
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_THAT(seen, Each(Eq("sync-1")));
}

TEST(RunAfterTest, EachIndexStartsOnlyAfterItsPrerequisitesFinished) {
  // 0 -> {1, 2} -> 3 (a diamond), 4 -> 5 -> 6 (a chain), 7 alone; 8 names itself and an
  // index out of range (both ignored).
  const std::vector<std::vector<size_t>> after = {{}, {0}, {0}, {1, 2}, {}, {4}, {5}, {}, {8, 99}};
  absl::Mutex mu;
  std::vector<int> finished_at(after.size(), -1);
  int clock = 0;
  bool order_held = true;
  ASSERT_TRUE(RunAfter(after.size(), after, 3, [&](size_t i) {
                absl::MutexLock lock(&mu);
                for (size_t d : after[i]) {
                  if (d < after.size() && d != i) order_held &= finished_at[d] >= 0;
                }
                finished_at[i] = clock++;
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(order_held);
  EXPECT_THAT(finished_at, Each(::testing::Ge(0)));
}

// Index 0 holds (bounded) until index 2, which needs only 1, has run: waves would put 2
// after 0 and time out here.
TEST(RunAfterTest, ASlowIndexDelaysOnlyWhatNeedsIt) {
  absl::Mutex mu;
  bool second_done = false;
  bool met = false;
  ASSERT_TRUE(RunAfter(3, {{}, {}, {1}}, 2, [&](size_t i) {
                absl::MutexLock lock(&mu);
                if (i == 0) {
                  met = mu.AwaitWithTimeout(absl::Condition(&second_done), absl::Seconds(30));
                }
                if (i == 2) second_done = true;
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(met) << "index 2 waited for index 0, which it does not need";
}

TEST(RunAfterTest, WhatNeedsAFailedIndexNeverRunsAndTheFirstErrorWins) {
  // 1 fails: 2 (needs 1) and 3 (needs 2) are skipped; 0 and 4 run; 5 fails too.
  std::vector<std::atomic<int>> runs(6);
  absl::Status s = RunAfter(6, {{}, {0}, {1}, {2, 4}, {}, {}}, 2, [&](size_t i) {
    ++runs[i];
    if (i == 1) return absl::UnavailableError("one");
    if (i == 5) return absl::InternalError("five");
    return absl::OkStatus();
  });
  EXPECT_EQ(s, absl::UnavailableError("one"));
  EXPECT_EQ(runs[0].load(), 1);
  EXPECT_EQ(runs[1].load(), 1);
  EXPECT_EQ(runs[2].load(), 0);
  EXPECT_EQ(runs[3].load(), 0);
  EXPECT_EQ(runs[4].load(), 1);
  EXPECT_EQ(runs[5].load(), 1);
  EXPECT_TRUE(RunAfter(0, {}, 4, [](size_t) { return absl::InternalError("never"); }).ok());
}

TEST(RunAfterTest, ACycleIsAnErrorAndItsMembersNeverRun) {
  std::vector<std::atomic<int>> runs(4);
  absl::Status s = RunAfter(4, {{}, {2}, {1}, {0}}, 2, [&](size_t i) {
    ++runs[i];
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(runs[0].load(), 1);
  EXPECT_EQ(runs[1].load(), 0);
  EXPECT_EQ(runs[2].load(), 0);
  EXPECT_EQ(runs[3].load(), 1);
}

TEST(RunAfterTest, HelperThreadsCarryTheCallersLogContext) {
  log::ScopedContext scope({{"sync_id", "sync-2"}, {"resource", "adf"}});
  absl::Mutex mu;
  std::vector<std::string> seen;
  ASSERT_TRUE(RunAfter(8, {{}, {}, {}, {}, {0}, {1}, {2}, {3}}, 4, [&](size_t) {
                absl::MutexLock lock(&mu);
                seen.push_back(log::CurrentSyncId());
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_THAT(seen, Each(Eq("sync-2")));
}

}  // namespace
}  // namespace envctl::reconcilers
