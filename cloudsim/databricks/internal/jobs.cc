#include "cloudsim/databricks/internal/jobs.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr int kDefaultListLimit = 20;
constexpr int kMaxListLimit = 100;

Response JobMissing(const std::string& id) {
  // 400, as Databricks answers; the SDKs turn "Job .* does not exist" into NotFound.
  return InvalidParameter("Job " + id + " does not exist.");
}

// Server defaults of a stored job, so that readers see what Databricks returns.
void FillDefaults(Json* s) {
  if (!s->contains("name")) (*s)["name"] = "Untitled";
  if (!s->contains("format")) (*s)["format"] = "MULTI_TASK";
  if (!s->contains("max_concurrent_runs")) (*s)["max_concurrent_runs"] = 1;
  if (!s->contains("timeout_seconds")) (*s)["timeout_seconds"] = 0;
  if (!s->contains("email_notifications")) (*s)["email_notifications"] = Json::object();
  if (!s->contains("webhook_notifications")) (*s)["webhook_notifications"] = Json::object();
  if (s->contains("schedule") && !(*s)["schedule"].contains("pause_status")) {
    (*s)["schedule"]["pause_status"] = "UNPAUSED";
  }
  if (s->contains("tasks")) {
    for (Json& t : (*s)["tasks"]) {
      if (!t.contains("run_if")) t["run_if"] = "ALL_SUCCESS";
      if (!t.contains("timeout_seconds")) t["timeout_seconds"] = 0;
      if (!t.contains("email_notifications")) t["email_notifications"] = Json::object();
      if (t.contains("notebook_task") && !t["notebook_task"].contains("source")) {
        t["notebook_task"]["source"] = "WORKSPACE";
      }
    }
  }
}

bool ValidQuartz(const std::string& cron) {
  std::vector<std::string> fields = absl::StrSplit(cron, ' ', absl::SkipEmpty());
  return fields.size() == 6 || fields.size() == 7;
}

// Replaces the array entries of `base[field]` whose `key` matches one in `patch[field]`
// and appends the others (jobs/update merges tasks and job clusters by key).
void MergeByKey(Json* base, const Json& patch, const char* field, const char* key) {
  if (!patch.contains(field) || !patch[field].is_array()) return;
  if (!base->contains(field) || !(*base)[field].is_array()) (*base)[field] = Json::array();
  for (const Json& item : patch[field]) {
    bool replaced = false;
    for (Json& have : (*base)[field]) {
      if (have.value(key, "") == item.value(key, "")) {
        have = item;
        replaced = true;
      }
    }
    if (!replaced) (*base)[field].push_back(item);
  }
}

}  // namespace

std::string JobStore::Creator(int64_t job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? "" : it->second.creator;
}

