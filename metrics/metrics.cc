#include "metrics/metrics.h"

#include "prometheus/text_serializer.h"

namespace envctl::metrics {
namespace {

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const char* name,
                                                 const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Histogram>& Histogram(prometheus::Registry& r, const char* name,
                                                     const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      reconcile_total_(
          Counter(*registry_, "envctl_reconcile_total", "Reconciles by resource kind and result.")),
      reconcile_errors_total_(Counter(*registry_, "envctl_reconcile_errors_total",
                                      "Reconciles that ended in an error, by kind.")),
      reconcile_duration_seconds_(Histogram(*registry_, "envctl_reconcile_duration_seconds",
                                            "Time to reconcile one resource, by kind.")),
      workqueue_depth_(
          Gauge(*registry_, "envctl_workqueue_depth", "Keys waiting in the work queue.")),
      workqueue_adds_total_(
          Counter(*registry_, "envctl_workqueue_adds_total", "Keys added to the work queue.")),
      workqueue_retries_total_(Counter(*registry_, "envctl_workqueue_retries_total",
                                       "Keys requeued with backoff after an error.")),
      workqueue_queue_duration_seconds_(
          Histogram(*registry_, "envctl_workqueue_queue_duration_seconds",
                    "Time a key waited in the queue before a worker took it.")),
      workqueue_work_duration_seconds_(Histogram(
          *registry_, "envctl_workqueue_work_duration_seconds", "Time a worker spent on one key.")),
      resources_(Gauge(*registry_, "envctl_resources",
                       "Resources by environment, kind and state (in_sync, drifted, pending, "
                       "error).")),
      drift_detected_total_(Counter(*registry_, "envctl_drift_detected_total",
                                    "Drift found between the repo and live state.")),
      drift_corrected_total_(
          Counter(*registry_, "envctl_drift_corrected_total", "Drift fixed by envctl.")),
      drift_repair_seconds_(Histogram(*registry_, "envctl_drift_repair_seconds",
                                      "Time from drift detected to drift fixed.")),
      cloud_requests_total_(Counter(*registry_, "envctl_cloud_requests_total",
                                    "HTTP exchanges with cloud services, by service, method "
                                    "and status code (\"error\" when no response).")),
      cloud_request_duration_seconds_(
          Histogram(*registry_, "envctl_cloud_request_duration_seconds",
                    "Duration of one HTTP exchange with a cloud service.")),
      cloud_throttled_total_(Counter(*registry_, "envctl_cloud_throttled_total",
                                     "429 responses from cloud services.")),
      integration_runs_total_(Counter(*registry_, "envctl_integration_runs_total",
                                      "Integration notebook runs by result.")),
      integration_run_duration_seconds_(Histogram(*registry_,
                                                  "envctl_integration_run_duration_seconds",
                                                  "Duration of integration notebook runs.")),
      integration_last_success_timestamp_seconds_(
          Gauge(*registry_, "envctl_integration_last_success_timestamp_seconds",
                "Unix time of the last successful integration run.")),
      sync_last_success_timestamp_seconds_(Gauge(*registry_,
                                                 "envctl_sync_last_success_timestamp_seconds",
                                                 "Unix time an environment last converged.")),
      source_revision_info_(Gauge(*registry_, "envctl_source_revision_info",
                                  "The Git revision an environment is synced to (value 1).")),
      promotion_pending_revision_info_(
          Gauge(*registry_, "envctl_promotion_pending_revision_info",
                "The revision an environment would adopt but waits for (value 1; absent "
                "when nothing is pending).")),
      promotion_waiting_(
          Gauge(*registry_, "envctl_promotion_waiting",
                "1 for what holds an environment's pending revision back "
                "(reason: upstream, approval, sync_window, pinned), 0 for the others.")),
      build_info_(Gauge(*registry_, "envctl_build_info", "envctl build (value 1).")),
      ha_replicas_(
          Gauge(*registry_, "envctl_ha_replicas",
                "Live controller replicas registered in etcd, as this replica sees them.")),
      ha_owned_environments_(
          Gauge(*registry_, "envctl_ha_owned_environments", "Environments this replica owns.")),
      ha_unowned_environments_(
          Gauge(*registry_, "envctl_ha_unowned_environments",
                "Declared environments no replica owns, as this replica sees them.")),
      ha_ownership_changes_total_(
          Counter(*registry_, "envctl_ha_ownership_changes_total",
                  "Ownership changes of this replica: acquired, released, lost.")),
      etcd_request_duration_seconds_(Histogram(*registry_, "envctl_etcd_request_duration_seconds",
                                               "Duration of one etcd request, by method.")) {
  build_info_.Add({{"version", version}}).Set(1);
  // Unlabelled series exist from the start (at 0), so rate() and alerts see them before
  // the first event rather than an absent series.
  workqueue_depth_.Add({});
  ha_replicas_.Add({});
  ha_owned_environments_.Add({});
  ha_unowned_environments_.Add({});
  for (const char* change : {"acquired", "released", "lost"})
    ha_ownership_changes_total_.Add({{"change", change}});
  workqueue_adds_total_.Add({});
  workqueue_retries_total_.Add({});
  drift_repair_seconds_.Add({}, LongDurationBuckets());
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

const prometheus::Histogram::BucketBoundaries& Metrics::DurationBuckets() {
  static const auto* const kBuckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *kBuckets;
}

const prometheus::Histogram::BucketBoundaries& Metrics::LongDurationBuckets() {
  static const auto* const kBuckets = new prometheus::Histogram::BucketBoundaries{
      1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
  return *kBuckets;
}

}  // namespace envctl::metrics
