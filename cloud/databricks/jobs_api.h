// JobsApi: one-time runs of Databricks Jobs API 2.1 (databricks-rest.md §7): submit (the
// 2.1 `tasks` form, always with an idempotency_token so a retried POST starts at most one
// run), get, get-output, cancel, list. Polling until terminal is the caller's job (it
// owns the clock and the timeout). Stateless besides the client reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_JOBS_API_H_
#define ENVCTL_CLOUD_DATABRICKS_JOBS_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::cloud::databricks {

struct RunState {
  // QUEUED | PENDING | RUNNING | TERMINATING | TERMINATED | SKIPPED | INTERNAL_ERROR |
  // BLOCKED | WAITING_FOR_RETRY
  std::string life_cycle_state;
  // SUCCESS | FAILED | TIMEDOUT | CANCELED | ...; "" until the run finished.
  std::string result_state;
  std::string state_message;
  bool user_cancelled_or_timedout = false;

  // TERMINATED, SKIPPED or INTERNAL_ERROR.
  bool IsTerminal() const;
  // Terminal with result_state SUCCESS.
  bool Succeeded() const;
};

struct TaskRun {
  std::string task_key;
  int64_t run_id = 0;  // the task run id: pass it to GetRunOutput
  RunState state;
  std::string run_page_url;
};

struct Run {
  int64_t run_id = 0;
  std::string run_name;
  RunState state;
  std::string run_page_url;
  int64_t start_time = 0;  // epoch ms
  int64_t end_time = 0;    // 0 while running
  std::vector<TaskRun> tasks;
  nlohmann::json raw;  // the whole runs/get body
};

struct RunOutput {
  std::optional<std::string> notebook_result;  // dbutils.notebook.exit value, if any
  bool truncated = false;
  std::string error;        // "" unless the task failed
  std::string error_trace;  // stack trace, "" unless failed
  nlohmann::json raw;
};

struct ListRunsOptions {
  bool active_only = false;
  bool completed_only = false;
  std::string run_type;  // "", JOB_RUN, WORKFLOW_RUN, SUBMIT_RUN
  int limit = 25;        // per page, 1..25
  int max_pages = 20;    // stop after this many pages
};

class JobsApi {
 public:
  explicit JobsApi(const DatabricksClient& client);

  // POST jobs/runs/submit with `run` ({"run_name","tasks":[{"task_key","notebook_task",
  // "new_cluster"|"existing_cluster_id",...}],"timeout_seconds"}) plus idempotency_token:
  // the run id. The same token returns the same run, so pass a token derived from what
  // the run is for (≤ 64 chars) to survive restarts; "" makes a random one (retry-safe
  // within this call only). InvalidArgument for a token over 64 chars or a bad run spec,
  // ResourceExhausted (REQUEST_LIMIT_EXCEEDED) when throttled.
  absl::StatusOr<int64_t> SubmitRun(const nlohmann::json& run,
                                    const std::string& idempotency_token) const;
  // GET jobs/runs/get; NotFound for an unknown run (sent as 400 "Run N does not exist").
  absl::StatusOr<Run> GetRun(int64_t run_id) const;
  // GET jobs/runs/get-output for a task run id (or a single-task parent id). NotFound for
  // an unknown run; InvalidArgument for the parent of a multi-task run.
  absl::StatusOr<RunOutput> GetRunOutput(int64_t run_id) const;
  // POST jobs/runs/cancel (asynchronous: the run goes TERMINATING, then
  // TERMINATED/CANCELED). NotFound for an unknown run.
  absl::Status CancelRun(int64_t run_id) const;
  // GET jobs/runs/list, newest first, following next_page_token.
  absl::StatusOr<std::vector<Run>> ListRuns(const ListRunsOptions& options = {}) const;

 private:
  const DatabricksClient& client_;
};

Run ParseRun(const nlohmann::json& j);
bool IsTerminalLifeCycleState(const std::string& life_cycle_state);

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_JOBS_API_H_
