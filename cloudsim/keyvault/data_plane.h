// The Key Vault data plane (secrets, api-version 7.x / 2025-07-01, reference §6) served on
// each vault's own origin: the 401 challenge, token and access-policy checks against the
// caller's oid, versioned secrets, soft delete, recover and purge. Locks World::mu.
#ifndef ENVCTL_CLOUDSIM_KEYVAULT_DATA_PLANE_H_
#define ENVCTL_CLOUDSIM_KEYVAULT_DATA_PLANE_H_

#include <string>

#include "absl/status/statusor.h"
#include "cloudsim/core/world.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

Response HandleVaultDataPlane(World& world, const std::string& vault_name, const Request& request);

// For Data Factory's AzureKeyVaultSecret references (World::mu held): reads the latest
// (or given) version of `secret` in the vault whose vaultUri/host matches `base_url`, as
// principal `object_id`. Errors carry Key Vault's own messages: NotFound (no such vault
// or secret), PermissionDenied (no secrets/get permission).
absl::StatusOr<std::string> ReadSecretAs(World& world, const std::string& base_url,
                                         const std::string& secret, const std::string& version,
                                         const std::string& object_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_KEYVAULT_DATA_PLANE_H_
