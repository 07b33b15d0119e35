#include "controller/status_builder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace envctl::controller {

using envctl::v1::ConditionStatus;
using google::protobuf::util::TimeUtil;

namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// The status entry of the outcome's resource, added when the status has none yet.
envctl::v1::ResourceStatus* FindOrAddResource(envctl::v1::EnvironmentStatus* status,
                                              const ResourceOutcome& o) {
  for (auto& existing : *status->mutable_resources()) {
    if (existing.name() == o.name) return &existing;
  }
  envctl::v1::ResourceStatus* r = status->add_resources();
  r->set_name(o.name);
  r->set_kind(o.kind);
  return r;
}

// Reported drift, values of sensitive fields never shown.
void AddDrift(const ResourceOutcome& o, envctl::v1::ResourceStatus* r) {
  for (const auto& f : o.fields) {
    auto* d = r->add_drift();
    d->set_path(f.path);
    d->set_old_value(f.sensitive ? "(sensitive)" : f.old_value);
    d->set_new_value(f.sensitive ? "(sensitive)" : f.new_value);
  }
}

void AddRunRecord(envctl::v1::EnvironmentStatus* status, const envctl::v1::RunRecord& run) {
  auto* runs = status->mutable_runs();
  runs->Add()->CopyFrom(run);
  // Newest first.
  std::rotate(runs->begin(), runs->end() - 1, runs->end());
  while (runs->size() > kMaxRunRecords) runs->RemoveLast();
}

// "Testing": runs submitted and not ended; syncs and drift repair go on meanwhile.
void SetTesting(envctl::v1::EnvironmentStatus* status, int in_progress, absl::Time now) {
  bool present = false;
  for (const auto& c : status->conditions()) present |= c.type() == "Testing";
  if (in_progress == 0 && !present) return;  // appears with the first run
  SetCondition(status, "Testing", in_progress > 0,
               in_progress ? "RunsInProgress" : "NoRunsInProgress",
               in_progress ? absl::StrCat(in_progress, " test run(s) in progress") : "", now);
}

}  // namespace

void MergeStatus(const EngineResult& result, absl::Time now, envctl::v1::EnvironmentState* state) {
  envctl::v1::EnvironmentStatus* status = state->mutable_status();
  for (const ResourceOutcome& o : result.resources) {
    envctl::v1::ResourceStatus* r = FindOrAddResource(status, o);
    r->clear_drift();
    r->set_last_error(o.status.ok() ? "" : std::string(o.status.message()));
    r->set_blocked_by(o.blocked_by);
    if (!o.status.ok()) {
      r->set_state(envctl::v1::RESOURCE_STATE_ERROR);
    } else if (!o.blocked_by.empty() || o.run_in_progress) {
      r->set_state(envctl::v1::RESOURCE_STATE_PENDING);
    } else if (o.reported_only) {
      r->set_state(envctl::v1::RESOURCE_STATE_DRIFTED);
      AddDrift(o, r);
    } else {
      r->set_state(envctl::v1::RESOURCE_STATE_IN_SYNC);
    }
    *r->mutable_last_reconcile_time() = ToProto(now);
    if (o.run.result() != envctl::v1::RUN_RESULT_UNSPECIFIED) AddRunRecord(status, o.run);
  }
  int errors = 0, drifted = 0;
  for (const auto& r : status->resources()) {
    if (r.state() == envctl::v1::RESOURCE_STATE_ERROR ||
        (r.state() == envctl::v1::RESOURCE_STATE_PENDING && !r.blocked_by().empty())) {
      ++errors;
    }
    if (r.state() == envctl::v1::RESOURCE_STATE_DRIFTED) ++drifted;
  }
  const bool healthy = errors == 0;
  SetCondition(status, "Healthy", healthy, healthy ? "ApplySucceeded" : "ApplyFailed",
               healthy ? "" : absl::StrCat(errors, " resource(s) failed or blocked"), now);
  SetCondition(status, "Drifted", drifted > 0, drifted ? "DriftDetected" : "NoDrift",
               drifted ? absl::StrCat(drifted, " resource(s) drifted under policy report") : "",
               now);
  SetCondition(status, "Ready", healthy && drifted == 0,
               healthy ? (drifted ? "Drifted" : "Converged") : "NotConverged", "", now);
}

