#include "reconcilers/runs/job_run_test_reconciler.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/runs/databricks_run_check.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::JobsApi;
using cloud::databricks::Run;
using nlohmann::json;

const cloud::databricks::PostOptions kIdempotent{/*idempotent=*/true, /*secret_body=*/false};

const envctl::v1::DatabricksJobSpec* JobOf(const envctl::v1::Environment& env,
                                           const std::string& name) {
  const envctl::v1::Resource* r = FindResource(env, name);
  return r != nullptr && r->has_databricks_job() ? &r->databricks_job() : nullptr;
}

}  // namespace

Covered JobRunTestCovered(const envctl::v1::Environment& env, const envctl::v1::Resource& test) {
  const auto& spec = test.job_run_test();
  google::protobuf::RepeatedPtrField<std::string> covers = spec.covers();
  *covers.Add() = spec.job();
  if (const auto* job = JobOf(env, spec.job())) {
    for (const std::string& input : JobInputs(*job)) *covers.Add() = input;
  }
  return CoveredOf(env, test.name(), covers);
}

absl::StatusOr<Change> JobRunTestReconciler::Plan(Context& ctx) {
  return PlanTestRun(ctx.prior, JobRunTestCovered(ctx.environment, ctx.resource));
}

RunBackend JobRunTestReconciler::BackendFor(Context& ctx, JobsApi& jobs) const {
  // The first task that failed says why (its notebook's error).
  return DatabricksRunBackend(
      ctx, jobs, "job run",
      [](JobsApi& jobs, int64_t run_id, const Run& run, envctl::v1::RunRecord* rec) {
        (void)run_id;
        for (const auto& task : run.tasks) {
          if (task.state.result_state != "FAILED" && task.state.result_state != "TIMEDOUT")
            continue;
          absl::StatusOr<cloud::databricks::RunOutput> output = jobs.GetRunOutput(task.run_id);
          std::string why =
              output.ok() && !output->error.empty() ? output->error : task.state.state_message;
          rec->set_message(absl::StrCat("task ", task.task_key, ": ", why));
          return;
        }
      });
}

absl::StatusOr<ApplyResult> JobRunTestReconciler::Apply(Context& ctx, const Change& change) {
  (void)change;
  const auto& spec = ctx.resource.job_run_test();
  const std::string& test = ctx.resource.name();
  const Covered covered = JobRunTestCovered(ctx.environment, ctx.resource);
  const absl::Duration timeout = TimeoutOr(spec.timeout(), spec.has_timeout());
  const auto* job = JobOf(ctx.environment, spec.job());
  if (job == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("\"", spec.job(), "\" is not a DatabricksJob"));
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, job->workspace()));
  ASSIGN_OR_RETURN(std::string job_id_text, RequireOutput(ctx.outputs, spec.job(), "jobId"));
  int64_t job_id = 0;
  if (!absl::SimpleAtoi(job_id_text, &job_id)) {
    return absl::InternalError(
        absl::StrCat("output ", spec.job(), ".jobId is not a number (\"", job_id_text, "\")"));
  }
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  RunBackend backend = BackendFor(ctx, jobs);
  const json memory = ctx.prior.memory.is_object() ? ctx.prior.memory : json::object();
  const int attempt = AttemptOf(ctx.prior.rerun_requested ? Abandoned(memory) : memory);
  backend.submit = [&]() -> absl::StatusOr<std::string> {
    json params = json::object();
    for (const auto& [k, v] : spec.parameters()) {
      ASSIGN_OR_RETURN(std::string value, ctx.outputs.Expand(v));
      params[k] = value;
    }
    json body = {
        {"job_id", job_id},
        {"idempotency_token", IdempotencyToken(ctx.environment, test, covered.hash, attempt)}};
    if (!params.empty()) body["job_parameters"] = params;
    ASSIGN_OR_RETURN(json started,
                     WithContext(client.Post("/api/2.2/jobs/run-now", body, kIdempotent),
                                 absl::StrCat("starting job ", job->job_name())));
    return absl::StrCat(cloud::databricks::JsonInt(started, "run_id"));
  };
  ASSIGN_OR_RETURN(ApplyResult result, SubmitTestRun(ctx, clock_, covered, timeout, backend));
  if (result.memory.contains("pending")) result.memory["pending"]["workspaceUrl"] = url;
  return result;
}

absl::StatusOr<RunPoll> JobRunTestReconciler::PollRun(Context& ctx) {
  const auto* job = JobOf(ctx.environment, ctx.resource.job_run_test().job());
  ASSIGN_OR_RETURN(
      std::string url,
      PendingRunWorkspaceUrl(
          ctx, job != nullptr
                   ? WorkspaceUrlOf(ctx.outputs, job->workspace())
                   : absl::StatusOr<std::string>(absl::FailedPreconditionError(absl::StrCat(
                         "\"", ctx.resource.job_run_test().job(),
                         "\" is not a DatabricksJob; the job's workspace URL is not known")))));
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  return PollTestRun(ctx, clock_, BackendFor(ctx, jobs));
}

absl::Status JobRunTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
