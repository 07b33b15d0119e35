// HandlerPool: the threads that run one listener's request handlers. cloudsim's handlers
// block (injected latency sleeps, World::mu, a Databricks run's bookkeeping), so a fixed
// small pool would serialize requests a real cloud answers in parallel: the pool starts a
// thread whenever a task arrives and none is idle, up to `max_threads` (further tasks
// queue), and a thread idle for `idle_exit` ends. Thread-safe.
#ifndef ENVCTL_CLOUDSIM_HTTP_HANDLER_POOL_H_
#define ENVCTL_CLOUDSIM_HTTP_HANDLER_POOL_H_

#include <deque>
#include <functional>
#include <list>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace envctl::cloudsim {

class HandlerPool {
 public:
  HandlerPool(int max_threads, absl::Duration idle_exit);
  // Join()s.
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs `task` on a pool thread. After Join() started, the task is dropped.
  void Post(std::function<void()> task);

  // Runs what is queued, waits for running tasks and joins every thread. Idempotent.
  void Join();

 private:
  struct Worker {
    std::thread thread;
    bool done = false;
  };
  void Run(Worker* self);
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_threads_;
  const absl::Duration idle_exit_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::list<Worker> workers_ ABSL_GUARDED_BY(mu_);
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool joining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_HANDLER_POOL_H_
