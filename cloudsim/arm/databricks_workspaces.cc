// Microsoft.Databricks/workspaces (reference §8): create and delete are
// Azure-AsyncOperation LROs; on completion a simulated workspace (WorkspaceBackend via
// Platform) gets its own origin, named by properties.workspaceUrl, and the managed
// resource group is created (and deleted with the workspace).
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr absl::Duration kCreateDuration = absl::Seconds(5);
constexpr absl::Duration kDeleteDuration = absl::Seconds(3);
constexpr char kType[] = "Microsoft.Databricks/workspaces";

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response Accepted(ArmCall& call, int status, const nlohmann::json& body, const std::string& op,
                  const std::string& resource_id,
                  bool with_location) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  Response r = body.is_null() ? ArmEmpty(status) : ArmJson(status, body);
  r.headers["Azure-AsyncOperation"] = absl::StrCat(
      call.base_url, resource_id, "/operationStatuses/", op, "?api-version=", call.api_version);
  if (with_location) {
    r.headers["Location"] = absl::StrCat(call.base_url, resource_id, "/operationResults/", op,
                                         "?api-version=", call.api_version);
  }
  r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(call.world, op));
  return r;
}

// Properties a client may set; the rest of `properties` is read-only and filled here.
constexpr const char* kWritableProperties[] = {"managedResourceGroupId",
                                               "uiDefinitionUri",
                                               "authorizations",
                                               "encryption",
                                               "enhancedSecurityCompliance",
                                               "publicNetworkAccess",
                                               "requiredNsgRules",
                                               "accessConnector",
                                               "defaultStorageFirewall",
                                               "defaultCatalog",
                                               "createdBy",
                                               "storageAccountIdentity"};

// Each custom parameter comes back as {"type": String|Bool|Object, "value": ...}, as
// in the spec's WorkspaceCustomParameters (type is read-only), with the defaults Azure
// fills for a new workspace.
nlohmann::json WorkspaceParameters(const nlohmann::json& requested,
                                   const nlohmann::json& previous) {
  nlohmann::json out = previous.is_object() ? previous : nlohmann::json::object();
  if (!out.contains("enableNoPublicIp")) out["enableNoPublicIp"] = {{"value", true}};
  if (!out.contains("prepareEncryption")) out["prepareEncryption"] = {{"value", false}};
  if (!out.contains("requireInfrastructureEncryption")) {
    out["requireInfrastructureEncryption"] = {{"value", false}};
  }
  if (!out.contains("storageAccountName")) {
    out["storageAccountName"] = {{"value", "dbstorage" + Lower(RandomHex(6)).substr(0, 13)}};
  }
  if (!out.contains("storageAccountSkuName"))
    out["storageAccountSkuName"] = {{"value", "Standard_GRS"}};
  if (!out.contains("resourceTags")) {
    out["resourceTags"] = {
        {"value", {{"application", "databricks"}, {"databricks-environment", "true"}}}};
  }
  if (requested.is_object()) {
    for (auto& [key, param] : requested.items()) {
      if (key == "resourceTags") continue;  // read-only
      out[key] = param.is_object() && param.contains("value")
                     ? nlohmann::json{{"value", param["value"]}}
                     : nlohmann::json{{"value", param}};
    }
  }
  for (auto& [key, param] : out.items()) {
    const nlohmann::json& v = param["value"];
    param["type"] = v.is_boolean() ? "Bool" : v.is_object() ? "Object" : "String";
  }
  return out;
}

// Copies the writable properties of a PUT into `stored` and fills the read-only ones.
void ApplyWorkspaceProperties(nlohmann::json& stored, const nlohmann::json& requested) {
  for (const char* key : kWritableProperties) {
    if (requested.contains(key) && std::string(key) != "createdBy") stored[key] = requested[key];
  }
  stored["parameters"] = WorkspaceParameters(requested.value("parameters", nlohmann::json()),
                                             stored.value("parameters", nlohmann::json()));
  if (!stored.contains("defaultStorageFirewall")) stored["defaultStorageFirewall"] = "Disabled";
  if (!stored.contains("publicNetworkAccess")) stored["publicNetworkAccess"] = "Enabled";
  if (!stored.contains("authorizations")) stored["authorizations"] = nlohmann::json::array();
  if (stored.contains("defaultCatalog") && stored["defaultCatalog"].is_object() &&
      !stored["defaultCatalog"].contains("initialType")) {
    stored["defaultCatalog"]["initialType"] = "HiveMetastore";
  }
  // New workspaces are enabled for Unity Catalog automatically.
  stored["isUcEnabled"] = true;
}

}  // namespace

