// Validation of the Databricks compute, job and permission kinds and of JobRunTest.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "spec/internal/suggest.h"
#include "spec/internal/validate.h"

namespace envctl::spec::internal {
namespace {

using envctl::v1::Resource;

bool ValidTaskKey(const std::string& key) {
  if (key.empty() || key.size() > 100) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

const std::vector<std::string>& LevelsFor(const std::string& object) {
  static const auto* levels = new std::map<std::string, std::vector<std::string>>{
      {"job", {"CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"}},
      {"cluster", {"CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"}},
      {"clusterPolicy", {"CAN_USE"}},
      {"notebook", {"CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"}},
      {"directory", {"CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"}},
  };
  return levels->at(object);
}

}  // namespace

void EnvironmentValidator::CheckClusterConfig(int i, const std::string& path,
                                              const envctl::v1::DatabricksClusterConfig& c) {
  if (c.policy().empty()) {
    Require(i, path + ".sparkVersion", c.spark_version(),
            "the Databricks runtime, e.g. 13.3.x-scala2.12");
    Require(i, path + ".nodeTypeId", c.node_type_id(), "the VM type, e.g. Standard_DS3_v2");
  }
  if (c.num_workers() < 0) Error(i, path + ".numWorkers", "must be 0 or more");
  if (c.has_autoscale()) {
    const auto& a = c.autoscale();
    if (a.max_workers() < 1 || a.min_workers() < 0 || a.min_workers() > a.max_workers()) {
      Error(i, path + ".autoscale",
            absl::StrCat("needs 0 <= minWorkers <= maxWorkers and maxWorkers >= 1 (got ",
                         a.min_workers(), "..", a.max_workers(), ")"));
    }
    if (c.num_workers() > 0)
      Error(i, path + ".numWorkers", "set either numWorkers or autoscale, not both");
  }
}

void EnvironmentValidator::CheckDatabricksKind(int i) {
  const Resource& r = env_.resources(i);
  switch (r.kind_case()) {
    case Resource::kDatabricksClusterPolicy: {
      const auto& s = r.databricks_cluster_policy();
      const std::string k = "databricksClusterPolicy.";
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "policyName", s.policy_name(), "the policy's name in the workspace");
      if (s.policy_name().size() > 100)
        Error(i, k + "policyName", "must be at most 100 characters");
      static const std::vector<std::string> kTypes = {
          "fixed", "forbidden", "allowlist", "blocklist", "regex", "range", "unlimited"};
      for (const auto& [attr, rule] : s.definition().fields()) {
        const std::string p = absl::StrCat(k, "definition.", attr);
        std::string rule_type;
        bool has_value = false;
        if (rule.has_struct_value()) {
          const auto& fields = rule.struct_value().fields();
          auto t = fields.find("type");
          if (t != fields.end() && t->second.has_string_value())
            rule_type = t->second.string_value();
          has_value = fields.count("value") > 0;
        }
        if (std::find(kTypes.begin(), kTypes.end(), rule_type) == kTypes.end()) {
          Error(i, p,
                absl::StrCat("each rule needs a type: ", absl::StrJoin(kTypes, ", "),
                             ", e.g. {type: fixed, value: 13.3.x-scala2.12}"));
          continue;
        }
        if (rule_type == "fixed" && !has_value) {
          Error(i, p, "a fixed rule needs a `value`");
        }
      }
      if (s.max_clusters_per_user() < 0)
        Error(i, k + "maxClustersPerUser", "must be 0 (no limit) or more");
      break;
    }
    case Resource::kDatabricksCluster: {
      const auto& s = r.databricks_cluster();
      const std::string k = "databricksCluster.";
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "clusterName", s.cluster_name(), "the cluster's name");
      if (!s.has_spec()) {
        Error(i, k + "spec",
              "required: the cluster's sparkVersion, nodeTypeId and numWorkers or autoscale");
      } else {
        CheckClusterConfig(i, k + "spec", s.spec());
      }
      const int minutes = s.autotermination_minutes();
      if (minutes != 0 && (minutes < 10 || minutes > 10000)) {
        Error(i, k + "autoterminationMinutes",
              absl::StrCat("must be between 10 and 10000 (got ", minutes, ")"));
      }
      break;
    }
    case Resource::kDatabricksJob: {
      const auto& s = r.databricks_job();
      const std::string k = "databricksJob.";
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      Require(i, k + "jobName", s.job_name(), "the job's name");
      std::set<std::string> cluster_keys;
      for (int c = 0; c < s.job_clusters_size(); ++c) {
        const std::string p = absl::StrCat(k, "jobClusters[", c, "]");
        const auto& jc = s.job_clusters(c);
        Require(i, p + ".key", jc.key(), "the key tasks use in `jobCluster`");
        if (!jc.key().empty() && !cluster_keys.insert(jc.key()).second) {
          Error(i, p + ".key", absl::StrCat("job cluster key \"", jc.key(), "\" is used twice"));
        }
        if (!jc.has_spec()) {
          Error(i, p + ".spec", "required: sparkVersion, nodeTypeId and numWorkers or autoscale");
        } else {
          CheckClusterConfig(i, p + ".spec", jc.spec());
        }
      }
      if (s.tasks_size() == 0) Error(i, k + "tasks", "required: at least one task");
      std::map<std::string, int> keys;
      for (int t = 0; t < s.tasks_size(); ++t) {
        const auto& task = s.tasks(t);
        if (!task.task_key().empty()) keys.emplace(task.task_key(), t);
      }
      std::vector<std::string> key_names;
      for (const auto& [key, t] : keys) key_names.push_back(key);
      for (int t = 0; t < s.tasks_size(); ++t) {
        const auto& task = s.tasks(t);
        const std::string p = absl::StrCat(k, "tasks[", t, "]");
        Require(i, p + ".taskKey", task.task_key(), "a key unique in the job, e.g. train");
        if (!task.task_key().empty() && !ValidTaskKey(task.task_key())) {
          Error(i, p + ".taskKey", "use 1-100 letters, digits, _ and -");
        } else if (!task.task_key().empty() && keys[task.task_key()] != t) {
          Error(i, p + ".taskKey",
                absl::StrCat("task key \"", task.task_key(), "\" is used twice"));
        }
        const int types = task.has_notebook() + task.has_python_wheel() + task.has_jar();
        if (types != 1) {
          Error(i, p, "set exactly one task type: notebook, pythonWheel or jar");
        }
        if (task.has_notebook()) {
          Require(i, p + ".notebook.notebook.notebooks", task.notebook().notebook().notebooks(),
                  "the name of the DatabricksNotebooks resource that deploys the notebook");
          Require(i, p + ".notebook.notebook.path", task.notebook().notebook().path(),
                  "the notebook's path under that resource's targetFolder, e.g. train");
        }
        if (task.has_python_wheel()) {
          Require(i, p + ".pythonWheel.packageName", task.python_wheel().package_name(),
                  "the wheel's package name");
          Require(i, p + ".pythonWheel.entryPoint", task.python_wheel().entry_point(),
                  "the entry point to call");
        }
        if (task.has_jar()) {
          Require(i, p + ".jar.mainClassName", task.jar().main_class_name(),
                  "the class with the main method");
        }
        const int computes = !task.job_cluster().empty() + !task.existing_cluster().empty() +
                             !task.existing_cluster_id().empty();
        if (computes != 1) {
          Error(i, p,
                "set exactly one of jobCluster, existingCluster (a DatabricksCluster resource) or "
                "existingClusterId");
        }
        if (!task.job_cluster().empty() && !cluster_keys.count(task.job_cluster())) {
          std::vector<std::string> names(cluster_keys.begin(), cluster_keys.end());
          Error(i, p + ".jobCluster",
                absl::StrCat("no job cluster \"", task.job_cluster(), "\" in jobClusters",
                             DidYouMean(task.job_cluster(), names)));
        }
        for (int d = 0; d < task.depends_on_size(); ++d) {
          const std::string& dep = task.depends_on(d);
          const std::string dp = absl::StrCat(p, ".dependsOn[", d, "]");
          if (dep == task.task_key()) {
            Error(i, dp, "a task cannot depend on itself");
          } else if (!keys.count(dep)) {
            Error(i, dp,
                  absl::StrCat("no task \"", dep, "\" in this job", DidYouMean(dep, key_names)));
          }
        }
        for (int l = 0; l < task.libraries_size(); ++l) {
          const int lib = Find(task.libraries(l));
          if (lib < 0 || !env_.resources(lib).has_databricks_library())
            continue;  // reported as a reference
          const std::string& dbfs = env_.resources(lib).databricks_library().dbfs_path();
          if (!absl::EndsWith(dbfs, ".jar") && !absl::EndsWith(dbfs, ".whl") &&
              !absl::EndsWith(dbfs, ".egg")) {
            Error(i, absl::StrCat(p, ".libraries[", l, "]"),
                  absl::StrCat("library \"", task.libraries(l), "\" (", dbfs,
                               ") is not a cluster library: use a .jar, .whl or .egg"));
          }
        }
        if (task.max_retries() < 0) Error(i, p + ".maxRetries", "must be 0 or more");
      }
      // Cycles among the tasks' dependsOn.
      std::map<std::string, int> state;  // 1 on stack, 2 done
      std::function<bool(const std::string&)> cyclic = [&](const std::string& key) {
        state[key] = 1;
        const auto& task = s.tasks(keys[key]);
        for (const std::string& dep : task.depends_on()) {
          if (!keys.count(dep) || dep == key) continue;
          if (state[dep] == 1 || (state[dep] == 0 && cyclic(dep))) return true;
        }
        state[key] = 2;
        return false;
      };
      for (const auto& [key, t] : keys) {
        if (state[key] == 0 && cyclic(key)) {
          Error(i, absl::StrCat(k, "tasks[", t, "].dependsOn"),
                absl::StrCat("the tasks' dependsOn form a cycle through \"", key,
                             "\"; remove one dependency"));
          break;
        }
      }
      if (s.has_schedule()) {
        const std::string& cron = s.schedule().quartz_cron();
        Require(i, k + "schedule.quartzCron", cron,
                "a Quartz cron expression, e.g. \"0 0 3 * * ?\"");
        std::vector<std::string> fields = absl::StrSplit(cron, ' ', absl::SkipEmpty());
        if (!cron.empty() && fields.size() != 6 && fields.size() != 7) {
          Error(i, k + "schedule.quartzCron",
                absl::StrCat("a Quartz expression has 6 or 7 fields, seconds first (got ",
                             fields.size(), "); e.g. \"0 0 3 * * ?\" for 03:00 every day"));
        }
      }
      if (s.max_concurrent_runs() < 0 || s.max_concurrent_runs() > 1000) {
        Error(i, k + "maxConcurrentRuns", "must be between 1 and 1000 (0 means 1)");
      }
      if (s.tags_size() > 25) Error(i, k + "tags", "a job can have at most 25 tags");
      std::set<std::string> params;
      for (int p = 0; p < s.parameters_size(); ++p) {
        const std::string path = absl::StrCat(k, "parameters[", p, "].name");
        Require(i, path, s.parameters(p).name(), "the parameter's name");
        if (!s.parameters(p).name().empty() && !params.insert(s.parameters(p).name()).second) {
          Error(i, path,
                absl::StrCat("parameter \"", s.parameters(p).name(), "\" is declared twice"));
        }
      }
      if (!s.run_as_user().empty() && !s.run_as_service_principal().empty()) {
        Error(i, k + "runAsServicePrincipal",
              "set either runAsUser or runAsServicePrincipal, not both");
      }
      break;
    }
    case Resource::kDatabricksPermissions: {
      const auto& s = r.databricks_permissions();
      const std::string k = "databricksPermissions.";
      Require(i, k + "workspace", s.workspace(), "the name of a DatabricksWorkspace resource");
      std::vector<std::string> objects;
      if (!s.job().empty()) objects.push_back("job");
      if (!s.cluster().empty()) objects.push_back("cluster");
      if (!s.cluster_policy().empty()) objects.push_back("clusterPolicy");
      if (s.has_notebook()) objects.push_back("notebook");
      if (!s.directory().empty()) objects.push_back("directory");
      if (objects.size() != 1) {
        Error(i, k.substr(0, k.size() - 1),
              "set exactly one object: job, cluster, clusterPolicy, notebook or directory");
        break;
      }
      if (s.has_notebook()) {
        Require(i, k + "notebook.notebooks", s.notebook().notebooks(),
                "the name of a DatabricksNotebooks resource");
        Require(i, k + "notebook.path", s.notebook().path(),
                "the notebook's path under its targetFolder");
      }
      const std::vector<std::string>& levels = LevelsFor(objects[0]);
      if (s.access_size() == 0)
        Error(i, k + "access", "required: at least one entry {group|user|servicePrincipal, level}");
      std::set<std::string> principals;
      for (int a = 0; a < s.access_size(); ++a) {
        const auto& e = s.access(a);
        const std::string p = absl::StrCat(k, "access[", a, "]");
        const int named = !e.user().empty() + !e.group().empty() + !e.service_principal().empty();
        if (named != 1) {
          Error(i, p, "set exactly one of user, group or servicePrincipal");
          continue;
        }
        const std::string who = absl::StrCat(e.user(), e.group(), e.service_principal());
        if (!principals.insert(who).second) {
          Error(i, p, absl::StrCat("\"", who, "\" is listed twice; give each principal one level"));
        }
        if (e.level().empty() ||
            std::find(levels.begin(), levels.end(), e.level()) == levels.end()) {
          Error(i, p + ".level",
                absl::StrCat(e.level().empty() ? "required"
                                               : absl::StrCat("\"", e.level(), "\" does not apply"),
                             ": a ", objects[0], " takes ", absl::StrJoin(levels, ", "),
                             DidYouMean(e.level(), levels)));
        }
        if (e.level() == "IS_OWNER" && !e.group().empty()) {
          Error(i, p + ".level",
                "a group cannot own a job; give IS_OWNER to a user or service principal");
        }
        if (!e.group().empty() && e.group() == "admins") {
          Error(i, p + ".group", "the admins group always has CAN_MANAGE; leave it out");
        }
      }
      break;
    }
    case Resource::kJobRunTest: {
      const auto& s = r.job_run_test();
      Require(i, "jobRunTest.job", s.job(), "the name of the DatabricksJob resource to run");
      break;
    }
    default:
      break;
  }
}

}  // namespace envctl::spec::internal
