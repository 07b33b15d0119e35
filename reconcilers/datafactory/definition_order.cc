#include "reconcilers/datafactory/definition_order.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"

namespace envctl::reconcilers::datafactory {

const char* FolderOf(EntityType type) {
  switch (type) {
    case EntityType::kLinkedService: return "linkedService";
    case EntityType::kDataset: return "dataset";
    case EntityType::kPipeline: return "pipeline";
    case EntityType::kTrigger: return "trigger";
  }
  return "";
}

const char* CollectionOf(EntityType type) {
  switch (type) {
    case EntityType::kLinkedService: return "linkedservices";
    case EntityType::kDataset: return "datasets";
    case EntityType::kPipeline: return "pipelines";
    case EntityType::kTrigger: return "triggers";
  }
  return "";
}

std::string Entity::Key() const { return absl::StrCat(FolderOf(type), "/", name); }

absl::StatusOr<EntityType> TypeFromPath(const std::string& path) {
  for (EntityType t : {EntityType::kLinkedService, EntityType::kDataset, EntityType::kPipeline,
                       EntityType::kTrigger}) {
    if (absl::StartsWith(path, absl::StrCat(FolderOf(t), "/"))) return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not in linkedService/, dataset/, pipeline/ or trigger/ (the ADF Git-mode layout)"));
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
  Collect(entity.properties, &out);
  return out;
}

absl::StatusOr<std::vector<Entity>> DeployOrder(std::vector<Entity> entities) {
  std::sort(entities.begin(), entities.end(), [](const Entity& a, const Entity& b) {
    return std::make_pair(a.type, a.name) < std::make_pair(b.type, b.name);
  });
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < entities.size(); ++i) index[entities[i].Key()] = i;
  std::vector<std::set<size_t>> deps(entities.size());
  for (size_t i = 0; i < entities.size(); ++i) {
    for (const auto& [type, name] : ReferencesOf(entities[i])) {
      auto it = index.find(absl::StrCat(FolderOf(type), "/", name));
      if (it != index.end() && it->second != i) deps[i].insert(it->second);
    }
  }
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

}  // namespace envctl::reconcilers::datafactory
