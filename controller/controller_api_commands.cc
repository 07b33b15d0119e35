// The commanding half of Controller's ControllerApi: RPCs that queue a sync or change
// what the scheduler does (plan, sync, suspend/resume, test reruns, promote, rollback,
// unpin). Each validates the request against the controller's view, takes the
// environment's run lock where a sync in flight must not overwrite its change, and hands
// the work to the queue (controller.cc runs it).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/changes.h"
#include "controller/controller.h"
#include "controller/internal/controller_shared.h"
#include "controller/promotion.h"
#include "controller/status_builder.h"
#include "spec/kinds.h"

namespace envctl::controller {

using envctl::v1::Environment;
using internal::IsTestKind;
using internal::kEnvPrefix;
using internal::kSuspendedCondition;

absl::StatusOr<envctl::v1::PlanResponse> Controller::Plan(const envctl::v1::PlanRequest& request) {
  Environment spec;
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(request.environment());
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
    }
    spec = it->second.spec;
    run_mu = it->second.run_mu.get();
  }
  absl::StatusOr<EngineResult> result;
  {
    absl::MutexLock run_lock(run_mu);
    result = engine_.Plan(spec);
  }
  if (!result.ok()) return result.status();
  envctl::v1::PlanResponse out;
  out.set_environment(spec.name());
  out.set_revision(spec.revision());
  for (const ResourceOutcome& o : result->resources) {
    if (o.action != reconcilers::Action::kNone || o.reported_only || !o.status.ok()) {
      *out.add_changes() = ToResourceChange(o);
    }
  }
  for (const ResourceOutcome& o : result->prunes) *out.add_changes() = ToResourceChange(o);
  out.set_in_sync(result->InSync());
  return out;
}

absl::StatusOr<std::shared_ptr<Controller::SyncWaiter>> Controller::QueueSync(
    const std::string& environment, PendingSync pending) {
  auto waiter = std::make_shared<SyncWaiter>();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the controller is shutting down");
    auto it = envs_.find(environment);
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", environment, "\""));
    }
    if (it->second.suspended || it->second.spec.sync().suspended()) {
      return absl::FailedPreconditionError(
          absl::StrCat("environment \"", environment, "\" is suspended; resume it first"));
    }
    pending.sync_id = absl::StrCat(environment, "-", ++next_sync_);
    pending.waiter = waiter;
    waiter->response.set_sync_id(pending.sync_id);
    it->second.pending.push_back(std::move(pending));
  }
  queue_.Add(kEnvPrefix + environment);
  return waiter;
}

absl::StatusOr<envctl::v1::SyncResponse> Controller::Sync(const envctl::v1::SyncRequest& request) {
  PendingSync pending;
  pending.allow_mass_prune = request.allow_mass_prune();
  pending.override_windows = request.override_windows();
  ASSIGN_OR_RETURN(std::shared_ptr<SyncWaiter> waiter,
                   QueueSync(request.environment(), std::move(pending)));
  if (!request.wait()) return waiter->response;
  absl::Duration timeout = absl::Minutes(10);
  if (request.has_timeout()) {
    timeout =
        absl::Seconds(request.timeout().seconds()) + absl::Nanoseconds(request.timeout().nanos());
  }
  if (!waiter->done.WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("sync ", waiter->response.sync_id(),
                                                    " still running after ",
                                                    absl::FormatDuration(timeout), "; it goes on"));
  }
  return waiter->response;
}

absl::Status Controller::PersistSuspended(const std::string& name, bool suspended,
                                          const std::string& reason) {
  ASSIGN_OR_RETURN(envctl::v1::EnvironmentState state, store_.Load(name));
  state.set_environment(name);
  envctl::v1::EnvironmentStatus* status = state.mutable_status();
  status->set_name(name);
  status->set_suspended(suspended);
  const absl::Time now = clock_.Now();
  SetCondition(status, kSuspendedCondition, suspended, suspended ? "SuspendedByApi" : "Resumed",
               reason, now);
  if (suspended) SetCondition(status, "Ready", false, "Suspended", reason, now);
  return store_.Save(state);
}

absl::StatusOr<envctl::v1::SuspendResponse> Controller::Suspend(
    const envctl::v1::SuspendRequest& request) {
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(request.environment());
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
    }
    it->second.suspended = true;
    it->second.suspend_reason = request.reason();
    run_mu = it->second.run_mu.get();
  }
  {
    // Waits for a sync in flight: its status must not overwrite the suspension.
    absl::MutexLock run_lock(run_mu);
    RETURN_IF_ERROR(PersistSuspended(request.environment(), true, request.reason()));
  }
  ASSIGN_OR_RETURN(envctl::v1::GetEnvironmentResponse env, GetEnvironment(request.environment()));
  envctl::v1::SuspendResponse out;
  *out.mutable_status() = env.status();
  return out;
}

absl::StatusOr<envctl::v1::ResumeResponse> Controller::Resume(
    const envctl::v1::ResumeRequest& request) {
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(request.environment());
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
    }
    it->second.suspended = false;
    it->second.suspend_reason.clear();
    run_mu = it->second.run_mu.get();
  }
  {
    absl::MutexLock run_lock(run_mu);
    RETURN_IF_ERROR(PersistSuspended(request.environment(), false, ""));
  }
  queue_.Add(kEnvPrefix + request.environment());
  ASSIGN_OR_RETURN(envctl::v1::GetEnvironmentResponse env, GetEnvironment(request.environment()));
  envctl::v1::ResumeResponse out;
  *out.mutable_status() = env.status();
  return out;
}

