#include "cloudsim/databricks/internal/permissions.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace envctl::cloudsim::databricks {
namespace {

// Levels each object type accepts (iam PermissionLevel, per object's PermissionsRequest).
const std::map<std::string, std::vector<std::string>>& LevelsByType() {
  static const auto* levels = new std::map<std::string, std::vector<std::string>>{
      {"clusters", {"CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"}},
      {"cluster-policies", {"CAN_USE"}},
      {"jobs", {"CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"}},
      {"notebooks", {"CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"}},
      {"directories", {"CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"}},
  };
  return *levels;
}

const char* kPrincipalKinds[] = {"user_name", "group_name", "service_principal_name"};

bool Allowed(const std::string& type, const std::string& level) {
  for (const std::string& l : LevelsByType().at(type)) {
    if (l == level) return true;
  }
  return false;
}

// The root an admin's inherited CAN_MANAGE comes from, as Databricks shows it.
std::string RootOf(const std::string& type) {
  if (type == "notebooks" || type == "directories") return "/directories/";
  return "/" + type + "/";
}

}  // namespace

void PermissionStore::Forget(const std::string& type, const std::string& id) {
  acls_.erase(type + "/" + id);
  owners_.erase(type + "/" + id);
}

Json PermissionStore::Describe(const std::string& key, const AclObject& object,
                               const AclResolver& resolve) const {
  // principal (kind, name) -> all_permissions
  std::map<std::pair<std::string, std::string>, Json> by_principal;
  std::vector<std::pair<std::string, std::string>> order;
  auto add = [&](const std::string& kind, const std::string& name, Json permission) {
    auto k = std::make_pair(kind, name);
    if (!by_principal.count(k)) {
      by_principal[k] = Json::array();
      order.push_back(k);
    }
    by_principal[k].push_back(std::move(permission));
  };
  const std::string type = key.substr(0, key.find('/'));
  auto owner = owners_.find(key);
  const std::string owner_name = owner != owners_.end() ? owner->second : object.owner;
  if (!owner_name.empty()) {
    add("user_name", owner_name,
        {{"permission_level", type == "jobs" ? "IS_OWNER" : "CAN_MANAGE"}, {"inherited", false}});
  }
  if (auto it = acls_.find(key); it != acls_.end()) {
    for (const Entry& e : it->second) {
      add(e.kind, e.name, {{"permission_level", e.level}, {"inherited", false}});
    }
  }
  for (const std::string& parent_key : object.parents) {
    auto it = acls_.find(parent_key);
    if (it == acls_.end()) continue;
    std::vector<std::string> parts = absl::StrSplit(parent_key, absl::MaxSplits('/', 1));
    auto parent = resolve(parts[0], parts[1]);
    const std::string from = parent ? parent->object_id : "/" + parent_key;
    for (const Entry& e : it->second) {
      add(e.kind, e.name,
          {{"permission_level", e.level}, {"inherited", true}, {"inherited_from_object", {from}}});
    }
  }
  add("group_name", "admins",
      {{"permission_level", "CAN_MANAGE"},
       {"inherited", true},
       {"inherited_from_object", {RootOf(type)}}});
  Json list = Json::array();
  for (const auto& k : order) {
    Json entry = {{k.first, k.second}, {"all_permissions", by_principal[k]}};
    if (k.first != "group_name") entry["display_name"] = k.second;
    list.push_back(std::move(entry));
  }
  return {{"object_id", object.object_id},
          {"object_type", object.object_type},
          {"access_control_list", list}};
}

