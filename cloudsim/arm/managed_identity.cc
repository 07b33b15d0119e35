// Microsoft.ManagedIdentity 2023-01-31: user-assigned identities (PUT 201/200, GET,
// PATCH of tags, DELETE 200/204, lists per group and subscription). Each gets a
// principalId and clientId once, kept across replaces, as in
// specification/msi/.../stable/2023-01-31/examples/IdentityCreate.json.
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/authorization.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr char kType[] = "Microsoft.ManagedIdentity/userAssignedIdentities";

bool ValidIdentityName(const std::string& n) {
  static const std::regex kPattern("^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$");
  return std::regex_match(n, kPattern);
}

std::vector<nlohmann::json> IdentitiesUnder(World& world, const std::string& prefix)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::vector<nlohmann::json> items;
  for (auto& [key, slot] : world.Section("resources").items()) {
    if (!absl::EqualsIgnoreCase(slot["body"].value("type", ""), kType)) continue;
    if (!prefix.empty() && !absl::StartsWith(key, Lower(prefix) + "/")) continue;
    items.push_back(slot["body"]);
  }
  return items;
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleManagedIdentity(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l[2] == "providers") {
    if (l.size() == 5 && l[4] == "userassignedidentities" && m == "GET") {
      return ArmList(call, IdentitiesUnder(world, ""));
    }
    return ArmError(404, "InvalidResourceType",
                    "Unsupported Microsoft.ManagedIdentity path " + call.req.path);
  }
  if (l.size() < 7 || l[6] != "userassignedidentities" || l.size() > 8) {
    return ArmError(404, "InvalidResourceType",
                    "Unsupported Microsoft.ManagedIdentity path " + call.req.path);
  }
  nlohmann::json& rg = *FindResourceGroup(world, call.seg[3]);
  const std::string rg_id = rg["id"];
  const std::string rg_name = rg["name"];
  if (l.size() == 7) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list identities.");
    return ArmList(
        call, IdentitiesUnder(
                  world, rg_id + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"));
  }
  const std::string name = call.seg[7];
  const std::string id =
      rg_id + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name;
  nlohmann::json* slot = FindResource(world, id);
  if (m == "GET" || m == "HEAD") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    const std::string stored_id = (*slot)["body"]["id"];
    EraseResource(world, stored_id);
    EraseRoleAssignmentsUnder(world, stored_id);
    return ArmEmpty(200);
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  std::string tag_error = ValidateTags(*body);
  if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
  if (m == "PATCH") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    nlohmann::json& stored = (*slot)["body"];
    if (body->contains("tags")) stored["tags"] = (*body)["tags"];
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!ValidIdentityName(name)) {
    return ArmError(400, "InvalidResourceName",
                    "Resource name '" + name +
                        "' is invalid: use 3-128 letters, digits, hyphens and "
                        "underscores, starting with a letter or digit.");
  }
  if (auto error = LocationError(*body, kType)) return *error;
  nlohmann::json props = slot != nullptr ? (*slot)["body"]["properties"] : nlohmann::json::object();
  if (!props.contains("principalId")) props["principalId"] = NewGuid();
  if (!props.contains("clientId")) props["clientId"] = NewGuid();
  props["tenantId"] = world.identity().tenant_id;
  nlohmann::json stored = {
      {"id", slot != nullptr ? (*slot)["body"]["id"].get<std::string>() : id},
      {"name", slot != nullptr ? (*slot)["body"]["name"].get<std::string>() : name},
      {"type", kType},
      {"location", body->value("location", "")},
      {"tags", body->contains("tags") && (*body)["tags"].is_object() ? (*body)["tags"]
                                                                     : nlohmann::json::object()},
      {"properties", props}};
  const bool existed = slot != nullptr;
  PutResource(world, stored["id"], stored);
  return ArmJson(existed ? 200 : 201, stored);
}

}  // namespace envctl::cloudsim
