// RunStore: one-time job runs (runs/submit) and their simulated lifecycle. A task run's
// state is derived from the clock: PENDING for the cluster start, RUNNING for the
// notebook's simulated duration, TERMINATING for cleanup, then TERMINATED; durations are
// simulated seconds divided by `speed`. Advance() executes each task's notebook at its
// start time (the first call at or after it), against the workspace as it is then; cancel
// and timeout cut the timeline. The Jobs API handlers (jobs_api.cc) sit on top. Not
// thread-safe: the Workspace serializes access under its lock and calls Advance() before
// every read or write.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_RUNS_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_RUNS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/internal/api.h"
#include "cloudsim/databricks/internal/interpreter.h"

namespace envctl::cloudsim::databricks {

// Simulated phase lengths (before dividing by speed).
inline constexpr absl::Duration kPendingTime = absl::Seconds(10);
inline constexpr absl::Duration kTerminatingTime = absl::Seconds(5);
// Simulated run time of a wheel or JAR task (not interpreted).
inline constexpr absl::Duration kTaskRunTime = absl::Seconds(20);

// What a run needs from the rest of the workspace when it starts executing.
struct RunDeps {
  RuntimeEnv* runtime = nullptr;
  std::function<bool(const std::string& dbfs_path)> dbfs_file_exists;
};

struct TaskRun {
  int64_t run_id = 0;
  std::string task_key;
  // notebook_task, python_wheel_task or spark_jar_task; `task_spec` holds that object
  // (for notebook tasks it equals notebook_task).
  std::string task_type = "notebook_task";
  Json task_spec = Json::object();
  std::vector<std::string> depends_on;  // task keys
  // False while an upstream task has not ended: exec_start is not known yet (BLOCKED).
  bool scheduled = true;
  absl::Time task_start;  // submitted, or when the last upstream task ended
  // UPSTREAM_FAILED, UPSTREAM_CANCELED or CANCELED: ended at task_start without running.
  std::string preset_result;
  Json notebook_task;  // as submitted
  Json compute;        // {"existing_cluster_id": ..} or {"new_cluster": {..}} etc.
  Json libraries = Json::array();
  std::string cluster_id;               // cluster_instance.cluster_id
  double timeout_s = 0;                 // effective timeout (simulated seconds), 0 = none
  absl::Time exec_start;                // end of PENDING
  std::optional<absl::Time> deadline;   // timeout
  std::optional<absl::Time> cancel_at;  // runs/cancel
  // Set when the notebook executed (or its start was refused, e.g. a missing library).
  bool executed = false;
  absl::Time natural_end;  // exec_start + simulated duration / speed
  std::string outcome;     // SUCCESS or FAILED
  std::string code, type;  // termination_details code and type
  std::string state_message, error, error_trace;
  bool exited = false;
  std::string exit_value;
};

struct Run {
  int64_t run_id = 0;
  int64_t job_id = 0;
  std::string run_type = "SUBMIT_RUN";  // or JOB_RUN (jobs/run-now)
  Json job_parameters = Json::array();  // [{"name", "default", "value"}] of a JOB_RUN
  // Non-empty: the run was skipped at once (maximum concurrent runs reached).
  std::string skipped_message;
  std::string run_name;
  std::string creator;
  // The identity the run executes as when it is not the creator (a job's run_as).
  std::string run_as;
  std::string idempotency_token;
  bool legacy = false;  // submitted in the 2.0 single-task form
  absl::Time submitted;
  std::vector<TaskRun> tasks;
};

// The derived state of a task run (or of a whole run) at some instant.
struct RunState {
  std::string life_cycle;  // PENDING, RUNNING, TERMINATING, TERMINATED
  std::string result;      // set once TERMINATED
  std::string message;
  std::string code, type;
  bool user_cancelled_or_timedout = false;
  absl::Time start, exec_start;
  std::optional<absl::Time> exec_end, end;
  const TaskRun* deciding = nullptr;  // the task that determined the result
};

// Validates one task (a tasks[] entry, or the top level of a 2.0 submission) into `t`:
// its type (notebook_task, python_wheel_task, spark_jar_task), compute, libraries,
// timeout and depends_on (keys are checked by the caller). An error response or nullopt.
std::optional<Response> ParseTask(const Json& j, bool legacy, TaskRun* t);

// Checks that every depends_on key names a task of `tasks` and that they form no cycle.
std::optional<Response> CheckTaskGraph(const std::vector<TaskRun>& tasks);

class RunStore {
 public:
  RunStore(std::string workspace_id, std::string workspace_host, double speed);

  // Executes every task whose start time has come. Returns true when anything changed.
  bool Advance(absl::Time now, const RunDeps& deps);

  // Handles "jobs/runs/<verb>"; sets *mutated when the store changed.
  Response Handle(const Call& call, bool* mutated);

  // Creates a run from an already validated submission (used by SubmitNotebookRun).
  int64_t Add(Run run);
  int64_t NewId() { return next_id_++; }
  int64_t NewJobId() { return next_job_id_++; }
  double speed() const { return speed_; }

  // Runs of saved job `job_id` that are not terminal at `now`.
  int ActiveRunsOfJob(int64_t job_id, absl::Time now) const;

  // When all-purpose cluster `cluster_id` was last busy: `now` while a task runs on it
  // (existing_cluster_id), else the latest end of such a task; nullopt when none did.
  std::optional<absl::Time> LastActivityOn(const std::string& cluster_id, absl::Time now) const;

  // Finds a run by its id or by one of its task run ids.
  const Run* Find(int64_t id, const TaskRun** task) const;
  // Requests cancellation; false when the id is unknown.
  bool Cancel(int64_t id, absl::Time now);

  RunState TaskState(const TaskRun& t, absl::Time submitted, absl::Time now) const;
  RunState State(const Run& r, absl::Time now) const;
  std::string RunPageUrl(int64_t job_id, int64_t run_id) const;
  Json RunJson(const Run& r, absl::Time now, bool legacy_shape) const;
  Json TaskJson(const Run& r, const TaskRun& t, absl::Time now) const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  Response Submit(const Call& call, bool* mutated);
  Response Get(const Call& call);
  Response GetOutput(const Call& call);
  Response CancelCall(const Call& call, bool* mutated);
  Response List(const Call& call);
  Response Delete(const Call& call, bool* mutated);
  // Parses run_id; fills *error when missing or unknown.
  const Run* RunParam(const Call& call, const TaskRun** task, Response* error) const;
  // Runs task `t` of a run whose run-as identity is `run_as` (named in errors).
  void Execute(TaskRun& t, const std::string& run_as, const RunDeps& deps);
  // Schedules the blocked tasks whose upstream tasks have all ended by `now`; true when
  // any was scheduled.
  bool Unblock(absl::Time now);
  // Executes the scheduled tasks whose start time has come; true when any ran.
  bool AdvanceDue(absl::Time now, const RunDeps& deps);

  std::string workspace_id_;
  std::string host_;
  double speed_;
  std::map<int64_t, Run> runs_;  // keyed by run id
  std::map<std::string, int64_t> idempotency_;
  int64_t next_id_ = 455644833;
  int64_t next_job_id_ = 11223344;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_RUNS_H_
