#include "controller/dag_executor.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::controller {
namespace {

using ::testing::ElementsAre;

// Records the order nodes ran in; each node may block until released by the test.
class Recorder {
 public:
  void Ran(const std::string& node) {
    absl::MutexLock lock(&mu_);
    order_.push_back(node);
  }
  std::vector<std::string> order() {
    absl::MutexLock lock(&mu_);
    return order_;
  }
  size_t IndexOf(const std::string& node) {
    auto o = order();
    return std::find(o.begin(), o.end(), node) - o.begin();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> order_;
};

TEST(DagExecutorTest, EveryNodeRunsOnceAfterItsDependencies) {
  DagExecutor executor;
  DagExecutor::Graph g;
  g.deps = {{"rg", {}}, {"sa", {"rg"}}, {"kv", {"rg"}}, {"secret", {"kv", "sa"}}, {"ws", {"rg"}}};
  Recorder rec;
  executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext&) { rec.Ran(n); });
  ASSERT_EQ(rec.order().size(), 5u);
  EXPECT_EQ(rec.IndexOf("rg"), 0u);
  EXPECT_LT(rec.IndexOf("kv"), rec.IndexOf("secret"));
  EXPECT_LT(rec.IndexOf("sa"), rec.IndexOf("secret"));
}

// The point of the executor: a node starts when ITS dependencies are done, not when its
// whole wave is. `slow` (wave 1) is still running when `fast-child` (wave 2) starts.
TEST(DagExecutorTest, ANodeDoesNotWaitForUnrelatedNodesOfTheSameWave) {
  DagExecutor executor;
  DagExecutor::Graph g;
  g.deps = {{"root", {}}, {"slow", {"root"}}, {"fast", {"root"}}, {"fast-child", {"fast"}}};
  absl::Notification child_ran;
  std::atomic<bool> slow_saw_child{false};
  executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext&) {
    if (n == "slow") {
      // Bounded wait: the child must run while this node is still busy.
      slow_saw_child = child_ran.WaitForNotificationWithTimeout(absl::Seconds(20));
    }
    if (n == "fast-child") child_ran.Notify();
  });
  EXPECT_TRUE(slow_saw_child);
}

TEST(DagExecutorTest, ParallelismBoundsActiveNodesOfOneRun) {
  DagExecutor executor;
  DagExecutor::Graph g;
  for (int i = 0; i < 12; ++i) g.deps["n" + std::to_string(i)] = {};
  g.parallelism = 3;
  std::atomic<int> active{0}, peak{0};
  executor.Run(g, [&](const std::string&, DagExecutor::NodeContext&) {
    int now = ++active;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::yield();
    --active;
  });
  EXPECT_LE(peak.load(), 3);
}

TEST(DagExecutorTest, ServiceLimitHoldsAcrossConcurrentRuns) {
  DagExecutorOptions options;
  options.service_limits = {{"arm", 2}};
  DagExecutor executor(options);
  std::atomic<int> active{0}, peak{0};
  auto work = [&](const std::string&, DagExecutor::NodeContext&) {
    int now = ++active;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    absl::SleepFor(absl::Milliseconds(2));
    --active;
  };
  std::vector<std::thread> callers;
  for (int r = 0; r < 4; ++r) {
    callers.emplace_back([&] {
      DagExecutor::Graph g;
      for (int i = 0; i < 5; ++i) g.deps["n" + std::to_string(i)] = {};
      g.parallelism = 5;
      g.service_of = [](const std::string&) { return std::string("arm"); };
      executor.Run(g, work);
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_LE(peak.load(), 2);
  EXPECT_GE(peak.load(), 1);
}

// Two environments at once: the second does not wait until the first has finished.
TEST(DagExecutorTest, ConcurrentRunsInterleaveFairly) {
  DagExecutor executor;
  absl::Notification b_started;
  std::atomic<bool> a_saw_b{false};
  std::thread a([&] {
    DagExecutor::Graph g;
    g.deps = {{"a1", {}}, {"a2", {"a1"}}};
    g.parallelism = 1;
    executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext&) {
      if (n == "a1") a_saw_b = b_started.WaitForNotificationWithTimeout(absl::Seconds(20));
    });
  });
  DagExecutor::Graph g;
  g.deps = {{"b1", {}}};
  executor.Run(g, [&](const std::string&, DagExecutor::NodeContext&) { b_started.Notify(); });
  a.join();
  EXPECT_TRUE(a_saw_b);
}

// A node that only waits (a test run being polled) gives its slot back: with parallelism
// 1 the other node still runs while it waits.
TEST(DagExecutorTest, ReleasedNodeFreesItsSlotForTheRestOfTheGraph) {
  DagExecutor executor;
  DagExecutor::Graph g;
  g.deps = {{"waiter", {}}, {"worker", {}}};
  g.parallelism = 1;
  absl::Notification worker_ran;
  std::atomic<bool> waiter_saw_worker{false};
  executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext& ctx) {
    if (n == "waiter") {
      ctx.Release();
      ctx.Release();  // idempotent
      waiter_saw_worker = worker_ran.WaitForNotificationWithTimeout(absl::Seconds(20));
    } else {
      worker_ran.Notify();
    }
  });
  // Ready nodes start in name order, so "waiter" held the only slot first.
  EXPECT_TRUE(waiter_saw_worker);
}

