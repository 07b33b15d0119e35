#include "reconcilers/runs/integration_test_reconciler.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/jobs_api.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/workspace_ref.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::JobsApi;
using cloud::databricks::Run;
using envctl::v1::RunResult;

RunResult ResultOf(const Run& run) {
  const std::string& r = run.state.result_state;
  if (r == "SUCCESS") return envctl::v1::RUN_RESULT_SUCCEEDED;
  if (r == "TIMEDOUT") return envctl::v1::RUN_RESULT_TIMED_OUT;
  if (r == "CANCELED") return envctl::v1::RUN_RESULT_CANCELED;
  return envctl::v1::RUN_RESULT_FAILED;  // FAILED, INTERNAL_ERROR, SKIPPED, UPSTREAM_*
}

absl::Time FromMillis(int64_t ms) { return absl::FromUnixMillis(ms); }

}  // namespace

absl::StatusOr<nlohmann::json> LibraryFor(const std::string& dbfs_path) {
  const std::string path =
      absl::StartsWith(dbfs_path, "dbfs:") ? dbfs_path : absl::StrCat("dbfs:", dbfs_path);
  for (const char* ext : {"jar", "whl", "egg"}) {
    if (absl::EndsWith(path, absl::StrCat(".", ext))) return nlohmann::json{{ext, path}};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("library ", dbfs_path,
                   " is not a cluster library (expected .jar, .whl or .egg); "
                   "package it as a wheel, or import it from DBFS inside the notebook"));
}

absl::StatusOr<nlohmann::json> SubmitBody(const envctl::v1::Environment& env,
                                          const Outputs& outputs, const std::string& test,
                                          const envctl::v1::IntegrationTestSpec& spec,
                                          absl::Duration timeout) {
  const auto& c = spec.cluster();
  nlohmann::json cluster = {
      {"spark_version", c.spark_version().empty() ? kDefaultSparkVersion : c.spark_version()},
      {"node_type_id", c.node_type_id().empty() ? kDefaultNodeType : c.node_type_id()},
      {"num_workers", c.num_workers() > 0 ? c.num_workers() : 1}};
  if (!c.spark_conf().empty()) {
    nlohmann::json conf = nlohmann::json::object();
    for (const auto& [k, v] : c.spark_conf()) conf[k] = v;
    cluster["spark_conf"] = conf;
  }
  // A parameter may carry an output (e.g. the client id of the identity a notebook signs
  // in as): expanded when the run is submitted.
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : spec.parameters()) {
    ASSIGN_OR_RETURN(std::string value, outputs.Expand(v));
    params[k] = value;
  }
  nlohmann::json libraries = nlohmann::json::array();
  for (const std::string& lib : spec.libraries()) {
    ASSIGN_OR_RETURN(nlohmann::json entry, LibraryFor(lib));
    libraries.push_back(entry);
  }
  const int64_t seconds = absl::ToInt64Seconds(timeout);
  nlohmann::json task = {{"task_key", "main"},
                         {"notebook_task",
                          {{"notebook_path", spec.notebook_path()},
                           {"base_parameters", params},
                           {"source", "WORKSPACE"}}},
                         {"new_cluster", cluster},
                         {"timeout_seconds", seconds}};
  if (!libraries.empty()) task["libraries"] = libraries;
  return nlohmann::json{
      {"run_name", absl::StrCat("envctl ", env.project().empty() ? "" : env.project() + "/",
                                env.name(), " ", test)},
      {"timeout_seconds", seconds},
      {"tasks", nlohmann::json::array({task})}};
}

absl::StatusOr<Change> IntegrationTestReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.integration_test();
  return PlanTestRun(ctx.prior, CoveredOf(ctx.environment, ctx.resource.name(), spec.covers()));
}

