// DatabricksClusterReconciler: an all-purpose cluster (Clusters API 2.1), tracked by the
// id envctl created it with (memory {"clusterId"}). Plan reads clusters/get and compares
// the configuration envctl manages (name, runtime, node types, workers or autoscale,
// Spark conf and env, tags, policy, autotermination; keys a policy or Databricks adds are
// not drift). Following Databricks' rules, an edit of a RUNNING cluster restarts it, and
// the plan's reason says so; a PENDING, RESTARTING or TERMINATING cluster cannot be
// edited (Apply fails with FailedPrecondition and the next sync retries). A new cluster
// is terminated right after creation unless `running`; a `running` cluster found
// TERMINATED is started. clusters/create carries no idempotency key, so after a lost
// answer the new cluster is looked up (CreateOnce) before another create is sent.
// Delete is permanent-delete. Publishes `clusterId`.
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksClusterReconciler : public Reconciler {
 public:
  DatabricksClusterReconciler(cloud::HttpTransport& databricks, Clock& clock)
      : transport_(databricks), clock_(clock) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
  Clock& clock_;  // waits between create attempts
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_RECONCILER_H_
