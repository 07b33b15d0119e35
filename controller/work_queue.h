// WorkQueue: the controller's queue of keys to reconcile, with the semantics of
// client-go's rate-limited work queue. A key is queued at most once however often it is
// added; a key being processed is never handed to a second worker — adding it meanwhile
// marks it dirty and it is queued again when Done() is called. Delayed adds (resync,
// backoff after a failure) wait on the injected Clock; per-key backoff doubles from
// `base_backoff` up to `max_backoff` until Forget(). Thread-safe.
//
// Time: Get() waits for real time only to avoid spinning; whether a delayed key is due
// is decided with the Clock, so tests with a FakeClock call Advance() then Wake().
#ifndef ENVCTL_CONTROLLER_WORK_QUEUE_H_
#define ENVCTL_CONTROLLER_WORK_QUEUE_H_

#include <deque>
#include <map>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "metrics/metrics.h"

namespace envctl::controller {

struct WorkQueueOptions {
  absl::Duration base_backoff = absl::Seconds(5);
  absl::Duration max_backoff = absl::Minutes(5);
  // Longest real-time wait inside Get() before it looks at the clock again.
  absl::Duration max_real_wait = absl::Milliseconds(200);
};

class WorkQueue {
 public:
  // `metrics` may be null (no workqueue_* metrics).
  WorkQueue(Clock& clock, metrics::Metrics* metrics, WorkQueueOptions options = {});

  // Queues `key` now (no-op when already queued; deferred while it is processed).
  void Add(const std::string& key);
  // Queues `key` after `delay`; an earlier pending delay for the key wins.
  void AddAfter(const std::string& key, absl::Duration delay);
  // Queues `key` after its backoff, then doubles the backoff. Counts a retry.
  void AddRateLimited(const std::string& key);
  // Resets the backoff of `key` (after a success).
  void Forget(const std::string& key);
  // Failures of `key` since the last Forget().
  int NumRequeues(const std::string& key);

  // Hands out the next due key, waiting up to `max_wait` of real time. False on timeout or
  // once ShutDown() was called. The caller must call Done(key) when finished.
  bool Get(std::string* key, absl::Duration max_wait);
  void Done(const std::string& key);

  // Makes waiting Get() calls re-check the clock (after a FakeClock moved).
  void Wake();
  // Wakes every Get(); they return false from now on. Delayed keys are dropped.
  void ShutDown();

  // Keys queued now (not delayed, not processing).
  int Len();
  // When the next delayed key is due, or InfiniteFuture.
  absl::Time NextDue();
  // Waits, up to `timeout` of real time, until no key is queued, due or being processed
  // (tests: after a FakeClock moved and Wake(), the workers have done what became due).
  // True when idle; also true once ShutDown() was called.
  bool WaitIdleForTest(absl::Duration timeout);

 private:
  void PromoteDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDepthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  metrics::Metrics* const metrics_;
  const WorkQueueOptions options_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_ ABSL_GUARDED_BY(mu_);  // queued or to requeue on Done
  std::set<std::string> processing_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> delayed_ ABSL_GUARDED_BY(mu_);  // key -> due
  std::map<std::string, absl::Time> queued_at_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> started_at_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_WORK_QUEUE_H_
