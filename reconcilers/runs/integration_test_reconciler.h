// IntegrationTestReconciler: runs a Databricks notebook as a one-time job run whenever
// the content it covers changes (run_support.h has the rerun rule and the memory).
//
// Apply submits jobs/runs/submit (notebook_task with the spec's parameters, a new job
// cluster from ClusterSpec with defaults, libraries by extension, see LibraryFor), with
// an idempotency token derived from environment, test, covered hash and attempt, and
// CHECKPOINTS the run id at once: an envctl restarted mid-run resumes polling that run
// instead of submitting another (and a retried submit returns the same run anyway).
// Apply never waits: PollRun looks at runs/get once; the engine (or the controller)
// schedules the polls. Past the spec timeout (default 30m) the run is cancelled and
// recorded TIMED_OUT; never an endless loop. The notebook's error (get-output `error`) becomes
// the run's message, its exit value the output. Progress: "run 123: RUNNING".
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_RUNS_INTEGRATION_TEST_RECONCILER_H_
#define ENVCTL_RECONCILERS_RUNS_INTEGRATION_TEST_RECONCILER_H_

#include <string>

#include "cloud/databricks/jobs_api.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::reconcilers {

// Defaults of the job cluster when ClusterSpec leaves a field empty.
inline constexpr char kDefaultSparkVersion[] = "13.3.x-scala2.12";
inline constexpr char kDefaultNodeType[] = "Standard_DS3_v2";

// The runs/submit library entry for a DBFS path: {"jar": p} for .jar, {"egg": p} for
// .egg, {"whl": p} for .whl ("dbfs:" prefix added when missing). Anything else (a .py
// module, say) is not a cluster library: InvalidArgument saying so.
absl::StatusOr<nlohmann::json> LibraryFor(const std::string& dbfs_path);

// The runs/submit body (without the idempotency token) for the spec; `outputs` resolve
// the output references in its parameters.
absl::StatusOr<nlohmann::json> SubmitBody(const envctl::v1::Environment& env,
                                          const Outputs& outputs, const std::string& test,
                                          const envctl::v1::IntegrationTestSpec& spec,
                                          absl::Duration timeout);

class IntegrationTestReconciler : public Reconciler {
 public:
  // `databricks`: CloudSession::Databricks().
  IntegrationTestReconciler(cloud::HttpTransport& databricks, Clock& clock)
      : transport_(databricks), clock_(clock) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::StatusOr<RunPoll> PollRun(Context& ctx) override;
  // Nothing to delete: runs are history.
  absl::Status Delete(Context& ctx) override;

 private:
  RunBackend BackendFor(Context& ctx, cloud::databricks::JobsApi& jobs) const;

  cloud::HttpTransport& transport_;
  Clock& clock_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RUNS_INTEGRATION_TEST_RECONCILER_H_
