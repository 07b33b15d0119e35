// Entry points of cloudsim's ARM resource providers, called by the ARM router with
// World::mu held. Each answers the paths of its namespace (any scope) and returns an ARM
// response; completion hooks finish their long-running operations.
#ifndef ENVCTL_CLOUDSIM_ARM_PROVIDERS_H_
#define ENVCTL_CLOUDSIM_ARM_PROVIDERS_H_

#include "cloudsim/arm/arm_call.h"

namespace envctl::cloudsim {

// /subscriptions/{sub}/resourcegroups[/{rg}[/resources]], /subscriptions/{sub}/resources
Response HandleResourceGroups(ArmCall& call);
// Any path whose provider namespace is the one named.
Response HandleStorage(ArmCall& call);
Response HandleKeyVaultManagement(ArmCall& call);
Response HandleDataFactory(ArmCall& call);
Response HandleDatabricksWorkspaces(ArmCall& call);
Response HandleManagedIdentity(ArmCall& call);
// GET of an operation monitor URL; `id_index` is the segment holding the operation id.
Response HandleOperationPoll(ArmCall& call, size_t id_index, bool async_style);

// Completion steps of long-running operations, by kind.
void CompleteResourceGroupDelete(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
void CompleteStorageCreate(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
void CompleteWorkspaceCreate(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
void CompleteWorkspaceDelete(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// Removes every resource under `rg_id` the way deleting its RG does (vaults are
// soft-deleted, workspaces torn down).
void DeleteResourcesUnder(World& world, const std::string& rg_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// Tears down the workspace stored at `key` (lower-case id) and its managed RG.
void TearDownWorkspace(World& world, const std::string& key)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// Soft-deletes the vault stored at `vault_key` (lower-case id).
void SoftDeleteVault(World& world, const std::string& vault_key)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// Advances every long-running operation and pipeline run whose time has come.
void SettleWorld(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_PROVIDERS_H_
