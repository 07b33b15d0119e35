#include "cloudsim/databricks/internal/compute.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace envctl::cloudsim::databricks {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Maps whose keys contain dots: "spark_conf.spark.x.y" addresses key "spark.x.y".
const std::set<std::string>& MapAttributes() {
  static const auto* maps =
      new std::set<std::string>{"spark_conf", "custom_tags", "spark_env_vars", "azure_attributes"};
  return *maps;
}

// The value at a policy path in `cluster`, or null.
const Json* AtPath(const Json& cluster, const std::string& path) {
  size_t dot = path.find('.');
  if (dot == std::string::npos) {
    return cluster.contains(path) ? &cluster[path] : nullptr;
  }
  const std::string head = path.substr(0, dot);
  const std::string rest = path.substr(dot + 1);
  if (!cluster.contains(head) || !cluster[head].is_object()) return nullptr;
  const Json& sub = cluster[head];
  if (MapAttributes().count(head)) return sub.contains(rest) ? &sub[rest] : nullptr;
  return AtPath(sub, rest);
}

void SetPath(Json* cluster, const std::string& path, const Json& value) {
  size_t dot = path.find('.');
  if (dot == std::string::npos) {
    (*cluster)[path] = value;
    return;
  }
  const std::string head = path.substr(0, dot);
  const std::string rest = path.substr(dot + 1);
  if (!cluster->contains(head) || !(*cluster)[head].is_object()) (*cluster)[head] = Json::object();
  if (MapAttributes().count(head)) {
    (*cluster)[head][rest] = value;
  } else {
    SetPath(&(*cluster)[head], rest, value);
  }
}

std::string Text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Parses and checks a policy definition; "" when valid, else the message.
std::string CheckDefinition(const std::string& text, Json* out) {
  Json def = Json::parse(text, nullptr, false);
  if (def.is_discarded() || !def.is_object()) {
    return "Policy definition must be a JSON object mapping attribute paths to rules.";
  }
  static const std::set<std::string> kTypes = {"fixed", "forbidden", "allowlist", "blocklist",
                                               "regex", "range",     "unlimited"};
  for (const auto& [path, rule] : def.items()) {
    if (!rule.is_object() || !rule.contains("type") || !rule["type"].is_string() ||
        !kTypes.count(rule["type"].get<std::string>())) {
      return "Invalid policy definition for " + path +
             ": each rule needs a \"type\" of fixed, forbidden, allowlist, blocklist, regex, "
             "range or unlimited.";
    }
    const std::string type = rule["type"];
    if (type == "fixed" && !rule.contains("value")) {
      return "Invalid policy definition for " + path + ": a fixed rule needs a \"value\".";
    }
    if ((type == "allowlist" || type == "blocklist") &&
        (!rule.contains("values") || !rule["values"].is_array())) {
      return "Invalid policy definition for " + path + ": an " + type + " rule needs \"values\".";
    }
  }
  if (out) *out = std::move(def);
  return "";
}

// "TERMINATING" -> "Terminating", as Databricks words it in INVALID_STATE messages.
std::string StateWord(std::string state) {
  std::transform(state.begin() + 1, state.end(), state.begin() + 1,
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return state;
}

std::string NewClusterId(int64_t n) {
  return absl::StrFormat("1205-%06d-sim%05d", 100000 + n * 37 % 899999, n % 100000);
}

}  // namespace

