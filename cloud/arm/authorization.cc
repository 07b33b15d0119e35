#include "cloud/arm/authorization.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace envctl::cloud::arm {

std::optional<std::string> BuiltInRoleGuid(absl::string_view role_name) {
  // From Azure's "Azure built-in roles" reference; the roles envctl's users assign most.
  static const std::pair<const char*, const char*> kRoles[] = {
      {"owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
      {"contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
      {"reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
      {"user access administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
      {"storage blob data contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
      {"storage blob data reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"},
      {"storage blob data owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"},
      {"key vault administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"},
      {"key vault secrets officer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"},
      {"key vault secrets user", "4633458b-17de-408a-b874-0445c86b69e6"},
      {"key vault reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
      {"data factory contributor", "673868aa-7521-48a0-acc6-0f60742d39f5"},
      {"managed identity operator", "f1a07417-d97a-45cb-824c-7a7467783830"},
      {"managed identity contributor", "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59"},
  };
  const std::string key = absl::AsciiStrToLower(role_name);
  for (const auto& [name, guid] : kRoles) {
    if (key == name) return std::string(guid);
  }
  return std::nullopt;
}

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

absl::StatusOr<nlohmann::json> AuthorizationClient::GetRoleDefinition(
    const std::string& guid) const {
  return arm_.Get(RoleDefinitionId(guid), kAuthorizationApiVersion);
}

std::string AuthorizationClient::AssignmentId(const std::string& scope, const std::string& name) {
  return absl::StrCat(scope, "/providers/Microsoft.Authorization/roleAssignments/", name);
}

absl::StatusOr<nlohmann::json> AuthorizationClient::GetAssignment(const std::string& scope,
                                                                  const std::string& name) const {
  return arm_.Get(AssignmentId(scope, name), kAuthorizationApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> AuthorizationClient::ListAssignmentsAt(
    const std::string& scope) const {
  RequestOptions options;
  options.query.push_back({"$filter", "atScope()"});
  return arm_.List(absl::StrCat(scope, "/providers/Microsoft.Authorization/roleAssignments"),
                   kAuthorizationApiVersion, options);
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
  return arm_.Put(Id(group, name), kManagedIdentityApiVersion,
                  {{"location", location}, {"tags", tags}});
}

absl::StatusOr<nlohmann::json> ManagedIdentitiesClient::UpdateTags(
    const std::string& group, const std::string& name, const nlohmann::json& tags) const {
  return arm_.Patch(Id(group, name), kManagedIdentityApiVersion, {{"tags", tags}});
}

absl::Status ManagedIdentitiesClient::Delete(const std::string& group,
                                             const std::string& name) const {
  return arm_.Delete(Id(group, name), kManagedIdentityApiVersion);
}

}  // namespace envctl::cloud::arm
