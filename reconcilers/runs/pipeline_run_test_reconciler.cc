#include "reconcilers/runs/pipeline_run_test_reconciler.h"

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/datafactory/factory_ref.h"

namespace envctl::reconcilers {
namespace {

using cloud::datafactory::FactoryRef;
using cloud::datafactory::PipelineRun;
using cloud::datafactory::RunStatus;

absl::StatusOr<FactoryRef> FactoryOf(const Context& ctx) {
  return FactoryRefOf(ctx.environment, ctx.resource.pipeline_run_test().data_factory());
}

// "activity 'X' failed: <message>" for the first failed activity, or "".
std::string FailedActivityMessage(const std::vector<nlohmann::json>& activities) {
  for (const auto& a : activities) {
    if (a.value("status", "") != "Failed") continue;
    std::string message;
    if (a.contains("error") && a["error"].is_object()) message = a["error"].value("message", "");
    return absl::StrCat("activity '", a.value("activityName", ""), "' failed: ", message);
  }
  return "";
}

// The pipeline parameter that carries envctl's run key (a pipeline ignores parameters it
// does not declare; the run lists them all).
constexpr char kRunKeyParameter[] = "envctlRunKey";

// The spec's parameters with every ${resource.output} resolved, as other kinds resolve
// theirs. A sensitive output is refused: ADF keeps run parameters in plain text in its run
// history, visible to anyone who may read the factory.
absl::StatusOr<nlohmann::json> ParametersOf(const Context& ctx) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : ctx.resource.pipeline_run_test().parameters()) {
    bool sensitive = false;
    ASSIGN_OR_RETURN(std::string value, WithContext(ctx.outputs.Expand(v, &sensitive),
                                                    absl::StrCat("parameters.", k)));
    if (sensitive) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameters.", k, ": ", v,
          " is a sensitive output, and Data Factory keeps run parameters in plain text in "
          "its run history; let the pipeline read the secret from Key Vault instead"));
    }
    params[k] = value;
  }
  return params;
}

absl::Time ParseTime(const std::string& rfc3339, absl::Time fallback) {
  absl::Time t;
  std::string err;
  if (!rfc3339.empty() && absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) return t;
  return fallback;
}

}  // namespace

PipelineRunTestReconciler::PipelineRunTestReconciler(cloud::HttpTransport& datafactory,
                                                     Clock& clock, const std::string& arm_endpoint,
                                                     const std::string& subscription_id,
                                                     const cloud::arm::LroOptions& lro)
    : clock_(clock) {
  cloud::arm::ArmClientOptions options;
  options.error_service = cloud::Service::kDataFactory;
  options.lro = lro;
  arm_ = std::make_unique<cloud::arm::ArmClient>(datafactory, clock, arm_endpoint, options);
  client_ = std::make_unique<cloud::datafactory::DataFactoryClient>(*arm_, subscription_id);
}

absl::StatusOr<Change> PipelineRunTestReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.pipeline_run_test();
  // A parameter that can never be sent fails the plan; one whose output is only known
  // after apply is resolved when the run is submitted.
  absl::StatusOr<nlohmann::json> params = ParametersOf(ctx);
  if (!params.ok() && !IsKnownAfterApply(params.status())) return params.status();
  return PlanTestRun(ctx.prior, CoveredOf(ctx.environment, ctx.resource.name(), spec.covers()));
}

