#include "reconcilers/parallel.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/log.h"

namespace envctl::reconcilers {

namespace {

// Runs `worker` on `threads` threads (the caller's among them, at least one) and joins
// them; the helpers carry the caller's log context.
void RunOnThreads(size_t threads, const std::function<void()>& worker) {
  const auto context = log::CurrentContext();
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) {
    helpers.emplace_back([&] {
      log::ScopedContext scope(context);
      worker();
    });
  }
  worker();
  for (auto& t : helpers) t.join();
}

}  // namespace

absl::Status RunParallel(size_t n, size_t parallelism,
                         const std::function<absl::Status(size_t)>& work) {
  std::vector<absl::Status> results(n);
  std::atomic<size_t> next{0};
  RunOnThreads(std::min(n, parallelism), [&] {
    for (size_t i = next++; i < n; i = next++) results[i] = work(i);
  });
  for (const auto& r : results) {
    if (!r.ok()) return r;
  }
  return absl::OkStatus();
}

namespace {

// The shared state of one RunAfter: which indexes are ready, running, finished.
class Schedule {
 public:
  Schedule(size_t n, const std::vector<std::vector<size_t>>& after)
      : results_(n), dependents_(n), waiting_(n, 0), done_(n, false) {
    for (size_t i = 0; i < n && i < after.size(); ++i) {
      for (size_t d : after[i]) {
        if (d >= n || d == i) continue;
        dependents_[d].push_back(i);
        ++waiting_[i];
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (waiting_[i] == 0) ready_.push_back(i);
    }
  }

  // Takes the next index to run; false when none is left to start (all finished, or the
  // rest wait on a cycle).
  bool Next(size_t* index) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Schedule::CanMove));
    if (ready_.empty()) return false;
    *index = ready_.front();
    ready_.pop_front();
    ++running_;
    return true;
  }

  void Finish(size_t i, absl::Status status) {
    absl::MutexLock lock(&mu_);
    --running_;
    MarkDone(i);
    const bool ok = status.ok();
    results_[i] = std::move(status);
    std::vector<size_t> skipped;
    for (size_t d : dependents_[i]) {
      if (done_[d]) continue;
      if (!ok) {
        skipped.push_back(d);
      } else if (--waiting_[d] == 0) {
        ready_.push_back(d);
      }
    }
    // What needs a failed index never runs, nor what needs that in turn.
    while (!skipped.empty()) {
      const size_t d = skipped.back();
      skipped.pop_back();
      if (done_[d]) continue;
      MarkDone(d);
      for (size_t next : dependents_[d]) {
        if (!done_[next]) skipped.push_back(next);
      }
    }
  }

  absl::Status Result() {
    absl::MutexLock lock(&mu_);
    for (const auto& r : results_) {
      if (!r.ok()) return r;
    }
    if (finished_ < results_.size()) {
      return absl::InternalError("RunAfter: the prerequisites form a cycle");
    }
    return absl::OkStatus();
  }

 private:
  void MarkDone(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    done_[i] = true;
    ++finished_;
  }
  bool CanMove() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !ready_.empty() || finished_ == results_.size() || running_ == 0;
  }

  absl::Mutex mu_;
  std::vector<absl::Status> results_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<size_t>> dependents_;  // read-only after construction
  std::vector<size_t> waiting_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> done_ ABSL_GUARDED_BY(mu_);
  std::deque<size_t> ready_ ABSL_GUARDED_BY(mu_);
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::Status RunAfter(size_t n, const std::vector<std::vector<size_t>>& after, size_t parallelism,
                      const std::function<absl::Status(size_t)>& work) {
  Schedule schedule(n, after);
  RunOnThreads(std::min(n, parallelism), [&] {
    size_t i = 0;
    while (schedule.Next(&i)) schedule.Finish(i, work(i));
  });
  return schedule.Result();
}

}  // namespace envctl::reconcilers
