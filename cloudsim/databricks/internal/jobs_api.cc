// The Jobs API handlers of RunStore: runs/submit (2.1 tasks[] and 2.0 single-task forms),
// runs/get, runs/get-output, runs/cancel, runs/list, runs/delete.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/databricks/internal/runs.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr int kMaxListLimit = 25;
constexpr int kDefaultListLimit = 20;

Response RunMissing(const std::string& id) {
  return InvalidParameter("Run " + id + " does not exist.");
}

bool ReadTimeout(const Json& j, double* out, Response* error) {
  *out = 0;
  if (!j.contains("timeout_seconds") || j["timeout_seconds"].is_null()) return true;
  if (!j["timeout_seconds"].is_number() || j["timeout_seconds"].get<double>() < 0) {
    *error = InvalidParameter("timeout_seconds must be a non-negative integer");
    return false;
  }
  *out = j["timeout_seconds"].get<double>();
  return true;
}

}  // namespace

std::optional<Response> ParseTask(const Json& j, bool legacy, TaskRun* t) {
  static const char* kOtherTasks[] = {"spark_python_task", "spark_submit_task", "sql_task",
                                      "pipeline_task",     "dbt_task",          "run_job_task",
                                      "condition_task",    "for_each_task"};
  std::string where = legacy ? "" : " in task " + t->task_key;
  for (const char* other : kOtherTasks) {
    if (j.contains(other)) {
      return InvalidParameter(
          std::string("cloudsim simulates only notebook_task, python_wheel_task and "
                      "spark_jar_task runs; ") +
          other + " is not supported" + where + ".");
    }
  }
  int types = 0;
  for (const char* type : {"notebook_task", "python_wheel_task", "spark_jar_task"}) {
    if (j.contains(type) && !j[type].is_null()) {
      t->task_type = type;
      ++types;
    }
  }
  if (types == 0) {
    return InvalidParameter("A task type (e.g. notebook_task) must be specified" + where + ".");
  }
  if (types > 1) return InvalidParameter("Exactly one task type must be specified" + where + ".");
  if (!j[t->task_type].is_object())
    return InvalidParameter(t->task_type + " must be an object" + where);
  t->task_spec = j[t->task_type];
  if (t->task_type == "python_wheel_task") {
    if (t->task_spec.value("package_name", "").empty() ||
        t->task_spec.value("entry_point", "").empty()) {
      return InvalidParameter("python_wheel_task needs package_name and entry_point" + where + ".");
    }
  } else if (t->task_type == "spark_jar_task") {
    if (t->task_spec.value("main_class_name", "").empty()) {
      return MissingParameter("spark_jar_task.main_class_name" + where);
    }
  } else {
    const Json& nb = j["notebook_task"];
    if (!nb.contains("notebook_path") || !nb["notebook_path"].is_string() ||
        nb["notebook_path"].get<std::string>().empty()) {
      return InvalidParameter("Missing required field: notebook_task.notebook_path" + where);
    }
    if (nb.contains("base_parameters") && !nb["base_parameters"].is_object()) {
      return InvalidParameter("notebook_task.base_parameters must be a map of strings" + where);
    }
    t->notebook_task = nb;
    if (!t->notebook_task.contains("source")) t->notebook_task["source"] = "WORKSPACE";
    if (t->notebook_task["source"] == "WORKSPACE" &&
        nb["notebook_path"].get<std::string>().front() != '/') {
      return InvalidParameter("The notebook_path must be absolute for a WORKSPACE source" + where +
                              ".");
    }
    t->task_spec = t->notebook_task;
  }
  t->compute = Json::object();
  for (const char* k :
       {"existing_cluster_id", "new_cluster", "job_cluster_key", "environment_key"}) {
    if (j.contains(k) && !j[k].is_null()) t->compute[k] = j[k];
  }
  if (t->compute.empty()) {
    return InvalidParameter(
        legacy ? std::string("Either new_cluster or existing_cluster_id must be specified.")
               : "One of job_cluster_key, new_cluster, existing_cluster_id or environment_key "
                 "must be specified" +
                     where + ".");
  }
  if (j.contains("libraries")) {
    if (!j["libraries"].is_array()) return InvalidParameter("libraries must be an array" + where);
    t->libraries = j["libraries"];
  }
  if (j.contains("depends_on")) {
    if (!j["depends_on"].is_array()) return InvalidParameter("depends_on must be an array" + where);
    for (const Json& d : j["depends_on"]) {
      if (!d.is_object() || !d.contains("task_key") || !d["task_key"].is_string()) {
        return InvalidParameter("depends_on entries must be {\"task_key\": ...}" + where);
      }
      t->depends_on.push_back(d["task_key"].get<std::string>());
    }
    t->scheduled = t->depends_on.empty();
  }
  Response error;
  if (!ReadTimeout(j, &t->timeout_s, &error)) return error;
  return std::nullopt;
}

