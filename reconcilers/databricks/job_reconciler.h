// DatabricksJobReconciler: a saved multi-task job (Jobs API 2.1+), tracked by the id
// envctl created it with (memory {"jobId"}). Plan reads jobs/get and compares the
// settings envctl manages in canonical form (compute_json.h: Databricks' defaults
// removed, tasks and job clusters sorted), so a schedule changed or paused by hand, a
// task edited or a tag added all show as drift. Apply creates the job or replaces its
// settings (jobs/reset); Delete deletes it. Notebook paths, library entries, cluster and
// policy ids come from the resources the spec names. Publishes `jobId`. Memory:
// {"jobId", "workspaceUrl", "settingsHash"} (the canonical live settings' hash after the
// last write or in-sync plan, for the change poll).
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_JOB_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_JOB_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksJobReconciler : public Reconciler {
 public:
  DatabricksJobReconciler(cloud::HttpTransport& databricks, Clock& clock)
      : transport_(databricks), clock_(clock) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;
  // Change poll: the job's settings hash in the workspace's one jobs listing of this poll
  // pass (jobs_listing.h) against the one recorded (memory "settingsHash"); a job gone
  // from the listing moved too.
  absl::StatusOr<bool> ChangedSinceApply(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
  Clock& clock_;  // waits between create attempts
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_JOB_RECONCILER_H_