std::string ComputeStore::ApplyPolicy(Json* cluster) const {
  if (!cluster->contains("policy_id")) return "";
  const Json& pid = (*cluster)["policy_id"];
  if (!pid.is_string() || pid.get<std::string>().empty()) return "";
  auto it = policies_.find(pid.get<std::string>());
  if (it == policies_.end()) {
    return "Cluster policy " + pid.get<std::string>() + " does not exist.";
  }
  Json def;
  CheckDefinition(it->second.definition, &def);
  for (const auto& [path, rule] : def.items()) {
    const std::string type = rule["type"];
    const Json* have = AtPath(*cluster, path);
    const bool optional = rule.value("isOptional", false);
    auto fail = [&, &path = path](const std::string& why) {  // C++17: bindings are not captured
      return "Validation failed for " + path + ", " + why + " (policy " + it->second.name + ")";
    };
    if (type == "fixed") {
      if (!have) {
        SetPath(cluster, path, rule["value"]);
      } else if (Text(*have) != Text(rule["value"])) {
        return fail("the value must be " + Text(rule["value"]) + " (is " + Text(*have) + ")");
      }
    } else if (type == "forbidden") {
      if (have) return fail("the value is forbidden");
    } else if (type == "allowlist" || type == "blocklist") {
      if (!have) {
        if (rule.contains("defaultValue")) {
          SetPath(cluster, path, rule["defaultValue"]);
        } else if (type == "allowlist" && !optional) {
          return fail("the value must be present");
        }
        continue;
      }
      bool listed = false;
      for (const Json& v : rule["values"]) listed = listed || Text(v) == Text(*have);
      if (type == "allowlist" && !listed) {
        return fail("the value must be one of " + rule["values"].dump() + " (is " + Text(*have) +
                    ")");
      }
      if (type == "blocklist" && listed)
        return fail("the value " + Text(*have) + " is not allowed");
    } else if (type == "range") {
      if (!have) {
        if (rule.contains("defaultValue")) SetPath(cluster, path, rule["defaultValue"]);
        continue;
      }
      if (!have->is_number()) return fail("the value must be a number");
      double v = have->get<double>();
      if (rule.contains("minValue") && v < rule["minValue"].get<double>()) {
        return fail("the value must be at least " + rule["minValue"].dump() + " (is " +
                    have->dump() + ")");
      }
      if (rule.contains("maxValue") && v > rule["maxValue"].get<double>()) {
        return fail("the value must be at most " + rule["maxValue"].dump() + " (is " +
                    have->dump() + ")");
      }
    } else if (!have && rule.contains("defaultValue")) {  // regex, unlimited
      SetPath(cluster, path, rule["defaultValue"]);
    }
  }
  return "";
}

std::string ComputeStore::ClusterCreator(const std::string& id) const {
  auto it = clusters_.find(id);
  return it == clusters_.end() ? "" : it->second.creator;
}

void ComputeStore::Settle(Cluster& c, absl::Time now) const {
  // Each transitional state ends after its simulated duration; loop for chains.
  for (int i = 0; i < 4; ++i) {
    absl::Time end;
    std::string next;
    if (c.state == "PENDING" || c.state == "RESTARTING") {
      end = c.since + kClusterStartTime / speed_;
      next = "RUNNING";
    } else if (c.state == "TERMINATING") {
      end = c.since + kClusterTerminateTime / speed_;
      next = "TERMINATED";
    } else if (c.state == "RUNNING") {
      // Autotermination: only when set (the API's "not set = never").
      const Json& m =
          c.spec.contains("autotermination_minutes") ? c.spec["autotermination_minutes"] : Json();
      if (!m.is_number_integer() || m.get<int64_t>() <= 0) return;
      absl::Time idle_from = c.since;
      if (env_.last_activity) {
        if (auto busy = env_.last_activity(c.id, now)) idle_from = std::max(idle_from, *busy);
      }
      end = idle_from + absl::Minutes(m.get<int64_t>()) / speed_;
      next = "TERMINATING";
    } else {
      return;
    }
    if (now < end) return;
    if (next == "TERMINATING") c.termination_code = "INACTIVITY";
    c.state = next;
    c.since = end;
    if (next == "TERMINATED") c.terminated_time = ToMillis(end);
  }
}

void ComputeStore::Restart(Cluster& c, const std::string& state, absl::Time now) {
  c.state = state;
  c.since = now;
  c.terminated_time = 0;
  libraries_.Restart(c.id);
}

std::optional<Response> ComputeStore::CheckClusterSpec(Json* spec) const {
  std::string policy_error = ApplyPolicy(spec);
  if (!policy_error.empty()) return InvalidParameter(policy_error);
  for (const char* field : {"spark_version", "node_type_id"}) {
    if (!spec->contains(field) || !(*spec)[field].is_string() ||
        (*spec)[field].get<std::string>().empty()) {
      if (std::string(field) == "node_type_id" && spec->contains("instance_pool_id")) continue;
      return MissingParameter(field);
    }
  }
  if (spec->contains("autoscale")) {
    const Json& a = (*spec)["autoscale"];
    int64_t min = a.value("min_workers", int64_t{-1}), max = a.value("max_workers", int64_t{-1});
    if (!a.is_object() || min < 0 || max < 1 || min > max) {
      return InvalidParameter(
          "autoscale needs 0 <= min_workers <= max_workers and max_workers >= 1");
    }
    if (spec->contains("num_workers")) spec->erase("num_workers");
  } else if (spec->contains("num_workers") && (!(*spec)["num_workers"].is_number_integer() ||
                                               (*spec)["num_workers"].get<int64_t>() < 0)) {
    return InvalidParameter("num_workers must be a non-negative integer");
  }
  if (spec->contains("autotermination_minutes")) {
    const Json& m = (*spec)["autotermination_minutes"];
    if (!m.is_number_integer() ||
        (m.get<int64_t>() != 0 && (m.get<int64_t>() < 10 || m.get<int64_t>() > 10000))) {
      return InvalidParameter("autotermination_minutes must be 0 (off) or between 10 and 10000.");
    }
  }
  return std::nullopt;
}

