// Resource groups (Microsoft.Resources, reference §3), the /resources lists, and RG
// deletion as a long-running operation that removes every child.
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/authorization.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr absl::Duration kRgDeleteDuration = absl::Seconds(2);

bool ValidRgName(const std::string& name) {
  static const std::regex kPattern(R"(^[-\w\._\(\)]{1,90}$)");
  return std::regex_match(name, kPattern) && name.back() != '.';
}

// Parses "tagName eq 'x' and tagValue eq 'y'" (either part optional).
void ParseTagFilter(const std::string& filter, std::string* name, std::string* value) {
  static const std::regex kName(R"(tagName\s+eq\s+'([^']*)')", std::regex::icase);
  static const std::regex kValue(R"(tagValue\s+eq\s+'([^']*)')", std::regex::icase);
  std::smatch m;
  if (std::regex_search(filter, m, kName)) *name = m[1];
  if (std::regex_search(filter, m, kValue)) *value = m[1];
}

bool TagMatches(const nlohmann::json& body, const std::string& name, const std::string& value) {
  if (name.empty()) return true;
  if (!body.contains("tags") || !body["tags"].is_object()) return false;
  for (auto& [k, v] : body["tags"].items()) {
    if (absl::EqualsIgnoreCase(k, name) && (value.empty() || (v.is_string() && v == value))) {
      return true;
    }
  }
  return false;
}

// Top-level resources only: /subscriptions/s/resourceGroups/g/providers/ns/type/name.
bool IsTopLevel(const std::string& key) { return std::count(key.begin(), key.end(), '/') == 8; }

