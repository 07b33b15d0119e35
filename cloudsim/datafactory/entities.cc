#include "cloudsim/datafactory/entities.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/arm_call.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

void Mask(nlohmann::json& j) {
  if (j.is_object()) {
    if (j.value("type", "") == "SecureString" && j.contains("value")) {
      j["value"] = "**********";
      return;
    }
    for (auto& [k, v] : j.items()) Mask(v);
  } else if (j.is_array()) {
    for (auto& v : j) Mask(v);
  }
}

void CollectReferences(const nlohmann::json& j,
                       std::vector<std::pair<std::string, std::string>>* out) {
  if (j.is_object()) {
    if (j.contains("referenceName") && j["referenceName"].is_string() && j.contains("type") &&
        j["type"].is_string()) {
      std::string kind = KindOfReference(j["type"]);
      if (!kind.empty()) out->emplace_back(kind, j["referenceName"].get<std::string>());
    }
    for (auto& [k, v] : j.items()) CollectReferences(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) CollectReferences(v, out);
  }
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& DataFactoryChildKinds() {
  static const auto* kinds = new std::vector<std::pair<std::string, std::string>>{
      {"linkedservices", "LinkedServiceReference"},
      {"datasets", "DatasetReference"},
      {"pipelines", "PipelineReference"},
      {"triggers", "TriggerReference"},
      {"dataflows", "DataFlowReference"},
      {"integrationruntimes", "IntegrationRuntimeReference"},
      {"credentials", "CredentialReference"}};
  return *kinds;
}

std::string KindOfReference(const std::string& reference_type) {
  for (const auto& [kind, ref] : DataFactoryChildKinds()) {
    if (ref == reference_type) return kind;
  }
  return "";
}

nlohmann::json MaskSecureStrings(const nlohmann::json& properties) {
  nlohmann::json copy = properties;
  Mask(copy);
  return copy;
}

std::vector<std::pair<std::string, std::string>> ReferencesOf(const nlohmann::json& properties) {
  std::vector<std::pair<std::string, std::string>> out;
  CollectReferences(properties, &out);
  return out;
}

nlohmann::json* FindChild(World& world, const std::string& factory_id, const std::string& kind,
                          const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  return FindResource(world, factory_id + "/" + kind + "/" + name);
}

absl::StatusOr<nlohmann::json> QueryPage(const std::vector<nlohmann::json>& items,
                                         const nlohmann::json& request, int page_size) {
  constexpr absl::string_view kPrefix = "cloudsim-offset-";
  size_t offset = 0;
  if (request.is_object() && request.contains("continuationToken") &&
      !request["continuationToken"].is_null()) {
    const nlohmann::json& token = request["continuationToken"];
    if (!token.is_string() || !absl::StartsWith(token.get<std::string>(), kPrefix) ||
        !absl::SimpleAtoi(token.get<std::string>().substr(kPrefix.size()), &offset)) {
      return absl::InvalidArgumentError("The continuationToken is invalid.");
    }
  }
  size_t page = static_cast<size_t>(std::max(1, page_size));
  nlohmann::json value = nlohmann::json::array();
  for (size_t i = offset; i < items.size() && i < offset + page; ++i) value.push_back(items[i]);
  nlohmann::json out = {{"value", value}};
  if (offset + page < items.size()) out["continuationToken"] = absl::StrCat(kPrefix, offset + page);
  return out;
}

}  // namespace envctl::cloudsim
