// JobRunTestReconciler: runs a declared DatabricksJob now (jobs/run-now) as a test,
// whenever the content it covers changes: the job, every notebook, library, cluster and
// policy the job names (compute_json.h JobInputs) and `covers`. Same rerun rule, memory,
// exactly-once submission (a run-now idempotency token derived from environment, test,
// covered hash and attempt) and terminal-state handling as IntegrationTest
// (run_support.h). The run's message is the first failed task's error. Never waits:
// PollRun looks at runs/get once. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_RUNS_JOB_RUN_TEST_RECONCILER_H_
#define ENVCTL_RECONCILERS_RUNS_JOB_RUN_TEST_RECONCILER_H_

#include "cloud/databricks/jobs_api.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::reconcilers {

// What a JobRunTest covers: its job, the job's inputs and its own `covers`.
Covered JobRunTestCovered(const envctl::v1::Environment& env, const envctl::v1::Resource& test);

class JobRunTestReconciler : public Reconciler {
 public:
  JobRunTestReconciler(cloud::HttpTransport& databricks, Clock& clock)
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

#endif  // ENVCTL_RECONCILERS_RUNS_JOB_RUN_TEST_RECONCILER_H_
