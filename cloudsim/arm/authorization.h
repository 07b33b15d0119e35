// Microsoft.Authorization in cloudsim: built-in role definitions and role assignments at
// any scope (authorization.cc). Called by the ARM router with World::mu held.
#ifndef ENVCTL_CLOUDSIM_ARM_AUTHORIZATION_H_
#define ENVCTL_CLOUDSIM_ARM_AUTHORIZATION_H_

#include <string>
#include <vector>

#include "cloudsim/arm/arm_call.h"

namespace envctl::cloudsim {

// Index of the last "providers" segment followed by "microsoft.authorization" in the
// lower-cased path, or 0 when the path is not an authorization path.
size_t AuthorizationProvidersIndex(const std::vector<std::string>& lseg);

// {scope}/providers/Microsoft.Authorization/roleAssignments[/{name}] and
// {scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}].
Response HandleAuthorization(ArmCall& call, size_t providers);

// Whether `principal_id` holds one of the built-in roles named (e.g. "Key Vault Secrets
// User") at `resource_id` or a scope above it.
bool HasRoleAt(World& world, const std::string& principal_id, const std::string& resource_id,
               const std::vector<std::string>& role_names) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// The name of the built-in role a roleDefinitionId (path or GUID) names, "" when unknown.
std::string BuiltInRoleName(const std::string& role_definition_id);
// Whether resource id `inner` is `outer` or below it (case-insensitive).
bool ScopeContains(const std::string& outer, const std::string& inner);

// Removes the assignments at or below `scope` (its resource or group was deleted).
void EraseRoleAssignmentsUnder(World& world, const std::string& scope)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_AUTHORIZATION_H_
