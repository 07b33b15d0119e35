// Engine: plans and applies one environment. Plan, apply, prune and destroy are phases
// over one DagExecutor: each resource starts the moment its own dependencies are done
// (waves are only how a plan is printed). It applies drift policy (enforce / report /
// ignore), blocks the dependents of a failed resource while the rest go on, records
// progress in the state store after every resource (so an interrupted apply resumes),
// and prunes managed resources that left the spec, dependents first, behind a guard.
// An exception escaping a reconciler is that resource's failure, never a crash.
// Test runs: Apply submits them; with wait_for_runs the engine polls each run on a
// bounded-lag schedule without holding an executor slot; without it (the controller)
// the run is recorded in progress and PollRuns() finishes it later. Reconcilers do the
// per-kind work. One Engine may serve several environments at once (they share the
// executor), but Plan/Apply/PollRuns calls for the same environment must not overlap.
#ifndef ENVCTL_CONTROLLER_ENGINE_H_
#define ENVCTL_CONTROLLER_ENGINE_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controller/dag_executor.h"
#include "controller/state_store.h"
#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/registry.h"

namespace envctl::controller {

using reconcilers::ReconcilerRegistry;

// The result for one resource in a plan or apply.
struct ResourceOutcome {
  std::string name;
  std::string kind;
  int wave = 0;
  reconcilers::Action action = reconcilers::Action::kNone;
  // Live state differs from a spec that did not change since the last apply.
  bool drift = false;
  // Drift under the report policy: shown, never repaired.
  bool reported_only = false;
  // The live object exists but envctl never applied it: this apply adopts it (recorded so
  // prune leaves it in place unless its spec says `deletionPolicy: delete`).
  bool adopt = false;
  // The reconciler's name for the action ("recover", "purge-and-set"), "" for the default.
  std::string label;
  std::vector<reconcilers::FieldChange> fields;
  std::string reason;
  // Error of Plan or Apply (message names the resource and the service's error).
  absl::Status status;
  // Set when a dependency failed: the failed dependency's name.
  std::string blocked_by;
  absl::Duration duration;
  // When the resource's work started and ended (critical path, benchmark).
  absl::Time started;
  absl::Time finished;
  bool applied = false;
  envctl::v1::RunRecord run;
  // A test run was submitted and has not ended (controller mode); `run` is not final.
  bool run_in_progress = false;
  std::string run_external_id;
};

struct EngineResult {
  std::string environment;
  std::vector<ResourceOutcome> resources;  // in wave order
  std::vector<ResourceOutcome> prunes;     // deletions (planned or done)
  // Prune refused by the guard (message says why and which flag allows it).
  absl::Status prune_status;
  // Runs still in progress: when to look at them next (InfiniteFuture: none).
  absl::Time next_run_poll = absl::InfiniteFuture();
  // The dependency chain that bounded the apply (first to last) and its length.
  std::vector<std::string> critical_path;
  absl::Duration critical_path_duration;
  // No errors and no blocked resources.
  bool ok() const;
  // True when nothing would be created, updated, deleted or run (reported drift aside).
  bool InSync() const;
};

enum class Phase { kStarted, kFinished };

struct EngineOptions {
  // Delete-guard override (--allow-mass-prune).
  bool allow_mass_prune = false;
  // Called as each resource starts and finishes (CLI progress lines, events).
  std::function<void(Phase, const ResourceOutcome&)> on_progress;
  // Called for long-running work inside a reconciler (resource, message).
  std::function<void(const std::string&, const std::string&)> on_detail;
  // Test resources to run even when their covered content was already tested.
  std::set<std::string> rerun_tests;
  // Teardown (`envctl destroy`): nothing declared is applied; every managed resource in
  // the inventory is deleted in reverse dependency order, whatever sync.prune says. The
  // delete guard still applies unless allow_mass_prune.
  bool destroy = false;
  // Apply waits for submitted test runs to end (the CLI). False in the controller: a run
  // is recorded in progress and PollRuns() finishes it, so no sync waits on a run.
  bool wait_for_runs = true;
  // Event-driven repair: only these resources are reconciled; their dependencies are
  // observed (for outputs) and never written; no prune. The status of other resources is
  // kept as it was. Empty: the whole environment.
  std::set<std::string> targets;
  // Correlation id of this sync: on every log line of the pass and, as
  // x-ms-client-request-id, on every cloud request (set per resource task on the
  // executor thread that runs it, see common/log.h). "" = none.
  std::string sync_id;
};

// Returns the names of the resources `resource` depends on (explicit and implied).
using DependencyFn = std::function<std::set<std::string>(const envctl::v1::Resource&)>;

class Engine {
 public:
  // `executor` is shared by every environment of the process; null: the engine owns one.
  Engine(const ReconcilerRegistry& registry, StateStore& store, Clock& clock,
         DependencyFn dependencies, DagExecutor* executor = nullptr);

  // Reads live state and reports what Apply would do. Writes nothing (not even state).
  absl::StatusOr<EngineResult> Plan(const envctl::v1::Environment& env,
                                    const EngineOptions& options = {});
  // Converges live state to the spec. Error status only for whole-environment failures
  // (bad graph, state store unreadable); per-resource failures are in the result.
  absl::StatusOr<EngineResult> Apply(const envctl::v1::Environment& env,
                                     const EngineOptions& options = {});
  // Looks once at every test run recorded in progress for `env`; finished runs are
  // recorded (state, run records, Tested condition). The result lists the runs looked at
  // (run_in_progress for those still going) and when to look next.
  absl::StatusOr<EngineResult> PollRuns(const envctl::v1::Environment& env,
                                        const EngineOptions& options = {});

  // The managed resources of `env` whose kind has a cheap change look
  // (Reconciler::ChangedSinceApply) and whose live state moved since their last apply.
  // Resources whose look fails are left out (the resync still covers them).
  absl::StatusOr<std::vector<std::string>> ChangedSinceApply(const envctl::v1::Environment& env);

  DagExecutor& executor() { return *executor_; }

 private:
  struct Pass;
  absl::StatusOr<EngineResult> Run(const envctl::v1::Environment& env, const EngineOptions& options,
                                   bool apply);
  void Reconcile(Pass& pass, const std::string& name, DagExecutor::NodeContext& node);
  // Waits for a submitted run of `name` to end, polling on the bounded-lag schedule.
  void AwaitRun(Pass& pass, const std::string& name, reconcilers::Reconciler& reconciler,
                reconcilers::Context& ctx, reconcilers::ApplyResult* applied, ResourceOutcome& o);
  absl::Status Prune(Pass& pass, EngineResult& result);

  const ReconcilerRegistry& registry_;
  StateStore& store_;
  Clock& clock_;
  DependencyFn dependencies_;
  std::unique_ptr<DagExecutor> owned_executor_;
  DagExecutor* executor_;
};

// The service a kind talks to ("arm", "keyvault", "datafactory", "databricks").
std::string ServiceOf(const envctl::v1::Resource& resource);

// The chain of dependencies that ended last: walks back from the resource that finished
// last through the dependency that finished last before it started.
std::vector<std::string> CriticalPath(const std::vector<ResourceOutcome>& outcomes,
                                      const std::map<std::string, std::set<std::string>>& deps);

// "StorageAccount" for a Resource with storage_account set; "" when no kind is set.
std::string KindOf(const envctl::v1::Resource& resource);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_ENGINE_H_
