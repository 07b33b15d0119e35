// KeyVaultReconciler: a Microsoft.KeyVault vault with access-policy authorization.
// Compared: sku, purge protection, soft-delete retention, RBAC mode (off), tags (exactly)
// and the access policies, normalized on both sides: principals resolved to object ids
// (`deployer` -> the session's object id, `dataFactory` -> that factory's `principalId`
// output, or a literal GUID), entries sorted by lower-cased object id with duplicates
// merged, permissions lower-cased, de-duplicated and sorted per category, empty
// categories dropped, tenantId taken from the vault. A policy removed or changed in the
// portal shows as "properties.accessPolicies[objectId=<guid>]..." and is repaired.
// Immutable: location and soft-delete retention; purge protection can only be turned on.
// Writes: PUT of the whole vault. A vault whose name is held by a soft-deleted vault is
// recovered (createMode recover) and then PUT, instead of failing. Delete (prune) deletes
// the vault and, with purge_on_delete, purges the soft-deleted vault so the name is free.
// Outputs: `id`, `vaultUri` (no trailing slash).
// Stateless besides the injected client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_KEY_VAULT_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_KEY_VAULT_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

class KeyVaultReconciler : public Reconciler {
 public:
  // `default_tenant` is used for new vaults when the environment names no tenant;
  // `deployer_object_id` is the object id envctl runs as (PrincipalRef.deployer).
  KeyVaultReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                     std::string default_subscription, std::string default_tenant,
                     std::string deployer_object_id);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

  // Normalizes an accessPolicies array as described above (tenantId kept, lower-cased).
  static nlohmann::json NormalizePolicies(const nlohmann::json& policies);

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
  const std::string default_tenant_;
  const std::string deployer_object_id_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_KEY_VAULT_RECONCILER_H_
