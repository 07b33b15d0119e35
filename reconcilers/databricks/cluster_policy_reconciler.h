// DatabricksClusterPolicyReconciler: a cluster policy (Cluster Policies API 2.0), tracked
// by the id envctl created it with (memory {"policyId"}). Plan reads policies/clusters/get
// and compares name, definition (as JSON, so formatting and key order do not matter),
// description and max_clusters_per_user; a policy deleted out of band is created again.
// Apply creates or edits; Delete removes it. Publishes the `policyId` output.
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_POLICY_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_POLICY_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksClusterPolicyReconciler : public Reconciler {
 public:
  DatabricksClusterPolicyReconciler(cloud::HttpTransport& databricks, Clock& clock)
      : transport_(databricks), clock_(clock) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
  Clock& clock_;  // waits between create attempts
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_CLUSTER_POLICY_RECONCILER_H_
