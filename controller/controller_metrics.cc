#include "controller/controller_metrics.h"

#include <set>
#include <utility>

#include "controller/internal/controller_shared.h"
#include "controller/promotion.h"
#include "reconcilers/runs/run_support.h"
#include "spec/kinds.h"

namespace envctl::controller {

using internal::FindCondition;
using internal::IsTestKind;
using internal::IsTrue;

void ControllerMetrics::InitEnvironment(const envctl::v1::Environment& env,
                                        const envctl::v1::EnvironmentState* state) {
  const std::string& name = env.name();
  for (const envctl::v1::Resource& r : env.resources()) {
    if (!spec::IsEnabled(r)) continue;
    const std::string kind = spec::KindName(r);
    metrics_.reconcile_errors_total().Add({{"kind", kind}});
    metrics_.drift_detected_total().Add({{"environment", name}, {"kind", kind}});
    metrics_.drift_corrected_total().Add({{"environment", name}, {"kind", kind}});
    if (IsTestKind(r)) {
      for (const char* result : {"succeeded", "failed"}) {
        metrics_.integration_runs_total().Add(
            {{"environment", name}, {"test", r.name()}, {"result", result}});
      }
    }
  }
  if (state == nullptr) return;
  std::set<std::string> seen;  // runs are newest first: the first success per test wins
  for (const envctl::v1::RunRecord& run : state->status().runs()) {
    if (run.result() != envctl::v1::RUN_RESULT_SUCCEEDED || !run.has_end_time() ||
        !seen.insert(run.test()).second) {
      continue;
    }
    metrics_.integration_last_success_timestamp_seconds()
        .Add({{"environment", name}, {"test", run.test()}})
        .Set(static_cast<double>(run.end_time().seconds()));
  }
  if (state->status().has_last_sync_time()) {
    const envctl::v1::Condition* ready = FindCondition(state->status(), "Ready");
    if (IsTrue(ready)) {
      metrics_.sync_last_success_timestamp_seconds()
          .Add({{"environment", name}})
          .Set(static_cast<double>(state->status().last_sync_time().seconds()));
    }
  }
}

void ControllerMetrics::RecordSync(const std::string& env, const EngineResult& result) {
  std::map<std::pair<std::string, std::string>, int> states;  // (kind, state) -> count
  for (const ResourceOutcome& o : result.resources) {
    std::string state = "in_sync";
    if (!o.status.ok())
      state = "error";
    else if (!o.blocked_by.empty())
      state = "pending";
    else if (o.reported_only)
      state = "drifted";
    ++states[{o.kind, state}];
  }
  // Zeros included, so a resolved error does not linger on a dashboard.
  std::set<std::string> kinds;
  for (const ResourceOutcome& o : result.resources) kinds.insert(o.kind);
  for (const std::string& kind : kinds) {
    for (const char* state : {"in_sync", "drifted", "pending", "error"}) {
      auto it = states.find({kind, state});
      metrics_.resources()
          .Add({{"environment", env}, {"kind", kind}, {"state", state}})
          .Set(it == states.end() ? 0 : it->second);
    }
  }
}

void ControllerMetrics::RecordSyncSuccess(const std::string& env, absl::Time now) {
  metrics_.sync_last_success_timestamp_seconds()
      .Add({{"environment", env}})
      .Set(absl::ToUnixSeconds(now));
}

void ControllerMetrics::RecordReconcile(const ResourceOutcome& o) {
  const std::string result = !o.status.ok()          ? "error"
                             : !o.blocked_by.empty() ? "blocked"
                             : o.applied             ? "changed"
                                                     : "unchanged";
  metrics_.reconcile_total().Add({{"kind", o.kind}, {"result", result}}).Increment();
  if (o.blocked_by.empty()) {
    metrics_.reconcile_duration_seconds()
        .Add({{"kind", o.kind}}, metrics::Metrics::DurationBuckets())
        .Observe(absl::ToDoubleSeconds(o.duration));
  }
  if (!o.status.ok()) metrics_.reconcile_errors_total().Add({{"kind", o.kind}}).Increment();
}

void ControllerMetrics::RecordDriftDetected(const std::string& env, const std::string& kind) {
  metrics_.drift_detected_total().Add({{"environment", env}, {"kind", kind}}).Increment();
}

void ControllerMetrics::RecordDriftCorrected(const std::string& env, const std::string& kind,
                                             absl::Duration since_first_seen) {
  metrics_.drift_corrected_total().Add({{"environment", env}, {"kind", kind}}).Increment();
  metrics_.drift_repair_seconds()
      .Add({}, metrics::Metrics::LongDurationBuckets())
      .Observe(absl::ToDoubleSeconds(since_first_seen));
}

void ControllerMetrics::RecordRunFinished(const std::string& env, const ResourceOutcome& o,
                                          absl::Time now) {
  metrics_.integration_runs_total()
      .Add({{"environment", env},
            {"test", o.name},
            {"result", reconcilers::RunResultText(o.run.result())}})
      .Increment();
  // The run's own length (it ends long after the sync that submitted it).
  absl::Duration took = o.duration;
  if (o.run.has_start_time() && o.run.has_end_time()) {
    took = absl::Seconds(o.run.end_time().seconds() - o.run.start_time().seconds()) +
           absl::Nanoseconds(o.run.end_time().nanos() - o.run.start_time().nanos());
  }
  metrics_.integration_run_duration_seconds()
      .Add({{"environment", env}, {"test", o.name}}, metrics::Metrics::LongDurationBuckets())
      .Observe(absl::ToDoubleSeconds(took));
  if (o.run.result() == envctl::v1::RUN_RESULT_SUCCEEDED) {
    metrics_.integration_last_success_timestamp_seconds()
        .Add({{"environment", env}, {"test", o.name}})
        .Set(absl::ToUnixSeconds(now));
  }
}

void ControllerMetrics::SetRevision(const std::string& env, const std::string& revision) {
  absl::MutexLock lock(&mu_);
  auto g = revision_gauges_.find(env);
  if (g != revision_gauges_.end()) metrics_.source_revision_info().Remove(g->second);
  revision_gauges_[env] =
      &metrics_.source_revision_info().Add({{"environment", env}, {"revision", revision}});
  revision_gauges_[env]->Set(1);
}

void ControllerMetrics::SetPromotion(const std::string& env,
                                     const envctl::v1::PromotionStatus& promotion) {
  absl::MutexLock lock(&mu_);
  auto g = pending_gauges_.find(env);
  if (g != pending_gauges_.end()) {
    metrics_.promotion_pending_revision_info().Remove(g->second);
    pending_gauges_.erase(g);
  }
  if (!promotion.pending_revision().empty()) {
    prometheus::Gauge* gauge = &metrics_.promotion_pending_revision_info().Add(
        {{"environment", env}, {"revision", promotion.pending_revision()}});
    gauge->Set(1);
    pending_gauges_[env] = gauge;
  }
  const std::string reason = WaitingReason(promotion);
  for (const char* r : kWaitingReasons) {
    metrics_.promotion_waiting()
        .Add({{"environment", env}, {"reason", r}})
        .Set(reason == r ? 1 : 0);
  }
}

}  // namespace envctl::controller
