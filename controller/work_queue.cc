#include "controller/work_queue.h"

#include <algorithm>

namespace envctl::controller {

WorkQueue::WorkQueue(Clock& clock, metrics::Metrics* metrics, WorkQueueOptions options)
    : clock_(clock), metrics_(metrics), options_(options) {}

void WorkQueue::QueueLocked(const std::string& key) {
  if (metrics_ != nullptr) metrics_->workqueue_adds_total().Add({}).Increment();
  if (dirty_.count(key)) return;
  dirty_.insert(key);
  queued_at_[key] = clock_.Now();
  if (processing_.count(key)) return;  // requeued by Done()
  queue_.push_back(key);
  UpdateDepthLocked();
  cv_.SignalAll();
}

void WorkQueue::UpdateDepthLocked() {
  if (metrics_ != nullptr)
    metrics_->workqueue_depth().Add({}).Set(static_cast<double>(queue_.size()));
}

void WorkQueue::PromoteDueLocked() {
  const absl::Time now = clock_.Now();
  for (auto it = delayed_.begin(); it != delayed_.end();) {
    if (it->second <= now) {
      const std::string key = it->first;
      it = delayed_.erase(it);
      QueueLocked(key);
    } else {
      ++it;
    }
  }
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  QueueLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  if (delay <= absl::ZeroDuration()) {
    QueueLocked(key);
    return;
  }
  const absl::Time due = clock_.Now() + delay;
  auto it = delayed_.find(key);
  if (it == delayed_.end() || due < it->second) delayed_[key] = due;
  cv_.SignalAll();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    const int n = ++failures_[key];
    delay = options_.base_backoff;
    for (int i = 1; i < n && delay < options_.max_backoff; ++i) delay *= 2;
    delay = std::min(delay, options_.max_backoff);
    if (metrics_ != nullptr) metrics_->workqueue_retries_total().Add({}).Increment();
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

bool WorkQueue::Get(std::string* key, absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  // Real time bounds only how long this call blocks; due times come from clock_.
  const absl::Time give_up = absl::Now() + max_wait;
  while (true) {
    if (shutting_down_) return false;
    PromoteDueLocked();
    if (!queue_.empty()) {
      *key = queue_.front();
      queue_.pop_front();
      dirty_.erase(*key);
      processing_.insert(*key);
      const absl::Time now = clock_.Now();
      if (metrics_ != nullptr) {
        auto queued = queued_at_.find(*key);
        if (queued != queued_at_.end()) {
          metrics_->workqueue_queue_duration_seconds()
              .Add({}, metrics::Metrics::DurationBuckets())
              .Observe(absl::ToDoubleSeconds(now - queued->second));
        }
      }
      queued_at_.erase(*key);
      started_at_[*key] = now;
      UpdateDepthLocked();
      return true;
    }
    const absl::Duration remaining = give_up - absl::Now();
    if (remaining <= absl::ZeroDuration()) return false;
    absl::Duration wait = std::min(remaining, options_.max_real_wait);
    if (!delayed_.empty()) {
      absl::Time next = absl::InfiniteFuture();
      for (const auto& [k, due] : delayed_) next = std::min(next, due);
      wait = std::min(wait, std::max(next - clock_.Now(), absl::Milliseconds(1)));
    }
    cv_.WaitWithTimeout(&mu_, wait);
  }
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock lock(&mu_);
  processing_.erase(key);
  auto started = started_at_.find(key);
  if (started != started_at_.end()) {
    if (metrics_ != nullptr) {
      metrics_->workqueue_work_duration_seconds()
          .Add({}, metrics::Metrics::DurationBuckets())
          .Observe(absl::ToDoubleSeconds(clock_.Now() - started->second));
    }
    started_at_.erase(started);
  }
  if (dirty_.count(key) && !shutting_down_) {
    queue_.push_back(key);
    UpdateDepthLocked();
    cv_.SignalAll();
  }
}

void WorkQueue::Wake() {
  absl::MutexLock lock(&mu_);
  cv_.SignalAll();
}

bool WorkQueue::IdleLocked() {
  if (shutting_down_) return true;
  if (!queue_.empty() || !processing_.empty()) return false;
  const absl::Time now = clock_.Now();
  for (const auto& [key, due] : delayed_) {
    if (due <= now) return false;
  }
  return true;
}

bool WorkQueue::WaitIdleForTest(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  // A due key is handed out only by a waiting Get(): make sure one looks.
  cv_.SignalAll();
  return mu_.AwaitWithTimeout(absl::Condition(this, &WorkQueue::IdleLocked), timeout);
}

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  delayed_.clear();
  cv_.SignalAll();
}

int WorkQueue::Len() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

absl::Time WorkQueue::NextDue() {
  absl::MutexLock lock(&mu_);
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [k, due] : delayed_) next = std::min(next, due);
  return next;
}

}  // namespace envctl::controller
