// Deployment order of Data Factory definitions, computed from the references inside them
// instead of a hand-kept list (the seed's pain). An entity is deployed after everything it
// references ({"referenceName": X, "type": "LinkedServiceReference" | "DatasetReference" |
// "PipelineReference" | "DataFlowReference" | "IntegrationRuntimeReference" |
// "CredentialReference" | "ManagedVirtualNetworkReference"} anywhere in its properties; a
// managed private endpoint after its managed virtual network); deletion runs in the
// reverse order. Entities with no path between them deploy at the same time.
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

// The deploy order with each entity's prerequisites: after[i] holds the indexes (into
// `order`) of the entities order[i] references, all of them before i. Writers start an
// entity as soon as its prerequisites are written (RunAfter), so one slow or throttled
// write delays only what needs it, not a whole wave.
struct DeployGraph {
  std::vector<Entity> order;
  std::vector<std::vector<size_t>> after;
};
absl::StatusOr<DeployGraph> DeployGraphOf(std::vector<Entity> entities);

}  // namespace envctl::reconcilers::datafactory

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_
