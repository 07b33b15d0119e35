// KeyVaultsClient: typed management-plane calls for Microsoft.KeyVault vaults, their
// access policies and soft-deleted vaults (azure-rest.md §5, api-version 2023-07-01).
// The data plane (secrets) is cloud/keyvault/secrets_client.h, reached through VaultUri().
// Stateless besides the ArmClient reference: thread-safe.
#ifndef ENVCTL_CLOUD_ARM_KEY_VAULTS_H_
#define ENVCTL_CLOUD_ARM_KEY_VAULTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

inline constexpr char kKeyVaultApiVersion[] = "2023-07-01";

enum class AccessPolicyOperation { kAdd, kReplace, kRemove };

class KeyVaultsClient {
 public:
  KeyVaultsClient(const ArmClient& arm, std::string subscription_id);

  // ".../resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}".
  std::string Id(const std::string& group, const std::string& name) const;

  // PUT the full vault ({"location","tags","properties":{"tenantId","sku",
  // "accessPolicies",...}}): the vault. A name held by a soft-deleted vault is
  // FailedPrecondition or AlreadyExists with ServiceErrorCode "ConflictError" /
  // "VaultAlreadyExists": recover (properties.createMode = "recover") or purge first.
  absl::StatusOr<nlohmann::json> CreateOrUpdate(const std::string& group, const std::string& name,
                                                const nlohmann::json& body) const;
  // The vault, or NotFound.
  absl::StatusOr<nlohmann::json> Get(const std::string& group, const std::string& name) const;
  // PATCH {"tags"} and/or {"properties":{...partial...}}: the vault.
  absl::StatusOr<nlohmann::json> Update(const std::string& group, const std::string& name,
                                        const nlohmann::json& patch) const;
  // DELETE (the vault becomes soft-deleted). OK when gone, including never existed.
  absl::Status Delete(const std::string& group, const std::string& name) const;
  // Vaults in the group (all pages).
  absl::StatusOr<std::vector<nlohmann::json>> List(const std::string& group) const;

  // PUT {vault}/accessPolicies/{add|replace|remove} with {"properties":{"accessPolicies":
  // policies}}: the vault's access policies afterwards (the response's
  // properties.accessPolicies array). NotFound when the vault is missing.
  absl::StatusOr<nlohmann::json> UpdateAccessPolicies(const std::string& group,
                                                      const std::string& name,
                                                      AccessPolicyOperation operation,
                                                      const nlohmann::json& policies) const;

  // The soft-deleted vault {"properties":{"vaultId","deletionDate","scheduledPurgeDate",
  // ...}}, or NotFound.
  absl::StatusOr<nlohmann::json> GetDeleted(const std::string& location,
                                            const std::string& name) const;
  // Every soft-deleted vault of the subscription (all pages).
  absl::StatusOr<std::vector<nlohmann::json>> ListDeleted() const;
  // POST .../deletedVaults/{name}/purge and wait. OK once purged; NotFound when there is
  // no such deleted vault; FailedPrecondition/Conflict when purge protection forbids it.
  absl::Status Purge(const std::string& location, const std::string& name) const;

  // properties.vaultUri of a vault body, without a trailing slash; "" when absent.
  static std::string VaultUri(const nlohmann::json& vault);

 private:
  std::string DeletedPath(const std::string& location, const std::string& name) const;

  const ArmClient& arm_;
  const std::string subscription_id_;
};

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_KEY_VAULTS_H_
