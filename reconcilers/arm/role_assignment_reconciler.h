// RoleAssignmentReconciler: a Microsoft.Authorization role assignment. The scope is a
// resource of the environment (its `id` output) or an ARM id; the role a built-in role
// name (resolved through roleDefinitions with $filter=roleName eq '...'), a GUID or a role
// definition id; the principal a PrincipalRef. The assignment's name is a GUID derived
// from scope, role and principal, so applying twice never creates a second assignment.
// Compared: existence only (an assignment cannot be updated; a changed scope, role or
// principal is another assignment). Drift = the assignment was removed.
// Outputs: `id`. Memory: scope and name, so prune deletes exactly what was created.
// A built-in role's name is looked up once per process and subscription (built-in role
// GUIDs never change; custom roles are looked up every pass). Thread-safe.
#ifndef ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "cloud/arm/arm_client.h"
#include "cloud/arm/authorization.h"
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

  struct RoleDefinition {
    std::string
        id;  // "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    std::string guid;  // lower-cased
  };

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
  const std::string deployer_object_id_;
  absl::Mutex mu_;
  // (subscription, lower-cased role name) -> a built-in role's definition.
  std::map<std::pair<std::string, std::string>, RoleDefinition> built_in_roles_
      ABSL_GUARDED_BY(mu_);
  // The role definition named `role`: from the cache, or looked up (and cached when built in).
  absl::StatusOr<RoleDefinition> FindRole(const cloud::arm::AuthorizationClient& auth,
                                          const std::string& subscription, const std::string& role);
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_ROLE_ASSIGNMENT_RECONCILER_H_