std::optional<Response> JobStore::CheckSettings(Json* settings, const JobsEnv& env) const {
  Json& s = *settings;
  if (!s.is_object()) return InvalidParameter("Job settings must be an object.");
  if (s.contains("name") &&
      (!s["name"].is_string() || s["name"].get<std::string>().size() > 4096)) {
    return InvalidParameter("name must be a string of at most 4096 characters.");
  }
  std::set<std::string> cluster_keys;
  if (s.contains("job_clusters")) {
    if (!s["job_clusters"].is_array()) return InvalidParameter("job_clusters must be an array.");
    for (const Json& jc : s["job_clusters"]) {
      std::string key = jc.value("job_cluster_key", "");
      if (key.empty()) return MissingParameter("job_clusters.job_cluster_key");
      if (!cluster_keys.insert(key).second) {
        return InvalidParameter("Job cluster key " + key + " is not unique.");
      }
      if (!jc.contains("new_cluster") || !jc["new_cluster"].is_object()) {
        return MissingParameter("job_clusters.new_cluster in job cluster " + key);
      }
      Json cluster = jc["new_cluster"];
      std::string bad = env.compute->ApplyPolicy(&cluster);
      if (!bad.empty()) return InvalidParameter(bad + " in job cluster " + key);
      for (const char* field : {"spark_version", "node_type_id"}) {
        if (cluster.value(field, "").empty() &&
            !(std::string(field) == "node_type_id" && cluster.contains("instance_pool_id"))) {
          return MissingParameter(std::string("job_clusters.new_cluster.") + field +
                                  " in job cluster " + key);
        }
      }
    }
  }
  std::vector<TaskRun> tasks;
  std::set<std::string> keys;
  if (s.contains("tasks")) {
    if (!s["tasks"].is_array()) return InvalidParameter("tasks must be an array.");
    if (s["tasks"].size() > 1000) return InvalidParameter("A job can have at most 1000 tasks.");
    for (const Json& tj : s["tasks"]) {
      if (!tj.is_object()) return InvalidParameter("Each task must be an object.");
      TaskRun t;
      t.task_key = tj.value("task_key", "");
      if (t.task_key.empty()) return MissingParameter("task_key");
      if (!keys.insert(t.task_key).second)
        return InvalidParameter("Task key " + t.task_key + " is not unique.");
      if (auto err = ParseTask(tj, false, &t)) return *err;
      if (t.compute.contains("job_cluster_key") &&
          !cluster_keys.count(t.compute["job_cluster_key"].get<std::string>())) {
        return InvalidParameter("Task " + t.task_key + " refers to job cluster " +
                                t.compute["job_cluster_key"].get<std::string>() +
                                ", which is not in job_clusters.");
      }
      if (t.compute.contains("existing_cluster_id") &&
          !env.compute->HasCluster(t.compute["existing_cluster_id"].get<std::string>())) {
        return InvalidParameter("Cluster " + t.compute["existing_cluster_id"].get<std::string>() +
                                " does not exist");
      }
      if (t.compute.contains("new_cluster")) {
        Json cluster = t.compute["new_cluster"];
        std::string bad = env.compute->ApplyPolicy(&cluster);
        if (!bad.empty()) return InvalidParameter(bad + " in task " + t.task_key);
      }
      tasks.push_back(std::move(t));
    }
    if (auto err = CheckTaskGraph(tasks)) return *err;
  }
  if (s.contains("schedule")) {
    const Json& sc = s["schedule"];
    if (!sc.is_object()) return InvalidParameter("schedule must be an object.");
    std::string cron = sc.value("quartz_cron_expression", "");
    if (cron.empty()) return MissingParameter("schedule.quartz_cron_expression");
    if (!ValidQuartz(cron)) {
      return InvalidParameter("Invalid quartz_cron_expression \"" + cron +
                              "\": a Quartz expression has 6 or 7 fields (seconds first).");
    }
    if (sc.value("timezone_id", "").empty()) return MissingParameter("schedule.timezone_id");
    std::string pause = sc.value("pause_status", "UNPAUSED");
    if (pause != "PAUSED" && pause != "UNPAUSED") {
      return InvalidParameter("schedule.pause_status must be PAUSED or UNPAUSED.");
    }
  }
  if (s.contains("max_concurrent_runs")) {
    const Json& m = s["max_concurrent_runs"];
    if (!m.is_number_integer() || m.get<int64_t>() < 0 || m.get<int64_t>() > 1000) {
      return InvalidParameter("max_concurrent_runs must be between 0 and 1000.");
    }
  }
  if (s.contains("tags")) {
    if (!s["tags"].is_object()) return InvalidParameter("tags must be a map of strings.");
    if (s["tags"].size() > 25) return InvalidParameter("A job can have at most 25 tags.");
  }
  if (s.contains("parameters")) {
    if (!s["parameters"].is_array()) return InvalidParameter("parameters must be an array.");
    std::set<std::string> names;
    for (const Json& p : s["parameters"]) {
      std::string name = p.value("name", "");
      if (name.empty() || !p.contains("default")) {
        return InvalidParameter("Each job parameter needs a name and a default.");
      }
      if (!names.insert(name).second)
        return InvalidParameter("Job parameter " + name + " is not unique.");
    }
  }
  if (s.contains("run_as")) {
    const Json& ra = s["run_as"];
    int named = 0;
    for (const char* k : {"user_name", "service_principal_name"}) {
      if (ra.is_object() && !ra.value(k, "").empty()) ++named;
    }
    if (named != 1)
      return InvalidParameter("run_as needs exactly one of user_name or service_principal_name.");
  }
  FillDefaults(settings);
  return std::nullopt;
}

