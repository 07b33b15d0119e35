// What IntegrationTest and PipelineRunTest share: the rerun rule, the run memory that
// makes a restart resume the same run, and bounded polling on the injected Clock.
//
// Memory of a test resource (never secrets):
//   {"testedHash": "<covered hash of the last finished run>", "runId": "<service run id>",
//    "result": "RUN_RESULT_FAILED", "covered": {"<resource>": "<its content hash>"},
//    "attempt": 0,
//    "pending": {"runId": "...", "hash": "<covered hash>", "submittedAt": <unix s>}}
// `pending` is checkpointed right after a run is submitted and cleared when it finishes.
// Rerun rule: a run is due when testedHash differs from the current covered hash; a
// failed (or timed-out) run for the same hash is NOT rerun (no retry loop: change the
// content, or the test, to run again). Pure functions; thread-safe.
#ifndef ENVCTL_RECONCILERS_TESTS_RUN_SUPPORT_H_
#define ENVCTL_RECONCILERS_TESTS_RUN_SUPPORT_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/repeated_field.h"
#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

struct PollOptions {
  absl::Duration initial = absl::Milliseconds(200);
  absl::Duration max = absl::Seconds(10);
};

// The covered hash and the per-resource content hashes it was made of.
struct Covered {
  std::string hash;
  nlohmann::json per_resource;  // {"notebooks": "<content hash>", ...}
};
Covered CoveredOf(const envctl::v1::Environment& env, const std::string& test,
                  const google::protobuf::RepeatedPtrField<std::string>& covers);

// A run submitted for `covered` whose result is not recorded yet.
struct PendingRun {
  std::string run_id;
  absl::Time submitted;
};
std::optional<PendingRun> PendingFor(const nlohmann::json& memory, const std::string& covered);

// Plan of a test: kRun (reason names what changed, or the run being resumed) or kNone.
Change PlanTestRun(const PriorState& prior, const Covered& covered);

// Memory with `pending` set (to checkpoint right after submitting).
nlohmann::json WithPending(const nlohmann::json& memory, const std::string& run_id,
                           const std::string& covered, absl::Time submitted);
// Memory after a finished run: testedHash/runId/result/covered set, pending cleared.
nlohmann::json Finished(const nlohmann::json& memory, const Covered& covered,
                        const std::string& run_id, envctl::v1::RunResult result);
// Memory after the pending run vanished: pending cleared, attempt bumped (a new
// idempotency token), testedHash left as it was so the next apply submits again.
nlohmann::json Abandoned(const nlohmann::json& memory);
int AttemptOf(const nlohmann::json& memory);

// ≤ 64 characters, the same for the same environment, test, covered hash and attempt.
std::string IdempotencyToken(const envctl::v1::Environment& env, const std::string& test,
                             const std::string& covered, int attempt);

// `timeout` when set and positive, else 30 minutes.
absl::Duration TimeoutOr(const google::protobuf::Duration& timeout, bool has_timeout);

// Calls `poll` until it reports done, sleeping on `clock` with a doubling interval
// (initial .. max) and never past `deadline`. Returns true when done, false when the
// deadline passed first; a poll error is returned as is. Bounded even if a clock does
// not advance (at most 100000 polls).
absl::StatusOr<bool> PollUntil(Clock& clock, absl::Time deadline, const PollOptions& options,
                               const std::function<absl::StatusOr<bool>()>& poll);

google::protobuf::Timestamp ToTimestamp(absl::Time t);

// "succeeded", "failed", "timed_out", ... for people and metric labels.
std::string RunResultText(envctl::v1::RunResult result);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_TESTS_RUN_SUPPORT_H_
