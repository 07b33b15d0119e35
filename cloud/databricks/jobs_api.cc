#include "cloud/databricks/jobs_api.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace envctl::cloud::databricks {
namespace {

constexpr size_t kMaxIdempotencyToken = 64;

RunState ParseState(const nlohmann::json& j) {
  RunState s;
  if (!j.is_object() || !j.contains("state")) return s;
  const nlohmann::json& st = j["state"];
  s.life_cycle_state = JsonString(st, "life_cycle_state");
  s.result_state = JsonString(st, "result_state");
  s.state_message = JsonString(st, "state_message");
  s.user_cancelled_or_timedout = JsonBool(st, "user_cancelled_or_timedout");
  return s;
}

std::string RandomToken() {
  std::random_device rd;
  return absl::StrFormat("envctl-%08x%08x%08x%08x", rd(), rd(), rd(), rd());
}

}  // namespace

bool IsTerminalLifeCycleState(const std::string& s) {
  return s == "TERMINATED" || s == "SKIPPED" || s == "INTERNAL_ERROR";
}

bool RunState::IsTerminal() const { return IsTerminalLifeCycleState(life_cycle_state); }

bool RunState::Succeeded() const { return IsTerminal() && result_state == "SUCCESS"; }

Run ParseRun(const nlohmann::json& j) {
  Run run;
  run.run_id = JsonInt(j, "run_id");
  run.run_name = JsonString(j, "run_name");
  run.state = ParseState(j);
  run.run_page_url = JsonString(j, "run_page_url");
  run.start_time = JsonInt(j, "start_time");
  run.end_time = JsonInt(j, "end_time");
  for (const auto& t : JsonArray(j, "tasks")) {
    TaskRun task;
    task.task_key = JsonString(t, "task_key");
    task.run_id = JsonInt(t, "run_id");
    task.state = ParseState(t);
    task.run_page_url = JsonString(t, "run_page_url");
    run.tasks.push_back(std::move(task));
  }
  run.raw = j;
  return run;
}

JobsApi::JobsApi(const DatabricksClient& client) : client_(client) {}

absl::StatusOr<int64_t> JobsApi::SubmitRun(const nlohmann::json& run,
                                           const std::string& idempotency_token) const {
  if (idempotency_token.size() > kMaxIdempotencyToken) {
    return absl::InvalidArgumentError(
        absl::StrCat("Databricks runs/submit: idempotency token is ", idempotency_token.size(),
                     " characters; the limit is ", kMaxIdempotencyToken,
                     " (use a hash of what the run is for)"));
  }
  if (!run.is_object()) {
    return absl::InvalidArgumentError("Databricks runs/submit: the run spec must be a JSON object");
  }
  nlohmann::json body = run;
  body["idempotency_token"] = idempotency_token.empty() ? RandomToken() : idempotency_token;
  PostOptions options;
  options.idempotent = true;  // the token makes a repeat return the same run
  ASSIGN_OR_RETURN(nlohmann::json result, client_.Post("/api/2.1/jobs/runs/submit", body, options));
  const int64_t run_id = JsonInt(result, "run_id");
  if (run_id == 0) {
    return absl::InternalError("Databricks runs/submit: response has no run_id");
  }
  return run_id;
}

absl::StatusOr<Run> JobsApi::GetRun(int64_t run_id) const {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   client_.Get("/api/2.1/jobs/runs/get", {{"run_id", std::to_string(run_id)}}));
  return ParseRun(body);
}

absl::StatusOr<RunOutput> JobsApi::GetRunOutput(int64_t run_id) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.1/jobs/runs/get-output",
                                                    {{"run_id", std::to_string(run_id)}}));
  RunOutput out;
  if (body.contains("notebook_output") && body["notebook_output"].is_object()) {
    const nlohmann::json& nb = body["notebook_output"];
    if (nb.contains("result") && nb["result"].is_string()) {
      out.notebook_result = nb["result"].get<std::string>();
    }
    out.truncated = JsonBool(nb, "truncated");
  }
  out.error = JsonString(body, "error");
  out.error_trace = JsonString(body, "error_trace");
  out.raw = std::move(body);
  return out;
}

absl::Status JobsApi::CancelRun(int64_t run_id) const {
  PostOptions options;
  options.idempotent = true;  // cancelling twice is harmless
  return client_.Post("/api/2.1/jobs/runs/cancel", {{"run_id", run_id}}, options).status();
}

absl::StatusOr<std::vector<Run>> JobsApi::ListRuns(const ListRunsOptions& options) const {
  Query base;
  if (options.active_only) base.emplace_back("active_only", "true");
  if (options.completed_only) base.emplace_back("completed_only", "true");
  if (!options.run_type.empty()) base.emplace_back("run_type", options.run_type);
  base.emplace_back("limit", std::to_string(std::clamp(options.limit, 1, 25)));
  std::vector<Run> out;
  std::string token;
  for (int page = 0; page < options.max_pages; ++page) {
    Query query = base;
    if (!token.empty()) query.emplace_back("page_token", token);
    ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.1/jobs/runs/list", query));
    for (const auto& r : JsonArray(body, "runs")) out.push_back(ParseRun(r));
    token = JsonString(body, "next_page_token");
    if (!JsonBool(body, "has_more") || token.empty()) break;
  }
  return out;
}

}  // namespace envctl::cloud::databricks
