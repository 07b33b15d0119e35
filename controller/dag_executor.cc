#include "controller/dag_executor.h"

#include <algorithm>

namespace envctl::controller {

struct DagExecutor::RunState {
  const Graph* graph = nullptr;
  const std::function<void(const std::string&, NodeContext&)>* work = nullptr;
  std::map<std::string, int> waiting_on;  // node -> dependencies not finished yet
  std::map<std::string, std::vector<std::string>> dependents;
  std::deque<std::string> ready;
  int active = 0;
  int resuming = 0;  // suspended nodes waiting in Resume() for a slot
  size_t finished = 0;
  absl::CondVar done_cv;
};

class DagExecutor::TaskContext : public DagExecutor::NodeContext {
 public:
  TaskContext(DagExecutor& executor, const Task& task) : executor_(executor), task_(task) {}
  void Release() override {
    absl::MutexLock lock(&executor_.mu_);
    if (released_) return;
    released_ = true;
    executor_.ReleaseSlots(task_);
    executor_.MaybeSpawn();
  }
  void Suspend() override {
    absl::MutexLock lock(&executor_.mu_);
    if (released_ || suspended_) return;
    suspended_ = true;
    executor_.ReleaseSlots(task_);
    executor_.MaybeSpawn();
  }
  void Resume() override {
    absl::MutexLock lock(&executor_.mu_);
    if (released_ || !suspended_) return;
    ++task_.run->resuming;
    ++executor_.service_resuming_[task_.service];
    while (!executor_.HasRoom(task_)) executor_.work_cv_.Wait(&executor_.mu_);
    --task_.run->resuming;
    --executor_.service_resuming_[task_.service];
    ++task_.run->active;
    ++executor_.service_active_[task_.service];
    suspended_ = false;
  }
  bool released() {
    absl::MutexLock lock(&executor_.mu_);
    return released_;
  }

 private:
  DagExecutor& executor_;
  const Task& task_;
  bool released_ = false;   // guarded by executor_.mu_
  bool suspended_ = false;  // guarded by executor_.mu_
};

DagExecutor::DagExecutor(DagExecutorOptions options) : options_(std::move(options)) {}

DagExecutor::~DagExecutor() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    work_cv_.SignalAll();
  }
  // Workers only exit through the idle path once stopping_ is set; wait for all of them.
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* threads) { return *threads == 0; }, &threads_));
    threads.swap(exited_);
    for (auto& [id, t] : live_) threads.push_back(std::move(t));
    live_.clear();
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

int DagExecutor::LimitOf(const std::string& service) const {
  // "keyvault/dev" is bounded like "keyvault" (one bound per vault, not one for all).
  auto it = options_.service_limits.find(service.substr(0, service.find('/')));
  return it == options_.service_limits.end() ? 0 : it->second;
}

int DagExecutor::ThreadsForTest() {
  absl::MutexLock lock(&mu_);
  return threads_;
}

int DagExecutor::ResumingForTest() {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [service, count] : service_resuming_) n += count;
  return n;
}

void DagExecutor::Run(const Graph& graph,
                      const std::function<void(const std::string&, NodeContext&)>& work) {
  if (graph.deps.empty()) return;
  RunState run;
  run.graph = &graph;
  run.work = &work;
  for (const auto& [node, deps] : graph.deps) {
    run.waiting_on[node] = static_cast<int>(deps.size());
    for (const std::string& d : deps) run.dependents[d].push_back(node);
    if (deps.empty()) run.ready.push_back(node);
  }
  absl::MutexLock lock(&mu_);
  runs_.push_back(&run);
  MaybeSpawn();
  while (run.finished < graph.deps.size()) run.done_cv.Wait(&mu_);
  runs_.erase(std::remove(runs_.begin(), runs_.end(), &run), runs_.end());
}

bool DagExecutor::TakeTask(Task* task) {
  const size_t n = runs_.size();
  for (size_t k = 0; k < n; ++k) {
    RunState* run = runs_[(cursor_ + k) % n];
    if (run->ready.empty() || run->resuming > 0 ||
        run->active >= std::max(1, run->graph->parallelism)) {
      continue;
    }
    for (auto it = run->ready.begin(); it != run->ready.end(); ++it) {
      std::string service = run->graph->service_of ? run->graph->service_of(*it) : "";
      const int limit = LimitOf(service);
      if (limit > 0 && (service_active_[service] >= limit || service_resuming_[service] > 0))
        continue;
      task->run = run;
      task->node = *it;
      task->service = std::move(service);
      run->ready.erase(it);
      ++run->active;
      ++service_active_[task->service];
      cursor_ = (cursor_ + k + 1) % n;  // the next pick starts after this run: fairness
      return true;
    }
  }
  return false;
}

bool DagExecutor::HasRoom(const Task& task) {
  if (task.run->active >= std::max(1, task.run->graph->parallelism)) return false;
  const int limit = LimitOf(task.service);
  return limit <= 0 || service_active_[task.service] < limit;
}

void DagExecutor::ReleaseSlots(const Task& task) {
  --task.run->active;
  --service_active_[task.service];
  work_cv_.SignalAll();
}

void DagExecutor::MaybeSpawn() {
  // Wake an idle worker, or create one when none is idle and something can be dispatched.
  if (idle_ > 0) {
    // All: a node waiting in Resume() shares the condition and must not swallow the wake.
    work_cv_.SignalAll();
    return;
  }
  bool dispatchable = false;
  for (RunState* run : runs_) {
    if (!run->ready.empty() && run->active < std::max(1, run->graph->parallelism)) {
      dispatchable = true;
      break;
    }
  }
  if (!dispatchable || stopping_) return;
  // Threads that exited gave up mu_ for good before their handle was left here.
  for (auto& t : exited_) t.join();
  exited_.clear();
  ++threads_;
  std::thread t([this] { WorkerLoop(); });
  live_.emplace(t.get_id(), std::move(t));
}

void DagExecutor::Finish(const Task& task, bool released) {
  absl::MutexLock lock(&mu_);
  RunState* run = task.run;
  if (!released) ReleaseSlots(task);
  for (const std::string& dependent : run->dependents[task.node]) {
    if (--run->waiting_on[dependent] == 0) run->ready.push_back(dependent);
  }
  ++run->finished;
  if (run->finished == run->graph->deps.size()) run->done_cv.SignalAll();
  work_cv_.SignalAll();
}

void DagExecutor::WorkerLoop() {
  mu_.Lock();
  while (true) {
    Task task;
    if (TakeTask(&task)) {
      // More may be dispatchable than this thread can take: let another start too.
      MaybeSpawn();
      mu_.Unlock();
      TaskContext ctx(*this, task);
      (*task.run->work)(task.node, ctx);
      Finish(task, ctx.released());
      mu_.Lock();
      continue;
    }
    if (stopping_ || idle_ >= options_.max_idle_threads) break;
    ++idle_;
    work_cv_.Wait(&mu_);
    --idle_;
  }
  // Exit: hand this thread's handle to whoever joins next.
  auto self = live_.find(std::this_thread::get_id());
  if (self != live_.end()) {
    exited_.push_back(std::move(self->second));
    live_.erase(self);
  }
  --threads_;
  mu_.Unlock();
}

}  // namespace envctl::controller