Json ComputeStore::ClusterJson(const Cluster& c, absl::Time now) const {
  Cluster settled = c;
  Settle(settled, now);
  Json j = settled.spec;
  j.erase("apply_policy_default_values");
  j["cluster_id"] = settled.id;
  j["creator_user_name"] = settled.creator;
  j["state"] = settled.state;
  j["state_message"] = settled.state == "PENDING"       ? "Starting Spark"
                       : settled.state == "RESTARTING"  ? "Restarting Spark"
                       : settled.state == "TERMINATING" ? "Terminating cluster"
                                                        : "";
  j["start_time"] = settled.start_time;
  j["cluster_source"] = "API";
  // Server defaults Databricks fills in (a reader must normalize them away).
  if (!j.contains("driver_node_type_id") && j.contains("node_type_id")) {
    j["driver_node_type_id"] = j["node_type_id"];
  }
  if (!j.contains("enable_elastic_disk")) j["enable_elastic_disk"] = true;
  if (!j.contains("azure_attributes")) {
    j["azure_attributes"] = {
        {"first_on_demand", 1}, {"availability", "ON_DEMAND_AZURE"}, {"spot_bid_max_price", -1}};
  }
  if (!j.contains("autoscale") && !j.contains("num_workers")) j["num_workers"] = 0;
  j["default_tags"] = {{"Vendor", "Databricks"},
                       {"Creator", settled.creator},
                       {"ClusterName", j.value("cluster_name", "")},
                       {"ClusterId", settled.id}};
  if (settled.state == "RUNNING") {
    j["spark_context_id"] = static_cast<int64_t>(Micros(settled.since) % 1000000007);
  }
  if (settled.state == "TERMINATED") {
    j["terminated_time"] = settled.terminated_time;
    if (settled.termination_code == "INACTIVITY") {
      j["termination_reason"] = {
          {"code", "INACTIVITY"},
          {"type", "SUCCESS"},
          {"parameters",
           {{"inactivity_duration_min", std::to_string(j.value("autotermination_minutes", 0))}}}};
    } else {
      j["termination_reason"] = {{"code", "USER_REQUEST"},
                                 {"type", "SUCCESS"},
                                 {"parameters", {{"username", settled.creator}}}};
    }
  }
  return j;
}

ComputeStore::Cluster* ComputeStore::FindCluster(const Call& call, Response* error) {
  auto id = call.Param("cluster_id");
  if (!id || id->empty()) {
    *error = MissingParameter("cluster_id");
    return nullptr;
  }
  auto it = clusters_.find(*id);
  if (it == clusters_.end()) {
    // Databricks answers 400 here; the SDKs turn the message into NotFound.
    *error = InvalidParameter("Cluster " + *id + " does not exist");
    return nullptr;
  }
  Settle(it->second, call.now);
  return &it->second;
}

Response ComputeStore::Handle(
    const Call& call, bool* mutated,
    const std::function<void(const std::string&, const std::string&)>& on_delete) {
  const std::string& v = call.verb;
  if (v.rfind("policies/clusters/", 0) == 0) {
    if (call.version != "2.0") return EndpointNotFound(*call.request);
    return PolicyCall(call, mutated, on_delete);
  }
  if (v.rfind("libraries/", 0) == 0) {
    if (call.version != "2.0") return EndpointNotFound(*call.request);
    return LibrariesCall(call, mutated);
  }
  if (call.version == "2.2") return EndpointNotFound(*call.request);
  const bool get = call.method() == "GET";
  if (get && v == "clusters/get") return GetCluster(call);
  if (get && v == "clusters/list") return ListClusters(call);
  if (!get && v == "clusters/create") return CreateCluster(call, mutated);
  if (!get && v == "clusters/edit") return EditCluster(call, mutated);
  if (!get && v == "clusters/start") return StartCluster(call, mutated);
  if (!get && v == "clusters/delete") return TerminateCluster(call, mutated);
  if (!get && v == "clusters/restart") return RestartCluster(call, mutated);
  if (!get && v == "clusters/permanent-delete") {
    Response error;
    Cluster* c = FindCluster(call, &error);
    if (!c) return error;
    const std::string id = c->id;
    clusters_.erase(id);
    libraries_.Forget(id);
    on_delete("clusters", id);
    *mutated = true;
    return JsonResponse(Json::object());
  }
  return EndpointNotFound(*call.request);
}