// Waits (bounded, no sleep) until `pred` holds; false if it never did.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 2000000; ++i) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return false;
}

TEST(DagExecutorTest, SuspendedNodeLendsItsSlotAndTakesItBackAheadOfNewNodes) {
  DagExecutor executor;
  DagExecutor::Graph g;
  g.deps = {{"a", {}}, {"b", {}}, {"c", {}}};
  g.parallelism = 1;
  Recorder recorder;
  absl::Notification b_started;
  std::atomic<bool> a_saw_b{false}, b_saw_a_resuming{false};
  executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext& ctx) {
    if (n == "a") {
      ctx.Suspend();  // "a" sleeps out a Retry-After: "b" gets the only slot
      a_saw_b = b_started.WaitForNotificationWithTimeout(absl::Seconds(20));
      ctx.Resume();  // blocks until "b" is done, then goes before "c"
      recorder.Ran("a");
    } else if (n == "b") {
      b_started.Notify();
      b_saw_a_resuming = Eventually([&] { return executor.ResumingForTest() == 1; });
      recorder.Ran("b");
    } else {
      recorder.Ran(n);
    }
  });
  EXPECT_TRUE(a_saw_b);
  EXPECT_TRUE(b_saw_a_resuming);
  EXPECT_THAT(recorder.order(), ElementsAre("b", "a", "c"));
}

TEST(DagExecutorTest, SuspendKeepsParallelismAndServiceBoundsForWorkingNodes) {
  DagExecutorOptions options;
  options.service_limits = {{"arm", 2}};
  DagExecutor executor(options);
  DagExecutor::Graph g;
  for (int i = 0; i < 16; ++i) g.deps["n" + std::to_string(i)] = {};
  g.parallelism = 3;
  g.service_of = [](const std::string&) { return std::string("arm"); };
  std::atomic<int> working{0}, peak{0};
  auto work = [&] {
    int now = ++working;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::yield();
    --working;
  };
  executor.Run(g, [&](const std::string& n, DagExecutor::NodeContext& ctx) {
    work();
    ctx.Suspend();
    std::this_thread::yield();
    ctx.Resume();
    work();
    if (n == "n0") {
      ctx.Release();
      ctx.Suspend();  // no-ops once released
      ctx.Resume();
    }
  });
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(executor.ResumingForTest(), 0);
}

TEST(DagExecutorTest, IdleThreadsAreBounded) {
  DagExecutorOptions options;
  options.max_idle_threads = 2;
  DagExecutor executor(options);
  DagExecutor::Graph g;
  for (int i = 0; i < 40; ++i) g.deps["n" + std::to_string(i)] = {};
  g.parallelism = 16;
  executor.Run(g, [](const std::string&, DagExecutor::NodeContext&) {
    absl::SleepFor(absl::Milliseconds(1));
  });
  // Workers above the idle bound exit once the queue is empty (bounded wait).
  for (int i = 0; i < 2000 && executor.ThreadsForTest() > 2; ++i)
    absl::SleepFor(absl::Milliseconds(1));
  EXPECT_LE(executor.ThreadsForTest(), 2);
}

TEST(DagExecutorTest, EmptyGraphReturnsAtOnce) {
  DagExecutor executor;
  executor.Run({}, [](const std::string&, DagExecutor::NodeContext&) { FAIL(); });
}

}  // namespace
}  // namespace envctl::controller
