// What IntegrationTest and PipelineRunTest share: the rerun rule, the run memory that
// makes a restart resume the same run, and the submit/poll steps of a run (never a wait).
//
// Memory of a test resource (never secrets):
//   {"testedHash": "<covered hash of the last finished run>", "runId": "<service run id>",
//    "result": "RUN_RESULT_FAILED", "covered": {"<resource>": "<its content hash>"},
//    "attempt": 0,
//    "pending": {"runId": "...", "hash": "<covered hash>", "submittedAt": <unix s>,
//                "deadline": <unix s>, "covered": {...}},
//    "intent": {"hash": "<covered hash>", "at": <unix s>}}
// `intent` is checkpointed right BEFORE a submit (a crash between the service accepting
// the run and `pending` being recorded leaves it, so the next apply looks the run up
// instead of starting a second one); `pending` right after the submit; both are cleared
// when the run finishes.
// Rerun rule: a run is due when testedHash differs from the current covered hash; a
// failed (or timed-out) run for the same hash is NOT rerun (no retry loop: change the
// content, or the test, to run again). Pure functions; thread-safe.
#ifndef ENVCTL_RECONCILERS_RUNS_RUN_SUPPORT_H_
#define ENVCTL_RECONCILERS_RUNS_RUN_SUPPORT_H_

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
  absl::Time deadline;  // submitted + the test's timeout
  Covered covered;      // what the run tests (hash and per-resource hashes)
};
std::optional<PendingRun> PendingFor(const nlohmann::json& memory, const std::string& covered);
// The pending run whatever content it was submitted for.
std::optional<PendingRun> AnyPending(const nlohmann::json& memory);

// Memory with `intent` set (to checkpoint right before submitting).
nlohmann::json WithIntent(const nlohmann::json& memory, const std::string& covered, absl::Time at);
// When an intent for `covered` was recorded and no run is pending: its time.
std::optional<absl::Time> IntentFor(const nlohmann::json& memory, const std::string& covered);

// Plan of a test: kRun (reason names what changed, or the run being resumed) or kNone.
Change PlanTestRun(const PriorState& prior, const Covered& covered);

// Memory with `pending` set (to checkpoint right after submitting).
nlohmann::json WithPending(const nlohmann::json& memory, const std::string& run_id,
                           const Covered& covered, absl::Time submitted, absl::Time deadline);
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
// The run key of the run SubmitTestRun is about to submit for `covered`: the idempotency
// token of the attempt it will use (a requested rerun is a new attempt).
std::string RunKeyFor(const Context& ctx, const std::string& covered);

// `timeout` when set and positive, else 30 minutes.
absl::Duration TimeoutOr(const google::protobuf::Duration& timeout, bool has_timeout);

// Test-only failpoint between a run's submit and the checkpoint of its id (the crash
// window exactly-once submission must survive): when set, called with the run id right
// after the service accepted the run; returning an error aborts Apply there, as a crash.
extern std::function<absl::Status(const std::string&)> g_after_submit_failpoint_for_test;

google::protobuf::Timestamp ToTimestamp(absl::Time t);

// What a test kind's service offers for one run; SubmitTestRun/PollTestRun do the rest.
struct RunBackend {
  // "notebook run", "pipeline run": for messages.
  std::string noun;
  // Submits a run: its id.
  std::function<absl::StatusOr<std::string>()> submit;
  // The run that submit created for this run key since `intent_at`, or "" when there is
  // none: after a crash between submit and checkpoint, and after a submit whose answer
  // was lost (the service may have acted). May be null when the service deduplicates
  // submissions itself (Databricks idempotency token: resubmitting returns the same run).
  std::function<absl::StatusOr<std::string>(absl::Time intent_at)> find_submitted;
  // One look at a run: the finished record (result, times, message, output; the common
  // fields are filled by PollTestRun), or nullopt while it goes on. NotFound when gone.
  std::function<absl::StatusOr<std::optional<envctl::v1::RunRecord>>(const PendingRun&)> check;
  std::function<absl::Status(const std::string& run_id)> cancel;
};

// Submits once: when the answer is lost (connection error, 500, 503: the service may
// have created the run) it looks for the run by its key before submitting again, at most
// `tries` submissions with a short backoff. Without find_submitted the error is returned
// as is (the transport already retried an idempotent submit). An error when the lookup
// fails too: the intent stays recorded, so the next apply looks again.
absl::StatusOr<std::string> SubmitExactlyOnce(Clock& clock, const RunBackend& backend,
                                              absl::Time intent_at, int tries = 3);

// Apply of a test kind: resumes the run pending for the covered content, or cancels an
// outdated pending run (content changed since) and submits a new one, recording the
// intent before and the run id right after (checkpoints). Never waits for the run:
// returns run_in_progress with the memory to keep.
absl::StatusOr<ApplyResult> SubmitTestRun(Context& ctx, Clock& clock, const Covered& covered,
                                          absl::Duration timeout, const RunBackend& backend);
// PollRun of a test kind: one check of the pending run; past its deadline, cancels it and
// records TIMED_OUT. NotFound when nothing is pending; a run that vanished is forgotten
// (checkpointed) and reported as an error so the next apply submits again.
absl::StatusOr<RunPoll> PollTestRun(Context& ctx, Clock& clock, const RunBackend& backend);

// "succeeded", "failed", "timed_out", ... for people and metric labels.
std::string RunResultText(envctl::v1::RunResult result);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RUNS_RUN_SUPPORT_H_