RunBackend PipelineRunTestReconciler::BackendFor(Context& ctx, const FactoryRef& factory) const {
  const auto& spec = ctx.resource.pipeline_run_test();
  RunBackend backend;
  backend.noun = "pipeline run";
  const std::string run_key =
      RunKeyFor(ctx, CoveredOf(ctx.environment, ctx.resource.name(), spec.covers()).hash);
  backend.submit = [this, &ctx, factory, &spec, run_key]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(nlohmann::json params, ParametersOf(ctx));
    params[kRunKeyParameter] = run_key;
    return WithContext(
        client_->CreateRun(factory, spec.pipeline(), params),
        absl::StrCat("starting pipeline ", spec.pipeline(), " of factory ", factory.factory));
  };
  // createRun has no idempotency key, so the run carries envctl's run key as a parameter:
  // after a crash between the service accepting a run and envctl recording its id, or a
  // createRun whose answer was lost, the run is found by that key (queryPipelineRuns over
  // the pipeline's runs since the intent), never started twice.
  backend.find_submitted = [this, factory, &spec,
                            run_key](absl::Time intent_at) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(
        std::vector<PipelineRun> runs,
        client_->QueryPipelineRuns(factory, spec.pipeline(), intent_at - absl::Minutes(5),
                                   clock_.Now() + absl::Minutes(5)));
    for (const PipelineRun& run : runs) {
      if (!run.raw.is_object() || !run.raw.contains("parameters") ||
          !run.raw["parameters"].is_object())
        continue;
      const nlohmann::json& params = run.raw["parameters"];
      if (params.value(kRunKeyParameter, "") == run_key) return run.run_id;
    }
    return std::string();
  };
  backend.cancel = [this, factory](const std::string& run_id) {
    return client_->CancelPipelineRun(factory, run_id, /*recursive=*/true);
  };
  backend.check =
      [this, &ctx,
       factory](const PendingRun& pending) -> absl::StatusOr<std::optional<envctl::v1::RunRecord>> {
    ASSIGN_OR_RETURN(PipelineRun run, client_->GetPipelineRun(factory, pending.run_id));
    if (!cloud::datafactory::IsTerminal(run.status)) {
      ctx.progress(absl::StrCat("pipeline run ", pending.run_id, ": ", run.status_text));
      return std::optional<envctl::v1::RunRecord>();
    }
    envctl::v1::RunRecord rec;
    *rec.mutable_start_time() = ToTimestamp(ParseTime(run.run_start, pending.submitted));
    *rec.mutable_end_time() = ToTimestamp(ParseTime(run.run_end, clock_.Now()));
    switch (run.status) {
      case RunStatus::kSucceeded:
        rec.set_result(envctl::v1::RUN_RESULT_SUCCEEDED);
        break;
      case RunStatus::kCancelled:
        rec.set_result(envctl::v1::RUN_RESULT_CANCELED);
        break;
      default:
        rec.set_result(envctl::v1::RUN_RESULT_FAILED);
        break;
    }
    rec.set_output(absl::StrCat("pipeline run ", run.status_text));
    if (run.status != RunStatus::kSucceeded) {
      // The pipeline's own message is generic; the failing activity says what went wrong.
      absl::StatusOr<std::vector<nlohmann::json>> activities =
          client_->QueryActivityRuns(factory, pending.run_id, pending.submitted - absl::Hours(1),
                                     clock_.Now() + absl::Hours(1));
      std::string message = activities.ok() ? FailedActivityMessage(*activities) : "";
      if (message.empty()) message = run.message;
      if (message.empty()) message = absl::StrCat("pipeline run ended ", run.status_text);
      rec.set_message(message);
    }
    return std::optional<envctl::v1::RunRecord>(std::move(rec));
  };
  return backend;
}

absl::StatusOr<ApplyResult> PipelineRunTestReconciler::Apply(Context& ctx, const Change& change) {
  (void)change;
  const auto& spec = ctx.resource.pipeline_run_test();
  const Covered covered = CoveredOf(ctx.environment, ctx.resource.name(), spec.covers());
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  RETURN_IF_ERROR(ParametersOf(ctx).status());
  return SubmitTestRun(ctx, clock_, covered, TimeoutOr(spec.timeout(), spec.has_timeout()),
                       BackendFor(ctx, factory));
}

absl::StatusOr<RunPoll> PipelineRunTestReconciler::PollRun(Context& ctx) {
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  return PollTestRun(ctx, clock_, BackendFor(ctx, factory));
}

absl::Status PipelineRunTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
