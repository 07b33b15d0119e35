#include "reconcilers/arm_reconcilers.h"

#include <memory>

#include "cloud/arm/arm_client.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/arm/data_factory_reconciler.h"
#include "reconcilers/arm/databricks_workspace_reconciler.h"
#include "reconcilers/arm/key_vault_reconciler.h"
#include "reconcilers/arm/resource_group_reconciler.h"
#include "reconcilers/arm/role_assignment_reconciler.h"
#include "reconcilers/arm/storage_account_reconciler.h"
#include "reconcilers/arm/user_assigned_identity_reconciler.h"

namespace envctl::reconcilers {

void RegisterArmReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                            Clock& clock, const CloudReconcilerOptions& options) {
  using envctl::v1::Resource;
  const cloud::arm::ArmClientOptions arm_options =
      arm::ArmOptions(options.poll_initial, options.poll_max);
  // One ArmClient per pipeline, shared by the reconcilers that use it (each keeps it alive).
  auto arm_client = std::make_shared<const cloud::arm::ArmClient>(
      session.Arm(), clock, session.arm_endpoint(), arm_options);
  cloud::arm::ArmClientOptions factory_options = arm_options;
  factory_options.error_service = cloud::Service::kDataFactory;
  auto factory_client = std::make_shared<const cloud::arm::ArmClient>(
      session.DataFactory(), clock, session.arm_endpoint(), factory_options);
  const std::string& subscription = session.subscription_id();

  registry.Register(Resource::kResourceGroup,
                    std::make_unique<arm::ResourceGroupReconciler>(arm_client, subscription));
  registry.Register(Resource::kStorageAccount,
                    std::make_unique<arm::StorageAccountReconciler>(arm_client, subscription));
  registry.Register(Resource::kKeyVault, std::make_unique<arm::KeyVaultReconciler>(
                                             arm_client, subscription,
                                             session.endpoints().tenant_id, session.object_id()));
  registry.Register(Resource::kDataFactory,
                    std::make_unique<arm::DataFactoryReconciler>(factory_client, subscription));
  registry.Register(Resource::kDatabricksWorkspace,
                    std::make_unique<arm::DatabricksWorkspaceReconciler>(
                        arm_client, subscription, session.Databricks(), clock));
  registry.Register(
      Resource::kUserAssignedIdentity,
      std::make_unique<arm::UserAssignedIdentityReconciler>(arm_client, subscription));
  registry.Register(Resource::kRoleAssignment, std::make_unique<arm::RoleAssignmentReconciler>(
                                                   arm_client, subscription, session.object_id()));
}

}  // namespace envctl::reconcilers
