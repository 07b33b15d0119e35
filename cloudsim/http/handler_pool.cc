#include "cloudsim/http/handler_pool.h"

#include <utility>

namespace envctl::cloudsim {

HandlerPool::HandlerPool(int max_threads, absl::Duration idle_exit)
    : max_threads_(max_threads < 1 ? 1 : max_threads), idle_exit_(idle_exit) {}

HandlerPool::~HandlerPool() { Join(); }

void HandlerPool::ReapFinished() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done) {
      it->thread.join();  // it has set `done` as its last step under mu_
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void HandlerPool::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (joining_) return;
  queue_.push_back(std::move(task));
  ReapFinished();
  if (static_cast<size_t>(idle_) < queue_.size() && live_ < max_threads_) {
    workers_.emplace_back();
    Worker* worker = &workers_.back();
    ++live_;
    // The new thread takes mu_ before it reads `worker`, so this assignment is complete.
    worker->thread = std::thread([this, worker] { Run(worker); });
  }
}

void HandlerPool::Run(Worker* self) {
  mu_.Lock();
  auto has_work = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || joining_; };
  while (true) {
    ++idle_;
    const bool woken = mu_.AwaitWithTimeout(absl::Condition(&has_work), idle_exit_);
    --idle_;
    if (queue_.empty()) {
      if (joining_ || !woken) break;
      continue;
    }
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    mu_.Unlock();
    task();
    task = nullptr;  // what the task captured goes before the lock is taken again
    mu_.Lock();
  }
  --live_;
  self->done = true;
  mu_.Unlock();
}

void HandlerPool::Join() {
  std::list<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    joining_ = true;
    auto all_ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_ == 0; };
    mu_.Await(absl::Condition(&all_ended));
    workers.swap(workers_);
  }
  for (Worker& w : workers) w.thread.join();
}

}  // namespace envctl::cloudsim