std::optional<Response> CheckTaskGraph(const std::vector<TaskRun>& tasks) {
  std::map<std::string, const TaskRun*> by_key;
  for (const TaskRun& t : tasks) by_key[t.task_key] = &t;
  for (const TaskRun& t : tasks) {
    for (const std::string& d : t.depends_on) {
      if (!by_key.count(d)) {
        return InvalidParameter("Task " + t.task_key + " depends on " + d +
                                ", which is not a task of this job.");
      }
      if (d == t.task_key) return InvalidParameter("Task " + t.task_key + " depends on itself.");
    }
  }
  // Kahn's algorithm: what is left over lies on a cycle.
  std::map<std::string, int> indegree;
  for (const TaskRun& t : tasks) indegree[t.task_key] = static_cast<int>(t.depends_on.size());
  std::vector<std::string> ready;
  for (const auto& [k, n] : indegree) {
    if (n == 0) ready.push_back(k);
  }
  size_t done = 0;
  while (!ready.empty()) {
    std::string k = ready.back();
    ready.pop_back();
    ++done;
    for (const TaskRun& t : tasks) {
      for (const std::string& d : t.depends_on) {
        if (d == k && --indegree[t.task_key] == 0) ready.push_back(t.task_key);
      }
    }
  }
  if (done != tasks.size())
    return InvalidParameter("The task dependencies of this job form a cycle.");
  return std::nullopt;
}

Response RunStore::Handle(const Call& call, bool* mutated) {
  const std::string& v = call.verb;
  if (call.method() == "GET") {
    if (v == "jobs/runs/get") return Get(call);
    if (v == "jobs/runs/get-output") return GetOutput(call);
    if (v == "jobs/runs/list") return List(call);
  } else {
    if (v == "jobs/runs/submit") return Submit(call, mutated);
    if (v == "jobs/runs/cancel") return CancelCall(call, mutated);
    if (v == "jobs/runs/delete") return Delete(call, mutated);
  }
  return EndpointNotFound(*call.request);
}

