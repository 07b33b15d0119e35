// Microsoft.KeyVault management plane (reference §5): vaults with access policies, soft
// delete into deletedVaults, recover via createMode=recover, purge, name checks. Each
// live vault owns a data-plane origin (Platform::OpenOrigin) named in its vaultUri.
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"
#include "cloudsim/keyvault/vaults.h"

namespace envctl::cloudsim {
namespace {

bool ValidVaultName(const std::string& n) {
  static const std::regex kPattern("^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$");
  return std::regex_match(n, kPattern) && n.find("--") == std::string::npos;
}

Response BadRequest(const std::string& message) { return ArmError(400, "BadRequest", message); }

std::string DeletedVaultId(World& world, const std::string& location, const std::string& name) {
  return absl::StrCat("/subscriptions/", world.identity().subscription_id,
                      "/providers/Microsoft.KeyVault/locations/", Lower(location),
                      "/deletedVaults/", name);
}

// Validates the body of a PUT; fills *props with the normalized properties.
Response ValidateVaultProperties(const nlohmann::json& body, const nlohmann::json* existing,
                                 nlohmann::json* props) {
  if (!body.contains("properties") || !body["properties"].is_object()) {
    return BadRequest("The property 'properties' is required.");
  }
  const nlohmann::json& p = body["properties"];
  if (!p.contains("tenantId") || !p["tenantId"].is_string()) {
    return BadRequest("The property 'tenantId' is required.");
  }
  if (!p.contains("sku") || !p["sku"].is_object() || p["sku"].value("family", "") != "A" ||
      (Lower(p["sku"].value("name", "")) != "standard" &&
       Lower(p["sku"].value("name", "")) != "premium")) {
    return BadRequest(
        "The property 'sku' must be {\"family\": \"A\", \"name\": \"standard\"|\"premium\"}.");
  }
  bool rbac = p.value("enableRbacAuthorization", false);
  if (!rbac && (!p.contains("accessPolicies") || !p["accessPolicies"].is_array())) {
    return BadRequest(
        "The parameter accessPolicies is not specified: access policies are "
        "required unless enableRbacAuthorization is true.");
  }
  if (p.contains("enableSoftDelete") && p["enableSoftDelete"] == false) {
    return BadRequest(
        "The property \"enableSoftDelete\" cannot be set to false: soft delete can "
        "no longer be disabled on a vault.");
  }
  int retention = p.value("softDeleteRetentionInDays", 90);
  if (retention < 7 || retention > 90) {
    return BadRequest("The property \"softDeleteRetentionInDays\" must be between 7 and 90.");
  }
  if (existing != nullptr) {
    const nlohmann::json& old = (*existing)["properties"];
    if (old.value("enablePurgeProtection", false) && p.contains("enablePurgeProtection") &&
        p["enablePurgeProtection"] == false) {
      return BadRequest(
          "The property \"enablePurgeProtection\" cannot be set to false. Enabling "
          "the purge protection for a vault is an irreversible action.");
    }
    if (p.contains("softDeleteRetentionInDays") &&
        old.value("softDeleteRetentionInDays", 90) != retention) {
      return BadRequest(
          "The property \"softDeleteRetentionInDays\" can only be set at vault "
          "creation.");
    }
  }
  nlohmann::json out = {
      {"enabledForDeployment", false},         {"enabledForDiskEncryption", false},
      {"enabledForTemplateDeployment", false}, {"enableSoftDelete", true},
      {"softDeleteRetentionInDays", 90},       {"enableRbacAuthorization", false},
      {"publicNetworkAccess", "Enabled"},      {"accessPolicies", nlohmann::json::array()}};
  for (auto& [k, v] : p.items()) {
    if (k == "createMode" || k == "vaultUri" || k == "provisioningState") continue;
    out[k] = v;
  }
  if (existing != nullptr && (*existing)["properties"].value("enablePurgeProtection", false)) {
    out["enablePurgeProtection"] = true;
  }
  *props = out;
  return ArmEmpty(0);
}

bool SamePrincipal(const nlohmann::json& a, const nlohmann::json& b) {
  return Lower(a.value("tenantId", "")) == Lower(b.value("tenantId", "")) &&
         Lower(a.value("objectId", "")) == Lower(b.value("objectId", "")) &&
         Lower(a.value("applicationId", "")) == Lower(b.value("applicationId", ""));
}

// accessPolicies/{add|replace|remove} (reference §5.3).
void ApplyPolicyUpdate(nlohmann::json& policies, const nlohmann::json& updates,
                       const std::string& op) {
  for (const auto& u : updates) {
    auto it = policies.begin();
    for (; it != policies.end(); ++it) {
      if (SamePrincipal(*it, u)) break;
    }
    nlohmann::json perms = u.contains("permissions") ? u["permissions"] : nlohmann::json::object();
    if (op == "replace") {
      if (it == policies.end()) {
        policies.push_back(u);
      } else {
        (*it)["permissions"] = perms;
      }
      continue;
    }
    if (op == "add") {
      if (it == policies.end()) {
        policies.push_back(u);
        continue;
      }
      for (auto& [category, list] : perms.items()) {
        std::set<std::string> seen;
        nlohmann::json merged = (*it)["permissions"].value(category, nlohmann::json::array());
        for (const auto& p : merged) seen.insert(Lower(p.get<std::string>()));
        for (const auto& p : list) {
          if (seen.insert(Lower(p.get<std::string>())).second) merged.push_back(p);
        }
        (*it)["permissions"][category] = merged;
      }
      continue;
    }
    // remove
    if (it == policies.end()) continue;
    bool empty = true;
    for (auto& [category, list] : (*it)["permissions"].items()) {
      std::set<std::string> drop;
      for (const auto& p : perms.value(category, nlohmann::json::array()))
        drop.insert(Lower(p.get<std::string>()));
      nlohmann::json kept = nlohmann::json::array();
      for (const auto& p : list) {
        if (drop.count(Lower(p.get<std::string>())) == 0) kept.push_back(p);
      }
      list = kept;
      if (!kept.empty()) empty = false;
    }
    if (empty) policies.erase(it);
  }
}

Response OpenVault(World& world, nlohmann::json& body) {
  auto origin = world.platform().OpenOrigin("vault:" + Lower(body["name"].get<std::string>()));
  if (!origin.ok()) {
    return ArmError(500, "InternalServerError",
                    "cloudsim could not open the vault's data-plane origin: " +
                        std::string(origin.status().message()));
  }
  body["properties"]["vaultUri"] = *origin + "/";
  return ArmEmpty(0);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleSubscriptionScope(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l.size() == 5 && l[4] == "vaults" && m == "GET") {
    std::vector<nlohmann::json> items;
    for (auto& [key, slot] : world.Section("resources").items()) {
      if (Lower(slot["body"].value("type", "")) == Lower(kVaultType)) items.push_back(slot["body"]);
    }
    return ArmList(call, items);
  }
  if (l.size() == 5 && l[4] == "deletedvaults" && m == "GET") {
    std::vector<nlohmann::json> items;
    for (auto& [key, d] : world.Section("deleted_vaults").items()) items.push_back(d["deleted"]);
    return ArmList(call, items);
  }
  // cloudsim emulates no Managed HSM: the lists are empty, as for a subscription without
  // any (az keyvault list-deleted lists both kinds).
  if (l.size() == 5 && (l[4] == "managedhsms" || l[4] == "deletedmanagedhsms") && m == "GET") {
    return ArmList(call, {});
  }
  if (l.size() >= 8 && l[4] == "locations" && l[6] == "deletedmanagedhsms") {
    return ArmError(
        404, "ResourceNotFound",
        "The Resource 'Microsoft.KeyVault/deletedManagedHSMs/" + call.seg[7] + "' was not found.");
  }
  if (l.size() == 5 && l[4] == "checknameavailability" && m == "POST") {
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    std::string name = body->value("name", "");
    if (!ValidVaultName(name)) {
      return ArmJson(200, {{"nameAvailable", false},
                           {"reason", "AccountNameInvalid"},
                           {"message",
                            "Vault name must be 3-24 letters, digits and hyphens, start "
                            "with a letter and end with a letter or digit."}});
    }
    if (FindVaultByName(world, name) != nullptr ||
        world.Section("deleted_vaults").contains(Lower(name))) {
      return ArmJson(200, {{"nameAvailable", false},
                           {"reason", "AlreadyExists"},
                           {"message", "The vault name '" + name + "' is already in use."}});
    }
    return ArmJson(200, {{"nameAvailable", true}});
  }
  if (l.size() >= 8 && l[4] == "locations" && l[6] == "deletedvaults") {
    nlohmann::json& deleted = world.Section("deleted_vaults");
    auto it = deleted.find(Lower(call.seg[7]));
    if (it == deleted.end()) {
      return ArmError(
          404, "ResourceNotFound",
          "The Resource 'Microsoft.KeyVault/deletedVaults/" + call.seg[7] + "' was not found.");
    }
    if (l.size() == 8 && m == "GET") return ArmJson(200, (*it)["deleted"]);
    if (l.size() == 9 && l[8] == "purge" && m == "POST") {
      const nlohmann::json& props = (*it)["deleted"]["properties"];
      auto purge_date = ParseIsoTime(props.value("scheduledPurgeDate", ""));
      if (props.value("purgeProtectionEnabled", false) && purge_date.ok() &&
          world.Now() < *purge_date) {
        return ArmError(409, "Conflict",
                        "Operation \"purge\" is not allowed because purge protection is enabled "
                        "for this vault. Key Vault service will automatically purge it after the "
                        "retention period has passed.");
      }
      world.Section("vault_data").erase(it.key());
      deleted.erase(it);
      world.MarkDirty();
      return ArmEmpty(200);
    }
  }
  return ArmError(404, "InvalidResourceType", "Unsupported Key Vault path " + call.req.path);
}

}  // namespace

void SoftDeleteVault(World& world, const std::string& vault_key)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json* slot = FindResource(world, vault_key);
  if (slot == nullptr) return;
  nlohmann::json body = (*slot)["body"];
  const std::string name = body["name"];
  const nlohmann::json& p = body["properties"];
  absl::Time now = world.Now();
  nlohmann::json deleted = {
      {"id", DeletedVaultId(world, body.value("location", ""), name)},
      {"name", name},
      {"type", "Microsoft.KeyVault/deletedVaults"},
      {"properties",
       {{"vaultId", body["id"]},
        {"location", body["location"]},
        {"tags", body.value("tags", nlohmann::json::object())},
        {"deletionDate", IsoTime(now)},
        {"scheduledPurgeDate",
         IsoTime(now + absl::Hours(24) * p.value("softDeleteRetentionInDays", 90))},
        {"purgeProtectionEnabled", p.value("enablePurgeProtection", false)}}}};
  world.Section("deleted_vaults")[Lower(name)] = {{"deleted", deleted}, {"vault", *slot}};
  world.platform().CloseOrigin("vault:" + Lower(name));
  EraseResource(world, vault_key);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleKeyVaultManagement(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l[2] == "providers") return HandleSubscriptionScope(call);
  if (l.size() < 7 || l[6] != "vaults") {
    return ArmError(404, "InvalidResourceType", "Unsupported Key Vault path " + call.req.path);
  }
  nlohmann::json& rg = *FindResourceGroup(world, call.seg[3]);
  const std::string rg_name = rg["name"];
  if (l.size() == 7) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list vaults.");
    std::vector<nlohmann::json> items;
    for (const auto& key : ResourceIdsUnder(
             world, rg["id"].get<std::string>() + "/providers/Microsoft.KeyVault/vaults")) {
      items.push_back((*FindResource(world, key))["body"]);
    }
    return ArmList(call, items);
  }
  const std::string name = call.seg[7];
  const std::string id =
      rg["id"].get<std::string>() + "/providers/Microsoft.KeyVault/vaults/" + name;
  nlohmann::json* slot = FindResource(world, id);
  if (l.size() == 10 && l[8] == "accesspolicies" && m == "PUT") {
    if (slot == nullptr) return ResourceNotFound(kVaultType, name, rg_name);
    const std::string op = l[9];
    if (op != "add" && op != "replace" && op != "remove") {
      return BadRequest("operationKind must be add, replace or remove, got '" + call.seg[9] + "'.");
    }
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    if (!body->contains("properties") || !(*body)["properties"].contains("accessPolicies") ||
        !(*body)["properties"]["accessPolicies"].is_array()) {
      return BadRequest("The property 'properties.accessPolicies' is required.");
    }
    nlohmann::json& policies = (*slot)["body"]["properties"]["accessPolicies"];
    if (!policies.is_array()) policies = nlohmann::json::array();
    ApplyPolicyUpdate(policies, (*body)["properties"]["accessPolicies"], op);
    world.MarkDirty();
    // updateAccessPoliciesAdd.json: the id names the policies, not the operation kind.
    return ArmJson(200,
                   {{"id", (*slot)["body"]["id"].get<std::string>() + "/accessPolicies/"},
                    {"type", "Microsoft.KeyVault/vaults/accessPolicies"},
                    {"location", (*slot)["body"]["location"]},
                    {"properties", {{"accessPolicies", (*body)["properties"]["accessPolicies"]}}}});
  }
  if (l.size() != 8)
    return ArmError(404, "InvalidResourceType", "Unsupported Key Vault path " + call.req.path);
  if (m == "GET") {
    if (slot == nullptr) return ResourceNotFound(kVaultType, name, rg_name);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    SoftDeleteVault(world, Lower((*slot)["body"]["id"].get<std::string>()));
    return ArmEmpty(200);
  }
  if (m == "PATCH") {
    if (slot == nullptr) return ResourceNotFound(kVaultType, name, rg_name);
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    nlohmann::json& stored = (*slot)["body"];
    if (body->contains("properties") && (*body)["properties"].is_object()) {
      const nlohmann::json& p = (*body)["properties"];
      if (stored["properties"].value("enablePurgeProtection", false) &&
          p.contains("enablePurgeProtection") && p["enablePurgeProtection"] == false) {
        return BadRequest(
            "The property \"enablePurgeProtection\" cannot be set to false. Enabling "
            "the purge protection for a vault is an irreversible action.");
      }
      if (p.contains("enableSoftDelete") && p["enableSoftDelete"] == false) {
        return BadRequest("The property \"enableSoftDelete\" cannot be set to false.");
      }
    }
    std::string tag_error = ValidateTags(*body);
    if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
    nlohmann::json patch = *body;
    if (patch.contains("properties")) {
      patch["properties"].erase("vaultUri");
      patch["properties"].erase("provisioningState");
    }
    MergePatch(stored, patch);
    stored["systemData"]["lastModifiedAt"] = IsoTime(world.Now());
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!ValidVaultName(name)) {
    return ArmError(
        400, "VaultNameNotValid",
        "The vault name '" + name +
            "' is invalid. A vault's name must be between 3-24 "
            "alphanumeric characters. The name must begin with a letter, end with a letter "
            "or digit, and not contain consecutive hyphens.");
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  if (auto error = LocationError(*body, "Microsoft.KeyVault/vaults")) return *error;
  std::string location = body->value("location", "");
  std::string tag_error = ValidateTags(*body);
  if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
  nlohmann::json& deleted = world.Section("deleted_vaults");
  bool recover = body->contains("properties") && (*body)["properties"].is_object() &&
                 Lower((*body)["properties"].value("createMode", "")) == "recover";
  if (recover && slot == nullptr) {
    auto it = deleted.find(Lower(name));
    if (it == deleted.end()) {
      return ArmError(
          400, "SoftDeletedVaultDoesNotExist",
          "A soft deleted vault with the given name does not exist. Ensure that the name "
          "for the vault that is being attempted to recover is in a recoverable state. "
          "For more information on soft delete please follow this link "
          "https://go.microsoft.com/fwlink/?linkid=2149745");
    }
    nlohmann::json restored = (*it)["vault"];
    deleted.erase(it);
    nlohmann::json& vault = restored["body"];
    vault["id"] = id;
    if (body->contains("tags")) vault["tags"] = (*body)["tags"];
    Response opened = OpenVault(world, vault);
    if (opened.status != 0) return opened;
    world.Section("resources")[Lower(id)] = restored;
    world.MarkDirty();
    return ArmJson(200, vault);
  }
  if (slot == nullptr) {
    if (deleted.contains(Lower(name))) {
      return ArmError(
          409, "ConflictError",
          "A vault with the same name already exists in deleted state. You need to "
          "either recover or purge existing key vault. Follow this link "
          "https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft "
          "delete.");
    }
    if (FindVaultByName(world, name) != nullptr) {
      return ArmError(409, "VaultAlreadyExists",
                      "The vault name '" + name +
                          "' is already in use. Vault names are globally "
                          "unique so it is possible that the name is already taken.");
    }
  }
  nlohmann::json props;
  Response invalid =
      ValidateVaultProperties(*body, slot != nullptr ? &(*slot)["body"] : nullptr, &props);
  if (invalid.status != 0) return invalid;
  absl::Time now = world.Now();
  const std::string& oid = call.caller.oid;
  nlohmann::json vault = {
      {"id", slot != nullptr ? (*slot)["body"]["id"].get<std::string>() : id},
      {"name", slot != nullptr ? (*slot)["body"]["name"].get<std::string>() : name},
      {"type", kVaultType},
      {"location", location},
      {"tags", body->contains("tags") && (*body)["tags"].is_object() ? (*body)["tags"]
                                                                     : nlohmann::json::object()},
      {"systemData",
       {{"createdBy", oid},
        {"createdByType", "Application"},
        {"createdAt", IsoTime(now)},
        {"lastModifiedBy", oid},
        {"lastModifiedByType", "Application"},
        {"lastModifiedAt", IsoTime(now)}}},
      {"properties", props}};
  if (slot != nullptr) {
    vault["systemData"]["createdBy"] = (*slot)["body"]["systemData"].value("createdBy", oid);
    vault["systemData"]["createdAt"] =
        (*slot)["body"]["systemData"].value("createdAt", IsoTime(now));
  }
  vault["properties"]["provisioningState"] = "Succeeded";
  Response opened = OpenVault(world, vault);
  if (opened.status != 0) return opened;
  bool created = slot == nullptr;
  PutResource(world, vault["id"], vault);
  if (created) VaultData(world, name);
  return ArmJson(created ? 201 : 200, vault);
}

}  // namespace envctl::cloudsim
