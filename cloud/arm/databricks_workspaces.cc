#include "cloud/arm/databricks_workspaces.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace envctl::cloud::arm {

DatabricksWorkspacesClient::DatabricksWorkspacesClient(const ArmClient& arm,
                                                       std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string DatabricksWorkspacesClient::Id(const std::string& group,
                                           const std::string& name) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                      "/providers/Microsoft.Databricks/workspaces/", name);
}

absl::StatusOr<nlohmann::json> DatabricksWorkspacesClient::CreateOrUpdate(
    const std::string& group, const std::string& name, const nlohmann::json& body) const {
  return arm_.Put(Id(group, name), kDatabricksApiVersion, body);
}

absl::StatusOr<nlohmann::json> DatabricksWorkspacesClient::Get(const std::string& group,
                                                               const std::string& name) const {
  return arm_.Get(Id(group, name), kDatabricksApiVersion);
}

absl::StatusOr<nlohmann::json> DatabricksWorkspacesClient::UpdateTags(
    const std::string& group, const std::string& name, const nlohmann::json& tags) const {
  return arm_.Patch(Id(group, name), kDatabricksApiVersion,
                    {{"tags", tags.is_object() ? tags : nlohmann::json::object()}});
}

absl::Status DatabricksWorkspacesClient::Delete(const std::string& group,
                                                const std::string& name) const {
  return arm_.Delete(Id(group, name), kDatabricksApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> DatabricksWorkspacesClient::List(
    const std::string& group) const {
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                                "/providers/Microsoft.Databricks/workspaces"),
                   kDatabricksApiVersion);
}

std::string DatabricksWorkspacesClient::WorkspaceUrl(const nlohmann::json& workspace) {
  if (!workspace.is_object() || !workspace.contains("properties") ||
      !workspace["properties"].is_object()) {
    return "";
  }
  auto it = workspace["properties"].find("workspaceUrl");
  if (it == workspace["properties"].end() || !it->is_string()) return "";
  absl::string_view url = it->get_ref<const std::string&>();
  while (absl::ConsumeSuffix(&url, "/")) {
  }
  if (url.empty()) return "";
  if (absl::StrContains(url, "://")) return std::string(url);
  return absl::StrCat("https://", url);
}

}  // namespace envctl::cloud::arm
