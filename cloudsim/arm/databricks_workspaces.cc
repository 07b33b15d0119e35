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

Response Accepted(ArmCall& call, int status, const nlohmann::json& body, const std::string& op,
                  const std::string& resource_id, bool with_location) {
  Response r = body.is_null() ? ArmEmpty(status) : ArmJson(status, body);
  r.headers["Azure-AsyncOperation"] =
      absl::StrCat(call.base_url, resource_id, "/operationStatuses/", op, "?api-version=", call.api_version);
  if (with_location) {
    r.headers["Location"] =
        absl::StrCat(call.base_url, resource_id, "/operationResults/", op, "?api-version=", call.api_version);
  }
  r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(call.world, op));
  return r;
}

}  // namespace

void TearDownWorkspace(World& world, const std::string& key) {
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

void CompleteWorkspaceCreate(World& world, const nlohmann::json& op) {
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
        {"id", absl::StrCat("/subscriptions/", world.identity().subscription_id, "/resourceGroups/", rg_name)},
        {"name", rg_name},
        {"type", "Microsoft.Resources/resourceGroups"},
        {"location", body["location"]},
        {"managedBy", body["id"]},
        {"tags", nlohmann::json::object()},
        {"properties", {{"provisioningState", "Succeeded"}}}};
  }
  world.MarkDirty();
}

void CompleteWorkspaceDelete(World& world, const nlohmann::json& op) {
  TearDownWorkspace(world, Lower(op["resource_id"].get<std::string>()));
}

Response HandleDatabricksWorkspaces(ArmCall& call) {
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
    for (const auto& key : ResourceIdsUnder(world, rg_id + "/providers/Microsoft.Databricks/workspaces")) {
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
  std::string sku = body->contains("sku") && (*body)["sku"].is_object() ? (*body)["sku"].value("name", "") : "";
  if (sku != "standard" && sku != "premium" && sku != "trial") {
    return ArmError(400, "InvalidSkuName", "The sku name '" + sku + "' is invalid: use standard, premium or trial.");
  }
  nlohmann::json props = body->contains("properties") && (*body)["properties"].is_object()
                             ? (*body)["properties"] : nlohmann::json::object();
  std::string managed = props.value("managedResourceGroupId", "");
  if (managed.empty()) {
    return ArmError(400, "InvalidRequestContent",
                    "The request content was invalid: 'properties.managedResourceGroupId' is required.");
  }
  nlohmann::json tags = body->contains("tags") && (*body)["tags"].is_object() ? (*body)["tags"] : nlohmann::json::object();
  if (slot != nullptr) {
    nlohmann::json& stored = (*slot)["body"];
    std::string state = stored["properties"].value("provisioningState", "");
    if (state != "Succeeded" && state != "Failed") {
      return ArmError(409, "Conflict", "The workspace '" + name + "' is " + state + "; retry when it is done.");
    }
    if (Lower(stored["properties"].value("managedResourceGroupId", "")) != Lower(managed)) {
      return ArmError(400, "InvalidRequestContent",
                      "The managedResourceGroupId of an existing workspace cannot be changed.");
    }
    stored["tags"] = tags;
    stored["sku"] = {{"name", sku}};
    if (props.contains("parameters")) stored["properties"]["parameters"] = props["parameters"];
    stored["properties"]["updatedBy"] = {{"oid", call.caller.oid}, {"applicationId", call.caller.appid}};
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  nlohmann::json created = {
      {"id", id},
      {"name", name},
      {"type", kType},
      {"location", location},
      {"sku", {{"name", sku}}},
      {"tags", tags},
      {"properties",
       {{"managedResourceGroupId", managed},
        {"parameters", props.contains("parameters") ? props["parameters"] : nlohmann::json(nullptr)},
        {"provisioningState", "Accepted"},
        {"authorizations", nlohmann::json::array()},
        {"createdBy", {{"oid", call.caller.oid}, {"applicationId", call.caller.appid}}},
        {"updatedBy", {{"oid", call.caller.oid}, {"applicationId", call.caller.appid}}},
        {"createdDateTime", IsoTime(world.Now())}}}};
  PutResource(world, id, created);
  std::string op = StartOperation(world, "workspace_create", id, kCreateDuration);
  return Accepted(call, 201, created, op, id, false);
}

}  // namespace envctl::cloudsim
