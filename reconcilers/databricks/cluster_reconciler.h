// DatabricksClusterReconciler: an all-purpose cluster (Clusters API 2.1), tracked by the
// id envctl created it with (memory {"clusterId"}). Plan reads clusters/get and compares
// the configuration envctl manages (name, runtime, node types, workers or autoscale,
// Spark conf and env, tags, policy, autotermination; keys a policy or Databricks adds are
// not drift). Following Databricks' rules, an edit of a RUNNING cluster restarts it, and
// the plan's reason says so; a PENDING, RESTARTING or TERMINATING cluster cannot be
// edited (Apply fails with FailedPrecondition and the next sync retries). A new cluster
// is terminated right after creation unless `running`; a `running` cluster found
// TERMINATED is started. Delete is permanent-delete. Publishes `clusterId`.
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksClusterReconciler : public Reconciler {
 public:
  explicit DatabricksClusterReconciler(cloud::HttpTransport& databricks) : transport_(databricks) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_
