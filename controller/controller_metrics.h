// ControllerMetrics: the controller's Prometheus recorder. It keeps the per-environment
// series of DESIGN.md ("Metrics") current from what the scheduler tells it — a sync's
// outcome, one resource's reconcile, drift found and repaired, a test run's end, the
// revision an environment runs and what its promotion waits for. The Controller owns one
// and calls it; it never calls back. Work-queue series are the WorkQueue's own, cloud
// request series the transport's. Thread-safe.
#ifndef ENVCTL_CONTROLLER_CONTROLLER_METRICS_H_
#define ENVCTL_CONTROLLER_CONTROLLER_METRICS_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/engine.h"
#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"
#include "metrics/metrics.h"

namespace envctl::controller {

class ControllerMetrics {
 public:
  explicit ControllerMetrics(metrics::Metrics& metrics) : metrics_(metrics) {}
  ControllerMetrics(const ControllerMetrics&) = delete;
  ControllerMetrics& operator=(const ControllerMetrics&) = delete;

  // Creates the environment's labelled series at 0 (errors, drift, test runs) so
  // dashboards and increase() work before the first event, and restores the last
  // successful sync and test run times recorded in `state` (a restart keeps them).
  // `state` may be null (a spec change: nothing to restore).
  void InitEnvironment(const envctl::v1::Environment& env,
                       const envctl::v1::EnvironmentState* state);
  // envctl_resources{environment,kind,state} from a finished sync: every (kind, state)
  // pair of the environment gets a value, zeros included.
  void RecordSync(const std::string& env, const EngineResult& result);
  // envctl_sync_last_success_timestamp_seconds after a converged sync at `now`.
  void RecordSyncSuccess(const std::string& env, absl::Time now);
  // One resource's reconcile ended: envctl_reconcile_total, _duration_seconds (unless
  // blocked), _errors_total.
  void RecordReconcile(const ResourceOutcome& o);
  void RecordDriftDetected(const std::string& env, const std::string& kind);
  // `since_first_seen`: from the first sync that saw the drift to its repair.
  void RecordDriftCorrected(const std::string& env, const std::string& kind,
                            absl::Duration since_first_seen);
  // A test run ended (o.run.result() is set): envctl_integration_runs_total, its duration
  // (the run's own length when it has start and end times), and the last success at `now`.
  void RecordRunFinished(const std::string& env, const ResourceOutcome& o, absl::Time now);
  // envctl_source_revision_info{environment,revision}: one series per environment, the
  // previous revision's removed.
  void SetRevision(const std::string& env, const std::string& revision);
  // envctl_promotion_pending_revision_info and envctl_promotion_waiting for `env`.
  void SetPromotion(const std::string& env, const envctl::v1::PromotionStatus& promotion);

 private:
  metrics::Metrics& metrics_;
  absl::Mutex mu_;
  std::map<std::string, prometheus::Gauge*> revision_gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, prometheus::Gauge*> pending_gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_CONTROLLER_METRICS_H_
