#include "controller/engine_log.h"

#include <string>

#include "absl/strings/str_join.h"
#include "common/log.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::controller {

namespace {

using reconcilers::Action;

// Field paths only: values (even non-sensitive ones) stay out of logs.
std::string FieldNames(const ResourceOutcome& o) {
  return absl::StrJoin(o.fields, ",", [](std::string* out, const reconcilers::FieldChange& f) {
    out->append(f.path);
  });
}

}  // namespace

void LogDriftFound(const ResourceOutcome& o) {
  if (!o.drift) return;
  log::Warn("drift_found")
      .Str("action", reconcilers::ActionName(o.action))
      .Str("fields", FieldNames(o))
      .Str("policy", o.reported_only ? "report" : "enforce");
}

void LogFinished(const ResourceOutcome& o) {
  if (!o.blocked_by.empty()) {
    log::Warn("resource_blocked").Str("blocked_by", o.blocked_by);
    return;
  }
  if (o.reported_only) {
    log::Warn("drift_reported").Str("fields", FieldNames(o));
    return;
  }
  if (o.action == Action::kRun && o.applied) {
    if (o.run_in_progress) {
      log::Info("test_run_submitted").Str("run_id", o.run_external_id);
    } else {
      // A run that ended failed is the resource's error too: one line says both.
      log::Line(o.status.ok() ? log::Level::kInfo : log::Level::kError, "test_run_finished")
          .Str("run_id", o.run.external_run_id())
          .Str("result", reconcilers::RunResultText(o.run.result()))
          .Duration(o.duration)
          .Error(o.status);
    }
    return;
  }
  const bool write =
      o.action == Action::kCreate || o.action == Action::kUpdate || o.action == Action::kDelete;
  if (!o.status.ok()) {
    log::Error("resource_failed")
        .Str("action", reconcilers::ActionName(o.action))
        .Str("fields", FieldNames(o))
        .Duration(o.duration)
        .Error(o.status);
    return;
  }
  if (o.applied && write) {
    log::Info("cloud_write")
        .Str("action", reconcilers::ActionName(o.action))
        .Str("fields", FieldNames(o))
        .Duration(o.duration);
    if (o.drift) log::Info("drift_repaired").Str("fields", FieldNames(o)).Duration(o.duration);
  }
}

void LogSyncEnd(const std::string& environment, const std::string& sync_id,
                const std::string& revision, absl::Duration took,
                const absl::StatusOr<EngineResult>& result) {
  if (!result.ok()) {
    log::Error("sync_end")
        .Str("environment", environment)
        .Str("sync_id", sync_id)
        .Str("revision", revision)
        .Str("outcome", "failed")
        .Duration(took)
        .Error(result.status());
    return;
  }
  int writes = 0, drift = 0, failed = 0;
  for (const auto* list : {&result->resources, &result->prunes}) {
    for (const ResourceOutcome& o : *list) {
      writes += o.applied ? 1 : 0;
      drift += o.drift ? 1 : 0;
      failed += (!o.status.ok() || !o.blocked_by.empty()) ? 1 : 0;
    }
  }
  const bool ok = result->ok() && result->prune_status.ok();
  log::Line(ok ? log::Level::kInfo : log::Level::kWarn, "sync_end")
      .Str("environment", environment)
      .Str("sync_id", sync_id)
      .Str("revision", revision)
      .Str("outcome", ok ? "converged" : "incomplete")
      .Duration(took)
      .Int("writes", writes)
      .Int("drift", drift)
      .Int("failed", failed)
      .Error(result->prune_status);
}

}  // namespace envctl::controller
