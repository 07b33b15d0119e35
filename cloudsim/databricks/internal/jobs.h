// JobStore: saved jobs of the Jobs API 2.1/2.2 (create, reset, update, get, list with
// has_more/next_page_token, delete, run-now). Settings are validated as Databricks does
// (task keys, task types, depends_on graph, job_cluster_key references, job clusters
// under their policy, existing clusters, quartz schedule with a time zone, parameters)
// and stored with the server's defaults filled in (format, max_concurrent_runs,
// timeout_seconds, notifications, pause_status, run_if). run-now starts a JOB_RUN in the
// RunStore: tasks wait for their depends_on, job parameters reach notebook widgets
// (and `{{job.parameters.x}}` in base_parameters), a run beyond max_concurrent_runs is
// SKIPPED, and a run-as principal other than the job's creator needs CAN_RUN on every
// notebook (else 403 PERMISSION_DENIED). Not thread-safe: the Workspace serializes access.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_JOBS_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_JOBS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cloudsim/databricks/internal/api.h"
#include "cloudsim/databricks/internal/compute.h"
#include "cloudsim/databricks/internal/runs.h"

namespace envctl::cloudsim::databricks {

struct JobsEnv {
  RunStore* runs = nullptr;
  ComputeStore* compute = nullptr;
  // "" when `principal` may run the notebook at `path`, else why not.
  std::function<std::string(const std::string& path, const std::string& principal)>
      can_run_notebook;
  // Called when a job is deleted (its ACL goes too).
  std::function<void(const std::string& job_id)> on_delete;
};

class JobStore {
 public:
  // Handles jobs/{create,reset,update,get,list,delete,run-now}; nullopt for other verbs.
  std::optional<Response> Handle(const Call& call, bool* mutated, const JobsEnv& env);

  bool Has(int64_t job_id) const { return jobs_.count(job_id) > 0; }
  std::string Creator(int64_t job_id) const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Job {
    int64_t job_id = 0;
    std::string creator;
    int64_t created_time = 0;
    Json settings;
  };

  // Validates `settings` and fills the server defaults; an error response or nullopt.
  std::optional<Response> CheckSettings(Json* settings, const JobsEnv& env) const;
  Job* Find(const Call& call, Response* error);
  Json JobJson(const Job& job, bool with_tasks) const;

  Response Create(const Call& call, bool* mutated, const JobsEnv& env);
  Response Reset(const Call& call, bool* mutated, const JobsEnv& env);
  Response Update(const Call& call, bool* mutated, const JobsEnv& env);
  Response List(const Call& call) const;
  Response RunNow(const Call& call, bool* mutated, const JobsEnv& env);

  std::map<int64_t, Job> jobs_;
  std::map<std::string, int64_t> run_tokens_;  // run-now idempotency_token -> run id
  int64_t next_job_id_ = 731000000000001;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_JOBS_H_
