// Engine: plans and applies one environment. It orders resources into dependency waves,
// reconciles each wave's members in parallel (bounded), applies drift policy (enforce /
// report / ignore), blocks the dependents of a failed resource while the rest go on,
// records progress in the state store after every resource (so an interrupted apply
// resumes), and prunes managed resources that left the spec in reverse dependency order
// behind a guard. Reconcilers do the per-kind work. One Engine may serve several
// environments, but Plan/Apply calls for the same environment must not overlap.
#ifndef ENVCTL_CONTROLLER_ENGINE_H_
#define ENVCTL_CONTROLLER_ENGINE_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
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
  std::vector<reconcilers::FieldChange> fields;
  std::string reason;
  // Error of Plan or Apply (message names the resource and the service's error).
  absl::Status status;
  // Set when a dependency failed: the failed dependency's name.
  std::string blocked_by;
  absl::Duration duration;
  bool applied = false;
  envctl::v1::RunRecord run;
};

struct EngineResult {
  std::string environment;
  std::vector<ResourceOutcome> resources;  // in wave order
  std::vector<ResourceOutcome> prunes;     // deletions (planned or done)
  // Prune refused by the guard (message says why and which flag allows it).
  absl::Status prune_status;
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
};

// Returns the names of the resources `resource` depends on (explicit and implied).
using DependencyFn = std::function<std::set<std::string>(const envctl::v1::Resource&)>;

class Engine {
 public:
  Engine(const ReconcilerRegistry& registry, StateStore& store, Clock& clock,
         DependencyFn dependencies);

  // Reads live state and reports what Apply would do. Writes nothing (not even state).
  absl::StatusOr<EngineResult> Plan(const envctl::v1::Environment& env,
                                    const EngineOptions& options = {});
  // Converges live state to the spec. Error status only for whole-environment failures
  // (bad graph, state store unreadable); per-resource failures are in the result.
  absl::StatusOr<EngineResult> Apply(const envctl::v1::Environment& env,
                                     const EngineOptions& options = {});

 private:
  absl::StatusOr<EngineResult> Run(const envctl::v1::Environment& env,
                                   const EngineOptions& options, bool apply);

  const ReconcilerRegistry& registry_;
  StateStore& store_;
  Clock& clock_;
  DependencyFn dependencies_;
};

// "StorageAccount" for a Resource with storage_account set; "" when no kind is set.
std::string KindOf(const envctl::v1::Resource& resource);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_ENGINE_H_