RunBackend IntegrationTestReconciler::BackendFor(Context& ctx, JobsApi& jobs) const {
  RunBackend backend;
  backend.noun = "notebook run";
  backend.cancel = [&jobs](const std::string& id) -> absl::Status {
    int64_t run_id = 0;
    if (!absl::SimpleAtoi(id, &run_id))
      return absl::DataLossError(absl::StrCat("run id \"", id, "\""));
    return jobs.CancelRun(run_id);
  };
  backend.check =
      [&jobs,
       &ctx](const PendingRun& pending) -> absl::StatusOr<std::optional<envctl::v1::RunRecord>> {
    int64_t run_id = 0;
    if (!absl::SimpleAtoi(pending.run_id, &run_id)) {
      return absl::DataLossError(
          absl::StrCat("recorded run id \"", pending.run_id, "\" is not a number"));
    }
    ASSIGN_OR_RETURN(Run run, jobs.GetRun(run_id));
    if (!run.state.IsTerminal()) {
      ctx.progress(absl::StrCat("run ", run_id, ": ", run.state.life_cycle_state));
      return std::optional<envctl::v1::RunRecord>();
    }
    envctl::v1::RunRecord rec;
    rec.set_result(ResultOf(run));
    rec.set_run_page_url(run.run_page_url);
    if (run.start_time > 0) *rec.mutable_start_time() = ToTimestamp(FromMillis(run.start_time));
    if (run.end_time > 0) *rec.mutable_end_time() = ToTimestamp(FromMillis(run.end_time));
    const int64_t task_run = run.tasks.empty() ? run_id : run.tasks.front().run_id;
    absl::StatusOr<cloud::databricks::RunOutput> output = jobs.GetRunOutput(task_run);
    if (output.ok()) {
      if (output->notebook_result) rec.set_output(*output->notebook_result);
      if (!output->error.empty()) rec.set_message(output->error);
    }
    if (rec.message().empty() && rec.result() != envctl::v1::RUN_RESULT_SUCCEEDED) {
      rec.set_message(
          run.state.state_message.empty()
              ? absl::StrCat("run ended ", run.state.life_cycle_state, "/", run.state.result_state)
              : run.state.state_message);
    }
    return std::optional<envctl::v1::RunRecord>(std::move(rec));
  };
  return backend;
}

absl::StatusOr<ApplyResult> IntegrationTestReconciler::Apply(Context& ctx, const Change& change) {
  (void)change;
  const auto& spec = ctx.resource.integration_test();
  const std::string& test = ctx.resource.name();
  const Covered covered = CoveredOf(ctx.environment, test, spec.covers());
  const absl::Duration timeout = TimeoutOr(spec.timeout(), spec.has_timeout());
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  RunBackend backend = BackendFor(ctx, jobs);
  const nlohmann::json memory =
      ctx.prior.memory.is_object() ? ctx.prior.memory : nlohmann::json::object();
  // The idempotency token makes a repeated submit (after a crash before the checkpoint)
  // return the same run: no lookup needed.
  const int attempt = AttemptOf(ctx.prior.rerun_requested ? Abandoned(memory) : memory);
  backend.submit = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(nlohmann::json body,
                     SubmitBody(ctx.environment, ctx.outputs, test, spec, timeout));
    nlohmann::json& task = body["tasks"][0];
    if (!spec.existing_cluster().empty()) {
      ASSIGN_OR_RETURN(std::string cluster_id,
                       RequireOutput(ctx.outputs, spec.existing_cluster(), "clusterId"));
      task.erase("new_cluster");
      task["existing_cluster_id"] = cluster_id;
    } else if (!spec.cluster_policy().empty()) {
      ASSIGN_OR_RETURN(std::string policy_id,
                       RequireOutput(ctx.outputs, spec.cluster_policy(), "policyId"));
      task["new_cluster"]["policy_id"] = policy_id;
    }
    const std::string token = IdempotencyToken(ctx.environment, test, covered.hash, attempt);
    ASSIGN_OR_RETURN(int64_t run_id,
                     WithContext(jobs.SubmitRun(body, token),
                                 absl::StrCat("submitting notebook ", spec.notebook_path())));
    return absl::StrCat(run_id);
  };
  ASSIGN_OR_RETURN(ApplyResult result, SubmitTestRun(ctx, clock_, covered, timeout, backend));
  // Later polls (PollRuns) run without a pass's outputs: remember where the run is.
  if (result.memory.contains("pending")) result.memory["pending"]["workspaceUrl"] = url;
  return result;
}

absl::StatusOr<RunPoll> IntegrationTestReconciler::PollRun(Context& ctx) {
  absl::StatusOr<std::string> url =
      WorkspaceUrlOf(ctx.outputs, ctx.resource.integration_test().workspace());
  if (!url.ok()) {
    const nlohmann::json& memory = ctx.prior.memory;
    const std::string recorded =
        memory.is_object() && memory.contains("pending") && memory["pending"].is_object()
            ? memory["pending"].value("workspaceUrl", "")
            : "";
    if (recorded.empty()) return url.status();
    url = recorded;
  }
  DatabricksClient client(transport_, *url);
  JobsApi jobs(client);
  return PollTestRun(ctx, clock_, BackendFor(ctx, jobs));
}

absl::Status IntegrationTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
