#include "reconcilers/databricks/compute_json.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "reconcilers/runs/integration_test_reconciler.h"

namespace envctl::reconcilers {
namespace {

using nlohmann::json;

json StringMap(const google::protobuf::Map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

json Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return json(std::vector<std::string>(list.begin(), list.end()));
}

json Ids(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  json out = json::array();
  for (const std::string& id : ids) out.push_back({{"id", id}});
  return out;
}

void SortBy(json* array, const char* key) {
  if (!array->is_array()) return;
  std::sort(array->begin(), array->end(),
            [key](const json& a, const json& b) { return a.value(key, "") < b.value(key, ""); });
}

// Removes `key` from `j` when it holds `value` (a server default).
void DropDefault(json* j, const char* key, const json& value) {
  if (j->is_object() && j->contains(key) && (*j)[key] == value) j->erase(key);
}

}  // namespace

absl::StatusOr<std::string> RequireOutput(const Outputs& outputs, const std::string& resource,
                                          const std::string& output) {
  auto value = outputs.Get(resource, output);
  if (!value || value->value.empty()) {
    return KnownAfterApplyError(
        absl::StrCat("output ", resource, ".", output, " is not known yet (known after apply)"));
  }
  return value->value;
}

OutputValue IdOutput(const std::string& id) {
  OutputValue v;
  v.value = id;
  return v;
}

absl::StatusOr<std::string> NotebookPathOf(const envctl::v1::Environment& env,
                                           const envctl::v1::DatabricksNotebookRef& ref) {
  const envctl::v1::Resource* r = FindResource(env, ref.notebooks());
  if (r == nullptr || !r->has_databricks_notebooks()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ref.notebooks(),
                     "\" is not a DatabricksNotebooks resource of environment ", env.name()));
  }
  std::string folder = r->databricks_notebooks().target_folder();
  while (!folder.empty() && folder.back() == '/') folder.pop_back();
  std::string path = ref.path();
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  return absl::StrCat(folder, "/", path);
}

absl::StatusOr<json> ClusterConfigJson(const Outputs& outputs,
                                       const envctl::v1::DatabricksClusterConfig& c) {
  json out = json::object();
  if (!c.spark_version().empty()) out["spark_version"] = c.spark_version();
  if (!c.node_type_id().empty()) out["node_type_id"] = c.node_type_id();
  if (!c.driver_node_type_id().empty()) out["driver_node_type_id"] = c.driver_node_type_id();
  if (c.has_autoscale()) {
    out["autoscale"] = {{"min_workers", c.autoscale().min_workers()},
                        {"max_workers", c.autoscale().max_workers()}};
  } else {
    out["num_workers"] = c.num_workers();
  }
  if (!c.spark_conf().empty()) out["spark_conf"] = StringMap(c.spark_conf());
  if (!c.spark_env_vars().empty()) out["spark_env_vars"] = StringMap(c.spark_env_vars());
  if (!c.custom_tags().empty()) out["custom_tags"] = StringMap(c.custom_tags());
  if (!c.policy().empty()) {
    ASSIGN_OR_RETURN(std::string policy_id, RequireOutput(outputs, c.policy(), "policyId"));
    out["policy_id"] = policy_id;
  }
  return out;
}

