// Microsoft.DataFactory 2018-06-01 management API (reference §7): factories with a
// system-assigned identity, child entities with etags, masked secure strings,
// referential integrity, trigger start/stop, and the run endpoints (runs.cc).
#include <optional>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"
#include "cloudsim/datafactory/entities.h"
#include "cloudsim/datafactory/factory_extras.h"
#include "cloudsim/datafactory/runs.h"
#include "cloudsim/datafactory/triggers.h"

namespace envctl::cloudsim {
namespace {

bool HasInlineSecret(const nlohmann::json& j) {
  if (j.is_object()) {
    if (j.value("type", "") == "SecureString" && j.contains("value")) return true;
    for (auto& [k, v] : j.items()) {
      if (HasInlineSecret(v)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (HasInlineSecret(v)) return true;
    }
  }
  return false;
}

// A linked service with an inline secret (a SecureString, not a Key Vault reference)
// comes back, as from the service, with typeProperties.encryptedCredential: an opaque
// token that stands for the secret. It is random, never derived from the secret.
void AddEncryptedCredential(nlohmann::json& returned, const nlohmann::json& sent) {
  if (!returned.contains("typeProperties") || !returned["typeProperties"].is_object()) return;
  nlohmann::json& tp = returned["typeProperties"];
  if (tp.contains("encryptedCredential")) return;
  if (!HasInlineSecret(sent.value("typeProperties", nlohmann::json()))) return;
  tp["encryptedCredential"] = RandomBase64(96);
}

bool ValidFactoryName(const std::string& n) {
  static const std::regex kPattern("^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$");
  return n.size() >= 3 && n.size() <= 63 && std::regex_match(n, kPattern);
}

bool ValidEntityName(const std::string& n) {
  static const std::regex kPattern(R"(^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$)");
  return !n.empty() && n.size() <= 260 && std::regex_match(n, kPattern);
}

std::string Etag() { return NewGuid(); }

bool IfMatchFails(const Request& req, const std::string& etag, bool exists) {
  std::string if_match = req.Header("If-Match");
  if (if_match.empty()) return false;
  if (if_match == "*") return !exists;
  auto unquote = [](std::string s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
  };
  return !exists || unquote(if_match) != unquote(etag);
}

bool IfNoneMatchHits(const Request& req, const std::string& etag) {
  std::string v = req.Header("If-None-Match");
  if (v.empty()) return false;
  auto unquote = [](std::string s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
  };
  return v == "*" || unquote(v) == unquote(etag);
}

Response TriggerStarted() {
  return ArmError(400, "TriggerEnabledCannotUpdate",
                  "Cannot update enabled Trigger; the trigger needs to be disabled first. ");
}

Response EntityNotFound(const std::string& kind, const std::string& name) {
  return ArmError(404, "NotFound", absl::StrCat("Entity ", name, " not found (", kind, ")."));
}

// Who in this factory references `kind`/`name` (first match), or "".
std::string ReferencedBy(World& world, const std::string& factory_id, const std::string& kind,
                         const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (const auto& [child_kind, ref] : DataFactoryChildKinds()) {
    for (const auto& key : ResourceIdsUnder(world, factory_id + "/" + child_kind)) {
      nlohmann::json* slot = FindResource(world, key);
      if (slot == nullptr) continue;
      if (child_kind == kind && Lower((*slot)["body"]["name"].get<std::string>()) == Lower(name))
        continue;
      for (const auto& [rk, rn] : ReferencesOf((*slot)["meta"]["raw"])) {
        if (rk == kind && Lower(rn) == Lower(name)) return (*slot)["body"]["name"];
      }
    }
  }
  return "";
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleChild(ArmCall& call, nlohmann::json& factory) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  const std::string factory_id = factory["body"]["id"];
  const std::string kind = l[8];
  bool known = false;
  for (const auto& [k, ref] : DataFactoryChildKinds()) known = known || k == kind;
  if (!known)
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  if (l.size() == 9) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list " + kind + ".");
    std::vector<nlohmann::json> items;
    for (const auto& key : ResourceIdsUnder(world, factory_id + "/" + kind)) {
      items.push_back((*FindResource(world, key))["body"]);
    }
    return ArmList(call, items);
  }
  const std::string name = call.seg[9];
  nlohmann::json* slot = FindChild(world, factory_id, kind, name);
  if (l.size() == 11) {
    if (slot == nullptr) return EntityNotFound(kind, name);
    nlohmann::json& body = (*slot)["body"];
    if (kind == "triggers") {
      Response r = HandleTriggerAction(call, *slot, l[10]);
      if (r.status != 0) return r;
    }
    if (kind == "integrationruntimes") {
      Response r = HandleIntegrationRuntimeAction(call, *slot, l[10]);
      if (r.status != 0) return r;
    }
    if (kind == "pipelines" && m == "POST" && l[10] == "createrun") {
      return CreatePipelineRun(call, factory_id, Lower(body["id"].get<std::string>()));
    }
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  }
  if (l.size() != 10)
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  if (m == "GET") {
    if (slot == nullptr) return EntityNotFound(kind, name);
    if (IfNoneMatchHits(call.req, (*slot)["body"].value("etag", ""))) return ArmEmpty(304);
    return ArmJson(200, (*slot)["body"]);
  }
  bool started = slot != nullptr && kind == "triggers" &&
                 (*slot)["body"]["properties"].value("runtimeState", "") == "Started";
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    if (started) return TriggerStarted();
    std::string by = ReferencedBy(world, factory_id, kind, (*slot)["body"]["name"]);
    if (!by.empty()) {
      Response r = ArmJson(
          400,
          {{"error",
            {{"code", "BadRequest"},
             {"message", "The document cannot be deleted since it is referenced by " + by + "."},
             {"target",
              absl::StrCat("/Microsoft.DataFactory/factories/",
                           factory["body"]["name"].get<std::string>(), "/", kind, "/", name)},
             {"details", nullptr}}}});
      return r;
    }
    EraseResource(world, (*slot)["body"]["id"]);
    return ArmEmpty(200);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!ValidEntityName(name)) {
    return ArmError(400, "InvalidResourceName",
                    "The entity name '" + name +
                        "' is invalid: start with a letter, digit or "
                        "underscore and avoid . + ? / < > * % & : \\.");
  }
  if (started) return TriggerStarted();
  if (IfMatchFails(call.req, slot != nullptr ? (*slot)["body"].value("etag", "") : "",
                   slot != nullptr)) {
    return ArmError(
        412, "PreconditionFailed",
        "The specified etag does not match the current etag of " + kind + " '" + name + "'.");
  }
  if (slot != nullptr && call.req.Header("If-None-Match") == "*") {
    return ArmError(412, "PreconditionFailed", "The entity '" + name + "' already exists.");
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  if (!body->contains("properties") || !(*body)["properties"].is_object()) {
    return ArmError(400, "BadRequest", "The request body must contain 'properties'.");
  }
  nlohmann::json props = (*body)["properties"];
  if (kind != "pipelines" && (!props.contains("type") || !props["type"].is_string())) {
    return ArmError(400, "BadRequest",
                    "The 'properties.type' of " + kind + " '" + name + "' is required.");
  }
  for (const auto& [rk, rn] : ReferencesOf(props)) {
    if (rk == "integrationruntimes") continue;  // AutoResolveIntegrationRuntime is implicit
    if (rk == kind && Lower(rn) == Lower(name)) continue;
    if (FindChild(world, factory_id, rk, rn) == nullptr) {
      return ArmError(
          400, "BadRequest",
          "The document creation or update failed because of invalid reference '" + rn + "'.");
    }
  }
  if (kind == "integrationruntimes" && props.value("type", "") != "Managed" &&
      props.value("type", "") != "SelfHosted") {
    return ArmError(400, "BadRequest",
                    "The 'properties.type' of integration runtime '" + name +
                        "' must be Managed or SelfHosted.");
  }
  if (kind == "triggers")
    props["runtimeState"] = slot != nullptr
                                ? (*slot)["body"]["properties"].value("runtimeState", "Stopped")
                                : "Stopped";
  std::string id = slot != nullptr ? (*slot)["body"]["id"].get<std::string>()
                                   : factory_id + "/" + kind + "/" + name;
  nlohmann::json stored = {
      {"id", id},
      {"name", slot != nullptr ? (*slot)["body"]["name"].get<std::string>() : name},
      {"type", std::string(kFactoryType) + "/" + kind},
      {"properties", MaskSecureStrings(props)},
      {"etag", Etag()}};
  if (kind == "linkedservices") AddEncryptedCredential(stored["properties"], props);
  nlohmann::json old_meta = slot != nullptr ? (*slot)["meta"] : nlohmann::json::object();
  nlohmann::json meta = nlohmann::json::object();
  if (kind == "integrationruntimes") {
    PrepareIntegrationRuntime(stored["properties"], meta, &old_meta);
    props["state"] = stored["properties"]["state"];
  }
  nlohmann::json& saved = PutResource(world, id, stored);
  for (auto& [k, v] : meta.items()) saved["meta"][k] = v;
  saved["meta"]["raw"] = props;
  return ArmJson(200, stored);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleFactory(ArmCall& call, const std::string& rg_id,
                       const std::string& rg_name) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const std::string& m = call.req.method;
  const std::string name = call.seg[7];
  const std::string id = rg_id + "/providers/Microsoft.DataFactory/factories/" + name;
  nlohmann::json* slot = FindResource(world, id);
  if (m == "GET") {
    if (slot == nullptr) return ResourceNotFound(kFactoryType, name, rg_name);
    if (IfNoneMatchHits(call.req, (*slot)["body"].value("eTag", ""))) return ArmEmpty(304);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    std::string stored_id = (*slot)["body"]["id"];
    for (const auto& key : ResourceIdsUnder(world, stored_id)) EraseResource(world, key);
    EraseResource(world, stored_id);
    return ArmEmpty(200);
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  std::string tag_error = ValidateTags(*body);
  if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
  auto apply_identity = [&](nlohmann::json& stored, const nlohmann::json& requested)
                            ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) -> std::optional<Response> {
    if (!requested.is_object()) return std::nullopt;
    std::string type = requested.value("type", "");
    nlohmann::json identity = requested;
    if (auto error = ResolveUserAssignedIdentities(world, identity)) return error;
    if (ContainsIgnoreCase(type, "SystemAssigned")) {
      nlohmann::json old = stored.value("identity", nlohmann::json::object());
      identity["principalId"] = old.value("principalId", NewGuid());
      identity["tenantId"] = world.identity().tenant_id;
    }
    stored["identity"] = identity;
    return std::nullopt;
  };
  if (m == "PATCH") {
    if (slot == nullptr) return ResourceNotFound(kFactoryType, name, rg_name);
    nlohmann::json& stored = (*slot)["body"];
    if (body->contains("tags")) stored["tags"] = (*body)["tags"];
    if (body->contains("identity")) {
      nlohmann::json updated = stored;
      if (auto error = apply_identity(updated, (*body)["identity"])) return *error;
      stored = updated;
    }
    stored["eTag"] = "\"" + Etag() + "\"";
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!ValidFactoryName(name)) {
    return ArmError(400, "InvalidResourceName",
                    "Invalid factory name '" + name +
                        "': use 3-63 letters, digits and single "
                        "hyphens, starting and ending with a letter or digit.");
  }
  if (IfMatchFails(call.req, slot != nullptr ? (*slot)["body"].value("eTag", "") : "",
                   slot != nullptr)) {
    return ArmError(412, "PreconditionFailed",
                    "The specified etag does not match the factory's etag.");
  }
  if (auto error = LocationError(*body, "Microsoft.DataFactory/factories")) return *error;
  std::string location = body->value("location", "");
  nlohmann::json stored = slot != nullptr ? (*slot)["body"] : nlohmann::json::object();
  nlohmann::json props = body->contains("properties") && (*body)["properties"].is_object()
                             ? (*body)["properties"]
                             : nlohmann::json::object();
  props["provisioningState"] = "Succeeded";
  props["createTime"] = slot != nullptr
                            ? stored["properties"].value("createTime", IsoTime(world.Now()))
                            : IsoTime(world.Now());
  props["version"] = "2018-06-01";
  stored["name"] = slot != nullptr ? stored["name"].get<std::string>() : name;
  stored["id"] = slot != nullptr ? stored["id"].get<std::string>() : id;
  stored["type"] = kFactoryType;
  stored["location"] = location;
  stored["tags"] = body->contains("tags") && (*body)["tags"].is_object() ? (*body)["tags"]
                                                                         : nlohmann::json::object();
  stored["properties"] = props;
  if (body->contains("identity")) {
    if (auto error = apply_identity(stored, (*body)["identity"])) return *error;
  } else {
    stored.erase("identity");
  }
  stored["eTag"] = "\"" + Etag() + "\"";
  PutResource(world, stored["id"], stored);
  // Global parameters sent with the factory are the factory's "default" set.
  if (props.contains("globalParameters") && props["globalParameters"].is_object()) {
    const std::string gp_id = stored["id"].get<std::string>() + "/globalParameters/default";
    PutResource(world, gp_id,
                {{"id", gp_id},
                 {"name", "default"},
                 {"type", "Microsoft.DataFactory/factories/globalParameters"},
                 {"properties", props["globalParameters"]},
                 {"etag", Etag()}});
  }
  return ArmJson(200, stored);
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleDataFactory(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l[2] == "providers") {
    if (l.size() == 7 && l[4] == "locations" && l[6] == "configurefactoryrepo" && m == "POST") {
      return ConfigureFactoryRepo(call);
    }
    if (l.size() == 5 && l[4] == "factories" && m == "GET") {
      std::vector<nlohmann::json> items;
      for (auto& [key, slot] : world.Section("resources").items()) {
        if (Lower(slot["body"].value("type", "")) == Lower(kFactoryType))
          items.push_back(slot["body"]);
      }
      return ArmList(call, items);
    }
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  }
  if (l.size() < 7 || l[6] != "factories") {
    return ArmError(404, "InvalidResourceType", "Unsupported Data Factory path " + call.req.path);
  }
  nlohmann::json& rg = *FindResourceGroup(world, call.seg[3]);
  const std::string rg_id = rg["id"];
  const std::string rg_name = rg["name"];
  if (l.size() == 7) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list factories.");
    std::vector<nlohmann::json> items;
    for (const auto& key :
         ResourceIdsUnder(world, rg_id + "/providers/Microsoft.DataFactory/factories")) {
      nlohmann::json& slot = *FindResource(world, key);
      if (Lower(slot["body"].value("type", "")) == Lower(kFactoryType))
        items.push_back(slot["body"]);
    }
    return ArmList(call, items);
  }
  if (l.size() == 8) return HandleFactory(call, rg_id, rg_name);
  nlohmann::json* factory =
      FindResource(world, rg_id + "/providers/Microsoft.DataFactory/factories/" + call.seg[7]);
  if (factory == nullptr) return ResourceNotFound(kFactoryType, call.seg[7], rg_name);
  const std::string factory_id = (*factory)["body"]["id"];
  if (l[8] == "pipelineruns" && l.size() >= 10) return HandlePipelineRuns(call, factory_id, 9);
  if (l[8] == "querypipelineruns" && l.size() == 9 && m == "POST")
    return QueryPipelineRuns(call, factory_id);
  if (l[8] == "querytriggers" && l.size() == 9 && m == "POST")
    return QueryTriggers(call, factory_id);
  if (l[8] == "globalparameters") return HandleGlobalParameters(call, *factory);
  if (l[8] == "managedvirtualnetworks") return HandleManagedVirtualNetworks(call, *factory);
  return HandleChild(call, *factory);
}

}  // namespace envctl::cloudsim
