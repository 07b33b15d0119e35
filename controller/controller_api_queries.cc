// The read-only half of Controller's ControllerApi: RPCs that only read the controller's
// view and the state store and format them (list, get, run, history), plus the event
// feed and the health check. Nothing here queues work or writes state.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/controller.h"
#include "controller/internal/controller_shared.h"

namespace envctl::controller {

using internal::FindCondition;

envctl::v1::ListEnvironmentsResponse Controller::ListEnvironments() {
  std::vector<std::pair<std::string, bool>> names;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : envs_) {
      if (entry.declared) names.push_back({name, entry.suspended || entry.spec.sync().suspended()});
    }
  }
  envctl::v1::ListEnvironmentsResponse out;
  for (const auto& [name, suspended] : names) {
    envctl::v1::EnvironmentSummary* s = out.add_environments();
    s->set_name(name);
    s->set_suspended(suspended);
    s->set_ready(envctl::v1::CONDITION_STATUS_UNKNOWN);
    absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
    if (!state.ok()) continue;
    const auto& st = state->status();
    if (const envctl::v1::Condition* ready = FindCondition(st, "Ready"))
      s->set_ready(ready->status());
    s->set_resources(st.resources_size());
    for (const auto& r : st.resources()) {
      if (r.state() == envctl::v1::RESOURCE_STATE_DRIFTED) s->set_drifted(s->drifted() + 1);
      if (r.state() == envctl::v1::RESOURCE_STATE_ERROR) s->set_errors(s->errors() + 1);
    }
    s->set_synced_revision(st.synced_revision());
  }
  return out;
}

absl::StatusOr<envctl::v1::GetEnvironmentResponse> Controller::GetEnvironment(
    const std::string& name) {
  envctl::v1::GetEnvironmentResponse out;
  bool suspended = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", name, "\""));
    }
    *out.mutable_spec() = it->second.spec;
    suspended = it->second.suspended || it->second.spec.sync().suspended();
  }
  for (auto& content : *out.mutable_spec()->mutable_contents()) {
    for (auto& file : *content.mutable_files()) file.clear_content();
  }
  absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
  if (!state.ok()) return state.status();
  *out.mutable_status() = state->status();
  out.mutable_status()->set_name(name);
  out.mutable_status()->set_suspended(suspended);
  return out;
}

absl::StatusOr<envctl::v1::GetRunResponse> Controller::GetRun(
    const envctl::v1::GetRunRequest& request) {
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : envs_) names.push_back(name);
  }
  for (const std::string& name : names) {
    absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
    if (!state.ok()) continue;
    for (const auto& run : state->status().runs()) {
      if (run.run_id() == request.run_id() || run.external_run_id() == request.run_id()) {
        envctl::v1::GetRunResponse out;
        *out.mutable_run() = run;
        return out;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no run \"", request.run_id(), "\""));
}

absl::StatusOr<envctl::v1::HistoryResponse> Controller::History(
    const envctl::v1::HistoryRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(request.environment());
    if (it == envs_.end() || !it->second.declared)
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
  }
  ASSIGN_OR_RETURN(envctl::v1::EnvironmentState state, store_.Load(request.environment()));
  envctl::v1::HistoryResponse out;
  *out.mutable_promotion() = state.status().promotion();
  *out.mutable_revisions() = state.status().promotion().history();
  return out;
}

std::unique_ptr<EventSubscription> Controller::Subscribe(const std::string& environment) {
  return events_.Subscribe(environment);
}

bool Controller::Healthy(std::string* why) {
  absl::MutexLock lock(&mu_);
  if (!started_ || stopping_) {
    *why = stopping_ ? "shutting down" : "not started";
    return false;
  }
  if (!source_status_.ok()) {
    *why = absl::StrCat("source: ", source_status_.message());
    return false;
  }
  if (options_.ownership != nullptr && !options_.ownership->Healthy(why)) return false;
  return true;
}

}  // namespace envctl::controller
