#include "cloudsim/datafactory/factory_extras.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "cloudsim/datafactory/entities.h"

namespace envctl::cloudsim {
namespace {

constexpr char kMvnetType[] = "Microsoft.DataFactory/factories/managedVirtualNetworks";
constexpr char kPeType[] =
    "Microsoft.DataFactory/factories/managedVirtualNetworks/managedPrivateEndpoints";

Response NotFoundEntity(const std::string& what, const std::string& name) {
  return ArmError(404, "NotFound", absl::StrCat("Entity ", name, " not found (", what, ")."));
}

std::vector<nlohmann::json> BodiesUnder(World& world, const std::string& prefix, size_t depth)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::vector<nlohmann::json> items;
  for (const auto& key : ResourceIdsUnder(world, prefix)) {
    // Only direct children: one more segment pair than the prefix.
    std::string rest = key.substr(prefix.size() + 1);
    if (static_cast<size_t>(std::count(rest.begin(), rest.end(), '/')) != depth) continue;
    items.push_back((*FindResource(world, key))["body"]);
  }
  return items;
}

bool ValidRuntimeType(const std::string& type) { return type == "Managed" || type == "SelfHosted"; }

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleGlobalParameters(ArmCall& call,
                                nlohmann::json& factory) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  const std::string factory_id = factory["body"]["id"];
  const std::string prefix = factory_id + "/globalParameters";
  if (l.size() == 9) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list global parameters.");
    return ArmList(call, BodiesUnder(world, prefix, 0));
  }
  if (l.size() != 10)
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  const std::string name = call.seg[9];
  const std::string id = prefix + "/" + name;
  nlohmann::json* slot = FindResource(world, id);
  if (m == "GET") {
    if (slot == nullptr) return NotFoundEntity("globalParameters", name);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    EraseResource(world, id);
    factory["body"]["properties"].erase("globalParameters");
    world.MarkDirty();
    return ArmEmpty(200);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  // The service keeps one set of global parameters per factory, named "default".
  if (name != "default") {
    return ArmError(400, "BadRequest", "The global parameter name must be 'default'.");
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  if (!body->contains("properties") || !(*body)["properties"].is_object()) {
    return ArmError(400, "BadRequest", "The request body must contain 'properties'.");
  }
  nlohmann::json props = (*body)["properties"];
  static const std::vector<std::string> kTypes = {"Object", "String", "Int",
                                                  "Float",  "Bool",   "Array"};
  for (auto& [key, param] : props.items()) {
    if (!param.is_object() || !param.contains("type") || !param["type"].is_string() ||
        !param.contains("value")) {
      return ArmError(400, "BadRequest",
                      "Global parameter '" + key + "' must be an object with 'type' and 'value'.");
    }
    // The service answers the type capitalized ("int" -> "Int"), as in GlobalParameters_Create.
    std::string type = param["type"];
    bool known = false;
    for (const auto& t : kTypes) {
      if (absl::EqualsIgnoreCase(t, type)) {
        param["type"] = t;
        known = true;
      }
    }
    if (!known) {
      return ArmError(400, "BadRequest",
                      "Global parameter '" + key + "' has an invalid type '" + type + "'.");
    }
  }
  nlohmann::json stored = {{"id", id},
                           {"name", name},
                           {"type", "Microsoft.DataFactory/factories/globalParameters"},
                           {"properties", props},
                           {"etag", NewGuid()}};
  PutResource(world, id, stored);
  factory["body"]["properties"]["globalParameters"] = props;
  world.MarkDirty();
  return ArmJson(200, stored);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleManagedVirtualNetworks(ArmCall& call,
                                      nlohmann::json& factory) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  const std::string factory_id = factory["body"]["id"];
  const std::string factory_name = factory["body"]["name"];
  const std::string prefix = factory_id + "/managedVirtualNetworks";
  if (l.size() == 9) {
    if (m != "GET")
      return ArmError(405, "MethodNotAllowed", "Use GET to list managed virtual networks.");
    return ArmList(call, BodiesUnder(world, prefix, 0));
  }
  const std::string vnet = call.seg[9];
  const std::string vnet_id = prefix + "/" + vnet;
  nlohmann::json* vslot = FindResource(world, vnet_id);
  if (l.size() == 10) {
    if (m == "GET") {
      if (vslot == nullptr) return NotFoundEntity("managedVirtualNetworks", vnet);
      return ArmJson(200, (*vslot)["body"]);
    }
    if (m != "PUT") {
      // The 2018-06-01 API has no DELETE for a managed virtual network.
      return ArmError(405, "MethodNotAllowed",
                      "Managed virtual networks support GET and PUT only.");
    }
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    if (!body->contains("properties") || !(*body)["properties"].is_object()) {
      return ArmError(400, "BadRequest", "The request body must contain 'properties'.");
    }
    nlohmann::json props = (*body)["properties"];
    props["vNetId"] =
        vslot != nullptr ? (*vslot)["body"]["properties"].value("vNetId", NewGuid()) : NewGuid();
    props["alias"] = factory_name;
    nlohmann::json stored = {
        {"id", vslot != nullptr ? (*vslot)["body"]["id"].get<std::string>() : vnet_id},
        {"name", vslot != nullptr ? (*vslot)["body"]["name"].get<std::string>() : vnet},
        {"type", kMvnetType},
        {"properties", props},
        {"etag", NewGuid()}};
    PutResource(world, stored["id"], stored);
    return ArmJson(200, stored);
  }
  if (l[10] != "managedprivateendpoints" || l.size() > 12) {
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  }
  if (vslot == nullptr) return NotFoundEntity("managedVirtualNetworks", vnet);
  const std::string pe_prefix =
      (*vslot)["body"]["id"].get<std::string>() + "/managedPrivateEndpoints";
  if (l.size() == 11) {
    if (m != "GET")
      return ArmError(405, "MethodNotAllowed", "Use GET to list managed private endpoints.");
    return ArmList(call, BodiesUnder(world, pe_prefix, 0));
  }
  const std::string pe = call.seg[11];
  const std::string pe_id = pe_prefix + "/" + pe;
  nlohmann::json* pslot = FindResource(world, pe_id);
  if (m == "GET") {
    if (pslot == nullptr) return NotFoundEntity("managedPrivateEndpoints", pe);
    return ArmJson(200, (*pslot)["body"]);
  }
  if (m == "DELETE") {
    if (pslot == nullptr) return ArmEmpty(204);
    EraseResource(world, (*pslot)["body"]["id"]);
    return ArmEmpty(200);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  nlohmann::json props = body->value("properties", nlohmann::json::object());
  if (!props.is_object() || !props.contains("privateLinkResourceId") ||
      !props["privateLinkResourceId"].is_string() || !props.contains("groupId") ||
      !props["groupId"].is_string()) {
    return ArmError(400, "BadRequest",
                    "A managed private endpoint needs properties.privateLinkResourceId and "
                    "properties.groupId.");
  }
  if (pslot != nullptr) {
    // The target cannot change; only fqdns may.
    const nlohmann::json& old = (*pslot)["body"]["properties"];
    if (!absl::EqualsIgnoreCase(old.value("privateLinkResourceId", ""),
                                props["privateLinkResourceId"].get<std::string>()) ||
        old.value("groupId", "") != props["groupId"].get<std::string>()) {
      return ArmError(400, "BadRequest",
                      "The privateLinkResourceId and groupId of managed private endpoint '" + pe +
                          "' cannot be changed; delete it and create it again.");
    }
  }
  if (!props.contains("fqdns")) props["fqdns"] = nlohmann::json::array();
  props["provisioningState"] = "Succeeded";
  // New endpoints wait for the target's owner to approve them, as in the service.
  props["connectionState"] =
      pslot != nullptr
          ? (*pslot)["body"]["properties"]["connectionState"]
          : nlohmann::json{{"status", "Pending"}, {"description", ""}, {"actionsRequired", "None"}};
  nlohmann::json stored = {
      {"id", pslot != nullptr ? (*pslot)["body"]["id"].get<std::string>() : pe_id},
      {"name", pslot != nullptr ? (*pslot)["body"]["name"].get<std::string>() : pe},
      {"type", kPeType},
      {"properties", props},
      {"etag", NewGuid()}};
  PutResource(world, stored["id"], stored);
  return ArmJson(200, stored);
}

void PrepareIntegrationRuntime(nlohmann::json& properties, nlohmann::json& meta,
                               const nlohmann::json* old_meta) {
  const std::string type = properties.value("type", "");
  if (type == "Managed") {
    properties["state"] = "Initial";
  } else if (type == "SelfHosted") {
    // No node has registered with the keys yet.
    properties["state"] = "NeedRegistration";
    if (old_meta != nullptr && old_meta->contains("authKey1")) {
      meta["authKey1"] = (*old_meta)["authKey1"];
      meta["authKey2"] = (*old_meta)["authKey2"];
    } else {
      meta["authKey1"] =
          absl::StrCat("IR@", NewGuid(), "@cloudsim@ServiceEndpoint=cloudsim@", RandomBase64(32));
      meta["authKey2"] =
          absl::StrCat("IR@", NewGuid(), "@cloudsim@ServiceEndpoint=cloudsim@", RandomBase64(32));
    }
  }
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleIntegrationRuntimeAction(ArmCall& call, nlohmann::json& slot,
                                        const std::string& action) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (call.req.method != "POST") return ArmEmpty(0);
  nlohmann::json& body = slot["body"];
  const std::string type = body["properties"].value("type", "");
  const std::string name = body["name"];
  if (action == "listauthkeys" || action == "regenerateauthkey") {
    if (type != "SelfHosted") {
      return ArmError(
          400, "BadRequest",
          "Integration runtime '" + name + "' is not a self-hosted integration runtime.");
    }
    if (action == "regenerateauthkey") {
      auto req = call.Body();
      if (!req.ok()) return BadBody(req.status());
      std::string key = req->value("keyName", "");
      if (key != "authKey1" && key != "authKey2") {
        return ArmError(400, "BadRequest", "keyName must be authKey1 or authKey2.");
      }
      slot["meta"][key] =
          absl::StrCat("IR@", NewGuid(), "@cloudsim@ServiceEndpoint=cloudsim@", RandomBase64(32));
      call.world.MarkDirty();
      return ArmJson(200, {{key, slot["meta"][key]}});
    }
    return ArmJson(200, {{"authKey1", slot["meta"].value("authKey1", "")},
                         {"authKey2", slot["meta"].value("authKey2", "")}});
  }
  if (action == "getstatus") {
    return ArmJson(
        200,
        {{"name", name},
         {"properties",
          {{"type", type},
           {"dataFactoryName", body["id"].get<std::string>().substr(
                                   0, body["id"].get<std::string>().find("/integrationRuntimes"))},
           {"state", body["properties"].value("state", "Initial")}}}});
  }
  if ((action == "start" || action == "stop") && type == "Managed") {
    body["properties"]["state"] = action == "start" ? "Started" : "Stopped";
    call.world.MarkDirty();
    return ArmJson(200, {{"name", name},
                         {"properties", {{"type", type}, {"state", body["properties"]["state"]}}}});
  }
  if (!ValidRuntimeType(type)) return ArmEmpty(0);
  return ArmEmpty(0);
}

std::optional<Response> ResolveUserAssignedIdentities(World& world, nlohmann::json& identity)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  if (!identity.contains("userAssignedIdentities")) return std::nullopt;
  nlohmann::json& uais = identity["userAssignedIdentities"];
  if (!uais.is_object()) {
    return ArmError(400, "BadRequest",
                    "identity.userAssignedIdentities must be an object keyed by resource id.");
  }
  for (auto& [id, value] : uais.items()) {
    nlohmann::json* uai = FindResource(world, id);
    if (uai == nullptr ||
        !absl::EqualsIgnoreCase((*uai)["body"].value("type", ""),
                                "Microsoft.ManagedIdentity/userAssignedIdentities")) {
      return ArmError(400, "FailedIdentityOperation",
                      "Resource '" + id + "' was not found or is not a user-assigned identity.");
    }
    value = {{"principalId", (*uai)["body"]["properties"]["principalId"]},
             {"clientId", (*uai)["body"]["properties"]["clientId"]}};
  }
  return std::nullopt;
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response ConfigureFactoryRepo(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  const std::string factory_id = body->value("factoryResourceId", "");
  nlohmann::json* slot = factory_id.empty() ? nullptr : FindResource(call.world, factory_id);
  if (slot == nullptr || !absl::EqualsIgnoreCase((*slot)["body"].value("type", ""), kFactoryType)) {
    return ArmError(404, "ResourceNotFound", "The factory '" + factory_id + "' was not found.");
  }
  nlohmann::json& props = (*slot)["body"]["properties"];
  if (!body->contains("repoConfiguration") || (*body)["repoConfiguration"].is_null()) {
    props.erase("repoConfiguration");
  } else {
    const nlohmann::json& repo = (*body)["repoConfiguration"];
    const std::string type = repo.is_object() ? repo.value("type", "") : "";
    if (type != "FactoryVSTSConfiguration" && type != "FactoryGitHubConfiguration") {
      return ArmError(
          400, "BadRequest",
          "repoConfiguration.type must be FactoryVSTSConfiguration or FactoryGitHubConfiguration.");
    }
    for (const char* required :
         {"accountName", "repositoryName", "collaborationBranch", "rootFolder"}) {
      if (!repo.contains(required) || !repo[required].is_string() ||
          repo[required].get<std::string>().empty()) {
        return ArmError(400, "BadRequest",
                        absl::StrCat("repoConfiguration.", required, " is required."));
      }
    }
    if (type == "FactoryVSTSConfiguration" && !repo.contains("projectName")) {
      return ArmError(400, "BadRequest",
                      "repoConfiguration.projectName is required for Azure DevOps.");
    }
    props["repoConfiguration"] = repo;
  }
  (*slot)["body"]["eTag"] = "\"" + NewGuid() + "\"";
  call.world.MarkDirty();
  return ArmJson(200, (*slot)["body"]);
}

}  // namespace envctl::cloudsim
