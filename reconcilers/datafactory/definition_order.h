// Deployment order of Data Factory definitions, computed from the references inside them
// instead of a hand-kept list (the seed's pain). An entity is deployed after everything it
// references ({"referenceName": X, "type": "LinkedServiceReference" | "DatasetReference" |
// "PipelineReference"} anywhere in its properties, and triggers' pipelines); deletion runs
// in the reverse order. Pure functions.
#ifndef ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_
#define ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace envctl::reconcilers::datafactory {

enum class EntityType { kLinkedService, kDataset, kPipeline, kTrigger };

struct Entity {
  EntityType type;
  std::string name;
  // The entity's "properties" object.
  nlohmann::json properties;

  // "linkedService/AzureKeyVault" — the key used in plans and memory.
  std::string Key() const;
};

// "linkedService", "dataset", "pipeline", "trigger": the folder names of ADF Git mode.
const char* FolderOf(EntityType type);
// ARM collection segment: "linkedservices", "datasets", "pipelines", "triggers".
const char* CollectionOf(EntityType type);
// Parses "pipeline/ApplyModel.json" -> kPipeline; InvalidArgument for other folders.
absl::StatusOr<EntityType> TypeFromPath(const std::string& path);

// Entities referenced by `entity` (type and name), in document order, without duplicates.
std::vector<std::pair<EntityType, std::string>> ReferencesOf(const Entity& entity);

// Deploy order: referenced entities first; ties broken by type (linked services,
// datasets, pipelines, triggers) then name, so the order is stable. References to
// entities outside `entities` do not constrain the order. InvalidArgument naming the
// cycle when entities reference each other in a loop.
absl::StatusOr<std::vector<Entity>> DeployOrder(std::vector<Entity> entities);

}  // namespace envctl::reconcilers::datafactory

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_DEFINITION_ORDER_H_
