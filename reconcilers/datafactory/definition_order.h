// Deployment order of Data Factory definitions, computed from the references inside them
// instead of a hand-kept list (the seed's pain). An entity is deployed after everything it
// references ({"referenceName": X, "type": "LinkedServiceReference" | "DatasetReference" |
// "PipelineReference" | "DataFlowReference" | "IntegrationRuntimeReference" |
// "CredentialReference" | "ManagedVirtualNetworkReference"} anywhere in its properties; a
// managed private endpoint after its managed virtual network); deletion runs in the
// reverse order. Entities with no path between them form one wave and deploy together.
// Pure functions.
#ifndef ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_
#define ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace envctl::reconcilers::datafactory {

enum class EntityType {
  kLinkedService,
  kDataset,
  kPipeline,
  kTrigger,
  kDataFlow,
  kIntegrationRuntime,
  kCredential,
  kManagedVirtualNetwork,
  // Named "<managedVirtualNetwork>/<endpoint>"; file
  // managedVirtualNetwork/<vnet>/managedPrivateEndpoint/<endpoint>.json.
  kManagedPrivateEndpoint,
  // From factory/<factory>.json's properties.globalParameters; named "default".
  kGlobalParameters,
};

struct Entity {
  EntityType type;
  std::string name;
  // The entity's "properties" object.
  nlohmann::json properties;

  // "linkedService/AzureKeyVault" — the key used in plans and memory.
  std::string Key() const;
};

// "linkedService", "dataset", "pipeline", "trigger", "dataflow", "integrationRuntime",
// "credential", "managedVirtualNetwork": the folder names of ADF Git mode;
// "managedPrivateEndpoint" and "globalParameters" for the two nested kinds (keys only).
const char* FolderOf(EntityType type);
// ARM collection segment: "linkedservices", "datasets", "pipelines", "triggers", ...
const char* CollectionOf(EntityType type);
// Parses a repo path ("pipeline/ApplyModel.json" -> kPipeline,
// "managedVirtualNetwork/default/managedPrivateEndpoint/x.json", "factory/f.json") or an
// entity key ("managedPrivateEndpoint/default/x"); InvalidArgument for other folders.
absl::StatusOr<EntityType> TypeFromPath(const std::string& path);
// Where an entity type sits in a wave and in the tie-break order: managed virtual
// networks and endpoints, runtimes, credentials, global parameters, linked services,
// datasets, data flows, pipelines, triggers.
int TypeRank(EntityType type);

// Entities referenced by `entity` (type and name), in document order, without duplicates.
std::vector<std::pair<EntityType, std::string>> ReferencesOf(const Entity& entity);

// Deploy order: referenced entities first; ties broken by type (linked services,
// datasets, pipelines, triggers) then name, so the order is stable. References to
// entities outside `entities` do not constrain the order. InvalidArgument naming the
// cycle when entities reference each other in a loop.
absl::StatusOr<std::vector<Entity>> DeployOrder(std::vector<Entity> entities);

// The same order cut into waves: each wave holds the entities whose references are all
// in earlier waves, so a wave's entities can be written at the same time.
absl::StatusOr<std::vector<std::vector<Entity>>> DeployWaves(std::vector<Entity> entities);

}  // namespace envctl::reconcilers::datafactory

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_