void TearDownWorkspace(World& world, const std::string& key)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json* slot = FindResource(world, key);
  if (slot == nullptr) return;
  const nlohmann::json& p = (*slot)["body"]["properties"];
  std::string ws_id = p.value("workspaceId", "");
  std::string managed = p.value("managedResourceGroupId", "");
  if (!ws_id.empty()) {
    world.platform().DeleteWorkspace(ws_id);
    world.platform().CloseOrigin("workspace:" + ws_id);
  }
  EraseResource(world, key);
  if (!managed.empty()) {
    std::string rg_name = managed.substr(managed.rfind('/') + 1);
    nlohmann::json* rg = FindResourceGroup(world, rg_name);
    if (rg != nullptr && Lower(rg->value("managedBy", "")) == Lower(key)) {
      DeleteResourcesUnder(world, (*rg)["id"]);
      world.Section("resource_groups").erase(Lower(rg_name));
    }
  }
  world.MarkDirty();
}

void CompleteWorkspaceCreate(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json* slot = FindResource(world, op["resource_id"]);
  if (slot == nullptr) return;
  nlohmann::json& body = (*slot)["body"];
  std::string ws_id = RandomDigits(16);
  auto origin = world.platform().OpenOrigin("workspace:" + ws_id);
  if (!origin.ok()) {
    body["properties"]["provisioningState"] = "Failed";
    world.MarkDirty();
    return;
  }
  std::string url = origin->substr(std::string("https://").size());
  if (!world.platform().CreateWorkspace(ws_id, url).ok()) {
    body["properties"]["provisioningState"] = "Failed";
    world.MarkDirty();
    return;
  }
  body["properties"]["workspaceId"] = ws_id;
  body["properties"]["workspaceUrl"] = url;
  body["properties"]["provisioningState"] = "Succeeded";
  std::string managed = body["properties"].value("managedResourceGroupId", "");
  std::string rg_name = managed.substr(managed.rfind('/') + 1);
  if (!rg_name.empty() && FindResourceGroup(world, rg_name) == nullptr) {
    world.Section("resource_groups")[Lower(rg_name)] = {
        {"id", absl::StrCat("/subscriptions/", world.identity().subscription_id, "/resourceGroups/",
                            rg_name)},
        {"name", rg_name},
        {"type", "Microsoft.Resources/resourceGroups"},
        {"location", body["location"]},
        {"managedBy", body["id"]},
        {"tags", nlohmann::json::object()},
        {"properties", {{"provisioningState", "Succeeded"}}}};
  }
  world.MarkDirty();
}

