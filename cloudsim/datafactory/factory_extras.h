// Data Factory 2018-06-01 beyond linked services, datasets, pipelines and triggers:
// global parameters (factories/{f}/globalParameters/default, mirrored in the factory's
// properties.globalParameters), managed virtual networks and their managed private
// endpoints, integration runtime actions (listAuthKeys, regenerateAuthKey, getStatus,
// start, stop), user-assigned identities on the factory, and configureFactoryRepo.
// World::mu held for all calls.
#ifndef ENVCTL_CLOUDSIM_DATAFACTORY_FACTORY_EXTRAS_H_
#define ENVCTL_CLOUDSIM_DATAFACTORY_FACTORY_EXTRAS_H_

#include <optional>
#include <string>

#include "cloudsim/arm/arm_call.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

// F/globalParameters[/{name}]: GET, PUT, DELETE, list. `factory` is the stored slot.
Response HandleGlobalParameters(ArmCall& call, nlohmann::json& factory);

// F/managedVirtualNetworks[/{vnet}[/managedPrivateEndpoints[/{pe}]]].
Response HandleManagedVirtualNetworks(ArmCall& call, nlohmann::json& factory);

// POST F/integrationRuntimes/{name}/{action} on the stored runtime `slot`; status 0 when
// `action` is not one of them.
Response HandleIntegrationRuntimeAction(ArmCall& call, nlohmann::json& slot,
                                        const std::string& action);

// Fills what the service adds to a runtime on PUT: properties.state, and for a
// self-hosted runtime its two auth keys (kept in meta, returned only by listAuthKeys).
void PrepareIntegrationRuntime(nlohmann::json& properties, nlohmann::json& meta,
                               const nlohmann::json* old_meta);

// Resolves identity.userAssignedIdentities of a factory PUT/PATCH: each key must name an
// existing user-assigned identity; its value becomes {principalId, clientId}. Returns the
// error response when one does not exist.
std::optional<Response> ResolveUserAssignedIdentities(World& world, nlohmann::json& identity)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// POST /subscriptions/{sub}/providers/Microsoft.DataFactory/locations/{loc}/configureFactoryRepo.
Response ConfigureFactoryRepo(ArmCall& call);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_DATAFACTORY_FACTORY_EXTRAS_H_
