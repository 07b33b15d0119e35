#include "reconcilers/datafactory/definition_order.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace envctl::reconcilers::datafactory {

const char* FolderOf(EntityType type) {
  switch (type) {
    case EntityType::kLinkedService:
      return "linkedService";
    case EntityType::kDataset:
      return "dataset";
    case EntityType::kPipeline:
      return "pipeline";
    case EntityType::kTrigger:
      return "trigger";
    case EntityType::kDataFlow:
      return "dataflow";
    case EntityType::kIntegrationRuntime:
      return "integrationRuntime";
    case EntityType::kCredential:
      return "credential";
    case EntityType::kManagedVirtualNetwork:
      return "managedVirtualNetwork";
    case EntityType::kManagedPrivateEndpoint:
      return "managedPrivateEndpoint";
    case EntityType::kGlobalParameters:
      return "globalParameters";
  }
  return "";
}

const char* CollectionOf(EntityType type) {
  switch (type) {
    case EntityType::kLinkedService:
      return "linkedservices";
    case EntityType::kDataset:
      return "datasets";
    case EntityType::kPipeline:
      return "pipelines";
    case EntityType::kTrigger:
      return "triggers";
    case EntityType::kDataFlow:
      return "dataflows";
    case EntityType::kIntegrationRuntime:
      return "integrationRuntimes";
    case EntityType::kCredential:
      return "credentials";
    case EntityType::kManagedVirtualNetwork:
      return "managedVirtualNetworks";
    case EntityType::kManagedPrivateEndpoint:
      return "managedPrivateEndpoints";
    case EntityType::kGlobalParameters:
      return "globalParameters";
  }
  return "";
}

int TypeRank(EntityType type) {
  switch (type) {
    case EntityType::kManagedVirtualNetwork:
      return 0;
    case EntityType::kManagedPrivateEndpoint:
      return 1;
    case EntityType::kIntegrationRuntime:
      return 2;
    case EntityType::kCredential:
      return 3;
    case EntityType::kGlobalParameters:
      return 4;
    case EntityType::kLinkedService:
      return 5;
    case EntityType::kDataset:
      return 6;
    case EntityType::kDataFlow:
      return 7;
    case EntityType::kPipeline:
      return 8;
    case EntityType::kTrigger:
      return 9;
  }
  return 10;
}

std::string Entity::Key() const { return absl::StrCat(FolderOf(type), "/", name); }

absl::StatusOr<EntityType> TypeFromPath(const std::string& path) {
  if (absl::StartsWith(path, "managedVirtualNetwork/") &&
      absl::StrContains(path, "/managedPrivateEndpoint/")) {
    return EntityType::kManagedPrivateEndpoint;
  }
  if (absl::StartsWith(path, "factory/")) return EntityType::kGlobalParameters;
  for (EntityType t : {EntityType::kLinkedService, EntityType::kDataset, EntityType::kPipeline,
                       EntityType::kTrigger, EntityType::kDataFlow, EntityType::kIntegrationRuntime,
                       EntityType::kCredential, EntityType::kManagedVirtualNetwork,
                       EntityType::kManagedPrivateEndpoint, EntityType::kGlobalParameters}) {
    if (absl::StartsWith(path, absl::StrCat(FolderOf(t), "/"))) return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      ": not in linkedService/, dataset/, pipeline/, trigger/, dataflow/, integrationRuntime/, "
      "credential/, managedVirtualNetwork/ or factory/ (the ADF Git-mode layout)"));
}

namespace {

void Collect(const nlohmann::json& node, std::vector<std::pair<EntityType, std::string>>* out) {
  if (node.is_object()) {
    auto name = node.find("referenceName");
    auto type = node.find("type");
    if (name != node.end() && type != node.end() && name->is_string() && type->is_string()) {
      const std::string t = type->get<std::string>();
      std::optional<EntityType> et;
      if (t == "LinkedServiceReference") et = EntityType::kLinkedService;
      if (t == "DatasetReference") et = EntityType::kDataset;
      if (t == "PipelineReference") et = EntityType::kPipeline;
      if (t == "DataFlowReference") et = EntityType::kDataFlow;
      if (t == "IntegrationRuntimeReference") et = EntityType::kIntegrationRuntime;
      if (t == "CredentialReference") et = EntityType::kCredential;
      if (t == "ManagedVirtualNetworkReference") et = EntityType::kManagedVirtualNetwork;
      if (et) {
        std::pair<EntityType, std::string> ref{*et, name->get<std::string>()};
        if (std::find(out->begin(), out->end(), ref) == out->end()) out->push_back(ref);
      }
    }
    for (const auto& [k, v] : node.items()) Collect(v, out);
  } else if (node.is_array()) {
    for (const auto& v : node) Collect(v, out);
  }
}

}  // namespace

std::vector<std::pair<EntityType, std::string>> ReferencesOf(const Entity& entity) {
  std::vector<std::pair<EntityType, std::string>> out;
  if (entity.type == EntityType::kManagedPrivateEndpoint) {
    out.emplace_back(EntityType::kManagedVirtualNetwork,
                     entity.name.substr(0, entity.name.find('/')));
  }
  Collect(entity.properties, &out);
  return out;
}

namespace {

// For each entity, the indexes of the others among `entities` that it references (each
// once: ReferencesOf has no duplicates and keys are unique).
std::vector<std::vector<size_t>> Prerequisites(const std::vector<Entity>& entities) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < entities.size(); ++i) index[entities[i].Key()] = i;
  std::vector<std::vector<size_t>> deps(entities.size());
  for (size_t i = 0; i < entities.size(); ++i) {
    for (const auto& [type, name] : ReferencesOf(entities[i])) {
      auto it = index.find(absl::StrCat(FolderOf(type), "/", name));
      if (it != index.end() && it->second != i) deps[i].push_back(it->second);
    }
  }
  return deps;
}

}  // namespace

absl::StatusOr<std::vector<Entity>> DeployOrder(std::vector<Entity> entities) {
  std::sort(entities.begin(), entities.end(), [](const Entity& a, const Entity& b) {
    return std::make_pair(TypeRank(a.type), a.name) < std::make_pair(TypeRank(b.type), b.name);
  });
  const std::vector<std::vector<size_t>> deps = Prerequisites(entities);
  std::vector<Entity> ordered;
  std::vector<bool> done(entities.size(), false);
  while (ordered.size() < entities.size()) {
    bool progressed = false;
    for (size_t i = 0; i < entities.size(); ++i) {
      if (done[i]) continue;
      if (std::all_of(deps[i].begin(), deps[i].end(), [&](size_t d) { return done[d]; })) {
        done[i] = true;
        ordered.push_back(entities[i]);
        progressed = true;
        break;  // restart so ties keep type-then-name order
      }
    }
    if (!progressed) {
      std::vector<std::string> cycle;
      for (size_t i = 0; i < entities.size(); ++i) {
        if (!done[i]) cycle.push_back(entities[i].Key());
      }
      return absl::InvalidArgumentError(
          absl::StrCat("Data Factory definitions reference each other in a cycle: ",
                       absl::StrJoin(cycle, ", ")));
    }
  }
  return ordered;
}

absl::StatusOr<DeployGraph> DeployGraphOf(std::vector<Entity> entities) {
  DeployGraph graph;
  {
    absl::StatusOr<std::vector<Entity>> o = DeployOrder(std::move(entities));
    if (!o.ok()) return o.status();
    graph.order = *std::move(o);
  }
  graph.after = Prerequisites(graph.order);
  return graph;
}

}  // namespace envctl::reconcilers::datafactory
