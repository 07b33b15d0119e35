// PipelineRunTestReconciler: a smoke run of a Data Factory pipeline (createRun, wait,
// expect Succeeded) whenever the content it covers changes; same rerun rule and run
// memory as IntegrationTest (run_support.h).
//
// Apply calls createRun with the spec's parameters and checkpoints the runId at once (a
// restart resumes polling that run; createRun itself has no idempotency token, so a crash
// between the POST and the checkpoint is the one window where a second run can start).
// It polls the pipeline run with a doubling interval on the Clock until Succeeded, Failed
// or Cancelled, or until the spec timeout (default 30m) — then cancels it (recursively)
// and records TIMED_OUT. On failure the activity runs are queried and the failing
// activity's error message becomes the run's message. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_TESTS_PIPELINE_RUN_TEST_RECONCILER_H_
#define ENVCTL_RECONCILERS_TESTS_PIPELINE_RUN_TEST_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "cloud/datafactory/data_factory_client.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/tests/run_support.h"

namespace envctl::reconcilers {

class PipelineRunTestReconciler : public Reconciler {
 public:
  // `datafactory`: CloudSession::DataFactory().
  PipelineRunTestReconciler(cloud::HttpTransport& datafactory, Clock& clock,
                            const std::string& arm_endpoint, const std::string& subscription_id,
                            PollOptions poll = {}, const cloud::arm::LroOptions& lro = {});

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  // Nothing to delete: runs are history.
  absl::Status Delete(Context& ctx) override;

 private:
  Clock& clock_;
  const PollOptions poll_;
  std::unique_ptr<cloud::arm::ArmClient> arm_;
  std::unique_ptr<cloud::datafactory::DataFactoryClient> client_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_TESTS_PIPELINE_RUN_TEST_RECONCILER_H_