Json JobStore::JobJson(const Job& job, bool with_tasks) const {
  Json settings = job.settings;
  if (!with_tasks) {
    settings.erase("tasks");
    settings.erase("job_clusters");
  }
  std::string run_as = job.creator;
  if (job.settings.contains("run_as")) {
    const Json& ra = job.settings["run_as"];
    run_as = ra.value("user_name", ra.value("service_principal_name", job.creator));
  }
  return {{"job_id", job.job_id},
          {"creator_user_name", job.creator},
          {"run_as_user_name", run_as},
          {"run_as_owner", run_as == job.creator},
          {"created_time", job.created_time},
          {"settings", settings}};
}

JobStore::Job* JobStore::Find(const Call& call, Response* error) {
  auto raw = call.Param("job_id");
  if (!raw || raw->empty()) {
    *error = MissingParameter("job_id");
    return nullptr;
  }
  int64_t id = 0;
  if (!absl::SimpleAtoi(*raw, &id)) {
    *error = InvalidParameter("job_id must be an integer, got '" + *raw + "'.");
    return nullptr;
  }
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    *error = JobMissing(*raw);
    return nullptr;
  }
  return &it->second;
}

std::optional<Response> JobStore::Handle(const Call& call, bool* mutated, const JobsEnv& env) {
  const std::string& v = call.verb;
  const bool get = call.method() == "GET";
  Response error;
  if (get && v == "jobs/get") {
    Job* job = Find(call, &error);
    return job ? JsonResponse(JobJson(*job, true)) : error;
  }
  if (get && v == "jobs/list") return List(call);
  if (get) return std::nullopt;
  if (v == "jobs/create") return Create(call, mutated, env);
  if (v == "jobs/reset") return Reset(call, mutated, env);
  if (v == "jobs/update") return Update(call, mutated, env);
  if (v == "jobs/run-now") return RunNow(call, mutated, env);
  if (v == "jobs/delete") {
    Job* job = Find(call, &error);
    if (!job) return error;
    const int64_t id = job->job_id;
    jobs_.erase(id);
    if (env.on_delete) env.on_delete(std::to_string(id));
    *mutated = true;
    return JsonResponse(Json::object());
  }
  return std::nullopt;
}

Response JobStore::Create(const Call& call, bool* mutated, const JobsEnv& env) {
  Json settings = call.body;
  settings.erase("access_control_list");
  if (auto err = CheckSettings(&settings, env)) return *err;
  Job job;
  job.job_id = next_job_id_++;
  job.creator = call.principal;
  job.created_time = ToMillis(call.now);
  job.settings = std::move(settings);
  const int64_t id = job.job_id;
  jobs_[id] = std::move(job);
  *mutated = true;
  return JsonResponse({{"job_id", id}});
}

