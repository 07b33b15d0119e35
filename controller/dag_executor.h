// DagExecutor: runs the nodes of dependency graphs, each node the moment its own
// dependencies are done (never waiting for a whole "wave"). One executor is shared by
// every environment of a process so they converge at once, with three bounds:
//   - per graph run: at most `parallelism` of its nodes active at a time;
//   - per service (arm, keyvault, datafactory, databricks): at most N active across all
//     runs, so one service is never flooded by many environments;
//   - fairness: ready nodes are taken round-robin across the runs in progress, so one
//     large environment cannot starve the others.
// A node that only waits (a submitted test run polled until it ends) calls
// NodeContext::Release() to give its slots back while it waits; a node sleeping out a
// Retry-After lends them with Suspend() and takes them back with Resume(). Threads are created on
// demand and the idle ones are kept up to a small number; there is no thread per wave
// or per environment. Thread-safe; Run() may be called from many threads at once.
#ifndef ENVCTL_CONTROLLER_DAG_EXECUTOR_H_
#define ENVCTL_CONTROLLER_DAG_EXECUTOR_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace envctl::controller {

struct DagExecutorOptions {
  // Active nodes per service across every run ("" = no service, unbounded).
  std::map<std::string, int> service_limits = {
      {"arm", 16}, {"keyvault", 8}, {"datafactory", 8}, {"databricks", 8}};
  // Idle threads kept for the next nodes; more are created on demand.
  int max_idle_threads = 8;
};

class DagExecutor {
 public:
  // What a running node may do besides its work.
  class NodeContext {
   public:
    // Gives back this node's parallelism and service slots (the node now only waits).
    // Idempotent.
    virtual void Release() = 0;
    // Lends this node's slots while it waits (a Retry-After), then takes them back:
    // Resume blocks until its run and its service have room again, ahead of any node not
    // yet started. No-ops after Release(); Suspend/Resume pairs must not nest.
    virtual void Suspend() = 0;
    virtual void Resume() = 0;

   protected:
    ~NodeContext() = default;
  };

  struct Graph {
    // Every node and the nodes it depends on (all of them must be keys too).
    std::map<std::string, std::set<std::string>> deps;
    // Active nodes of this run at a time (>= 1).
    int parallelism = 4;
    // The service a node talks to (for the per-service bound); may be null.
    std::function<std::string(const std::string&)> service_of;
  };

  explicit DagExecutor(DagExecutorOptions options = {});
  ~DagExecutor();
  DagExecutor(const DagExecutor&) = delete;
  DagExecutor& operator=(const DagExecutor&) = delete;

  // Runs `work(node, ctx)` once for every node of `graph`, a node only after all its
  // dependencies' work returned, and blocks until every node ran. `work` must not throw
  // (the engine catches at the reconciler boundary); a node whose dependency failed is
  // still handed to `work`, which decides to skip it. The graph must be acyclic.
  void Run(const Graph& graph, const std::function<void(const std::string&, NodeContext&)>& work);

  // Threads alive now (tests and the benchmark's RSS figures).
  int ThreadsForTest();
  // Suspended nodes waiting in Resume() for their slots now.
  int ResumingForTest();

 private:
  struct RunState;
  struct Task {
    RunState* run;
    std::string node;
    std::string service;
  };
  class TaskContext;

  void WorkerLoop();
  // Picks the next dispatchable task, round-robin over runs; false when none.
  bool TakeTask(Task* task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeSpawn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finish(const Task& task, bool released) ABSL_LOCKS_EXCLUDED(mu_);
  void ReleaseSlots(const Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `task`'s run and service have room for one more active node.
  bool HasRoom(const Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int LimitOf(const std::string& service) const;

  const DagExecutorOptions options_;
  absl::Mutex mu_;
  absl::CondVar work_cv_;
  std::vector<RunState*> runs_ ABSL_GUARDED_BY(mu_);  // runs with ready nodes, round-robin
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> service_active_ ABSL_GUARDED_BY(mu_);
  // Suspended nodes waiting in Resume() for a slot of this service: they go first.
  std::map<std::string, int> service_resuming_ ABSL_GUARDED_BY(mu_);
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  int threads_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> exited_ ABSL_GUARDED_BY(mu_);  // joined lazily
  std::map<std::thread::id, std::thread> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_DAG_EXECUTOR_H_
