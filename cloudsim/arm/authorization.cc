// Microsoft.Authorization 2022-04-01: role definitions (the built-in roles envctl's
// examples use, with their well-known GUIDs) and role assignments at any scope
// (subscription, resource group, resource). Assignments live in db["role_assignments"]
// keyed by lower-case id, not among resources: ARM lists them only through this API.
// Checked against specification/authorization/.../stable/2022-04-01/examples
// (RoleAssignments_CreateForResource, _ListForScope, GetRoleDefinitionByName); see README.
#include "cloudsim/arm/authorization.h"

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr char kAssignmentType[] = "Microsoft.Authorization/roleAssignments";
constexpr char kDefinitionType[] = "Microsoft.Authorization/roleDefinitions";

struct BuiltInRole {
  const char* guid;
  const char* name;
  const char* description;
  std::vector<std::string> actions;
  std::vector<std::string> data_actions;
};

const std::vector<BuiltInRole>& BuiltInRoles() {
  static const auto* roles = new std::vector<BuiltInRole>{
      {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
       "Owner",
       "Grants full access to manage all resources, including the ability to assign roles in Azure "
       "RBAC.",
       {"*"},
       {}},
      {"b24988ac-6180-42a0-ab88-20f7382dd24c",
       "Contributor",
       "Grants full access to manage all resources, but does not allow you to assign roles in "
       "Azure RBAC.",
       {"*"},
       {}},
      {"acdd72a7-3385-48ef-bd42-f606fba81ae7",
       "Reader",
       "View all resources, but does not allow you to make any changes.",
       {"*/read"},
       {}},
      {"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
       "User Access Administrator",
       "Lets you manage user access to Azure resources.",
       {"*/read", "Microsoft.Authorization/*"},
       {}},
      {"ba92f5b4-2d11-453d-a403-e96b0029c9fe",
       "Storage Blob Data Contributor",
       "Allows for read, write and delete access to Azure Storage blob containers and data",
       {"Microsoft.Storage/storageAccounts/blobServices/containers/*"},
       {"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}},
      {"2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
       "Storage Blob Data Reader",
       "Allows for read access to Azure Storage blob containers and data",
       {"Microsoft.Storage/storageAccounts/blobServices/containers/read"},
       {"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}},
      {"b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
       "Storage Blob Data Owner",
       "Allows for full access to Azure Storage blob containers and data, including assigning "
       "POSIX access control.",
       {"Microsoft.Storage/storageAccounts/blobServices/containers/*"},
       {"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}},
      {"00482a5a-887f-4fb3-b363-3b7fe8e74483",
       "Key Vault Administrator",
       "Perform all data plane operations on a key vault and all objects in it.",
       {"Microsoft.KeyVault/vaults/*/read"},
       {"Microsoft.KeyVault/vaults/*"}},
      {"b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
       "Key Vault Secrets Officer",
       "Perform any action on the secrets of a key vault, except manage permissions.",
       {"Microsoft.KeyVault/vaults/*/read"},
       {"Microsoft.KeyVault/vaults/secrets/*"}},
      {"4633458b-17de-408a-b874-0445c86b69e6",
       "Key Vault Secrets User",
       "Read secret contents.",
       {},
       {"Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}},
      {"21090545-7ca7-4776-b22c-e363652d74d2",
       "Key Vault Reader",
       "Read metadata of key vaults and its certificates, keys, and secrets.",
       {"Microsoft.KeyVault/vaults/*/read"},
       {"Microsoft.KeyVault/vaults/secrets/readMetadata/action"}},
      {"673868aa-7521-48a0-acc6-0f60742d39f5",
       "Data Factory Contributor",
       "Create and manage data factories, as well as child resources within them.",
       {"Microsoft.DataFactory/dataFactories/*", "Microsoft.DataFactory/factories/*"},
       {}},
      {"f1a07417-d97a-45cb-824c-7a7467783830",
       "Managed Identity Operator",
       "Read and Assign User Assigned Identity",
       {"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"},
       {}},
      {"e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
       "Managed Identity Contributor",
       "Create, Read, Update, and Delete User Assigned Identity",
       {"Microsoft.ManagedIdentity/userAssignedIdentities/*"},
       {}},
  };
  return *roles;
}

const BuiltInRole* RoleByGuid(const std::string& guid) {
  for (const auto& role : BuiltInRoles()) {
    if (absl::EqualsIgnoreCase(role.guid, guid)) return &role;
  }
  return nullptr;
}

bool IsGuid(const std::string& s) {
  static const std::regex kGuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(s, kGuid);
}

nlohmann::json DefinitionJson(const std::string& subscription_id, const BuiltInRole& role) {
  return {{"id", absl::StrCat("/subscriptions/", subscription_id,
                              "/providers/Microsoft.Authorization/roleDefinitions/", role.guid)},
          {"name", role.guid},
          {"type", kDefinitionType},
          {"properties",
           {{"roleName", role.name},
            {"type", "BuiltInRole"},
            {"description", role.description},
            {"assignableScopes", {"/"}},
            {"permissions",
             {{{"actions", role.actions},
               {"notActions", nlohmann::json::array()},
               {"dataActions", role.data_actions},
               {"notDataActions", nlohmann::json::array()}}}},
            {"createdOn", "2015-02-02T21:55:09.8806423Z"},
            {"updatedOn", "2021-11-11T20:13:00.0000000Z"},
            {"createdBy", nullptr},
            {"updatedBy", nullptr}}}};
}

// The scope as sent, with a leading '/', given the index of the Authorization
// "providers" segment.
std::string ScopeOf(const ArmCall& call, size_t providers) {
  std::vector<std::string> parts(call.seg.begin(), call.seg.begin() + providers);
  return "/" + absl::StrJoin(parts, "/");
}

// "a/b/c" is at or below "a/b" (case-insensitive, on segment boundaries).
bool Within(const std::string& inner, const std::string& outer) {
  std::string i = Lower(inner), o = Lower(outer);
  return i == o || absl::StartsWith(i, o + "/");
}

// The value of `fn eq 'x'` or `fn('x')` in a $filter ("" when absent).
std::string FilterValue(const std::string& filter, const std::string& pattern) {
  std::regex re(pattern, std::regex::icase);
  std::smatch m;
  if (std::regex_search(filter, m, re)) return m[1];
  return "";
}

// Does the scope `scope` exist? Subscription, resource group, or a stored resource.
bool ScopeExists(World& world, size_t providers, const std::string& scope)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  if (providers == 2) return true;
  if (providers == 4) return true;  // the router has checked the resource group
  return FindResource(world, scope) != nullptr;
}

Response RoleDefinitions(ArmCall& call, size_t providers) {
  const std::string& sub = call.world.identity().subscription_id;
  const auto& l = call.lseg;
  if (call.req.method != "GET" && call.req.method != "HEAD") {
    return ArmError(405, "MethodNotAllowed",
                    "cloudsim serves the built-in role definitions only (GET).");
  }
  // .../providers/Microsoft.Authorization/roleDefinitions[/{id}]
  if (l.size() == providers + 4) {
    const BuiltInRole* role = RoleByGuid(call.seg[providers + 3]);
    if (role == nullptr) {
      return ArmError(404, "RoleDefinitionDoesNotExist",
                      absl::StrCat("The specified role definition with ID '",
                                   call.seg[providers + 3], "' does not exist."));
    }
    return ArmJson(200, DefinitionJson(sub, *role));
  }
  if (l.size() != providers + 3) {
    return ArmError(404, "InvalidResourceType",
                    "Unsupported Microsoft.Authorization path " + call.req.path);
  }
  const std::string filter = call.req.Query("$filter");
  const std::string role_name = FilterValue(filter, R"(roleName\s+eq\s+'([^']*)')");
  const std::string type = FilterValue(filter, R"(type\s+eq\s+'([^']*)')");
  std::vector<nlohmann::json> items;
  for (const auto& role : BuiltInRoles()) {
    if (!role_name.empty() && !absl::EqualsIgnoreCase(role.name, role_name)) continue;
    if (!type.empty() && !absl::EqualsIgnoreCase(type, "BuiltInRole")) continue;
    items.push_back(DefinitionJson(sub, role));
  }
  return ArmList(call, items);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response ListAssignments(ArmCall& call, const std::string& scope) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const std::string filter = call.req.Query("$filter");
  const bool at_scope = ContainsIgnoreCase(filter, "atScope()");
  std::string principal = FilterValue(filter, R"(principalId\s+eq\s+'([^']*)')");
  if (principal.empty()) principal = FilterValue(filter, R"(assignedTo\('([^']*)'\))");
  std::vector<nlohmann::json> items;
  for (auto& [key, body] : call.world.Section("role_assignments").items()) {
    const std::string assigned = body["properties"].value("scope", "");
    // Without atScope(): at, above and below the scope; with it: at and above.
    bool above_or_at = Within(scope, assigned);
    bool below = Within(assigned, scope);
    if (!(above_or_at || (!at_scope && below))) continue;
    if (!principal.empty() &&
        !absl::EqualsIgnoreCase(body["properties"].value("principalId", ""), principal)) {
      continue;
    }
    items.push_back(body);
  }
  return ArmList(call, items);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response Assignment(ArmCall& call, size_t providers) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const std::string& m = call.req.method;
  const std::string scope = ScopeOf(call, providers);
  // {scope}/providers/Microsoft.Authorization/roleAssignments[/{name}]
  if (call.lseg.size() == providers + 3) {
    if (m != "GET" && m != "HEAD")
      return ArmError(405, "MethodNotAllowed", "Use GET to list role assignments.");
    return ListAssignments(call, scope);
  }
  if (call.lseg.size() != providers + 4) {
    return ArmError(404, "InvalidResourceType",
                    "Unsupported Microsoft.Authorization path " + call.req.path);
  }
  const std::string name = call.seg[providers + 3];
  const std::string id =
      absl::StrCat(scope, "/providers/Microsoft.Authorization/roleAssignments/", name);
  nlohmann::json& section = world.Section("role_assignments");
  auto it = section.find(Lower(id));
  const bool exists = it != section.end();
  if (m == "GET" || m == "HEAD") {
    if (!exists) {
      return ArmError(404, "RoleAssignmentNotFound",
                      absl::StrCat("The role assignment '", name, "' is not found."));
    }
    return ArmJson(200, *it);
  }
  if (m == "DELETE") {
    if (!exists) return ArmEmpty(204);
    nlohmann::json body = *it;
    section.erase(it);
    world.MarkDirty();
    return ArmJson(200, body);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!IsGuid(name)) {
    return ArmError(400, "InvalidRoleAssignmentId",
                    absl::StrCat("The role assignment ID '", name,
                                 "' is not valid. The role assignment ID must be a GUID."));
  }
  if (!ScopeExists(world, providers, scope)) {
    return ArmError(404, "ResourceNotFound",
                    absl::StrCat("The Resource '", scope.substr(scope.find("/providers/") + 11),
                                 "' was not found."));
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  const nlohmann::json props = body->value("properties", nlohmann::json::object());
  const std::string role_id = props.is_object() ? props.value("roleDefinitionId", "") : "";
  const std::string principal = props.is_object() ? props.value("principalId", "") : "";
  if (role_id.empty() || principal.empty()) {
    return ArmError(400, "InvalidRequestContent",
                    "The request content was invalid: properties.roleDefinitionId and "
                    "properties.principalId are required.");
  }
  const std::string role_guid = role_id.substr(role_id.rfind('/') + 1);
  if (!absl::StartsWithIgnoreCase(role_id,
                                  "/subscriptions/" + world.identity().subscription_id +
                                      "/providers/Microsoft.Authorization/roleDefinitions/") &&
      !absl::StartsWithIgnoreCase(role_id, "/providers/Microsoft.Authorization/roleDefinitions/")) {
    return ArmError(400, "InvalidRoleDefinitionId",
                    absl::StrCat("The role definition ID '", role_id, "' is not valid."));
  }
  if (RoleByGuid(role_guid) == nullptr) {
    return ArmError(
        400, "RoleDefinitionDoesNotExist",
        absl::StrCat("The specified role definition with ID '", role_guid, "' does not exist."));
  }
  if (!IsGuid(principal)) {
    return ArmError(400, "InvalidPrincipalId",
                    "A valid principal ID must be provided for role assignment.");
  }
  const std::string principal_type = props.value("principalType", "User");
  static const std::vector<std::string> kTypes = {"User", "Group", "ServicePrincipal",
                                                  "ForeignGroup", "Device"};
  if (std::find(kTypes.begin(), kTypes.end(), principal_type) == kTypes.end()) {
    return ArmError(400, "InvalidPrincipalType",
                    absl::StrCat("The principal type '", principal_type, "' is not valid."));
  }
  const std::string stored_role =
      absl::StrCat("/subscriptions/", world.identity().subscription_id,
                   "/providers/Microsoft.Authorization/roleDefinitions/", Lower(role_guid));
  if (exists) {
    const nlohmann::json& old = (*it)["properties"];
    if (!absl::EqualsIgnoreCase(old.value("principalId", ""), principal) ||
        !absl::EqualsIgnoreCase(old.value("roleDefinitionId", ""), stored_role)) {
      return ArmError(
          409, "RoleAssignmentUpdateNotPermitted",
          "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
  }
  for (auto& [key, other] : section.items()) {
    if (key == Lower(id)) continue;
    const nlohmann::json& p = other["properties"];
    if (absl::EqualsIgnoreCase(p.value("scope", ""), scope) &&
        absl::EqualsIgnoreCase(p.value("principalId", ""), principal) &&
        absl::EqualsIgnoreCase(p.value("roleDefinitionId", ""), stored_role)) {
      return ArmError(409, "RoleAssignmentExists", "The role assignment already exists.");
    }
  }
  const std::string now = IsoTime(world.Now());
  nlohmann::json stored = {
      {"id", id},
      {"name", name},
      {"type", kAssignmentType},
      {"properties",
       {{"roleDefinitionId", stored_role},
        {"principalId", principal},
        {"principalType", principal_type},
        {"scope", scope},
        {"condition", props.contains("condition") ? props["condition"] : nlohmann::json(nullptr)},
        {"conditionVersion",
         props.contains("conditionVersion") ? props["conditionVersion"] : nlohmann::json(nullptr)},
        {"description",
         props.contains("description") ? props["description"] : nlohmann::json(nullptr)},
        {"createdOn", exists ? (*it)["properties"].value("createdOn", now) : now},
        {"updatedOn", now},
        {"createdBy",
         exists ? (*it)["properties"].value("createdBy", call.caller.oid) : call.caller.oid},
        {"updatedBy", call.caller.oid},
        {"delegatedManagedIdentityResourceId", nullptr}}}};
  section[Lower(id)] = stored;
  world.MarkDirty();
  return ArmJson(exists ? 200 : 201, stored);
}

}  // namespace

size_t AuthorizationProvidersIndex(const std::vector<std::string>& lseg) {
  for (size_t i = lseg.size(); i-- > 0;) {
    if (lseg[i] == "providers" && i + 1 < lseg.size() && lseg[i + 1] == "microsoft.authorization") {
      return i;
    }
  }
  return 0;
}

Response HandleAuthorization(ArmCall& call, size_t providers) {
  const std::string type = call.L(providers + 2);
  if (type == "roledefinitions") return RoleDefinitions(call, providers);
  if (type == "roleassignments") return Assignment(call, providers);
  return ArmError(
      404, "InvalidResourceType",
      "cloudsim serves roleAssignments and roleDefinitions of Microsoft.Authorization, not " +
          call.req.path);
}

bool HasRoleAt(World& world, const std::string& principal_id, const std::string& resource_id,
               const std::vector<std::string>& role_names) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (auto& [key, body] : world.Section("role_assignments").items()) {
    const nlohmann::json& p = body["properties"];
    if (!absl::EqualsIgnoreCase(p.value("principalId", ""), principal_id)) continue;
    if (!Within(resource_id, p.value("scope", ""))) continue;
    const std::string role_id = p.value("roleDefinitionId", "");
    const BuiltInRole* role = RoleByGuid(role_id.substr(role_id.rfind('/') + 1));
    if (role == nullptr) continue;
    for (const auto& n : role_names) {
      if (n == role->name) return true;
    }
  }
  return false;
}

std::string BuiltInRoleName(const std::string& role_definition_id) {
  const BuiltInRole* role =
      RoleByGuid(role_definition_id.substr(role_definition_id.rfind('/') + 1));
  return role == nullptr ? std::string() : std::string(role->name);
}

bool ScopeContains(const std::string& outer, const std::string& inner) {
  return Within(inner, outer);
}

void EraseRoleAssignmentsUnder(World& world, const std::string& scope)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& section = world.Section("role_assignments");
  std::vector<std::string> gone;
  for (auto& [key, body] : section.items()) {
    if (Within(body["properties"].value("scope", ""), scope)) gone.push_back(key);
  }
  for (const auto& key : gone) section.erase(key);
  if (!gone.empty()) world.MarkDirty();
}

}  // namespace envctl::cloudsim
