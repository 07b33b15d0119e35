// DatabricksPermissionsReconciler: the access control list of one job, cluster, cluster
// policy, notebook or folder (Permissions API 2.0). envctl manages the principals the
// spec lists (and those it listed before: memory {"managed": ["group:x", ...]}, so a
// principal removed from the spec loses its entry); their direct levels are compared
// and repaired. Direct entries of other principals (the owner, grants made by hand) are
// kept on every write and named in the plan's reason, never removed; inherited entries
// are ignored. Apply PUTs the merged list; Delete (prune) PUTs the list without the
// managed principals. Memory: {"managed", "object", "workspaceUrl", "hint"} (hint: see
// ChangedSinceApply). Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_PERMISSIONS_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_PERMISSIONS_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksPermissionsReconciler : public Reconciler {
 public:
  explicit DatabricksPermissionsReconciler(cloud::HttpTransport& databricks)
      : transport_(databricks) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;
  // Change poll, a job's permissions only: Databricks' ACLs carry no change marker, so the
  // hint is the job's settings hash in the workspace's jobs listing of this poll pass
  // (shared with the job resources; no permissions read). A job edited, recreated or
  // deleted since the last plan of these permissions means "plan me now"; a grant changed
  // by hand with the job untouched is found by the next resync. Unimplemented for other
  // objects.
  absl::StatusOr<bool> ChangedSinceApply(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_PERMISSIONS_RECONCILER_H_
