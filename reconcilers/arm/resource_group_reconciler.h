// ResourceGroupReconciler: makes a Microsoft.Resources resource group exist with the
// declared location and exactly the declared tags (plus envctl's managed-by markers).
// Normalization: locations compare case- and space-insensitively; the group's location
// cannot change (a clear error, never a silent delete); tags are compared exactly and a
// tag-only change is a PATCH (which replaces the tag map). Output: `id`.
// Stateless besides the injected client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_RESOURCE_GROUP_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_RESOURCE_GROUP_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

class ResourceGroupReconciler : public Reconciler {
 public:
  // `default_subscription`: used when the environment does not name one.
  ResourceGroupReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                          std::string default_subscription);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_RESOURCE_GROUP_RECONCILER_H_
