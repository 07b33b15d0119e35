// What IntegrationTest (runs/submit) and JobRunTest (run-now) share once a Databricks run
// is submitted: cancelling it, looking at it (RunBackend::cancel and ::check), and the
// workspace a pending run is polled on after a restart. The kinds differ only in how a
// finished run explains itself (`Explain`). Thread-safe as the JobsApi it is given.
#ifndef ENVCTL_RECONCILERS_RUNS_DATABRICKS_RUN_CHECK_H_
#define ENVCTL_RECONCILERS_RUNS_DATABRICKS_RUN_CHECK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cloud/databricks/jobs_api.h"
#include "envctl/v1/status.pb.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::reconcilers {

// RUN_RESULT_* of a finished run: SUCCESS, TIMEDOUT and CANCELED as such; a SKIPPED run
// and every other result (FAILED, INTERNAL_ERROR, UPSTREAM_*) failed.
envctl::v1::RunResult DatabricksRunResult(const cloud::databricks::Run& run);

// Fills `rec->output` / `rec->message` of a finished run `run_id` from what the run says
// about itself (its task outputs). A message left empty on a run that did not succeed
// becomes the run's state message.
using ExplainRun =
    std::function<void(cloud::databricks::JobsApi& jobs, int64_t run_id,
                       const cloud::databricks::Run& run, envctl::v1::RunRecord* rec)>;

// A RunBackend with `noun`, `cancel` and `check` set for runs of `jobs`; the caller sets
// `submit`. `check` reports "<noun> <id>: <life cycle state>" as progress while the run
// goes on; once it ended, a record with result, run page, start and end times and what
// `explain` adds. DataLoss when a recorded run id is not a number.
RunBackend DatabricksRunBackend(Context& ctx, cloud::databricks::JobsApi& jobs,
                                const std::string& noun, ExplainRun explain);

// The workspace a pending run of ctx.resource is polled on: `live` (the workspace's
// current URL) when known, else the one recorded with the run (memory.pending.workspaceUrl,
// so a run outlives a pass without the workspace's outputs); `live`'s error when neither.
absl::StatusOr<std::string> PendingRunWorkspaceUrl(const Context& ctx,
                                                   absl::StatusOr<std::string> live);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RUNS_DATABRICKS_RUN_CHECK_H_
