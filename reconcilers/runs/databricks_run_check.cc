#include "reconcilers/runs/databricks_run_check.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::JobsApi;
using cloud::databricks::Run;

absl::StatusOr<int64_t> RunIdOf(const std::string& id) {
  int64_t run_id = 0;
  if (!absl::SimpleAtoi(id, &run_id)) {
    return absl::DataLossError(absl::StrCat("recorded run id \"", id, "\" is not a number"));
  }
  return run_id;
}

}  // namespace

envctl::v1::RunResult DatabricksRunResult(const Run& run) {
  if (run.state.life_cycle_state == "SKIPPED") return envctl::v1::RUN_RESULT_FAILED;
  const std::string& r = run.state.result_state;
  if (r == "SUCCESS") return envctl::v1::RUN_RESULT_SUCCEEDED;
  if (r == "TIMEDOUT") return envctl::v1::RUN_RESULT_TIMED_OUT;
  if (r == "CANCELED") return envctl::v1::RUN_RESULT_CANCELED;
  return envctl::v1::RUN_RESULT_FAILED;  // FAILED, INTERNAL_ERROR, SKIPPED, UPSTREAM_*
}

RunBackend DatabricksRunBackend(Context& ctx, JobsApi& jobs, const std::string& noun,
                                ExplainRun explain) {
  RunBackend backend;
  backend.noun = noun;
  backend.cancel = [&jobs](const std::string& id) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t run_id, RunIdOf(id));
    return jobs.CancelRun(run_id);
  };
  backend.check =
      [&jobs, &ctx, noun, explain = std::move(explain)](
          const PendingRun& pending) -> absl::StatusOr<std::optional<envctl::v1::RunRecord>> {
    ASSIGN_OR_RETURN(int64_t run_id, RunIdOf(pending.run_id));
    ASSIGN_OR_RETURN(Run run, jobs.GetRun(run_id));
    if (!run.state.IsTerminal()) {
      ctx.progress(absl::StrCat(noun, " ", run_id, ": ", run.state.life_cycle_state));
      return std::optional<envctl::v1::RunRecord>();
    }
    envctl::v1::RunRecord rec;
    rec.set_result(DatabricksRunResult(run));
    rec.set_run_page_url(run.run_page_url);
    if (run.start_time > 0)
      *rec.mutable_start_time() = ToTimestamp(absl::FromUnixMillis(run.start_time));
    if (run.end_time > 0) *rec.mutable_end_time() = ToTimestamp(absl::FromUnixMillis(run.end_time));
    explain(jobs, run_id, run, &rec);
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

absl::StatusOr<std::string> PendingRunWorkspaceUrl(const Context& ctx,
                                                   absl::StatusOr<std::string> live) {
  if (live.ok() && !live->empty()) return live;
  const nlohmann::json& memory = ctx.prior.memory;
  const std::string recorded =
      memory.is_object() && memory.contains("pending") && memory["pending"].is_object()
          ? memory["pending"].value("workspaceUrl", "")
          : "";
  if (!recorded.empty()) return recorded;
  if (!live.ok()) return live.status();
  return absl::FailedPreconditionError("the workspace URL of the pending run is not known");
}

}  // namespace envctl::reconcilers
