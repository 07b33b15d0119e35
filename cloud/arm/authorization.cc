#include "cloud/arm/authorization.h"

#include "absl/strings/str_cat.h"

namespace envctl::cloud::arm {

AuthorizationClient::AuthorizationClient(const ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string AuthorizationClient::RoleDefinitionId(const std::string& guid) const {
  return absl::StrCat("/subscriptions/", subscription_id_,
                      "/providers/Microsoft.Authorization/roleDefinitions/", guid);
}

absl::StatusOr<std::vector<nlohmann::json>> AuthorizationClient::FindRoleDefinitions(
    const std::string& role_name) const {
  RequestOptions options;
  options.query.push_back({"$filter", absl::StrCat("roleName eq '", role_name, "'")});
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_,
                                "/providers/Microsoft.Authorization/roleDefinitions"),
                   kAuthorizationApiVersion, options);
}

absl::StatusOr<nlohmann::json> AuthorizationClient::GetRoleDefinition(const std::string& guid) const {
  return arm_.Get(RoleDefinitionId(guid), kAuthorizationApiVersion);
}

std::string AuthorizationClient::AssignmentId(const std::string& scope, const std::string& name) {
  return absl::StrCat(scope, "/providers/Microsoft.Authorization/roleAssignments/", name);
}

absl::StatusOr<nlohmann::json> AuthorizationClient::GetAssignment(const std::string& scope,
                                                                  const std::string& name) const {
  return arm_.Get(AssignmentId(scope, name), kAuthorizationApiVersion);
}

absl::StatusOr<nlohmann::json> AuthorizationClient::CreateAssignment(
    const std::string& scope, const std::string& name, const std::string& role_definition_id,
    const std::string& principal_id, const std::string& principal_type,
    const std::string& description) const {
  nlohmann::json props = {{"roleDefinitionId", role_definition_id},
                          {"principalId", principal_id},
                          {"principalType", principal_type}};
  if (!description.empty()) props["description"] = description;
  return arm_.Put(AssignmentId(scope, name), kAuthorizationApiVersion, {{"properties", props}});
}

absl::Status AuthorizationClient::DeleteAssignment(const std::string& scope,
                                                   const std::string& name) const {
  return arm_.Delete(AssignmentId(scope, name), kAuthorizationApiVersion);
}

ManagedIdentitiesClient::ManagedIdentitiesClient(const ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string ManagedIdentitiesClient::Id(const std::string& group, const std::string& name) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                      "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/", name);
}

absl::StatusOr<nlohmann::json> ManagedIdentitiesClient::Get(const std::string& group,
                                                            const std::string& name) const {
  return arm_.Get(Id(group, name), kManagedIdentityApiVersion);
}

absl::StatusOr<nlohmann::json> ManagedIdentitiesClient::CreateOrUpdate(
    const std::string& group, const std::string& name, const std::string& location,
    const nlohmann::json& tags) const {
  return arm_.Put(Id(group, name), kManagedIdentityApiVersion, {{"location", location}, {"tags", tags}});
}

absl::StatusOr<nlohmann::json> ManagedIdentitiesClient::UpdateTags(const std::string& group,
                                                                   const std::string& name,
                                                                   const nlohmann::json& tags) const {
  return arm_.Patch(Id(group, name), kManagedIdentityApiVersion, {{"tags", tags}});
}

absl::Status ManagedIdentitiesClient::Delete(const std::string& group, const std::string& name) const {
  return arm_.Delete(Id(group, name), kManagedIdentityApiVersion);
}

}  // namespace envctl::cloud::arm