Response RunStore::Submit(const Call& call, bool* mutated) {
  const Json& body = call.body;
  std::string token = body.value("idempotency_token", "");
  if (token.size() > 64) {
    return InvalidParameter("idempotency_token must be at most 64 characters.");
  }
  if (!token.empty()) {
    auto it = idempotency_.find(token);
    if (it != idempotency_.end()) {
      if (!runs_.count(it->second)) {
        return InvalidParameter("The run submitted with idempotency_token " + token +
                                " was deleted; use a new token.");
      }
      return JsonResponse({{"run_id", it->second}});
    }
  }
  Run run;
  run.run_name = body.value("run_name", "Untitled");
  if (run.run_name.empty()) run.run_name = "Untitled";
  run.creator = call.principal;
  run.idempotency_token = token;
  run.submitted = call.now;
  double run_timeout = 0;
  Response error;
  if (!ReadTimeout(body, &run_timeout, &error)) return error;

  std::vector<TaskRun> tasks;
  if (body.contains("tasks")) {
    if (!body["tasks"].is_array() || body["tasks"].empty()) {
      return InvalidParameter("At least one task is required.");
    }
    std::set<std::string> keys;
    for (const Json& tj : body["tasks"]) {
      if (!tj.is_object()) return InvalidParameter("Each task must be an object.");
      TaskRun t;
      t.task_key = tj.value("task_key", "");
      if (t.task_key.empty()) return MissingParameter("task_key");
      if (!keys.insert(t.task_key).second) {
        return InvalidParameter("Task key " + t.task_key + " is not unique.");
      }
      if (auto err = ParseTask(tj, false, &t)) return *err;
      tasks.push_back(std::move(t));
    }
    if (auto err = CheckTaskGraph(tasks)) return *err;
  } else {
    TaskRun t;
    t.task_key = run.run_name;
    run.legacy = true;
    if (auto err = ParseTask(body, true, &t)) return *err;
    t.timeout_s = 0;  // the top-level timeout applies below
    tasks.push_back(std::move(t));
  }

  run.run_id = NewId();
  run.job_id = NewJobId();
  for (TaskRun& t : tasks) {
    t.run_id = NewId();
    double timeout = t.timeout_s;
    if (run_timeout > 0 && (timeout == 0 || run_timeout < timeout)) timeout = run_timeout;
    t.timeout_s = timeout;
    t.task_start = call.now;
    t.exec_start = call.now + kPendingTime / speed_;
    if (timeout > 0 && t.scheduled) t.deadline = call.now + absl::Seconds(timeout) / speed_;
    t.cluster_id =
        t.compute.contains("existing_cluster_id") && t.compute["existing_cluster_id"].is_string()
            ? t.compute["existing_cluster_id"].get<std::string>()
            : absl::StrCat("0923-164208-", t.run_id);
    run.tasks.push_back(std::move(t));
  }
  int64_t id = Add(std::move(run));
  *mutated = true;
  return JsonResponse({{"run_id", id}});
}

const Run* RunStore::RunParam(const Call& call, const TaskRun** task, Response* error) const {
  auto raw = call.Param("run_id");
  if (!raw || raw->empty()) {
    *error = MissingParameter("run_id");
    return nullptr;
  }
  int64_t id = 0;
  if (!absl::SimpleAtoi(*raw, &id)) {
    *error = InvalidParameter("run_id must be an integer, got '" + *raw + "'.");
    return nullptr;
  }
  const Run* run = Find(id, task);
  if (!run) *error = RunMissing(*raw);
  return run;
}

Response RunStore::Get(const Call& call) {
  const TaskRun* task = nullptr;
  Response error;
  const Run* run = RunParam(call, &task, &error);
  if (!run) return error;
  if (task) {
    // A task run read on its own: the task's view, with the run's identity fields.
    Json j = TaskJson(*run, *task, call.now);
    j["job_id"] = run->job_id;
    j["run_name"] = run->run_name;
    j["run_type"] = "SUBMIT_RUN";
    j["creator_user_name"] = run->creator;
    j["parent_run_id"] = run->run_id;
    return JsonResponse(j);
  }
  return JsonResponse(RunJson(*run, call.now, run->legacy && call.version == "2.0"));
}

Response RunStore::GetOutput(const Call& call) {
  const TaskRun* task = nullptr;
  Response error;
  const Run* run = RunParam(call, &task, &error);
  if (!run) return error;
  if (!task) {
    if (run->tasks.size() != 1) {
      return InvalidParameter(
          "Retrieving the output of runs with multiple tasks is not supported. Please retrieve "
          "the output of each individual task run instead.");
    }
    task = &run->tasks.front();
  }
  RunState s = TaskState(*task, run->submitted, call.now);
  Json out = {{"metadata", TaskJson(*run, *task, call.now)}, {"notebook_output", Json::object()}};
  out["metadata"]["job_id"] = run->job_id;
  if (s.life_cycle == "TERMINATED") {
    if (s.result == "SUCCESS" && task->exited) {
      out["notebook_output"] = {{"result", task->exit_value}, {"truncated", false}};
    } else if (s.result == "FAILED") {
      out["error"] = task->error;
      if (!task->error_trace.empty()) out["error_trace"] = task->error_trace;
    }
  }
  return JsonResponse(out);
}

