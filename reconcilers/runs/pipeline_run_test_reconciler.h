// PipelineRunTestReconciler: a smoke run of a Data Factory pipeline (createRun, wait,
// expect Succeeded) whenever the content it covers changes; same rerun rule and run
// memory as IntegrationTest (run_support.h).
//
// Apply records the intent, calls createRun with the spec's parameters and checkpoints
// the runId at once (a restart resumes polling that run). createRun has no idempotency
// token, so after a crash between the POST and the checkpoint the intent makes the next
// Apply look the run up with queryPipelineRuns (pipeline, parameters, started after the
// intent) instead of starting a second one. Apply never waits: PollRun looks at the run
// once; past the spec timeout (default 30m) it cancels it (recursively) and records
// TIMED_OUT. On failure the activity runs are queried and the failing
// activity's error message becomes the run's message. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_RUNS_PIPELINE_RUN_TEST_RECONCILER_H_
#define ENVCTL_RECONCILERS_RUNS_PIPELINE_RUN_TEST_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "cloud/datafactory/data_factory_client.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::reconcilers {

class PipelineRunTestReconciler : public Reconciler {
 public:
  // `datafactory`: CloudSession::DataFactory().
  PipelineRunTestReconciler(cloud::HttpTransport& datafactory, Clock& clock,
                            const std::string& arm_endpoint, const std::string& subscription_id,
                            const cloud::arm::LroOptions& lro = {});

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::StatusOr<RunPoll> PollRun(Context& ctx) override;
  // Nothing to delete: runs are history.
  absl::Status Delete(Context& ctx) override;

 private:
  RunBackend BackendFor(Context& ctx, const cloud::datafactory::FactoryRef& factory) const;

  Clock& clock_;
  std::unique_ptr<cloud::arm::ArmClient> arm_;
  std::unique_ptr<cloud::datafactory::DataFactoryClient> client_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RUNS_PIPELINE_RUN_TEST_RECONCILER_H_
