// AuthorizationClient: Microsoft.Authorization role definitions and role assignments
// (api-version 2022-04-01) at any scope (a subscription, group or resource id), and
// ManagedIdentitiesClient: Microsoft.ManagedIdentity user-assigned identities
// (2023-01-31). Bodies are ARM JSON as returned. Stateless besides the ArmClient
// reference: thread-safe.
#ifndef ENVCTL_CLOUD_ARM_AUTHORIZATION_H_
#define ENVCTL_CLOUD_ARM_AUTHORIZATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

inline constexpr char kAuthorizationApiVersion[] = "2022-04-01";
inline constexpr char kManagedIdentityApiVersion[] = "2023-01-31";

// The GUID of a well-known Azure built-in role by its roleName (case-insensitive), or
// nullopt. Built-in role definitions carry the same GUID in every subscription and
// tenant, so naming one costs no roleDefinitions lookup; other names are looked up.
std::optional<std::string> BuiltInRoleGuid(absl::string_view role_name);

class AuthorizationClient {
 public:
  AuthorizationClient(const ArmClient& arm, std::string subscription_id);

  // "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}".
  std::string RoleDefinitionId(const std::string& guid) const;
  // The role definitions named `role_name` ($filter=roleName eq '...') at the
  // subscription: usually one; empty when no role has that name.
  absl::StatusOr<std::vector<nlohmann::json>> FindRoleDefinitions(
      const std::string& role_name) const;
  // The role definition with this GUID, or NotFound (RoleDefinitionDoesNotExist).
  absl::StatusOr<nlohmann::json> GetRoleDefinition(const std::string& guid) const;

  // {scope}/providers/Microsoft.Authorization/roleAssignments/{name}.
  static std::string AssignmentId(const std::string& scope, const std::string& name);
  // The assignment, or NotFound (RoleAssignmentNotFound).
  absl::StatusOr<nlohmann::json> GetAssignment(const std::string& scope,
                                               const std::string& name) const;
  // The assignments at `scope` and above it ($filter=atScope(), every page): one read
  // for several assignments at one scope.
  absl::StatusOr<std::vector<nlohmann::json>> ListAssignmentsAt(const std::string& scope) const;
  // PUT: the assignment. AlreadyExists/FailedPrecondition (RoleAssignmentExists) when the
  // same grant exists under another name.
  absl::StatusOr<nlohmann::json> CreateAssignment(const std::string& scope, const std::string& name,
                                                  const std::string& role_definition_id,
                                                  const std::string& principal_id,
                                                  const std::string& principal_type,
                                                  const std::string& description) const;
  // DELETE; OK when already gone.
  absl::Status DeleteAssignment(const std::string& scope, const std::string& name) const;

 private:
  const ArmClient& arm_;
  const std::string subscription_id_;
};

class ManagedIdentitiesClient {
 public:
  ManagedIdentitiesClient(const ArmClient& arm, std::string subscription_id);
  std::string Id(const std::string& group, const std::string& name) const;
  // The identity (properties.principalId, clientId, tenantId), or NotFound.
  absl::StatusOr<nlohmann::json> Get(const std::string& group, const std::string& name) const;
  // PUT {"location","tags"}: the identity (its principal is kept across replaces).
  absl::StatusOr<nlohmann::json> CreateOrUpdate(const std::string& group, const std::string& name,
                                                const std::string& location,
                                                const nlohmann::json& tags) const;
  // PATCH {"tags"}.
  absl::StatusOr<nlohmann::json> UpdateTags(const std::string& group, const std::string& name,
                                            const nlohmann::json& tags) const;
  absl::Status Delete(const std::string& group, const std::string& name) const;

 private:
  const ArmClient& arm_;
  const std::string subscription_id_;
};

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_AUTHORIZATION_H_
