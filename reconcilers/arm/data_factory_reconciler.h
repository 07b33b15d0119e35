// DataFactoryReconciler: a Microsoft.DataFactory factory with a system-assigned managed
// identity (its principalId is what Key Vault access policies grant).
// Compared: location (immutable; ADF answers display names like "West Europe", so
// NormalizeLocation), identity type contains SystemAssigned, tags (exactly).
// Writes: create = PUT; update = PATCH of tags (and identity when it was removed). Never a
// PUT on an existing factory, because a PUT without properties.repoConfiguration would
// detach a DEV factory from its ADF Git integration. Its linked services, pipelines etc.
// are the separate DataFactoryDefinitions kind.
// Outputs: `id`, `principalId`.
// Stateless besides the injected client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_DATA_FACTORY_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_DATA_FACTORY_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

class DataFactoryReconciler : public Reconciler {
 public:
  // `factories`: an ArmClient over CloudSession::DataFactory() with
  // error_service = Service::kDataFactory.
  DataFactoryReconciler(std::shared_ptr<const cloud::arm::ArmClient> factories,
                        std::string default_subscription);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_DATA_FACTORY_RECONCILER_H_