absl::StatusOr<json> JobSettingsJson(const envctl::v1::Environment& env, const Outputs& outputs,
                                     const envctl::v1::DatabricksJobSpec& spec) {
  json s = {
      {"name", spec.job_name()},
      {"max_concurrent_runs", spec.max_concurrent_runs() > 0 ? spec.max_concurrent_runs() : 1},
      {"format", "MULTI_TASK"}};
  json clusters = json::array();
  for (const auto& jc : spec.job_clusters()) {
    ASSIGN_OR_RETURN(json cluster, ClusterConfigJson(outputs, jc.spec()));
    clusters.push_back({{"job_cluster_key", jc.key()}, {"new_cluster", cluster}});
  }
  if (!clusters.empty()) s["job_clusters"] = clusters;
  json tasks = json::array();
  for (const auto& t : spec.tasks()) {
    json task = {{"task_key", t.task_key()}};
    if (t.depends_on_size() > 0) {
      json deps = json::array();
      for (const std::string& d : t.depends_on()) deps.push_back({{"task_key", d}});
      task["depends_on"] = deps;
    }
    if (t.has_notebook()) {
      ASSIGN_OR_RETURN(std::string path, NotebookPathOf(env, t.notebook().notebook()));
      json nb = {{"notebook_path", path}, {"source", "WORKSPACE"}};
      if (!t.notebook().base_parameters().empty())
        nb["base_parameters"] = StringMap(t.notebook().base_parameters());
      task["notebook_task"] = nb;
    } else if (t.has_python_wheel()) {
      json w = {{"package_name", t.python_wheel().package_name()},
                {"entry_point", t.python_wheel().entry_point()}};
      if (t.python_wheel().parameters_size() > 0)
        w["parameters"] = Strings(t.python_wheel().parameters());
      task["python_wheel_task"] = w;
    } else if (t.has_jar()) {
      json j = {{"main_class_name", t.jar().main_class_name()}};
      if (t.jar().parameters_size() > 0) j["parameters"] = Strings(t.jar().parameters());
      task["spark_jar_task"] = j;
    }
    if (!t.job_cluster().empty()) task["job_cluster_key"] = t.job_cluster();
    if (!t.existing_cluster_id().empty()) task["existing_cluster_id"] = t.existing_cluster_id();
    if (!t.existing_cluster().empty()) {
      ASSIGN_OR_RETURN(std::string id, RequireOutput(outputs, t.existing_cluster(), "clusterId"));
      task["existing_cluster_id"] = id;
    }
    json libraries = json::array();
    for (const std::string& name : t.libraries()) {
      const envctl::v1::Resource* lib = FindResource(env, name);
      if (lib == nullptr || !lib->has_databricks_library()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", name, "\" is not a DatabricksLibrary resource"));
      }
      ASSIGN_OR_RETURN(json entry, LibraryFor(lib->databricks_library().dbfs_path()));
      libraries.push_back(entry);
    }
    if (!libraries.empty()) task["libraries"] = libraries;
    if (t.has_timeout()) task["timeout_seconds"] = t.timeout().seconds();
    if (t.max_retries() > 0) task["max_retries"] = t.max_retries();
    tasks.push_back(task);
  }
  s["tasks"] = tasks;
  if (spec.has_schedule()) {
    s["schedule"] = {
        {"quartz_cron_expression", spec.schedule().quartz_cron()},
        {"timezone_id", spec.schedule().time_zone().empty() ? "UTC" : spec.schedule().time_zone()},
        {"pause_status", spec.schedule().paused() ? "PAUSED" : "UNPAUSED"}};
  }
  if (spec.parameters_size() > 0) {
    json params = json::array();
    for (const auto& p : spec.parameters())
      params.push_back({{"name", p.name()}, {"default", p.default_()}});
    s["parameters"] = params;
  }
  const auto& n = spec.notifications();
  json email = json::object();
  if (n.on_start_size() > 0) email["on_start"] = Strings(n.on_start());
  if (n.on_success_size() > 0) email["on_success"] = Strings(n.on_success());
  if (n.on_failure_size() > 0) email["on_failure"] = Strings(n.on_failure());
  s["email_notifications"] = email;
  json hooks = json::object();
  if (n.webhook_on_start_size() > 0) hooks["on_start"] = Ids(n.webhook_on_start());
  if (n.webhook_on_success_size() > 0) hooks["on_success"] = Ids(n.webhook_on_success());
  if (n.webhook_on_failure_size() > 0) hooks["on_failure"] = Ids(n.webhook_on_failure());
  s["webhook_notifications"] = hooks;
  if (!spec.tags().empty()) s["tags"] = StringMap(spec.tags());
  if (spec.has_timeout()) s["timeout_seconds"] = spec.timeout().seconds();
  if (!spec.run_as_user().empty()) s["run_as"] = {{"user_name", spec.run_as_user()}};
  if (!spec.run_as_service_principal().empty()) {
    s["run_as"] = {{"service_principal_name", spec.run_as_service_principal()}};
  }
  return s;
}

json CanonicalJobSettings(const json& settings) {
  static const std::set<std::string> kManaged = {
      "name",       "max_concurrent_runs", "job_clusters",          "tasks", "schedule",
      "parameters", "email_notifications", "webhook_notifications", "tags",  "timeout_seconds",
      "run_as"};
  json out = json::object();
  if (!settings.is_object()) return out;
  for (const auto& [k, v] : settings.items()) {
    if (kManaged.count(k)) out[k] = v;
  }
  DropDefault(&out, "timeout_seconds", 0);
  DropDefault(&out, "email_notifications", json::object());
  DropDefault(&out, "webhook_notifications", json::object());
  DropDefault(&out, "tags", json::object());
  DropDefault(&out, "parameters", json::array());
  DropDefault(&out, "job_clusters", json::array());
  if (!out.contains("max_concurrent_runs")) out["max_concurrent_runs"] = 1;
  if (out.contains("schedule") && !out["schedule"].contains("pause_status")) {
    out["schedule"]["pause_status"] = "UNPAUSED";
  }
  if (out.contains("tasks")) {
    for (json& t : out["tasks"]) {
      DropDefault(&t, "run_if", "ALL_SUCCESS");
      DropDefault(&t, "timeout_seconds", 0);
      DropDefault(&t, "max_retries", 0);
      DropDefault(&t, "email_notifications", json::object());
      DropDefault(&t, "webhook_notifications", json::object());
      DropDefault(&t, "notification_settings", json::object());
      DropDefault(&t, "libraries", json::array());
      if (t.contains("notebook_task")) DropDefault(&t["notebook_task"], "source", "WORKSPACE");
      if (t.contains("depends_on")) {
        SortBy(&t["depends_on"], "task_key");
        DropDefault(&t, "depends_on", json::array());
      }
    }
    SortBy(&out["tasks"], "task_key");
  }
  if (out.contains("job_clusters")) SortBy(&out["job_clusters"], "job_cluster_key");
  return out;
}

std::vector<std::string> JobInputs(const envctl::v1::DatabricksJobSpec& spec) {
  std::set<std::string> names;
  for (const auto& jc : spec.job_clusters()) {
    if (!jc.spec().policy().empty()) names.insert(jc.spec().policy());
  }
  for (const auto& t : spec.tasks()) {
    if (t.has_notebook()) names.insert(t.notebook().notebook().notebooks());
    if (!t.existing_cluster().empty()) names.insert(t.existing_cluster());
    for (const std::string& l : t.libraries()) names.insert(l);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace envctl::reconcilers
