// FakeRunReconciler: a test kind (IntegrationTest-like) for engine and controller tests.
// Apply submits a run through run_support's SubmitTestRun; a run ends after a number of
// polls or a length of clock time, with a chosen result. Thread-safe.
#ifndef ENVCTL_TESTS_CONTROLLER_FAKE_RUN_RECONCILER_H_
#define ENVCTL_TESTS_CONTROLLER_FAKE_RUN_RECONCILER_H_

#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::testing {

// A test kind whose runs end after `polls_to_finish` looks, with `result`.
class FakeRunReconciler : public reconcilers::Reconciler {
 public:
  explicit FakeRunReconciler(Clock& clock) : clock_(clock) {}

  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context& ctx) override {
    reconcilers::Covered covered{ctx.content.content_hash(), nlohmann::json::object()};
    return reconcilers::PlanTestRun(ctx.prior, covered);
  }
  absl::StatusOr<reconcilers::ApplyResult> Apply(reconcilers::Context& ctx,
                                                 const reconcilers::Change&) override {
    reconcilers::Covered covered{ctx.content.content_hash(), nlohmann::json::object()};
    reconcilers::RunBackend backend;
    backend.noun = "fake run";
    backend.submit = [this]() -> absl::StatusOr<std::string> {
      absl::MutexLock lock(&mu_);
      ++submits_;
      polls_ = 0;
      return std::string("run-") + std::to_string(submits_);
    };
    backend.cancel = [this](const std::string&) {
      absl::MutexLock lock(&mu_);
      ++cancels_;
      return absl::OkStatus();
    };
    return reconcilers::SubmitTestRun(ctx, clock_, covered, absl::Hours(1), backend);
  }
  absl::StatusOr<reconcilers::RunPoll> PollRun(reconcilers::Context& ctx) override {
    reconcilers::RunBackend backend;
    backend.noun = "fake run";
    backend.cancel = [](const std::string&) { return absl::OkStatus(); };
    backend.check = [this](const reconcilers::PendingRun& pending)
        -> absl::StatusOr<std::optional<envctl::v1::RunRecord>> {
      absl::MutexLock lock(&mu_);
      ++polls_;
      if (run_length_ > absl::ZeroDuration() ? clock_.Now() - pending.submitted < run_length_
                                             : polls_ < polls_to_finish_) {
        return std::optional<envctl::v1::RunRecord>();
      }
      envctl::v1::RunRecord rec;
      rec.set_result(result_);
      if (result_ != envctl::v1::RUN_RESULT_SUCCEEDED)
        rec.set_message("assertion failed in cell 3");
      return std::optional<envctl::v1::RunRecord>(rec);
    };
    return reconcilers::PollTestRun(ctx, clock_, backend);
  }
  absl::Status Delete(reconcilers::Context&) override { return absl::OkStatus(); }

  // Runs end `length` of clock time after their submission.
  void FinishAfter(absl::Duration length) {
    absl::MutexLock lock(&mu_);
    run_length_ = length;
  }
  void Finish(int polls, envctl::v1::RunResult result) {
    absl::MutexLock lock(&mu_);
    polls_to_finish_ = polls;
    result_ = result;
  }
  int submits() {
    absl::MutexLock lock(&mu_);
    return submits_;
  }
  int polls() {
    absl::MutexLock lock(&mu_);
    return polls_;
  }
  int cancels() {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }

 private:
  Clock& clock_;
  absl::Mutex mu_;
  int submits_ ABSL_GUARDED_BY(mu_) = 0;
  int polls_ ABSL_GUARDED_BY(mu_) = 0;
  int cancels_ ABSL_GUARDED_BY(mu_) = 0;
  int polls_to_finish_ ABSL_GUARDED_BY(mu_) = 3;
  absl::Duration run_length_ ABSL_GUARDED_BY(mu_);
  envctl::v1::RunResult result_ ABSL_GUARDED_BY(mu_) = envctl::v1::RUN_RESULT_SUCCEEDED;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_CONTROLLER_FAKE_RUN_RECONCILER_H_
