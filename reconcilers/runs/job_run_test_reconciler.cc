#include "reconcilers/runs/job_run_test_reconciler.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/workspace_ref.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::JobsApi;
using cloud::databricks::Run;
using nlohmann::json;

const cloud::databricks::PostOptions kIdempotent{/*idempotent=*/true, /*secret_body=*/false};

envctl::v1::RunResult ResultOf(const Run& run) {
  const std::string& r = run.state.result_state;
  if (r == "SUCCESS") return envctl::v1::RUN_RESULT_SUCCEEDED;
  if (r == "TIMEDOUT") return envctl::v1::RUN_RESULT_TIMED_OUT;
  if (r == "CANCELED") return envctl::v1::RUN_RESULT_CANCELED;
  return envctl::v1::RUN_RESULT_FAILED;  // FAILED, SKIPPED, INTERNAL_ERROR, UPSTREAM_*
}

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

RunBackend JobRunTestReconciler::BackendFor(Context& ctx, const DatabricksClient& client,
                                            JobsApi& jobs) const {
  RunBackend backend;
  backend.noun = "job run";
  backend.cancel = [&jobs](const std::string& id) -> absl::Status {
    int64_t run_id = 0;
    if (!absl::SimpleAtoi(id, &run_id))
      return absl::DataLossError(absl::StrCat("run id \"", id, "\""));
    return jobs.CancelRun(run_id);
  };
  backend.check =
      [&jobs, &ctx,
       &client](const PendingRun& pending) -> absl::StatusOr<std::optional<envctl::v1::RunRecord>> {
    int64_t run_id = 0;
    if (!absl::SimpleAtoi(pending.run_id, &run_id)) {
      return absl::DataLossError(
          absl::StrCat("recorded run id \"", pending.run_id, "\" is not a number"));
    }
    ASSIGN_OR_RETURN(Run run, jobs.GetRun(run_id));
    if (!run.state.IsTerminal()) {
      ctx.progress(absl::StrCat("job run ", run_id, ": ", run.state.life_cycle_state));
      return std::optional<envctl::v1::RunRecord>();
    }
    envctl::v1::RunRecord rec;
    rec.set_result(run.state.life_cycle_state == "SKIPPED" ? envctl::v1::RUN_RESULT_FAILED
                                                           : ResultOf(run));
    rec.set_run_page_url(run.run_page_url);
    if (run.start_time > 0)
      *rec.mutable_start_time() = ToTimestamp(absl::FromUnixMillis(run.start_time));
    if (run.end_time > 0) *rec.mutable_end_time() = ToTimestamp(absl::FromUnixMillis(run.end_time));
    // The first task that failed says why (its notebook's error).
    for (const auto& task : run.tasks) {
      if (task.state.result_state != "FAILED" && task.state.result_state != "TIMEDOUT") continue;
      absl::StatusOr<cloud::databricks::RunOutput> output = jobs.GetRunOutput(task.run_id);
      std::string why =
          output.ok() && !output->error.empty() ? output->error : task.state.state_message;
      rec.set_message(absl::StrCat("task ", task.task_key, ": ", why));
      break;
    }
    if (rec.message().empty() && rec.result() != envctl::v1::RUN_RESULT_SUCCEEDED) {
      rec.set_message(
          run.state.state_message.empty()
              ? absl::StrCat("run ended ", run.state.life_cycle_state, "/", run.state.result_state)
              : run.state.state_message);
    }
    (void)client;
    return std::optional<envctl::v1::RunRecord>(std::move(rec));
  };
  return backend;
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
  ASSIGN_OR_RETURN(std::string job_id, RequireOutput(ctx.outputs, spec.job(), "jobId"));
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  RunBackend backend = BackendFor(ctx, client, jobs);
  const json memory = ctx.prior.memory.is_object() ? ctx.prior.memory : json::object();
  const int attempt = AttemptOf(ctx.prior.rerun_requested ? Abandoned(memory) : memory);
  backend.submit = [&]() -> absl::StatusOr<std::string> {
    json params = json::object();
    for (const auto& [k, v] : spec.parameters()) {
      ASSIGN_OR_RETURN(std::string value, ctx.outputs.Expand(v));
      params[k] = value;
    }
    json body = {
        {"job_id", std::stoll(job_id)},
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
  std::string url;
  if (const auto* job = JobOf(ctx.environment, ctx.resource.job_run_test().job())) {
    absl::StatusOr<std::string> live = WorkspaceUrlOf(ctx.outputs, job->workspace());
    if (live.ok()) url = *live;
  }
  if (url.empty()) {
    const json& memory = ctx.prior.memory;
    url = memory.is_object() && memory.contains("pending") && memory["pending"].is_object()
              ? memory["pending"].value("workspaceUrl", "")
              : "";
    if (url.empty()) return absl::FailedPreconditionError("the job's workspace URL is not known");
  }
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  return PollTestRun(ctx, clock_, BackendFor(ctx, client, jobs));
}

absl::Status JobRunTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
