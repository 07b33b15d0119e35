// Promotion: which revision of the source each environment runs, as a pure state machine
// over the environment's persisted PromotionStatus (status.proto). No I/O, no clock of its
// own (the caller passes `now`), so every rule is unit-tested on plain values.
//
// - An environment without `promotion.from` follows the newest revision of the source.
// - With `from: U` it adopts U's verified revision: the newest revision U converged on
//   with every IntegrationTest and PipelineRunTest of U passed on exactly it.
// - `requireApproval` holds a revision until Approve() names it.
// - A pin (Pin(), from Rollback) holds the environment on the pinned revision until Unpin().
// - A closed sync window holds any change of revision.
// Whatever holds a revision back is said in `waiting_for`, next to `pending_revision`.
// Not thread-safe: callers serialize per environment (the controller holds its run lock).
#ifndef ENVCTL_CONTROLLER_PROMOTION_H_
#define ENVCTL_CONTROLLER_PROMOTION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller {

// History entries kept per environment.
inline constexpr int kMaxRevisionHistory = 20;

// What an environment's state says about the revision it last synced.
struct EnvironmentFacts {
  // The revision these facts are about.
  std::string revision;
  // The last full sync on `revision` converged.
  bool converged = false;
  // The last full sync on `revision` finished with errors.
  bool sync_failed = false;
  // Every enabled IntegrationTest and PipelineRunTest of the environment on `revision`.
  std::vector<envctl::v1::TestOutcome> tests;
};

// Reads the facts out of `state` for the environment `spec` (the spec of the revision it
// runs): converged when the last sync of spec.revision() succeeded; each test RUNNING while
// its run goes on, FAILED when it failed, SUCCEEDED when it passed (or its content did not
// change since it last passed).
EnvironmentFacts FactsOf(const envctl::v1::Environment& spec,
                         const envctl::v1::EnvironmentState& state);

struct PromotionInputs {
  // The environment's name and its rules (from the newest revision of the source).
  std::string environment;
  envctl::v1::PromotionPolicy policy;
  // The newest revision of the source.
  std::string newest_revision;
  // The upstream environment's promotion status when policy.from is set (nullptr: unknown).
  const envctl::v1::PromotionStatus* upstream = nullptr;
  // False while a sync window forbids writes; `window_reason` says which and until when.
  bool writes_allowed = true;
  std::string window_reason;
};

// Decides the revision the environment runs and updates `status`: revision,
// pending_revision, waiting_for, and a new history entry (consuming its approval) when it
// adopts a revision. Returns true when the revision changed.
bool Decide(const PromotionInputs& in, absl::Time now, envctl::v1::PromotionStatus* status);

// Records `facts` about status->revision(): the history entry's outcome and tests,
// `verification`, and `verified_revision` once converged with every test passed. Facts
// about another revision are ignored. Returns true when verified_revision changed.
bool RecordFacts(const EnvironmentFacts& facts, envctl::v1::PromotionStatus* status);

// Records an approval of `revision` by `by`. InvalidArgument when `revision` is empty.
absl::Status Approve(const std::string& revision, const std::string& by, absl::Time now,
                     envctl::v1::PromotionStatus* status);

// Pins the environment to `revision` (Rollback) / removes the pin.
void Pin(const std::string& revision, const std::string& by, envctl::v1::PromotionStatus* status);
void Unpin(envctl::v1::PromotionStatus* status);

// True when `revision` is in the environment's history.
bool InHistory(const envctl::v1::PromotionStatus& status, const std::string& revision);

// Why `status` holds a pending revision back, as a metric label: "upstream" (not verified
// upstream yet, or failed there), "approval", "sync_window", "pinned"; "" when nothing waits.
std::string WaitingReason(const envctl::v1::PromotionStatus& status);

// Every value WaitingReason returns but "".
inline constexpr const char* kWaitingReasons[] = {"upstream", "approval", "sync_window", "pinned"};

// The first 12 characters of a revision, for messages.
std::string ShortRevision(const std::string& revision);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_PROMOTION_H_