absl::StatusOr<envctl::v1::RunIntegrationTestResponse> Controller::RunIntegrationTest(
    const envctl::v1::RunIntegrationTestRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(request.environment());
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
    }
    const auto& resources = it->second.spec.resources();
    auto test =
        std::find_if(resources.begin(), resources.end(),
                     [&](const envctl::v1::Resource& r) { return r.name() == request.test(); });
    if (test == resources.end() || !IsTestKind(*test) || !spec::IsEnabled(*test)) {
      return absl::NotFoundError(absl::StrCat(
          "environment \"", request.environment(),
          "\" has no enabled IntegrationTest or PipelineRunTest \"", request.test(), "\""));
    }
  }
  PendingSync pending;
  pending.rerun_test = request.test();
  ASSIGN_OR_RETURN(std::shared_ptr<SyncWaiter> waiter,
                   QueueSync(request.environment(), std::move(pending)));
  envctl::v1::RunIntegrationTestResponse out;
  if (!request.wait()) {
    envctl::v1::RunRecord* run = out.mutable_run();
    run->set_environment(request.environment());
    run->set_test(request.test());
    run->set_result(envctl::v1::RUN_RESULT_PENDING);
    return out;
  }
  waiter->done.WaitForNotification();
  if (waiter->run.result() == envctl::v1::RUN_RESULT_UNSPECIFIED) {
    return absl::AbortedError(
        absl::StrCat("the sync ", waiter->response.sync_id(), " did not run \"", request.test(),
                     "\" (a dependency failed or the environment was suspended)"));
  }
  *out.mutable_run() = waiter->run;
  return out;
}

absl::StatusOr<envctl::v1::PromotionStatus> Controller::ChangePromotion(
    const std::string& name,
    const std::function<absl::Status(envctl::v1::PromotionStatus*)>& change) {
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end() || !it->second.declared) {
      return absl::NotFoundError(absl::StrCat("no environment \"", name, "\""));
    }
    run_mu = it->second.run_mu.get();
  }
  envctl::v1::PromotionStatus out;
  {
    // A sync in flight must not overwrite the change with the state it loaded before.
    absl::MutexLock run_lock(run_mu);
    ASSIGN_OR_RETURN(envctl::v1::EnvironmentState state, store_.Load(name));
    state.set_environment(name);
    state.mutable_status()->set_name(name);
    RETURN_IF_ERROR(change(state.mutable_status()->mutable_promotion()));
    out = state.status().promotion();
    metrics_.SetPromotion(name, out);
    RETURN_IF_ERROR(store_.Save(state));
  }
  queue_.Add(kEnvPrefix + name);
  return out;
}

namespace {
std::string Who(const std::string& requested_by) {
  return requested_by.empty() ? "an API client" : requested_by;
}
}  // namespace

absl::StatusOr<envctl::v1::PromoteResponse> Controller::Promote(
    const envctl::v1::PromoteRequest& request) {
  const std::string who = Who(request.requested_by());
  ASSIGN_OR_RETURN(envctl::v1::PromotionStatus promotion,
                   ChangePromotion(request.environment(), [&](envctl::v1::PromotionStatus* p) {
                     std::string revision = request.revision();
                     if (revision.empty()) revision = p->pending_revision();
                     if (revision.empty()) {
                       return absl::FailedPreconditionError(
                           absl::StrCat("environment \"", request.environment(),
                                        "\" has no pending revision; name one with --revision"));
                     }
                     return Approve(revision, who, clock_.Now(), p);
                   }));
  Publish(envctl::v1::EVENT_TYPE_SOURCE_CHANGED, request.environment(), "",
          absl::StrCat("promotion approved by ", who), request.revision());
  envctl::v1::PromoteResponse out;
  *out.mutable_promotion() = promotion;
  return out;
}

absl::StatusOr<envctl::v1::RollbackResponse> Controller::Rollback(
    const envctl::v1::RollbackRequest& request) {
  const std::string who = Who(request.requested_by());
  if (request.to_revision().empty()) {
    return absl::InvalidArgumentError("rollback needs the revision to go back to (--to)");
  }
  {
    absl::MutexLock lock(&mu_);
    if (!envs_.count(request.environment()))
      return absl::NotFoundError(absl::StrCat("no environment \"", request.environment(), "\""));
  }
  // Refuse a revision nobody can load, before pinning the environment to it.
  absl::StatusOr<Environment> spec = SpecAt(request.environment(), request.to_revision());
  if (!spec.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot roll back ", request.environment(),
                                                      " to ", request.to_revision(), ": ",
                                                      spec.status().message()));
  }
  ASSIGN_OR_RETURN(envctl::v1::PromotionStatus promotion,
                   ChangePromotion(request.environment(), [&](envctl::v1::PromotionStatus* p) {
                     Pin(request.to_revision(), who, p);
                     return absl::OkStatus();
                   }));
  Publish(envctl::v1::EVENT_TYPE_SOURCE_CHANGED, request.environment(), "",
          absl::StrCat("pinned to ", request.to_revision(), " by ", who), request.to_revision());
  envctl::v1::RollbackResponse out;
  *out.mutable_promotion() = promotion;
  return out;
}

absl::StatusOr<envctl::v1::UnpinResponse> Controller::Unpin(
    const envctl::v1::UnpinRequest& request) {
  const std::string who = Who(request.requested_by());
  ASSIGN_OR_RETURN(envctl::v1::PromotionStatus promotion,
                   ChangePromotion(request.environment(), [&](envctl::v1::PromotionStatus* p) {
                     controller::Unpin(p);
                     return absl::OkStatus();
                   }));
  Publish(envctl::v1::EVENT_TYPE_SOURCE_CHANGED, request.environment(), "",
          absl::StrCat("unpinned by ", who), "");
  envctl::v1::UnpinResponse out;
  *out.mutable_promotion() = promotion;
  return out;
}

}  // namespace envctl::controller
