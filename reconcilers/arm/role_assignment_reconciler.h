// RoleAssignmentReconciler: a Microsoft.Authorization role assignment. The scope is a
// resource of the environment (its `id` output) or an ARM id; the role a built-in role
// name (resolved through roleDefinitions with $filter=roleName eq '...'), a GUID or a role
// definition id; the principal a PrincipalRef. The assignment's name is a GUID derived
// from scope, role and principal, so applying twice never creates a second assignment.
// Compared: existence only (an assignment cannot be updated; a changed scope, role or
// principal is another assignment). Drift = the assignment was removed.
// Outputs: `id`. Memory: scope and name, so prune deletes exactly what was created.
// Stateless besides the injected client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

// The deterministic assignment name: a GUID (version 5 layout) from the SHA-256 of the
// lower-cased scope, role definition GUID and principal id.
std::string RoleAssignmentName(const std::string& scope, const std::string& role_guid,
                               const std::string& principal_id);

class RoleAssignmentReconciler : public Reconciler {
 public:
  RoleAssignmentReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                           std::string default_subscription, std::string deployer_object_id);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
  const std::string deployer_object_id_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_