Response JobStore::Reset(const Call& call, bool* mutated, const JobsEnv& env) {
  Response error;
  Job* job = Find(call, &error);
  if (!job) return error;
  if (!call.body.contains("new_settings") || !call.body["new_settings"].is_object()) {
    return MissingParameter("new_settings");
  }
  Json settings = call.body["new_settings"];
  if (auto err = CheckSettings(&settings, env)) return *err;
  job->settings = std::move(settings);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response JobStore::Update(const Call& call, bool* mutated, const JobsEnv& env) {
  Response error;
  Job* job = Find(call, &error);
  if (!job) return error;
  Json settings = job->settings;
  if (call.body.contains("new_settings")) {
    const Json& patch = call.body["new_settings"];
    if (!patch.is_object()) return InvalidParameter("new_settings must be an object.");
    for (const auto& [k, val] : patch.items()) {
      if (k != "tasks" && k != "job_clusters") settings[k] = val;
    }
    MergeByKey(&settings, patch, "tasks", "task_key");
    MergeByKey(&settings, patch, "job_clusters", "job_cluster_key");
  }
  if (call.body.contains("fields_to_remove")) {
    if (!call.body["fields_to_remove"].is_array())
      return InvalidParameter("fields_to_remove must be an array.");
    for (const Json& f : call.body["fields_to_remove"]) {
      if (!f.is_string()) continue;
      std::vector<std::string> parts =
          absl::StrSplit(f.get<std::string>(), absl::MaxSplits('/', 1));
      if (parts.size() == 1) {
        settings.erase(parts[0]);
        continue;
      }
      const char* key = parts[0] == "tasks" ? "task_key" : "job_cluster_key";
      if (!settings.contains(parts[0])) continue;
      Json kept = Json::array();
      for (const Json& item : settings[parts[0]]) {
        if (item.value(key, "") != parts[1]) kept.push_back(item);
      }
      settings[parts[0]] = kept;
    }
  }
  if (auto err = CheckSettings(&settings, env)) return *err;
  job->settings = std::move(settings);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response JobStore::List(const Call& call) const {
  int64_t limit = kDefaultListLimit, offset = 0;
  auto num = [&](const char* name, int64_t* out) {
    auto v = call.Param(name);
    return !v || v->empty() || absl::SimpleAtoi(*v, out);
  };
  if (!num("limit", &limit) || !num("offset", &offset)) {
    return InvalidParameter("limit and offset must be integers.");
  }
  if (auto page = call.Param("page_token"); page && !page->empty()) {
    if (!absl::SimpleAtoi(*page, &offset)) return InvalidParameter("Invalid page_token.");
  }
  if (limit == 0) limit = kDefaultListLimit;
  if (limit < 1 || limit > kMaxListLimit || offset < 0) {
    return InvalidParameter("limit must be between 1 and 100 and offset non-negative.");
  }
  const std::string name = call.Param("name").value_or("");
  const bool expand = ParseBool(call.Param("expand_tasks").value_or(""), false);
  std::vector<const Job*> matched;
  for (const auto& [id, job] : jobs_) {
    // The name filter is exact but case-insensitive (Jobs API ListJobsRequest.name).
    if (!name.empty() && !absl::EqualsIgnoreCase(job.settings.value("name", ""), name)) continue;
    matched.push_back(&job);
  }
  Json jobs = Json::array();
  for (size_t i = offset; i < matched.size() && jobs.size() < static_cast<size_t>(limit); ++i) {
    jobs.push_back(JobJson(*matched[i], expand));
  }
  const bool has_more = offset + limit < static_cast<int64_t>(matched.size());
  Json out = {{"has_more", has_more}};
  if (!jobs.empty()) out["jobs"] = std::move(jobs);
  if (has_more) out["next_page_token"] = std::to_string(offset + limit);
  if (offset > 0) out["prev_page_token"] = std::to_string(std::max<int64_t>(0, offset - limit));
  return JsonResponse(out);
}

Response JobStore::RunNow(const Call& call, bool* mutated, const JobsEnv& env) {
  Response error;
  Job* job = Find(call, &error);
  if (!job) return error;
  const Json& body = call.body;
  const std::string token = body.value("idempotency_token", "");
  if (token.size() > 64)
    return InvalidParameter("idempotency_token must be at most 64 characters.");
  if (!token.empty()) {
    auto it = run_tokens_.find(token);
    if (it != run_tokens_.end())
      return JsonResponse({{"run_id", it->second}, {"number_in_job", it->second}});
  }
  const Json& settings = job->settings;
  std::string run_as = job->creator;
  if (settings.contains("run_as")) {
    run_as = settings["run_as"].value("user_name",
                                      settings["run_as"].value("service_principal_name", run_as));
  }
  // The creator is a workspace admin in cloudsim; any other run-as identity needs
  // CAN_RUN (or more) on every notebook the job runs.
  if (run_as != job->creator && settings.contains("tasks")) {
    for (const Json& t : settings["tasks"]) {
      if (!t.contains("notebook_task")) continue;
      std::string path = t["notebook_task"].value("notebook_path", "");
      std::string denied = env.can_run_notebook(path, run_as);
      if (!denied.empty()) return ErrorResponse(403, "PERMISSION_DENIED", denied);
    }
  }
  // Job parameters: declared defaults, overridden by the request.
  std::map<std::string, std::string> params;
  Json job_parameters = Json::array();
  const Json overrides = body.contains("job_parameters") && body["job_parameters"].is_object()
                             ? body["job_parameters"]
                             : Json::object();
  if (settings.contains("parameters")) {
    for (const Json& p : settings["parameters"]) {
      std::string name = p.value("name", "");
      Json def = p["default"];
      std::string value = def.is_string() ? def.get<std::string>() : def.dump();
      if (overrides.contains(name)) {
        value = overrides[name].is_string() ? overrides[name].get<std::string>()
                                            : overrides[name].dump();
      }
      params[name] = value;
      job_parameters.push_back({{"name", name}, {"default", def}, {"value", value}});
    }
  }
  for (const auto& [k, val] : overrides.items()) {
    if (!params.count(k))
      return InvalidParameter("Job parameter " + k + " is not defined for this job.");
  }
  const Json notebook_params =
      body.contains("notebook_params") && body["notebook_params"].is_object()
          ? body["notebook_params"]
          : Json::object();
  RunStore& runs = *env.runs;
  Run run;
  run.run_id = runs.NewId();
  run.job_id = job->job_id;
  run.run_type = "JOB_RUN";
  run.run_name = settings.value("name", "Untitled");
  run.creator = call.principal;
  if (run_as != job->creator) run.run_as = run_as;
  run.submitted = call.now;
  run.job_parameters = job_parameters;
  const int64_t max = settings.value("max_concurrent_runs", int64_t{1});
  if (runs.ActiveRunsOfJob(job->job_id, call.now) >= max) {
    run.skipped_message = absl::StrCat("Skipping this run because the limit of ", max,
                                       " maximum concurrent runs has been reached.");
  } else if (settings.contains("tasks")) {
    for (const Json& tj : settings["tasks"]) {
      TaskRun t;
      t.task_key = tj.value("task_key", "");
      if (auto err = ParseTask(tj, false, &t)) return *err;  // validated at create
      t.run_id = runs.NewId();
      t.task_start = call.now;
      if (t.task_type == "notebook_task") {
        Json base = t.notebook_task.value("base_parameters", Json::object());
        for (auto it = base.begin(); it != base.end(); ++it) {
          if (!it.value().is_string()) continue;
          std::string text = it.value().get<std::string>();
          for (const auto& [name, value] : params) {
            text = absl::StrReplaceAll(text, {{"{{job.parameters." + name + "}}", value}});
          }
          it.value() = text;
        }
        for (const auto& [name, value] : params) base[name] = value;
        for (const auto& [k, val] : notebook_params.items()) base[k] = val;
        if (!base.empty()) t.notebook_task["base_parameters"] = base;
        t.task_spec = t.notebook_task;
      }
      if (t.scheduled) {
        t.exec_start = call.now + kPendingTime / runs.speed();
        if (t.timeout_s > 0) t.deadline = call.now + absl::Seconds(t.timeout_s) / runs.speed();
      }
      t.cluster_id = t.compute.contains("existing_cluster_id")
                         ? t.compute["existing_cluster_id"].get<std::string>()
                         : absl::StrCat("1205-000000-job", t.run_id % 100000);
      run.tasks.push_back(std::move(t));
    }
  }
  const int64_t id = runs.Add(std::move(run));
  if (!token.empty()) run_tokens_[token] = id;
  *mutated = true;
  return JsonResponse({{"run_id", id}, {"number_in_job", id}});
}

Json JobStore::Save() const {
  Json jobs = Json::array();
  for (const auto& [id, job] : jobs_) {
    jobs.push_back({{"job_id", job.job_id},
                    {"creator", job.creator},
                    {"created_time", job.created_time},
                    {"settings", job.settings}});
  }
  return {{"jobs", jobs}, {"run_tokens", run_tokens_}, {"next_job_id", next_job_id_}};
}

absl::Status JobStore::Load(const Json& state) {
  std::map<int64_t, Job> jobs;
  for (const Json& j : state.at("jobs")) {
    Job job;
    job.job_id = j.at("job_id").get<int64_t>();
    job.creator = j.at("creator").get<std::string>();
    job.created_time = j.at("created_time").get<int64_t>();
    job.settings = j.at("settings");
    jobs[job.job_id] = std::move(job);
  }
  jobs_ = std::move(jobs);
  run_tokens_ = state.at("run_tokens").get<std::map<std::string, int64_t>>();
  next_job_id_ = state.at("next_job_id").get<int64_t>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
