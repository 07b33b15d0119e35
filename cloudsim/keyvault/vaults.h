// Shared vault lookups for the Key Vault management and data planes (World::mu held).
// Vault names are global (as in Azure: DNS names); secrets live in
// db["vault_data"][lower(name)], soft-deleted vaults in db["deleted_vaults"].
#ifndef ENVCTL_CLOUDSIM_KEYVAULT_VAULTS_H_
#define ENVCTL_CLOUDSIM_KEYVAULT_VAULTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cloudsim/core/world.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

inline constexpr char kVaultType[] = "Microsoft.KeyVault/vaults";

// The stored slot ({"body","meta"}) of the live vault named `name`, or nullptr.
nlohmann::json* FindVaultByName(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// The vault's secret store {"secrets": {...}, "deleted": {...}} (created on demand).
nlohmann::json& VaultData(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// True when `oid` may perform secrets permission `permission` (get, list, set, delete,
// recover, purge) on the vault, per its access policies ("all" grants everything).
bool HasSecretPermission(const nlohmann::json& vault_body, const std::string& oid,
                         const std::string& permission);

// Rebuilds World's secret mirror from db (World::mu held). Installed as
// World::before_persist.
void RebuildSecretMirror(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// Reads `key` from the vault at `vault_uri` ("https://host[:port]/" or
// "https://{name}.vault.azure.net/") through the mirror, without World::mu.
absl::StatusOr<std::string> ReadSecretFromMirror(World& world, const std::string& vault_uri,
                                                 const std::string& key);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_KEYVAULT_VAULTS_H_