Response ComputeStore::CreateCluster(const Call& call, bool* mutated) {
  Json spec = call.body;
  if (!spec.contains("cluster_name") || !spec["cluster_name"].is_string() ||
      spec["cluster_name"].get<std::string>().empty()) {
    return MissingParameter("cluster_name");
  }
  if (auto error = CheckClusterSpec(&spec)) return *error;
  Cluster c;
  c.id = NewClusterId(next_cluster_++);
  c.creator = call.principal;
  c.spec = std::move(spec);
  c.state = "PENDING";
  c.since = call.now;
  c.start_time = ToMillis(call.now);
  const std::string id = c.id;
  clusters_[id] = std::move(c);
  *mutated = true;
  return JsonResponse({{"cluster_id", id}});
}

Response ComputeStore::EditCluster(const Call& call, bool* mutated) {
  Response error;
  Cluster* c = FindCluster(call, &error);
  if (!c) return error;
  if (c->state != "RUNNING" && c->state != "TERMINATED") {
    return ErrorResponse(
        400, "INVALID_STATE",
        "Cluster " + c->id + " is in unexpected state " + StateWord(c->state) + ".");
  }
  Json spec = call.body;
  spec.erase("cluster_id");
  if (!spec.contains("cluster_name")) spec["cluster_name"] = c->spec.value("cluster_name", "");
  if (auto bad = CheckClusterSpec(&spec)) return *bad;
  c->spec = std::move(spec);
  // Editing a running cluster restarts it with the new configuration.
  if (c->state == "RUNNING") Restart(*c, "RESTARTING", call.now);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response ComputeStore::GetCluster(const Call& call) {
  Response error;
  Cluster* c = FindCluster(call, &error);
  if (!c) return error;
  return JsonResponse(ClusterJson(*c, call.now));
}

Response ComputeStore::ListClusters(const Call& call) {
  int64_t page_size = 0, offset = 0;
  if (auto p = call.Param("page_size"); p && !p->empty() && !absl::SimpleAtoi(*p, &page_size)) {
    return InvalidParameter("page_size must be an integer");
  }
  if (auto t = call.Param("page_token"); t && !t->empty() && !absl::SimpleAtoi(*t, &offset)) {
    return InvalidParameter("Invalid page_token.");
  }
  if (page_size <= 0 || page_size > 100) page_size = 100;
  std::vector<const Cluster*> all;
  for (auto& [id, c] : clusters_) {
    Settle(c, call.now);
    all.push_back(&c);
  }
  Json clusters = Json::array();
  for (size_t i = offset; i < all.size() && clusters.size() < static_cast<size_t>(page_size); ++i) {
    clusters.push_back(ClusterJson(*all[i], call.now));
  }
  Json out = Json::object();
  if (!clusters.empty()) out["clusters"] = std::move(clusters);
  if (offset + page_size < static_cast<int64_t>(all.size())) {
    out["next_page_token"] = std::to_string(offset + page_size);
  }
  if (offset > 0) out["prev_page_token"] = std::to_string(std::max<int64_t>(0, offset - page_size));
  return JsonResponse(out);
}

Response ComputeStore::StartCluster(const Call& call, bool* mutated) {
  Response error;
  Cluster* c = FindCluster(call, &error);
  if (!c) return error;
  if (c->state != "TERMINATED") {
    return ErrorResponse(
        400, "INVALID_STATE",
        "Cluster " + c->id + " is in unexpected state " + StateWord(c->state) + ".");
  }
  Restart(*c, "PENDING", call.now);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response ComputeStore::RestartCluster(const Call& call, bool* mutated) {
  Response error;
  Cluster* c = FindCluster(call, &error);
  if (!c) return error;
  // Databricks restarts only a RUNNING cluster ("if the cluster is not currently in a
  // RUNNING state, nothing will happen" in the SDK docs); a terminated one stays so.
  if (c->state == "PENDING" || c->state == "RESTARTING" || c->state == "TERMINATING") {
    return ErrorResponse(
        400, "INVALID_STATE",
        "Cluster " + c->id + " is in unexpected state " + StateWord(c->state) + ".");
  }
  if (c->state == "RUNNING") {
    Restart(*c, "RESTARTING", call.now);
    *mutated = true;
  }
  return JsonResponse(Json::object());
}

Response ComputeStore::LibrariesCall(const Call& call, bool* mutated) {
  const bool get = call.method() == "GET";
  const std::string& v = call.verb;
  auto statuses = [&](Cluster& c) {
    Settle(c, call.now);
    std::optional<absl::Time> running;
    if (c.state == "RUNNING") running = c.since;
    Json out = {{"cluster_id", c.id}};
    Json list = libraries_.Statuses(c.id, running, call.now);
    if (!list.empty()) out["library_statuses"] = std::move(list);
    return out;
  };
  if (get && v == "libraries/all-cluster-statuses") {
    Json all = Json::array();
    for (const std::string& id : libraries_.Clusters()) {
      auto it = clusters_.find(id);
      if (it != clusters_.end()) all.push_back(statuses(it->second));
    }
    Json out = Json::object();
    if (!all.empty()) out["statuses"] = std::move(all);
    return JsonResponse(out);
  }
  Response error;
  if (get && v == "libraries/cluster-status") {
    Cluster* c = FindCluster(call, &error);
    return c ? JsonResponse(statuses(*c)) : error;
  }
  if (!get && (v == "libraries/install" || v == "libraries/uninstall")) {
    Cluster* c = FindCluster(call, &error);
    if (!c) return error;
    if (!call.body.contains("libraries")) return MissingParameter("libraries");
    std::string bad = ClusterLibraries::Check(call.body["libraries"]);
    if (!bad.empty()) return InvalidParameter(bad);
    if (v == "libraries/install") {
      libraries_.Install(c->id, call.body["libraries"], call.now, env_.dbfs_file_exists);
    } else {
      libraries_.Uninstall(c->id, call.body["libraries"]);
    }
    *mutated = true;
    return JsonResponse(Json::object());
  }
  return EndpointNotFound(*call.request);
}

Response ComputeStore::TerminateCluster(const Call& call, bool* mutated) {
  Response error;
  Cluster* c = FindCluster(call, &error);
  if (!c) return error;
  if (c->state != "TERMINATED" && c->state != "TERMINATING") {
    c->state = "TERMINATING";
    c->since = call.now;
    c->termination_code = "USER_REQUEST";
    *mutated = true;
  }
  return JsonResponse(Json::object());
}

Json ComputeStore::PolicyJson(const Policy& p) const {
  Json j = {{"policy_id", p.id},
            {"name", p.name},
            {"definition", p.definition},
            {"creator_user_name", p.creator},
            {"created_at_timestamp", p.created_at},
            {"is_default", false}};
  if (!p.description.empty()) j["description"] = p.description;
  if (p.max_clusters_per_user >= 0) j["max_clusters_per_user"] = p.max_clusters_per_user;
  return j;
}

Response ComputeStore::PolicyCall(
    const Call& call, bool* mutated,
    const std::function<void(const std::string&, const std::string&)>& on_delete) {
  const std::string verb = call.verb.substr(std::string("policies/clusters/").size());
  const bool get = call.method() == "GET";
  auto find = [&](Response* error) -> Policy* {
    auto id = call.Param("policy_id");
    if (!id || id->empty()) {
      *error = MissingParameter("policy_id");
      return nullptr;
    }
    auto it = policies_.find(*id);
    if (it == policies_.end()) {
      *error = NotFound("Can't find a cluster policy with id: " + *id + ".");
      return nullptr;
    }
    return &it->second;
  };
  // create and edit share the body checks.
  auto fill = [&](Policy* p, const std::string& self_id) -> std::optional<Response> {
    std::string name = call.body.value("name", "");
    if (name.empty()) return MissingParameter("name");
    if (name.size() > 100) return InvalidParameter("Policy name must be at most 100 characters.");
    for (const auto& [id, other] : policies_) {
      if (id != self_id && other.name == name) {
        return InvalidParameter("Cluster policy with name " + name + " already exists.");
      }
    }
    std::string definition = call.body.value("definition", "");
    if (definition.empty()) definition = "{}";
    std::string bad = CheckDefinition(definition, nullptr);
    if (!bad.empty()) return InvalidParameter(bad);
    int64_t max = -1;
    if (call.body.contains("max_clusters_per_user")) {
      const Json& m = call.body["max_clusters_per_user"];
      if (!m.is_number_integer() || m.get<int64_t>() < 0) {
        return InvalidParameter("max_clusters_per_user must be a non-negative integer.");
      }
      max = m.get<int64_t>();
    }
    p->name = name;
    p->definition = definition;
    p->description = call.body.value("description", "");
    p->max_clusters_per_user = max;
    return std::nullopt;
  };
  Response error;
  if (get && verb == "get") {
    Policy* p = find(&error);
    return p ? JsonResponse(PolicyJson(*p)) : error;
  }
  if (get && verb == "list") {
    Json list = Json::array();
    for (const auto& [id, p] : policies_) list.push_back(PolicyJson(p));
    Json out = Json::object();
    if (!list.empty()) out["policies"] = std::move(list);
    return JsonResponse(out);
  }
  if (!get && verb == "create") {
    Policy p;
    if (auto bad = fill(&p, "")) return *bad;
    p.id = absl::StrFormat("E0631F5C%08X", static_cast<uint32_t>(next_policy_++ * 2654435761u));
    p.creator = call.principal;
    p.created_at = ToMillis(call.now);
    const std::string id = p.id;
    policies_[id] = std::move(p);
    *mutated = true;
    return JsonResponse({{"policy_id", id}});
  }
  if (!get && verb == "edit") {
    Policy* p = find(&error);
    if (!p) return error;
    Policy edited = *p;
    if (auto bad = fill(&edited, p->id)) return *bad;
    *p = std::move(edited);
    *mutated = true;
    return JsonResponse(Json::object());
  }
  if (!get && verb == "delete") {
    Policy* p = find(&error);
    if (!p) return error;
    const std::string id = p->id;
    policies_.erase(id);
    on_delete("cluster-policies", id);
    *mutated = true;
    return JsonResponse(Json::object());
  }
  return EndpointNotFound(*call.request);
}

Json ComputeStore::Save() const {
  Json clusters = Json::array();
  for (const auto& [id, c] : clusters_) {
    clusters.push_back({{"id", c.id},
                        {"creator", c.creator},
                        {"spec", c.spec},
                        {"state", c.state},
                        {"since", Micros(c.since)},
                        {"start_time", c.start_time},
                        {"terminated_time", c.terminated_time},
                        {"termination_code", c.termination_code}});
  }
  Json policies = Json::array();
  for (const auto& [id, p] : policies_) {
    policies.push_back({{"id", p.id},
                        {"name", p.name},
                        {"definition", p.definition},
                        {"description", p.description},
                        {"max", p.max_clusters_per_user},
                        {"creator", p.creator},
                        {"created_at", p.created_at}});
  }
  return {{"clusters", clusters},
          {"policies", policies},
          {"next_cluster", next_cluster_},
          {"next_policy", next_policy_},
          {"libraries", libraries_.Save()}};
}

absl::Status ComputeStore::Load(const Json& state) {
  std::map<std::string, Cluster> clusters;
  std::map<std::string, Policy> policies;
  for (const Json& j : state.at("clusters")) {
    Cluster c;
    c.id = j.at("id").get<std::string>();
    c.creator = j.at("creator").get<std::string>();
    c.spec = j.at("spec");
    c.state = j.at("state").get<std::string>();
    c.since = absl::FromUnixMicros(j.at("since").get<int64_t>());
    c.start_time = j.at("start_time").get<int64_t>();
    c.terminated_time = j.at("terminated_time").get<int64_t>();
    c.termination_code = j.value("termination_code", "USER_REQUEST");
    clusters[c.id] = std::move(c);
  }
  for (const Json& j : state.at("policies")) {
    Policy p;
    p.id = j.at("id").get<std::string>();
    p.name = j.at("name").get<std::string>();
    p.definition = j.at("definition").get<std::string>();
    p.description = j.at("description").get<std::string>();
    p.max_clusters_per_user = j.at("max").get<int64_t>();
    p.creator = j.at("creator").get<std::string>();
    p.created_at = j.at("created_at").get<int64_t>();
    policies[p.id] = std::move(p);
  }
  ClusterLibraries libraries(speed_);
  if (state.contains("libraries")) {
    absl::Status st = libraries.Load(state["libraries"]);
    if (!st.ok()) return st;
  }
  clusters_ = std::move(clusters);
  policies_ = std::move(policies);
  libraries_ = std::move(libraries);
  next_cluster_ = state.at("next_cluster").get<int64_t>();
  next_policy_ = state.at("next_policy").get<int64_t>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