void RecordRuns(const EngineResult& polled, absl::Time now, envctl::v1::EnvironmentState* state) {
  envctl::v1::EnvironmentStatus* status = state->mutable_status();
  int tests = 0, tests_failed = 0;
  for (const ResourceOutcome& o : polled.resources) {
    envctl::v1::ResourceStatus* r = FindOrAddResource(status, o);
    r->set_last_error(o.status.ok() ? "" : std::string(o.status.message()));
    r->set_state(o.run_in_progress ? envctl::v1::RESOURCE_STATE_PENDING
                 : o.status.ok()   ? envctl::v1::RESOURCE_STATE_IN_SYNC
                                   : envctl::v1::RESOURCE_STATE_ERROR);
    *r->mutable_last_reconcile_time() = ToProto(now);
    if (o.run.result() != envctl::v1::RUN_RESULT_UNSPECIFIED) {
      ++tests;
      if (o.run.result() != envctl::v1::RUN_RESULT_SUCCEEDED) ++tests_failed;
      AddRunRecord(status, o.run);
    }
  }
  int testing = 0;
  for (const auto& r : status->resources()) {
    if (r.state() == envctl::v1::RESOURCE_STATE_PENDING && r.blocked_by().empty()) ++testing;
  }
  SetTesting(status, testing, now);
  if (tests > 0) {
    SetCondition(status, "Tested", tests_failed == 0, tests_failed ? "TestsFailed" : "TestsPassed",
                 absl::StrCat(tests - tests_failed, "/", tests, " runs succeeded"), now);
  }
}

void SetCondition(envctl::v1::EnvironmentStatus* status, const std::string& type, bool value,
                  const std::string& reason, const std::string& message, absl::Time now) {
  const ConditionStatus want =
      value ? envctl::v1::CONDITION_STATUS_TRUE : envctl::v1::CONDITION_STATUS_FALSE;
  envctl::v1::Condition* c = nullptr;
  for (auto& existing : *status->mutable_conditions()) {
    if (existing.type() == type) c = &existing;
  }
  if (c == nullptr) {
    c = status->add_conditions();
    c->set_type(type);
  }
  if (c->status() != want) {
    c->set_status(want);
    *c->mutable_last_transition_time() = ToProto(now);
  }
  c->set_reason(reason);
  c->set_message(message);
}

void UpdateStatus(const envctl::v1::Environment& env, const EngineResult& result, absl::Time now,
                  envctl::v1::EnvironmentState* state) {
  envctl::v1::EnvironmentStatus* status = state->mutable_status();
  status->set_name(env.name());
  status->set_suspended(env.sync().suspended());
  std::map<std::string, envctl::v1::ResourceStatus> previous;
  for (const auto& r : status->resources()) previous[r.name()] = r;
  status->clear_resources();

  int errors = 0, drifted = 0, tests = 0, tests_failed = 0, testing = 0;
  for (const ResourceOutcome& o : result.resources) {
    envctl::v1::ResourceStatus* r = status->add_resources();
    *r = previous[o.name];
    r->set_name(o.name);
    r->set_kind(o.kind);
    r->clear_drift();
    r->set_last_error("");
    r->set_blocked_by(o.blocked_by);
    for (const auto& m : state->inventory()) {
      if (m.name() == o.name) {
        r->set_applied_hash(m.applied_hash());
        r->set_desired_hash(m.applied_hash());
        if (!m.external_id().empty()) r->set_external_id(m.external_id());
      }
    }
    if (!o.status.ok()) {
      r->set_state(envctl::v1::RESOURCE_STATE_ERROR);
      r->set_last_error(std::string(o.status.message()));
      ++errors;
    } else if (!o.blocked_by.empty()) {
      r->set_state(envctl::v1::RESOURCE_STATE_PENDING);
      ++errors;
    } else if (o.run_in_progress) {
      r->set_state(envctl::v1::RESOURCE_STATE_PENDING);
      ++testing;
    } else if (o.reported_only) {
      r->set_state(envctl::v1::RESOURCE_STATE_DRIFTED);
      AddDrift(o, r);
      ++drifted;
    } else {
      r->set_state(envctl::v1::RESOURCE_STATE_IN_SYNC);
    }
    *r->mutable_last_reconcile_time() = ToProto(now);
    if (o.run.result() != envctl::v1::RUN_RESULT_UNSPECIFIED) {
      ++tests;
      if (o.run.result() != envctl::v1::RUN_RESULT_SUCCEEDED) ++tests_failed;
      AddRunRecord(status, o.run);
    }
  }
  SetTesting(status, testing, now);
  const bool healthy = errors == 0 && result.prune_status.ok();
  SetCondition(status, "Healthy", healthy, healthy ? "ApplySucceeded" : "ApplyFailed",
               healthy ? "" : absl::StrCat(errors, " resource(s) failed or blocked"), now);
  SetCondition(status, "Drifted", drifted > 0, drifted ? "DriftDetected" : "NoDrift",
               drifted ? absl::StrCat(drifted, " resource(s) drifted under policy report") : "",
               now);
  SetCondition(status, "Synced", healthy, healthy ? "Synced" : "SyncIncomplete",
               absl::StrCat("revision ", env.revision()), now);
  if (tests > 0) {
    SetCondition(status, "Tested", tests_failed == 0, tests_failed ? "TestsFailed" : "TestsPassed",
                 absl::StrCat(tests - tests_failed, "/", tests, " runs succeeded"), now);
  }
  SetCondition(status, "Ready", healthy && drifted == 0,
               healthy ? (drifted ? "Drifted" : "Converged") : "NotConverged", "", now);
  if (healthy) {
    status->set_synced_revision(env.revision());
    *status->mutable_last_sync_time() = ToProto(now);
  }
}

}  // namespace envctl::controller
