// Reconciler: the per-kind logic that makes one declared resource equal to live state.
// Every kind follows the same three steps: observe live state -> normalize and diff
// against the spec (Plan, no writes) -> act on the difference (Apply). The controller's
// engine owns ordering, drift policy, failure blocking, prune and status; reconcilers
// own only their kind's API calls and normalization rules (which live beside them).
// Implementations must be safe to call concurrently for different resources.
#ifndef ENVCTL_RECONCILERS_RECONCILER_H_
#define ENVCTL_RECONCILERS_RECONCILER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"
#include "nlohmann/json.hpp"
#include "reconcilers/outputs.h"

namespace envctl::reconcilers {

enum class Action {
  kNone,    // live equals desired
  kCreate,  // live object missing
  kUpdate,  // live object differs (fields say how)
  kDelete,  // managed object left the spec (prune) or a sub-object must go
  kRun,     // a test run is due (covered content changed)
};

// "none", "create", "update", "delete", "run": the name plans, logs and events use.
inline const char* ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "none";
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kDelete:
      return "delete";
    case Action::kRun:
      return "run";
  }
  return "none";
}

// One field that differs. Values are JSON text; sensitive ones are rendered "(sensitive)".
struct FieldChange {
  std::string path;
  std::string old_value;
  std::string new_value;
  bool sensitive = false;
};

// What Plan found. `observed` carries whatever Apply needs from the observation (live
// JSON, etags, ids) so Apply does not read twice.
struct Change {
  Action action = Action::kNone;
  std::vector<FieldChange> fields;
  // Short human reason, e.g. "covered content changed" or "rotated key".
  std::string reason;
  // Whether the live object exists.
  bool exists = false;
  // The live object's id as Plan read it (an ARM resource id), "" when unknown. Recorded
  // for a resource that is in sync and so never applied (adopted, or a state rebuilt), so
  // a cloud event naming that id still finds it.
  std::string external_id;
  // The live object exists without envctl's managed-by marker for this environment:
  // someone else made it, and applying adopts it.
  bool foreign = false;
  nlohmann::json observed;
  // What plan calls the action when create/update says too little, e.g. "recover" or
  // "purge-and-set" for a soft-deleted secret ("" = the action's own name).
  std::string label;
  // A test kind: the run for this content was submitted earlier and has not ended, so
  // there is nothing to write, only a result to wait for (in sync while it runs).
  bool resumes_run = false;
  // Set by the engine before Apply: the resource's ignoreDifferences paths (its own and
  // its kind's). `fields` no longer holds changes at these paths; a write that carries
  // one of them anyway (a whole tags map, a full PUT) must keep the live value there
  // (reconcilers/ignored_fields.h).
  std::vector<std::string> ignored_paths;
  // When set and nothing is written (live is in sync, or its only differences are
  // ignored), replaces the recorded PriorState::memory in an apply: the change poll's new
  // baseline (notebook times, a job's settings hash), so a look that found a change Plan
  // then judged in sync does not find it again on every poll.
  nlohmann::json memory;
};

// What the previous applies recorded about this resource (from the status store).
struct PriorState {
  // Desired hash of the last successful apply.
  std::string applied_hash;
  // Whether envctl applied this resource successfully before.
  bool applied_before = false;
  // Free-form per-kind memory, e.g. a test's last tested hash, a secret's source digest,
  // the set of notebook paths deployed. Never holds secret values.
  nlohmann::json memory;
  // Test kinds: a user asked for a run now (RunIntegrationTest), so run even though the
  // covered content was already tested.
  bool rerun_requested = false;
};

struct Context {
  const envctl::v1::Environment& environment;
  const envctl::v1::Resource& resource;
  // Loaded files and content hash of this resource.
  const envctl::v1::ResourceContent& content;
  Outputs& outputs;
  const PriorState& prior;
  Clock& clock;
  // Reports progress of long work ("waiting for run 42: RUNNING").
  std::function<void(const std::string&)> progress = [](const std::string&) {};
  // Persists `memory` as this resource's PriorState::memory right away, before Apply
  // returns: a test records its submitted run id here so a crash mid-wait resumes the
  // same run instead of starting another.
  std::function<absl::Status(const nlohmann::json&)> checkpoint = [](const nlohmann::json&) {
    return absl::OkStatus();
  };
};

struct ApplyResult {
  // Azure resource id, workspace path or run id.
  std::string external_id;
  // Replaces PriorState::memory for the next apply.
  nlohmann::json memory;
  // For test kinds: the run that was made.
  envctl::v1::RunRecord run;
  // Test kinds: the run was submitted (its id is in `memory`, already checkpointed) and
  // has not ended; PollRun() finishes it. `run` is not set yet.
  bool run_in_progress = false;
};

// One look at a submitted test run (PollRun).
struct RunPoll {
  bool done = false;
  // When done: the finished run and the memory to keep (as from Apply).
  ApplyResult result;
  // When not done: when the run was submitted (drives the polling schedule).
  absl::Time submitted;
};

// The next poll of a run that has been going for `elapsed`: about a tenth of it, between
// 1 s and 2 min, so a run's end is seen within ~10 % of its length.
absl::Duration RunPollDelay(absl::Duration elapsed);

class Reconciler {
 public:
  virtual ~Reconciler() = default;

  // Reads live state and diffs it against the spec. Never writes. When the object
  // exists, publishes its outputs to ctx.outputs so dependents can plan too. An output a
  // dependency has not produced yet is not an error for a create: plan shows the field as
  // "(known after apply)".
  virtual absl::StatusOr<Change> Plan(Context& ctx) = 0;

  // Makes live state equal to the spec given the planned change (kCreate/kUpdate/kRun),
  // publishing outputs. On failure returns the service's error with the resource named.
  virtual absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) = 0;

  // Deletes a managed resource that left the spec. `ctx.resource` is its last applied
  // spec. NotFound is success (already gone).
  virtual absl::Status Delete(Context& ctx) = 0;

  // Test kinds only: checks once on the run recorded in ctx.prior.memory ("pending"),
  // whatever content it was submitted for; past its timeout, cancels it and reports it
  // timed out. NotFound when nothing is pending. Never waits.
  virtual absl::StatusOr<RunPoll> PollRun(Context& ctx) {
    (void)ctx;
    return absl::UnimplementedError("this kind has no runs");
  }

  // A cheap look (one listing, no content reads) at whether live state moved since the
  // last apply recorded in ctx.prior.memory, for kinds no cloud event covers (Databricks
  // notebooks, jobs and job permissions). True means "plan me now"; Plan decides whether anything
  // differs. Unimplemented for kinds without such a look; FailedPrecondition when memory lacks what
  // the look needs (an apply by an older envctl).
  virtual absl::StatusOr<bool> ChangedSinceApply(Context& ctx) {
    (void)ctx;
    return absl::UnimplementedError("this kind has no change poll");
  }
};

// Renders a JSON value for a plan line ("(sensitive)" when asked).
std::string RenderValue(const nlohmann::json& value, bool sensitive = false);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RECONCILER_H_
