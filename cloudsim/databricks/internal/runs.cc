#include "cloudsim/databricks/internal/runs.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace envctl::cloudsim::databricks {
namespace {

std::string LibraryPath(const Json& lib, std::string* kind) {
  for (const char* k : {"jar", "whl", "egg"}) {
    if (lib.is_object() && lib.contains(k) && lib[k].is_string()) {
      *kind = k;
      return lib[k].get<std::string>();
    }
  }
  return "";
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(const Json& j) { return absl::FromUnixMicros(j.get<int64_t>()); }

}  // namespace

RunStore::RunStore(std::string workspace_id, std::string workspace_host, double speed)
    : workspace_id_(std::move(workspace_id)),
      host_(std::move(workspace_host)),
      speed_(speed > 0 ? speed : 1.0) {
  if (absl::StartsWith(host_, "https://")) host_ = host_.substr(strlen("https://"));
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
}

std::string RunStore::RunPageUrl(int64_t job_id, int64_t run_id) const {
  return absl::StrCat("https://", host_, "/?o=", workspace_id_, "#job/", job_id, "/run/", run_id);
}

int64_t RunStore::Add(Run run) {
  int64_t id = run.run_id;
  for (TaskRun& t : run.tasks) {
    if (t.task_start == absl::Time()) t.task_start = run.submitted;
  }
  if (!run.idempotency_token.empty()) idempotency_[run.idempotency_token] = id;
  runs_[id] = std::move(run);
  return id;
}

int RunStore::ActiveRunsOfJob(int64_t job_id, absl::Time now) const {
  int active = 0;
  for (const auto& [id, run] : runs_) {
    if (run.job_id != job_id || run.run_type != "JOB_RUN") continue;
    const std::string lc = State(run, now).life_cycle;
    if (lc != "TERMINATED" && lc != "SKIPPED" && lc != "INTERNAL_ERROR") ++active;
  }
  return active;
}

std::optional<absl::Time> RunStore::LastActivityOn(const std::string& cluster_id,
                                                   absl::Time now) const {
  std::optional<absl::Time> last;
  for (const auto& [id, run] : runs_) {
    for (const TaskRun& t : run.tasks) {
      if (t.cluster_id != cluster_id || !t.compute.contains("existing_cluster_id")) continue;
      RunState s = TaskState(t, run.submitted, now);
      absl::Time busy = s.end ? *s.end : now;
      if (s.life_cycle == "BLOCKED") continue;
      if (!last || busy > *last) last = busy;
    }
  }
  return last;
}

const Run* RunStore::Find(int64_t id, const TaskRun** task) const {
  *task = nullptr;
  auto it = runs_.find(id);
  if (it != runs_.end()) return &it->second;
  for (const auto& [rid, run] : runs_) {
    for (const TaskRun& t : run.tasks) {
      if (t.run_id == id) {
        *task = &t;
        return &run;
      }
    }
  }
  return nullptr;
}

bool RunStore::Cancel(int64_t id, absl::Time now) {
  const TaskRun* task = nullptr;
  const Run* run = Find(id, &task);
  if (!run) return false;
  Run& r = runs_[run->run_id];
  for (TaskRun& t : r.tasks) {
    if (task && t.run_id != task->run_id) continue;
    if (!t.scheduled) {
      t.scheduled = true;
      t.executed = true;
      t.task_start = now;
      t.exec_start = now;
      t.preset_result = "CANCELED";
      continue;
    }
    RunState s = TaskState(t, r.submitted, now);
    // Only a task still pending or running can be cancelled; cleanup cannot be cut short.
    if ((s.life_cycle == "PENDING" || s.life_cycle == "RUNNING") && !t.cancel_at) {
      t.cancel_at = now;
    }
  }
  return true;
}

bool RunStore::Unblock(absl::Time now) {
  bool changed = false;
  for (auto& [id, run] : runs_) {
    for (TaskRun& t : run.tasks) {
      if (t.scheduled) continue;
      absl::Time start = run.submitted;
      std::string upstream;  // worst upstream outcome
      bool ready = true;
      for (const std::string& key : t.depends_on) {
        const TaskRun* dep = nullptr;
        for (const TaskRun& d : run.tasks) {
          if (d.task_key == key) dep = &d;
        }
        if (!dep) continue;
        if (!dep->scheduled) {
          ready = false;
          break;
        }
        RunState ds = TaskState(*dep, run.submitted, now);
        if (ds.life_cycle != "TERMINATED" || !ds.end) {
          ready = false;
          break;
        }
        start = std::max(start, *ds.end);
        if (ds.result == "CANCELED" || ds.result == "UPSTREAM_CANCELED") {
          upstream = "UPSTREAM_CANCELED";
        } else if (ds.result != "SUCCESS" && upstream.empty()) {
          upstream = "UPSTREAM_FAILED";
        }
      }
      if (!ready) continue;
      t.scheduled = true;
      t.task_start = start;
      changed = true;
      if (!upstream.empty()) {
        t.executed = true;
        t.exec_start = start;
        t.preset_result = upstream;
        continue;
      }
      t.exec_start = start + kPendingTime / speed_;
      if (t.timeout_s > 0) t.deadline = start + absl::Seconds(t.timeout_s) / speed_;
    }
  }
  return changed;
}

bool RunStore::Advance(absl::Time now, const RunDeps& deps) {
  bool any = false;
  // Upstream tasks end, then their dependents start: repeat until nothing moves (bounded
  // by the number of tasks, since each round schedules or executes at least one).
  for (int round = 0; round < 1000; ++round) {
    bool changed = Unblock(now);
    changed = AdvanceDue(now, deps) || changed;
    if (!changed) break;
    any = true;
  }
  return any;
}

bool RunStore::AdvanceDue(absl::Time now, const RunDeps& deps) {
  // Execute in start order so that a run started earlier sees the workspace first.
  std::vector<std::pair<TaskRun*, const Run*>> due;
  for (auto& [id, run] : runs_) {
    for (TaskRun& t : run.tasks) {
      if (!t.scheduled || t.executed || now < t.exec_start) continue;
      std::optional<absl::Time> stop = t.cancel_at;
      if (t.deadline && (!stop || *t.deadline < *stop)) stop = t.deadline;
      if (stop && *stop <= t.exec_start) continue;  // stopped before it started
      due.emplace_back(&t, &run);
    }
  }
  std::sort(due.begin(), due.end(), [](const auto& x, const auto& y) {
    const TaskRun* a = x.first;
    const TaskRun* b = y.first;
    return a->exec_start < b->exec_start ||
           (a->exec_start == b->exec_start && a->run_id < b->run_id);
  });
  for (auto& [t, run] : due) {
    // The caller of the API is a workspace admin in cloudsim; a job's run_as is not.
    const bool as_creator = run->run_as.empty() || run->run_as == run->creator;
    deps.runtime->SetRunIdentity(as_creator ? run->creator : run->run_as, as_creator);
    Execute(*t, as_creator ? run->creator : run->run_as, deps);
  }
  return !due.empty();
}

void RunStore::Execute(TaskRun& t, const std::string& run_as, const RunDeps& deps) {
  t.executed = true;
  t.natural_end = t.exec_start;
  for (const Json& lib : t.libraries) {
    std::string kind;
    std::string path = LibraryPath(lib, &kind);
    if (path.empty()) continue;  // pypi, maven, cran: assumed installable
    bool on_dbfs = absl::StartsWith(path, "dbfs:/") ||
                   (absl::StartsWith(path, "/") && !absl::StartsWith(path, "/Volumes/") &&
                    !absl::StartsWith(path, "/Workspace/"));
    if (!on_dbfs || deps.dbfs_file_exists(path)) continue;
    t.outcome = "FAILED";
    t.code = "LIBRARY_INSTALLATION_ERROR";
    t.type = "CLIENT_ERROR";
    t.state_message = "Library installation failed for library due to user error for " + kind +
                      ": \"" + path + "\". Error messages: java.io.FileNotFoundException: " + path +
                      " (No such file or directory)";
    t.error = t.state_message;
    return;
  }
  if (t.task_type != "notebook_task") {
    // Wheel and JAR entry points are not interpreted: once their libraries are there they
    // run for the simulated length of a notebook and succeed.
    t.natural_end = t.exec_start + kTaskRunTime / speed_;
    t.outcome = "SUCCESS";
    t.code = "SUCCESS";
    t.type = "SUCCESS";
    return;
  }
  std::string path = t.notebook_task.value("notebook_path", "");
  std::map<std::string, std::string> params;
  if (t.notebook_task.contains("base_parameters") &&
      t.notebook_task["base_parameters"].is_object()) {
    for (const auto& [k, v] : t.notebook_task["base_parameters"].items()) {
      params[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (!deps.runtime->FindNotebook(path)) {
    t.outcome = "FAILED";
    t.code = "RESOURCE_NOT_FOUND";
    t.type = "CLIENT_ERROR";
    // Databricks names the run-as identity (the submitter of a one-time run) here.
    t.state_message = "Unable to access the notebook \"" + path +
                      "\". Either it does not exist, or the identity used to run this job, " +
                      run_as + ", lacks the required permissions.";
    t.error = "Notebook not found: " + path;
    return;
  }
  ExecutionResult result = ExecuteNotebook(*deps.runtime, path, params);
  t.natural_end = t.exec_start + result.duration / speed_;
  t.exited = result.exited;
  t.exit_value = result.exit_value;
  if (result.failed) {
    t.outcome = "FAILED";
    t.code = "RUN_EXECUTION_ERROR";
    t.type = "CLIENT_ERROR";
    t.state_message = "Workload failed, see run output for details";
    t.error = result.error;
    t.error_trace = result.error_trace;
  } else {
    t.outcome = "SUCCESS";
    t.code = "SUCCESS";
    t.type = "SUCCESS";
  }
}

RunState RunStore::TaskState(const TaskRun& t, absl::Time submitted, absl::Time now) const {
  RunState s;
  s.start = submitted;
  s.exec_start = t.exec_start;
  s.deciding = &t;
  if (!t.scheduled) {
    s.life_cycle = "BLOCKED";
    s.message = "Waiting for upstream tasks";
    s.exec_start = submitted;
    return s;
  }
  s.start = t.task_start;
  if (!t.preset_result.empty()) {
    s.exec_start = t.task_start;
    s.exec_end = t.task_start;
    s.end = t.task_start;
    s.life_cycle = "TERMINATED";
    s.result = t.preset_result;
    if (t.preset_result == "CANCELED") {
      s.message = "Run cancelled.";
      s.code = "USER_CANCELED";
      s.type = "SUCCESS";
      s.user_cancelled_or_timedout = true;
    } else {
      s.message = "Upstream task failed or was canceled.";
      s.code = t.preset_result == "UPSTREAM_FAILED" ? "UPSTREAM_FAILED" : "UPSTREAM_CANCELED";
      s.type = "CLIENT_ERROR";
    }
    return s;
  }
  std::optional<absl::Time> stop = t.cancel_at;
  bool cancelled = t.cancel_at.has_value();
  if (t.deadline && (!stop || *t.deadline < *stop)) {
    stop = t.deadline;
    cancelled = false;
  }
  std::optional<absl::Time> exec_end;
  bool natural = false;
  if (t.executed && (!stop || t.natural_end <= *stop)) {
    exec_end = t.natural_end;
    natural = true;
  } else if (stop) {
    exec_end = *stop;
    if (*stop < t.exec_start) s.exec_start = *stop;  // cut short while pending
  }
  if (exec_end && *exec_end <= now) {
    s.exec_end = exec_end;
    absl::Time terminated = *exec_end + kTerminatingTime / speed_;
    if (now >= terminated) {
      s.end = terminated;
      s.life_cycle = "TERMINATED";
      if (natural) {
        s.result = t.outcome;
        s.message = t.state_message;
        s.code = t.code;
        s.type = t.type;
      } else if (cancelled) {
        s.result = "CANCELED";
        s.message = "Run cancelled.";
        s.code = "USER_CANCELED";
        s.type = "SUCCESS";
        s.user_cancelled_or_timedout = true;
      } else {
        s.result = "TIMEDOUT";
        s.message = absl::StrCat("Run timed out after ", t.timeout_s, " seconds.");
        s.code = "RUN_EXECUTION_ERROR";
        s.type = "CLIENT_ERROR";
        s.user_cancelled_or_timedout = true;
      }
    } else {
      s.life_cycle = "TERMINATING";
    }
  } else if (now < t.exec_start) {
    s.life_cycle = "PENDING";
    s.message = "Waiting for cluster";
  } else {
    s.life_cycle = "RUNNING";
    s.message = "In run";
  }
  return s;
}

RunState RunStore::State(const Run& r, absl::Time now) const {
  if (!r.skipped_message.empty() || r.tasks.empty()) {
    RunState s;
    s.start = s.exec_start = r.submitted;
    s.exec_end = s.end = r.submitted;
    s.life_cycle = r.skipped_message.empty() ? "TERMINATED" : "SKIPPED";
    s.result = r.skipped_message.empty() ? "SUCCESS" : "";
    s.message = r.skipped_message;
    s.code = r.skipped_message.empty() ? "SUCCESS" : "MAX_CONCURRENT_RUNS_EXCEEDED";
    s.type = r.skipped_message.empty() ? "SUCCESS" : "CLIENT_ERROR";
    return s;
  }
  std::vector<RunState> states;
  for (const TaskRun& t : r.tasks) states.push_back(TaskState(t, r.submitted, now));
  RunState s;
  s.start = r.submitted;
  auto count = [&](const char* lc) {
    return std::count_if(states.begin(), states.end(),
                         [&](const RunState& x) { return x.life_cycle == lc; });
  };
  size_t n = states.size();
  size_t pending = count("PENDING") + count("BLOCKED"), terminating = count("TERMINATING"),
         terminated = count("TERMINATED");
  if (pending == n) {
    s.life_cycle = "PENDING";
  } else if (terminated == n) {
    s.life_cycle = "TERMINATED";
  } else if (terminating + terminated == n) {
    s.life_cycle = "TERMINATING";
  } else {
    s.life_cycle = "RUNNING";
  }
  s.exec_start = r.submitted;
  bool started = false;
  for (const RunState& t : states) {
    if (t.life_cycle != "PENDING" && t.life_cycle != "BLOCKED" &&
        (!started || t.exec_start < s.exec_start)) {
      s.exec_start = t.exec_start;
      started = true;
    }
    s.user_cancelled_or_timedout |= t.user_cancelled_or_timedout;
    if (t.exec_end && (!s.exec_end || *t.exec_end > *s.exec_end)) s.exec_end = t.exec_end;
    if (t.end && (!s.end || *t.end > *s.end)) s.end = t.end;
  }
  if (s.life_cycle != "TERMINATED") {
    s.end.reset();
    if (s.life_cycle != "TERMINATING") s.exec_end.reset();
    s.message = states.front().message;
    return s;
  }
  // The worst task result decides.
  const RunState* deciding = &states.front();
  for (const char* result :
       {"SUCCESS", "UPSTREAM_CANCELED", "UPSTREAM_FAILED", "FAILED", "TIMEDOUT", "CANCELED"}) {
    for (const RunState& t : states) {
      if (t.result == result) deciding = &t;
    }
  }
  s.result = deciding->result;
  s.message = deciding->message;
  s.code = deciding->code;
  s.type = deciding->type;
  s.deciding = deciding->deciding;
  return s;
}

namespace {

Json StateJson(const RunState& s) {
  Json state = {{"life_cycle_state", s.life_cycle},
                {"state_message", s.message},
                {"user_cancelled_or_timedout", s.user_cancelled_or_timedout}};
  if (!s.result.empty()) state["result_state"] = s.result;
  return state;
}

Json StatusJson(const RunState& s) {
  Json status = {{"state", s.life_cycle}};
  if (s.life_cycle == "TERMINATED") {
    status["termination_details"] = {{"code", s.code}, {"type", s.type}, {"message", s.message}};
  }
  return status;
}

// Fills start_time, the three durations, end_time and run_duration.
void TimingJson(const RunState& s, Json* j) {
  auto ms = [](absl::Duration d) { return absl::ToInt64Milliseconds(d); };
  (*j)["start_time"] = ToMillis(s.start);
  bool started = s.life_cycle != "PENDING";
  (*j)["setup_duration"] = started ? ms(s.exec_start - s.start) : 0;
  (*j)["execution_duration"] = s.exec_end ? ms(*s.exec_end - s.exec_start) : 0;
  (*j)["cleanup_duration"] = s.end && s.exec_end ? ms(*s.end - *s.exec_end) : 0;
  (*j)["end_time"] = s.end ? ToMillis(*s.end) : 0;
  if (s.end) (*j)["run_duration"] = ms(*s.end - s.start);
}

}  // namespace

Json RunStore::TaskJson(const Run& r, const TaskRun& t, absl::Time now) const {
  RunState s = TaskState(t, r.submitted, now);
  Json j = {{"run_id", t.run_id},
            {"task_key", t.task_key},
            {"attempt_number", 0},
            {t.task_type, t.task_type == "notebook_task" ? t.notebook_task : t.task_spec},
            {"state", StateJson(s)},
            {"status", StatusJson(s)},
            {"run_page_url", RunPageUrl(r.job_id, t.run_id)}};
  for (const auto& [k, v] : t.compute.items()) j[k] = v;
  if (!t.libraries.empty()) j["libraries"] = t.libraries;
  if (t.timeout_s > 0) j["timeout_seconds"] = static_cast<int64_t>(t.timeout_s);
  if (!t.depends_on.empty()) {
    Json deps = Json::array();
    for (const std::string& d : t.depends_on) deps.push_back({{"task_key", d}});
    j["depends_on"] = deps;
    j["run_if"] = "ALL_SUCCESS";
  }
  if (s.life_cycle != "PENDING" && s.life_cycle != "BLOCKED" && t.preset_result.empty()) {
    j["cluster_instance"] = {{"cluster_id", t.cluster_id},
                             {"spark_context_id", std::to_string(t.run_id * 7919 % 1000000007)}};
  }
  TimingJson(s, &j);
  return j;
}

Json RunStore::RunJson(const Run& r, absl::Time now, bool legacy_shape) const {
  RunState s = State(r, now);
  Json j = {{"job_id", r.job_id},        {"run_id", r.run_id},
            {"number_in_job", r.run_id}, {"creator_user_name", r.creator},
            {"run_name", r.run_name},    {"run_type", r.run_type},
            {"attempt_number", 0},       {"state", StateJson(s)},
            {"status", StatusJson(s)},   {"run_page_url", RunPageUrl(r.job_id, r.run_id)}};
  TimingJson(s, &j);
  if (r.run_type == "JOB_RUN") {
    j["trigger"] = "ONE_TIME";
    if (!r.job_parameters.empty()) j["job_parameters"] = r.job_parameters;
  }
  if (legacy_shape && r.tasks.size() == 1) {
    const TaskRun& t = r.tasks.front();
    j["task"] = {{"notebook_task", t.notebook_task}};
    Json spec = t.compute;
    if (!t.libraries.empty()) spec["libraries"] = t.libraries;
    j["cluster_spec"] = spec;
    if (s.life_cycle != "PENDING") j["cluster_instance"] = {{"cluster_id", t.cluster_id}};
  } else {
    j["format"] = "MULTI_TASK";
    Json tasks = Json::array();
    for (const TaskRun& t : r.tasks) tasks.push_back(TaskJson(r, t, now));
    j["tasks"] = std::move(tasks);
  }
  return j;
}

Json RunStore::Save() const {
  Json runs = Json::array();
  for (const auto& [id, r] : runs_) {
    Json tasks = Json::array();
    for (const TaskRun& t : r.tasks) {
      Json tj = {{"run_id", t.run_id},
                 {"task_key", t.task_key},
                 {"notebook_task", t.notebook_task},
                 {"compute", t.compute},
                 {"libraries", t.libraries},
                 {"cluster_id", t.cluster_id},
                 {"timeout_s", t.timeout_s},
                 {"exec_start", Micros(t.exec_start)},
                 {"executed", t.executed},
                 {"natural_end", Micros(t.natural_end)},
                 {"outcome", t.outcome},
                 {"code", t.code},
                 {"type", t.type},
                 {"state_message", t.state_message},
                 {"error", t.error},
                 {"error_trace", t.error_trace},
                 {"exited", t.exited},
                 {"exit_value", t.exit_value}};
      if (t.deadline) tj["deadline"] = Micros(*t.deadline);
      if (t.cancel_at) tj["cancel_at"] = Micros(*t.cancel_at);
      tj["task_type"] = t.task_type;
      tj["task_spec"] = t.task_spec;
      tj["depends_on"] = t.depends_on;
      tj["scheduled"] = t.scheduled;
      tj["task_start"] = Micros(t.task_start);
      tj["preset_result"] = t.preset_result;
      tasks.push_back(std::move(tj));
    }
    runs.push_back({{"run_id", r.run_id},
                    {"job_id", r.job_id},
                    {"run_name", r.run_name},
                    {"creator", r.creator},
                    {"run_as", r.run_as},
                    {"idempotency_token", r.idempotency_token},
                    {"legacy", r.legacy},
                    {"submitted", Micros(r.submitted)},
                    {"run_type", r.run_type},
                    {"job_parameters", r.job_parameters},
                    {"skipped_message", r.skipped_message},
                    {"tasks", tasks}});
  }
  return {{"runs", runs}, {"next_id", next_id_}, {"next_job_id", next_job_id_}};
}

absl::Status RunStore::Load(const Json& state) {
  std::map<int64_t, Run> runs;
  std::map<std::string, int64_t> idempotency;
  for (const Json& rj : state.at("runs")) {
    Run r;
    r.run_id = rj.at("run_id").get<int64_t>();
    r.job_id = rj.at("job_id").get<int64_t>();
    r.run_name = rj.at("run_name").get<std::string>();
    r.creator = rj.at("creator").get<std::string>();
    r.run_as = rj.value("run_as", "");
    r.idempotency_token = rj.at("idempotency_token").get<std::string>();
    r.legacy = rj.at("legacy").get<bool>();
    r.submitted = FromMicros(rj.at("submitted"));
    // Fields added with saved jobs; older state files lack them.
    r.run_type = rj.value("run_type", "SUBMIT_RUN");
    r.job_parameters = rj.value("job_parameters", Json::array());
    r.skipped_message = rj.value("skipped_message", "");
    for (const Json& tj : rj.at("tasks")) {
      TaskRun t;
      t.run_id = tj.at("run_id").get<int64_t>();
      t.task_key = tj.at("task_key").get<std::string>();
      t.notebook_task = tj.at("notebook_task");
      t.compute = tj.at("compute");
      t.libraries = tj.at("libraries");
      t.cluster_id = tj.at("cluster_id").get<std::string>();
      t.timeout_s = tj.at("timeout_s").get<double>();
      t.exec_start = FromMicros(tj.at("exec_start"));
      t.executed = tj.at("executed").get<bool>();
      t.natural_end = FromMicros(tj.at("natural_end"));
      t.outcome = tj.at("outcome").get<std::string>();
      t.code = tj.at("code").get<std::string>();
      t.type = tj.at("type").get<std::string>();
      t.state_message = tj.at("state_message").get<std::string>();
      t.error = tj.at("error").get<std::string>();
      t.error_trace = tj.at("error_trace").get<std::string>();
      t.exited = tj.at("exited").get<bool>();
      t.exit_value = tj.at("exit_value").get<std::string>();
      if (tj.contains("deadline")) t.deadline = FromMicros(tj["deadline"]);
      if (tj.contains("cancel_at")) t.cancel_at = FromMicros(tj["cancel_at"]);
      t.task_type = tj.value("task_type", "notebook_task");
      t.task_spec = tj.value("task_spec", Json::object());
      t.depends_on = tj.value("depends_on", std::vector<std::string>());
      t.scheduled = tj.value("scheduled", true);
      t.task_start = tj.contains("task_start") ? FromMicros(tj["task_start"]) : r.submitted;
      t.preset_result = tj.value("preset_result", "");
      r.tasks.push_back(std::move(t));
    }
    if (!r.idempotency_token.empty()) idempotency[r.idempotency_token] = r.run_id;
    runs[r.run_id] = std::move(r);
  }
  runs_ = std::move(runs);
  idempotency_ = std::move(idempotency);
  next_id_ = state.at("next_id").get<int64_t>();
  next_job_id_ = state.at("next_job_id").get<int64_t>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