Response PermissionStore::Handle(const Call& call, bool* mutated, const AclResolver& resolve) {
  if (call.version != "2.0") return EndpointNotFound(*call.request);
  std::vector<std::string> parts =
      absl::StrSplit(call.verb, '/');  // permissions/type/id[/permissionLevels]
  if (parts.size() < 3 || parts.size() > 4 || parts[2].empty())
    return EndpointNotFound(*call.request);
  const std::string type = parts[1];
  const std::string id = parts[2];
  if (!LevelsByType().count(type)) {
    return InvalidParameter("Object type " + type +
                            " is not supported by this workspace; use one of "
                            "clusters, cluster-policies, jobs, notebooks, directories.");
  }
  std::optional<AclObject> object = resolve(type, id);
  if (!object) {
    return NotFound(type.substr(0, type.size() - (type == "directories" ? 3 : 1)) + " " + id +
                    " does not exist.");
  }
  const std::string key = type + "/" + id;
  if (parts.size() == 4) {
    if (parts[3] != "permissionLevels" || call.method() != "GET")
      return EndpointNotFound(*call.request);
    Json levels = Json::array();
    for (const std::string& l : LevelsByType().at(type)) {
      levels.push_back({{"permission_level", l}, {"description", "Can " + l.substr(4)}});
    }
    return JsonResponse({{"permission_levels", levels}});
  }
  const std::string& method = call.method();
  if (method == "GET") return JsonResponse(Describe(key, *object, resolve));
  if (method != "PUT" && method != "PATCH") return EndpointNotFound(*call.request);

  const Json& acl =
      call.body.contains("access_control_list") ? call.body["access_control_list"] : Json();
  if (!acl.is_array()) return MissingParameter("access_control_list");
  std::vector<Entry> entries;
  std::optional<std::string> new_owner;
  for (const Json& item : acl) {
    Entry e;
    int named = 0;
    for (const char* kind : kPrincipalKinds) {
      if (item.is_object() && item.contains(kind) && item[kind].is_string() &&
          !item[kind].get<std::string>().empty()) {
        e.kind = kind;
        e.name = item[kind].get<std::string>();
        ++named;
      }
    }
    if (named != 1) {
      return InvalidParameter(
          "Each access control entry needs exactly one of user_name, group_name or "
          "service_principal_name.");
    }
    e.level = item.value("permission_level", "");
    if (e.level.empty()) return MissingParameter("permission_level");
    if (!Allowed(type, e.level)) {
      return InvalidParameter("Permission " + e.level + " is not supported on " + type +
                              "; use one of " + absl::StrJoin(LevelsByType().at(type), ", ") + ".");
    }
    if (e.kind == "group_name" && e.name == "admins" && e.level != "CAN_MANAGE") {
      return InvalidParameter("The admins group must keep CAN_MANAGE.");
    }
    if (e.level == "IS_OWNER") {
      if (e.kind == "group_name") return InvalidParameter("A group cannot be the owner of a job.");
      if (new_owner) return InvalidParameter("A job has exactly one owner.");
      new_owner = e.name;
      continue;
    }
    entries.push_back(std::move(e));
  }
  std::vector<Entry>& stored = acls_[key];
  if (method == "PUT") {
    stored = std::move(entries);
  } else {
    for (Entry& e : entries) {
      stored.erase(
          std::remove_if(stored.begin(), stored.end(),
                         [&](const Entry& s) { return s.kind == e.kind && s.name == e.name; }),
          stored.end());
    }
    for (Entry& e : entries) stored.push_back(std::move(e));
  }
  if (new_owner) owners_[key] = *new_owner;
  *mutated = true;
  return JsonResponse(Describe(key, *object, resolve));
}

bool PermissionStore::Holds(const std::string& type, const std::string& id,
                            const std::string& principal, const std::set<std::string>& levels,
                            const AclResolver& resolve) const {
  std::optional<AclObject> object = resolve(type, id);
  if (!object) return false;
  std::vector<std::string> keys = {type + "/" + id};
  keys.insert(keys.end(), object->parents.begin(), object->parents.end());
  for (const std::string& key : keys) {
    auto it = acls_.find(key);
    if (it == acls_.end()) continue;
    for (const Entry& e : it->second) {
      if (e.kind != "group_name" && e.name == principal && levels.count(e.level)) return true;
    }
  }
  return false;
}

Json PermissionStore::Save() const {
  Json acls = Json::object();
  for (const auto& [key, entries] : acls_) {
    Json list = Json::array();
    for (const Entry& e : entries)
      list.push_back({{"kind", e.kind}, {"name", e.name}, {"level", e.level}});
    acls[key] = list;
  }
  return {{"acls", acls}, {"owners", owners_}};
}

absl::Status PermissionStore::Load(const Json& state) {
  std::map<std::string, std::vector<Entry>> acls;
  for (const auto& [key, list] : state.at("acls").items()) {
    for (const Json& e : list) {
      acls[key].push_back({e.at("kind").get<std::string>(), e.at("name").get<std::string>(),
                           e.at("level").get<std::string>()});
    }
  }
  acls_ = std::move(acls);
  owners_ = state.at("owners").get<std::map<std::string, std::string>>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
