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

}  // namespace
}  // namespace envctl::reconcilers
