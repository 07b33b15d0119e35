// UserAssignedIdentityReconciler: a Microsoft.ManagedIdentity user-assigned identity.
// Compared: location (immutable) and tags (exactly). Writes: create = PUT; update =
// PATCH of tags. Outputs: `id`, `principalId`, `clientId` (what role assignments and a
// factory's identity block need). Stateless besides the client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_USER_ASSIGNED_IDENTITY_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_USER_ASSIGNED_IDENTITY_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

class UserAssignedIdentityReconciler : public Reconciler {
 public:
  UserAssignedIdentityReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                 std::string default_subscription);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_USER_ASSIGNED_IDENTITY_RECONCILER_H_
