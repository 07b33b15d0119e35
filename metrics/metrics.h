// Metrics: every envctl metric family (DESIGN.md, "Metrics"), registered once on a
// prometheus::Registry owned here. Constructed once by main and handed to modules by
// reference; no globals. Families are thread-safe (prometheus-cpp); Add() a label set
// once and keep the returned reference when it is used on a hot path.
//   auto& c =
//   metrics.cloud_requests_total().Add({{"service","arm"},{"method","GET"},{"code","200"}});
//   c.Increment();
// Histograms take bucket boundaries on Add(): use DurationBuckets() (requests, reconciles)
// or LongDurationBuckets() (integration runs, drift repair).
#ifndef ENVCTL_METRICS_METRICS_H_
#define ENVCTL_METRICS_METRICS_H_

#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace envctl::metrics {

class Metrics {
 public:
  // `version` fills build_info{version} (set to 1).
  explicit Metrics(const std::string& version = "dev");

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The whole registry in Prometheus text exposition format (for /metrics handlers that
  // are not the pull Exposer, and for tests).
  std::string Serialize() const;

  static const prometheus::Histogram::BucketBoundaries& DurationBuckets();
  static const prometheus::Histogram::BucketBoundaries& LongDurationBuckets();

  // Reconcile loop.
  prometheus::Family<prometheus::Counter>& reconcile_total() {
    return reconcile_total_;
  }  // {kind,result}
  prometheus::Family<prometheus::Counter>& reconcile_errors_total() {
    return reconcile_errors_total_;
  }  // {kind}
  prometheus::Family<prometheus::Histogram>& reconcile_duration_seconds() {
    return reconcile_duration_seconds_;
  }  // {kind}
  // Work queue (no labels: Add({})).
  prometheus::Family<prometheus::Gauge>& workqueue_depth() { return workqueue_depth_; }
  prometheus::Family<prometheus::Counter>& workqueue_adds_total() { return workqueue_adds_total_; }
  prometheus::Family<prometheus::Counter>& workqueue_retries_total() {
    return workqueue_retries_total_;
  }
  prometheus::Family<prometheus::Histogram>& workqueue_queue_duration_seconds() {
    return workqueue_queue_duration_seconds_;
  }
  prometheus::Family<prometheus::Histogram>& workqueue_work_duration_seconds() {
    return workqueue_work_duration_seconds_;
  }
  // Resources and drift.
  prometheus::Family<prometheus::Gauge>& resources() {
    return resources_;
  }  // {environment,kind,state}
  prometheus::Family<prometheus::Counter>& drift_detected_total() {
    return drift_detected_total_;
  }  // {environment,kind}
  prometheus::Family<prometheus::Counter>& drift_corrected_total() {
    return drift_corrected_total_;
  }  // {environment,kind}
  prometheus::Family<prometheus::Histogram>& drift_repair_seconds() {
    return drift_repair_seconds_;
  }
  // Cloud requests.
  prometheus::Family<prometheus::Counter>& cloud_requests_total() {
    return cloud_requests_total_;
  }  // {service,method,code}
  prometheus::Family<prometheus::Histogram>& cloud_request_duration_seconds() {
    return cloud_request_duration_seconds_;
  }  // {service}
  prometheus::Family<prometheus::Counter>& cloud_throttled_total() {
    return cloud_throttled_total_;
  }  // {service}
  // Integration runs.
  prometheus::Family<prometheus::Counter>& integration_runs_total() {
    return integration_runs_total_;
  }  // {environment,test,result}
  prometheus::Family<prometheus::Histogram>& integration_run_duration_seconds() {
    return integration_run_duration_seconds_;
  }  // {environment,test}
  prometheus::Family<prometheus::Gauge>& integration_last_success_timestamp_seconds() {
    return integration_last_success_timestamp_seconds_;
  }  // {environment,test}
  // Sync and build.
  prometheus::Family<prometheus::Gauge>& sync_last_success_timestamp_seconds() {
    return sync_last_success_timestamp_seconds_;
  }  // {environment}
  prometheus::Family<prometheus::Gauge>& source_revision_info() {
    return source_revision_info_;
  }  // {environment,revision}
  prometheus::Family<prometheus::Gauge>& promotion_pending_revision_info() {
    return promotion_pending_revision_info_;
  }  // {environment,revision}
  prometheus::Family<prometheus::Gauge>& promotion_waiting() {
    return promotion_waiting_;
  }  // {environment,reason}
  prometheus::Family<prometheus::Gauge>& build_info() { return build_info_; }  // {version}
  // High availability (etcd state backend); at 0 with the embedded store.
  prometheus::Family<prometheus::Gauge>& ha_replicas() { return ha_replicas_; }
  prometheus::Family<prometheus::Gauge>& ha_owned_environments() { return ha_owned_environments_; }
  prometheus::Family<prometheus::Gauge>& ha_unowned_environments() {
    return ha_unowned_environments_;
  }
  prometheus::Family<prometheus::Counter>& ha_ownership_changes_total() {
    return ha_ownership_changes_total_;
  }  // {change}
  prometheus::Family<prometheus::Histogram>& etcd_request_duration_seconds() {
    return etcd_request_duration_seconds_;
  }  // {method}

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reconcile_total_;
  prometheus::Family<prometheus::Counter>& reconcile_errors_total_;
  prometheus::Family<prometheus::Histogram>& reconcile_duration_seconds_;
  prometheus::Family<prometheus::Gauge>& workqueue_depth_;
  prometheus::Family<prometheus::Counter>& workqueue_adds_total_;
  prometheus::Family<prometheus::Counter>& workqueue_retries_total_;
  prometheus::Family<prometheus::Histogram>& workqueue_queue_duration_seconds_;
  prometheus::Family<prometheus::Histogram>& workqueue_work_duration_seconds_;
  prometheus::Family<prometheus::Gauge>& resources_;
  prometheus::Family<prometheus::Counter>& drift_detected_total_;
  prometheus::Family<prometheus::Counter>& drift_corrected_total_;
  prometheus::Family<prometheus::Histogram>& drift_repair_seconds_;
  prometheus::Family<prometheus::Counter>& cloud_requests_total_;
  prometheus::Family<prometheus::Histogram>& cloud_request_duration_seconds_;
  prometheus::Family<prometheus::Counter>& cloud_throttled_total_;
  prometheus::Family<prometheus::Counter>& integration_runs_total_;
  prometheus::Family<prometheus::Histogram>& integration_run_duration_seconds_;
  prometheus::Family<prometheus::Gauge>& integration_last_success_timestamp_seconds_;
  prometheus::Family<prometheus::Gauge>& sync_last_success_timestamp_seconds_;
  prometheus::Family<prometheus::Gauge>& source_revision_info_;
  prometheus::Family<prometheus::Gauge>& promotion_pending_revision_info_;
  prometheus::Family<prometheus::Gauge>& promotion_waiting_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& ha_replicas_;
  prometheus::Family<prometheus::Gauge>& ha_owned_environments_;
  prometheus::Family<prometheus::Gauge>& ha_unowned_environments_;
  prometheus::Family<prometheus::Counter>& ha_ownership_changes_total_;
  prometheus::Family<prometheus::Histogram>& etcd_request_duration_seconds_;
};

}  // namespace envctl::metrics

#endif  // ENVCTL_METRICS_METRICS_H_