nlohmann::json ResourceSummary(const nlohmann::json& body) {
  nlohmann::json out;
  for (const char* k :
       {"id", "name", "type", "location", "tags", "sku", "kind", "identity", "managedBy"}) {
    if (body.contains(k)) out[k] = body[k];
  }
  return out;
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response ListResources(ArmCall& call, const std::string& rg_prefix) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::string type_filter;
  std::string tag_name, tag_value;
  std::string filter = call.req.Query("$filter");
  static const std::regex kType(R"(resourceType\s+eq\s+'([^']*)')", std::regex::icase);
  std::smatch m;
  if (std::regex_search(filter, m, kType)) type_filter = m[1];
  ParseTagFilter(filter, &tag_name, &tag_value);
  std::vector<nlohmann::json> items;
  for (auto& [key, slot] : call.world.Section("resources").items()) {
    if (!IsTopLevel(key)) continue;
    if (!rg_prefix.empty() && !absl::StartsWith(key, Lower(rg_prefix) + "/")) continue;
    const nlohmann::json& body = slot["body"];
    if (!type_filter.empty() && !absl::EqualsIgnoreCase(body.value("type", ""), type_filter))
      continue;
    if (!TagMatches(body, tag_name, tag_value)) continue;
    items.push_back(ResourceSummary(body));
  }
  return ArmList(call, items);
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleResourceGroups(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l.size() == 3 && l[2] == "resources" && m == "GET") return ListResources(call, "");
  if (l.size() < 3 || l[2] != "resourcegroups" || l.size() > 5) {
    return ArmError(404, "InvalidResourceType",
                    "The resource path '" + call.req.path + "' is not served by cloudsim.");
  }
  nlohmann::json& rgs = world.Section("resource_groups");
  if (l.size() == 3) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list resource groups.");
    std::string tag_name, tag_value;
    ParseTagFilter(call.req.Query("$filter"), &tag_name, &tag_value);
    std::vector<nlohmann::json> items;
    for (auto& [key, body] : rgs.items()) {
      if (TagMatches(body, tag_name, tag_value)) items.push_back(body);
    }
    return ArmList(call, items);
  }
  const std::string& name = call.seg[3];
  nlohmann::json* rg = FindResourceGroup(world, name);
  if (l.size() == 5) {
    if (l[4] != "resources" || m != "GET") {
      return ArmError(404, "InvalidResourceType", "Unsupported path " + call.req.path);
    }
    if (rg == nullptr) return ResourceGroupNotFound(name);
    return ListResources(call, (*rg)["id"].get<std::string>());
  }
  if (m == "GET" || m == "HEAD") {
    if (rg == nullptr) return m == "HEAD" ? ArmEmpty(404) : ResourceGroupNotFound(name);
    return m == "HEAD" ? ArmEmpty(204) : ArmJson(200, *rg);
  }
  if (m == "PUT") {
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    if (!ValidRgName(name)) {
      return ArmError(400, "InvalidResourceGroupName",
                      "Resource group name '" + name +
                          "' is invalid: use 1-90 letters, digits, '_', '-', '.', '(' or ')', "
                          "not ending in '.'.");
    }
    if (auto error = LocationError(*body, "")) return *error;
    std::string location = body->value("location", "");
    std::string tag_error = ValidateTags(*body);
    if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
    nlohmann::json tags = body->contains("tags") && (*body)["tags"].is_object()
                              ? (*body)["tags"]
                              : nlohmann::json::object();
    if (rg != nullptr) {
      if ((*rg)["properties"].value("provisioningState", "") == "Deleting") {
        return ArmError(409, "ResourceGroupBeingDeleted",
                        "The resource group '" + name +
                            "' is in deprovisioning state and cannot perform this operation.");
      }
      if (Lower((*rg)["location"].get<std::string>()) != Lower(location)) {
        return ArmError(409, "InvalidResourceGroupLocation",
                        absl::StrCat("Invalid resource group location '", location,
                                     "'. The Resource group already exists in location '",
                                     (*rg)["location"].get<std::string>(), "'."));
      }
      (*rg)["tags"] = tags;
      if (body->contains("managedBy")) (*rg)["managedBy"] = (*body)["managedBy"];
      world.MarkDirty();
      return ArmJson(200, *rg);
    }
    nlohmann::json created = {
        {"id", absl::StrCat("/subscriptions/", world.identity().subscription_id, "/resourceGroups/",
                            name)},
        {"name", name},
        {"type", "Microsoft.Resources/resourceGroups"},
        {"location", location},
        {"tags", tags},
        {"properties", {{"provisioningState", "Succeeded"}}}};
    if (body->contains("managedBy")) created["managedBy"] = (*body)["managedBy"];
    rgs[Lower(name)] = created;
    world.MarkDirty();
    return ArmJson(201, created);
  }
  if (rg == nullptr) return ResourceGroupNotFound(name);
  if (m == "PATCH") {
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    std::string tag_error = ValidateTags(*body);
    if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
    if (body->contains("tags")) (*rg)["tags"] = (*body)["tags"];
    if (body->contains("managedBy")) (*rg)["managedBy"] = (*body)["managedBy"];
    world.MarkDirty();
    return ArmJson(200, *rg);
  }
  if (m == "DELETE") {
    (*rg)["properties"]["provisioningState"] = "Deleting";
    std::string op = StartOperation(world, "rg_delete", (*rg)["id"], kRgDeleteDuration);
    Response r = ArmEmpty(202);
    r.headers["Location"] =
        absl::StrCat(call.base_url, "/subscriptions/", world.identity().subscription_id,
                     "/operationresults/", op, "?api-version=", call.api_version);
    r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(world, op));
    return r;
  }
  return ArmError(405, "MethodNotAllowed", "The method " + m + " is not allowed here.");
}

void DeleteResourcesUnder(World& world, const std::string& rg_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (const auto& key : ResourceIdsUnder(world, rg_id)) {
    nlohmann::json* slot = FindResource(world, key);
    if (slot == nullptr) continue;  // removed with its parent
    std::string type = Lower((*slot)["body"].value("type", ""));
    if (type == "microsoft.keyvault/vaults") {
      SoftDeleteVault(world, key);
    } else if (type == "microsoft.databricks/workspaces") {
      TearDownWorkspace(world, key);
    } else {
      EraseResource(world, key);
    }
  }
}

void CompleteResourceGroupDelete(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::string rg_id = op["resource_id"];
  DeleteResourcesUnder(world, rg_id);
  EraseRoleAssignmentsUnder(world, rg_id);
  std::string name = rg_id.substr(rg_id.rfind('/') + 1);
  world.Section("resource_groups").erase(Lower(name));
  world.MarkDirty();
}

}  // namespace envctl::cloudsim
