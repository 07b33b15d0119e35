#include "metrics/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, EveryDesignFamilyIsRegisteredWithItsName) {
  Metrics m("1.2.3");
  // Families without samples do not show up in the exposition; give each one a sample.
  m.reconcile_total().Add({{"kind", "k"}, {"result", "ok"}}).Increment();
  m.reconcile_errors_total().Add({{"kind", "k"}}).Increment();
  m.reconcile_duration_seconds().Add({{"kind", "k"}}, Metrics::DurationBuckets()).Observe(1);
  m.workqueue_depth().Add({}).Set(3);
  m.workqueue_adds_total().Add({}).Increment();
  m.workqueue_retries_total().Add({}).Increment();
  m.workqueue_queue_duration_seconds().Add({}, Metrics::DurationBuckets()).Observe(1);
  m.workqueue_work_duration_seconds().Add({}, Metrics::DurationBuckets()).Observe(1);
  m.resources().Add({{"environment", "dev"}, {"kind", "k"}, {"state", "in_sync"}}).Set(1);
  m.drift_detected_total().Add({{"environment", "dev"}, {"kind", "k"}}).Increment();
  m.drift_corrected_total().Add({{"environment", "dev"}, {"kind", "k"}}).Increment();
  m.drift_repair_seconds().Add({}, Metrics::LongDurationBuckets()).Observe(10);
  m.cloud_requests_total()
      .Add({{"service", "arm"}, {"method", "GET"}, {"code", "200"}})
      .Increment();
  m.cloud_request_duration_seconds()
      .Add({{"service", "arm"}}, Metrics::DurationBuckets())
      .Observe(1);
  m.cloud_throttled_total().Add({{"service", "arm"}}).Increment();
  m.integration_runs_total()
      .Add({{"environment", "dev"}, {"test", "t"}, {"result", "ok"}})
      .Increment();
  m.integration_run_duration_seconds()
      .Add({{"environment", "dev"}, {"test", "t"}}, Metrics::LongDurationBuckets())
      .Observe(60);
  m.integration_last_success_timestamp_seconds()
      .Add({{"environment", "dev"}, {"test", "t"}})
      .Set(5);
  m.sync_last_success_timestamp_seconds().Add({{"environment", "dev"}}).Set(5);
  m.source_revision_info().Add({{"environment", "dev"}, {"revision", "abc"}}).Set(1);

  const std::string text = m.Serialize();
  for (const char* name : {"envctl_reconcile_total{",
                           "envctl_reconcile_errors_total{",
                           "envctl_reconcile_duration_seconds_bucket{",
                           "envctl_workqueue_depth ",
                           "envctl_workqueue_adds_total ",
                           "envctl_workqueue_retries_total ",
                           "envctl_workqueue_queue_duration_seconds_count ",
                           "envctl_workqueue_work_duration_seconds_count ",
                           "envctl_resources{",
                           "envctl_drift_detected_total{",
                           "envctl_drift_corrected_total{",
                           "envctl_drift_repair_seconds_count ",
                           "envctl_cloud_requests_total{",
                           "envctl_cloud_request_duration_seconds_count{",
                           "envctl_cloud_throttled_total{",
                           "envctl_integration_runs_total{",
                           "envctl_integration_run_duration_seconds_count{",
                           "envctl_integration_last_success_timestamp_seconds{",
                           "envctl_sync_last_success_timestamp_seconds{",
                           "envctl_source_revision_info{",
                           "envctl_build_info{version=\"1.2.3\"} 1"}) {
    EXPECT_THAT(text, HasSubstr(name));
  }
  EXPECT_THAT(text, HasSubstr(R"(envctl_resources{environment="dev",kind="k",state="in_sync"} 1)"));
}

TEST(MetricsTest, InstancesAreIndependent) {
  Metrics a;
  Metrics b;
  a.workqueue_adds_total().Add({}).Increment(2);
  EXPECT_THAT(a.Serialize(), HasSubstr("envctl_workqueue_adds_total 2"));
  EXPECT_THAT(b.Serialize(), ::testing::Not(HasSubstr("envctl_workqueue_adds_total 2")));
}

}  // namespace
}  // namespace envctl::metrics