void CompleteWorkspaceDelete(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  TearDownWorkspace(world, Lower(op["resource_id"].get<std::string>()));
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleDatabricksWorkspaces(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  auto is_workspace = [](const nlohmann::json& slot) {
    return Lower(slot["body"].value("type", "")) == Lower(kType);
  };
  if (l[2] == "providers") {
    if (l.size() == 5 && l[4] == "workspaces" && m == "GET") {
      std::vector<nlohmann::json> items;
      for (auto& [key, slot] : world.Section("resources").items()) {
        if (is_workspace(slot)) items.push_back(slot["body"]);
      }
      return ArmList(call, items);
    }
    return ArmError(404, "InvalidResourceType", "Unsupported Databricks path " + call.req.path);
  }
  if (l.size() < 7 || l[6] != "workspaces" || l.size() > 8) {
    return ArmError(404, "InvalidResourceType", "Unsupported Databricks path " + call.req.path);
  }
  nlohmann::json& rg = *FindResourceGroup(world, call.seg[3]);
  const std::string rg_id = rg["id"];
  const std::string rg_name = rg["name"];
  if (l.size() == 7) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list workspaces.");
    std::vector<nlohmann::json> items;
    for (const auto& key :
         ResourceIdsUnder(world, rg_id + "/providers/Microsoft.Databricks/workspaces")) {
      items.push_back((*FindResource(world, key))["body"]);
    }
    return ArmList(call, items);
  }
  const std::string name = call.seg[7];
  const std::string id = rg_id + "/providers/Microsoft.Databricks/workspaces/" + name;
  nlohmann::json* slot = FindResource(world, id);
  if (m == "GET") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    std::string stored_id = (*slot)["body"]["id"];
    (*slot)["body"]["properties"]["provisioningState"] = "Deleting";
    std::string op = StartOperation(world, "workspace_delete", stored_id, kDeleteDuration);
    return Accepted(call, 202, nullptr, op, stored_id, true);
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  std::string tag_error = ValidateTags(*body);
  if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
  if (m == "PATCH") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    if (body->contains("tags")) (*slot)["body"]["tags"] = (*body)["tags"];
    world.MarkDirty();
    return ArmJson(200, (*slot)["body"]);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (auto error = LocationError(*body, kType)) return *error;
  std::string location = body->value("location", "");
  // sku is optional (the spec's WorkspaceCreate example sends none); when present its
  // name must be one Azure knows.
  const bool has_sku = body->contains("sku") && !(*body)["sku"].is_null();
  std::string sku = has_sku && (*body)["sku"].is_object() ? (*body)["sku"].value("name", "") : "";
  if (has_sku && sku != "standard" && sku != "premium" && sku != "trial") {
    return ArmError(400, "InvalidSkuName",
                    "The sku name '" + sku + "' is invalid: use standard, premium or trial.");
  }
  nlohmann::json props = body->contains("properties") && (*body)["properties"].is_object()
                             ? (*body)["properties"]
                             : nlohmann::json::object();
  std::string managed = props.value("managedResourceGroupId", "");
  if (managed.empty()) {
    return ArmError(
        400, "InvalidRequestContent",
        "The request content was invalid: 'properties.managedResourceGroupId' is required.");
  }
  nlohmann::json tags = body->contains("tags") && (*body)["tags"].is_object()
                            ? (*body)["tags"]
                            : nlohmann::json::object();
  if (slot != nullptr) {
    nlohmann::json& stored = (*slot)["body"];
    std::string state = stored["properties"].value("provisioningState", "");
    if (state != "Succeeded" && state != "Failed") {
      return ArmError(409, "Conflict",
                      "The workspace '" + name + "' is " + state + "; retry when it is done.");
    }
    if (Lower(stored["properties"].value("managedResourceGroupId", "")) != Lower(managed)) {
      return ArmError(400, "InvalidRequestContent",
                      "The managedResourceGroupId of an existing workspace cannot be changed.");
    }
    stored["tags"] = tags;
    if (has_sku) {
      stored["sku"] = {{"name", sku}};
    } else {
      stored.erase("sku");
    }
    ApplyWorkspaceProperties(stored["properties"], props);
    stored["properties"]["updatedBy"] = {{"oid", call.caller.oid},
                                         {"applicationId", call.caller.appid}};
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  nlohmann::json created = {
      {"id", id},
      {"name", name},
      {"type", kType},
      {"location", location},
      {"tags", tags},
      {"properties",
       {{"managedResourceGroupId", managed},
        {"provisioningState", "Accepted"},
        {"createdBy", {{"oid", call.caller.oid}, {"applicationId", call.caller.appid}}},
        {"updatedBy", {{"oid", call.caller.oid}, {"applicationId", call.caller.appid}}},
        {"createdDateTime", IsoTime(world.Now())}}}};
  if (has_sku) created["sku"] = {{"name", sku}};
  ApplyWorkspaceProperties(created["properties"], props);
  PutResource(world, id, created);
  std::string op = StartOperation(world, "workspace_create", id, kCreateDuration);
  return Accepted(call, 201, created, op, id, false);
}

}  // namespace envctl::cloudsim
