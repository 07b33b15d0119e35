#include "controller/work_queue.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::controller {
namespace {

using ::testing::HasSubstr;

class WorkQueueTest : public ::testing::Test {
 protected:
  WorkQueueTest() : queue_(clock_, &metrics_) {}
  // Next key or "" when none is due within a short real-time wait.
  std::string Next() {
    std::string key;
    return queue_.Get(&key, absl::Milliseconds(20)) ? key : "";
  }

  FakeClock clock_;
  metrics::Metrics metrics_;
  WorkQueue queue_;
};

TEST_F(WorkQueueTest, KeyAddedTwiceIsHandedOutOnce) {
  queue_.Add("env/test");
  queue_.Add("env/test");
  queue_.Add("env/dev");
  EXPECT_EQ(queue_.Len(), 2);
  EXPECT_EQ(Next(), "env/test");
  EXPECT_EQ(Next(), "env/dev");
  EXPECT_EQ(Next(), "");
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsQueuedAgainOnDoneNotBefore) {
  queue_.Add("env/test");
  ASSERT_EQ(Next(), "env/test");
  queue_.Add("env/test");
  EXPECT_EQ(Next(), "") << "a key is never handed to two workers at once";
  queue_.Done("env/test");
  EXPECT_EQ(Next(), "env/test");
  queue_.Done("env/test");
  EXPECT_EQ(Next(), "");
}

TEST_F(WorkQueueTest, DelayedKeyIsDueOnTheInjectedClock) {
  queue_.AddAfter("env/test", absl::Minutes(10));
  EXPECT_EQ(Next(), "");
  EXPECT_EQ(queue_.NextDue(), clock_.Now() + absl::Minutes(10));
  clock_.Advance(absl::Minutes(9));
  queue_.Wake();
  EXPECT_EQ(Next(), "");
  clock_.Advance(absl::Minutes(1));
  queue_.Wake();
  EXPECT_EQ(Next(), "env/test");
}

TEST_F(WorkQueueTest, EarlierDelayWins) {
  queue_.AddAfter("env/test", absl::Minutes(10));
  queue_.AddAfter("env/test", absl::Minutes(1));
  queue_.AddAfter("env/test", absl::Minutes(5));
  EXPECT_EQ(queue_.NextDue(), clock_.Now() + absl::Minutes(1));
}

TEST_F(WorkQueueTest, BackoffDoublesUpToTheCapAndForgetResetsIt) {
  WorkQueueOptions options;
  options.base_backoff = absl::Seconds(5);
  options.max_backoff = absl::Seconds(30);
  WorkQueue queue(clock_, &metrics_, options);
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 5; ++i) {
    queue.AddRateLimited("env/test");
    delays.push_back(queue.NextDue() - clock_.Now());
    std::string key;
    clock_.Advance(delays.back());
    ASSERT_TRUE(queue.Get(&key, absl::Milliseconds(20)));
    queue.Done(key);
  }
  EXPECT_THAT(delays, ::testing::ElementsAre(absl::Seconds(5), absl::Seconds(10), absl::Seconds(20),
                                             absl::Seconds(30), absl::Seconds(30)));
  EXPECT_EQ(queue.NumRequeues("env/test"), 5);
  queue.Forget("env/test");
  EXPECT_EQ(queue.NumRequeues("env/test"), 0);
  queue.AddRateLimited("env/test");
  EXPECT_EQ(queue.NextDue() - clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(metrics_.Serialize(), HasSubstr("envctl_workqueue_retries_total 6"));
}

TEST_F(WorkQueueTest, ShutDownWakesABlockedGet) {
  std::thread waiter([&] {
    std::string key;
    EXPECT_FALSE(queue_.Get(&key, absl::Minutes(5)));
  });
  queue_.ShutDown();
  waiter.join();
  queue_.Add("env/test");
  EXPECT_EQ(Next(), "");
}

TEST_F(WorkQueueTest, MetricsCountAddsDepthAndDurations) {
  queue_.Add("a");
  queue_.Add("b");
  std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_adds_total 2"));
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_depth 2"));
  ASSERT_EQ(Next(), "a");
  clock_.Advance(absl::Seconds(3));
  queue_.Done("a");
  text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_depth 1"));
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_work_duration_seconds_sum 3"));
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_queue_duration_seconds_count 1"));
}

}  // namespace
}  // namespace envctl::controller
