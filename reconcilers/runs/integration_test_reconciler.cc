#include "reconcilers/runs/integration_test_reconciler.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/jobs_api.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/runs/databricks_run_check.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::JobsApi;
using cloud::databricks::Run;

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
  // The notebook's exit value is the run's output; its error, the message.
  return DatabricksRunBackend(
      ctx, jobs, "notebook run",
      [](JobsApi& jobs, int64_t run_id, const Run& run, envctl::v1::RunRecord* rec) {
        const int64_t task_run = run.tasks.empty() ? run_id : run.tasks.front().run_id;
        absl::StatusOr<cloud::databricks::RunOutput> output = jobs.GetRunOutput(task_run);
        if (!output.ok()) return;
        if (output->notebook_result) rec->set_output(*output->notebook_result);
        if (!output->error.empty()) rec->set_message(output->error);
      });
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
  ASSIGN_OR_RETURN(
      std::string url,
      PendingRunWorkspaceUrl(
          ctx, WorkspaceUrlOf(ctx.outputs, ctx.resource.integration_test().workspace())));
  DatabricksClient client(transport_, url);
  JobsApi jobs(client);
  return PollTestRun(ctx, clock_, BackendFor(ctx, jobs));
}

absl::Status IntegrationTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