Response RunStore::CancelCall(const Call& call, bool* mutated) {
  const TaskRun* task = nullptr;
  Response error;
  const Run* run = RunParam(call, &task, &error);
  if (!run) return error;
  Cancel(task ? task->run_id : run->run_id, call.now);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response RunStore::List(const Call& call) {
  bool active_only = ParseBool(call.Param("active_only").value_or(""), false);
  bool completed_only = ParseBool(call.Param("completed_only").value_or(""), false);
  if (active_only && completed_only) {
    return InvalidParameter("active_only and completed_only cannot both be true.");
  }
  int64_t limit = kDefaultListLimit, offset = 0, job_id = -1, from = -1, to = -1;
  auto num = [&](const char* name, int64_t* out) {
    auto v = call.Param(name);
    return !v || v->empty() || absl::SimpleAtoi(*v, out);
  };
  if (!num("limit", &limit) || !num("offset", &offset) || !num("job_id", &job_id) ||
      !num("start_time_from", &from) || !num("start_time_to", &to)) {
    return InvalidParameter(
        "limit, offset, job_id, start_time_from and start_time_to must be "
        "integers.");
  }
  if (auto page = call.Param("page_token"); page && !page->empty()) {
    if (!absl::SimpleAtoi(*page, &offset)) return InvalidParameter("Invalid page_token.");
  }
  if (limit == 0) limit = kMaxListLimit;
  if (limit < 0 || limit > kMaxListLimit || offset < 0) {
    return InvalidParameter("limit must be between 1 and 25 and offset non-negative.");
  }
  std::string run_type = call.Param("run_type").value_or("");
  bool expand = ParseBool(call.Param("expand_tasks").value_or(""), false);
  std::vector<const Run*> matched;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {  // newest first
    const Run& r = it->second;
    if (!run_type.empty() && run_type != r.run_type) continue;
    if (job_id >= 0 && r.job_id != job_id) continue;
    int64_t start = ToMillis(r.submitted);
    if ((from >= 0 && start < from) || (to >= 0 && start > to)) continue;
    bool terminal = State(r, call.now).life_cycle == "TERMINATED";
    if ((active_only && terminal) || (completed_only && !terminal)) continue;
    matched.push_back(&r);
  }
  Json runs = Json::array();
  for (size_t i = offset; i < matched.size() && runs.size() < static_cast<size_t>(limit); ++i) {
    Json j = RunJson(*matched[i], call.now, matched[i]->legacy && call.version == "2.0");
    if (!expand) j.erase("tasks");
    runs.push_back(std::move(j));
  }
  bool has_more = offset + limit < static_cast<int64_t>(matched.size());
  Json out = {{"has_more", has_more}};
  if (!runs.empty()) out["runs"] = std::move(runs);
  if (has_more) out["next_page_token"] = std::to_string(offset + limit);
  if (offset > 0) out["prev_page_token"] = std::to_string(std::max<int64_t>(0, offset - limit));
  return JsonResponse(out);
}

Response RunStore::Delete(const Call& call, bool* mutated) {
  const TaskRun* task = nullptr;
  Response error;
  const Run* run = RunParam(call, &task, &error);
  if (!run) return error;
  if (task) return InvalidParameter("Cannot delete a task run; delete its parent run instead.");
  if (State(*run, call.now).life_cycle != "TERMINATED") {
    return ErrorResponse(
        400, "INVALID_STATE",
        "Run " + std::to_string(run->run_id) + " is active and cannot be deleted.");
  }
  // The token keeps pointing at the deleted run, so a retried submit errors (§7.1).
  runs_.erase(run->run_id);
  *mutated = true;
  return JsonResponse(Json::object());
}

}  // namespace envctl::cloudsim::databricks
