#include "reconcilers/tests/pipeline_run_test_reconciler.h"

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers {
namespace {

using cloud::datafactory::FactoryRef;
using cloud::datafactory::PipelineRun;
using cloud::datafactory::RunStatus;

absl::StatusOr<FactoryRef> FactoryOf(const Context& ctx) {
  const auto& spec = ctx.resource.pipeline_run_test();
  const envctl::v1::Resource* factory = FindResource(ctx.environment, spec.data_factory());
  if (factory == nullptr || !factory->has_data_factory()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dataFactory \"", spec.data_factory(), "\" does not name a DataFactory resource"));
  }
  ASSIGN_OR_RETURN(std::string group,
                   ResourceGroupName(ctx.environment, factory->data_factory().resource_group()));
  return FactoryRef{group, factory->data_factory().factory_name()};
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

absl::Time ParseTime(const std::string& rfc3339, absl::Time fallback) {
  absl::Time t;
  std::string err;
  if (!rfc3339.empty() && absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) return t;
  return fallback;
}

}  // namespace

PipelineRunTestReconciler::PipelineRunTestReconciler(cloud::HttpTransport& datafactory, Clock& clock,
                                                     const std::string& arm_endpoint,
                                                     const std::string& subscription_id, PollOptions poll,
                                                     const cloud::arm::LroOptions& lro)
    : clock_(clock), poll_(poll) {
  cloud::arm::ArmClientOptions options;
  options.error_service = cloud::Service::kDataFactory;
  options.lro = lro;
  arm_ = std::make_unique<cloud::arm::ArmClient>(datafactory, clock, arm_endpoint, options);
  client_ = std::make_unique<cloud::datafactory::DataFactoryClient>(*arm_, subscription_id);
}

absl::StatusOr<Change> PipelineRunTestReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.pipeline_run_test();
  return PlanTestRun(ctx.prior, CoveredOf(ctx.environment, ctx.resource.name(), spec.covers()));
}

absl::StatusOr<ApplyResult> PipelineRunTestReconciler::Apply(Context& ctx, const Change& change) {
  (void)change;
  const auto& spec = ctx.resource.pipeline_run_test();
  const std::string& test = ctx.resource.name();
  const Covered covered = CoveredOf(ctx.environment, test, spec.covers());
  const absl::Duration timeout = TimeoutOr(spec.timeout(), spec.has_timeout());
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  nlohmann::json memory = ctx.prior.memory.is_object() ? ctx.prior.memory : nlohmann::json::object();

  std::string run_id;
  absl::Time submitted;
  if (std::optional<PendingRun> pending = PendingFor(memory, covered.hash)) {
    run_id = pending->run_id;
    submitted = pending->submitted;
    ctx.progress(absl::StrCat("resuming pipeline run ", run_id));
  } else {
    if (ctx.prior.rerun_requested) memory = Abandoned(memory);
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : spec.parameters()) params[k] = v;
    ASSIGN_OR_RETURN(run_id, WithContext(client_->CreateRun(factory, spec.pipeline(), params),
                                      absl::StrCat("starting pipeline ", spec.pipeline(), " of factory ",
                                                   factory.factory)));
    submitted = clock_.Now();
    memory = WithPending(memory, run_id, covered.hash, submitted);
    RETURN_IF_ERROR(ctx.checkpoint(memory));
    ctx.progress(absl::StrCat("started pipeline run ", run_id));
  }

  PipelineRun run;
  std::string last_state;
  absl::StatusOr<bool> done = PollUntil(clock_, submitted + timeout, poll_, [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<PipelineRun> got = client_->GetPipelineRun(factory, run_id);
    if (!got.ok()) return got.status();
    run = *std::move(got);
    if (run.status_text != last_state) {
      ctx.progress(absl::StrCat("pipeline run ", run_id, ": ", run.status_text));
      last_state = run.status_text;
    }
    return cloud::datafactory::IsTerminal(run.status);
  });
  if (!done.ok()) {
    if (absl::IsNotFound(done.status())) {
      RETURN_IF_ERROR(ctx.checkpoint(Abandoned(memory)));
      return absl::NotFoundError(
          absl::StrCat("pipeline run ", run_id, " no longer exists; the next apply starts a new run"));
    }
    return Annotate(done.status(), absl::StrCat("waiting for pipeline run ", run_id));
  }

  ApplyResult result;
  envctl::v1::RunRecord& rec = result.run;
  rec.set_run_id(absl::StrCat(test, "-", covered.hash.substr(0, 12), "-", AttemptOf(memory)));
  rec.set_environment(ctx.environment.name());
  rec.set_test(test);
  rec.set_external_run_id(run_id);
  rec.set_tested_hash(covered.hash);
  *rec.mutable_start_time() = ToTimestamp(ParseTime(run.run_start, submitted));
  if (!*done) {
    absl::Status cancelled = client_->CancelPipelineRun(factory, run_id, /*recursive=*/true);
    rec.set_result(envctl::v1::RUN_RESULT_TIMED_OUT);
    rec.set_message(absl::StrCat("timed out after ", absl::FormatDuration(timeout), "; pipeline run ", run_id,
                                 cancelled.ok() ? " cancelled" : absl::StrCat(" (cancel failed: ", cancelled.message(), ")")));
    *rec.mutable_end_time() = ToTimestamp(clock_.Now());
  } else {
    *rec.mutable_end_time() = ToTimestamp(ParseTime(run.run_end, clock_.Now()));
    switch (run.status) {
      case RunStatus::kSucceeded: rec.set_result(envctl::v1::RUN_RESULT_SUCCEEDED); break;
      case RunStatus::kCancelled: rec.set_result(envctl::v1::RUN_RESULT_CANCELED); break;
      default: rec.set_result(envctl::v1::RUN_RESULT_FAILED); break;
    }
    rec.set_output(absl::StrCat("pipeline run ", run.status_text));
    if (run.status != RunStatus::kSucceeded) {
      // The pipeline's own message is generic; the failing activity says what went wrong.
      absl::StatusOr<std::vector<nlohmann::json>> activities = client_->QueryActivityRuns(
          factory, run_id, submitted - absl::Hours(1), clock_.Now() + absl::Hours(1));
      std::string message = activities.ok() ? FailedActivityMessage(*activities) : "";
      if (message.empty()) message = run.message;
      if (message.empty()) message = absl::StrCat("pipeline run ended ", run.status_text);
      rec.set_message(message);
    }
  }
  ctx.progress(absl::StrCat("pipeline run ", run_id, ": ", RunResultText(rec.result())));
  result.external_id = run_id;
  result.memory = Finished(memory, covered, run_id, rec.result());
  return result;
}

absl::Status PipelineRunTestReconciler::Delete(Context& ctx) {
  (void)ctx;
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers
