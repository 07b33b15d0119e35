// FakeControllerApi: an in-memory ControllerApi for tests of the front ends (api/, cmd/).
// Environments are added by the test; every call is recorded; FailNext() makes the next
// call of a method return a chosen error; Publish() feeds every open WatchEvents
// subscription whose filter matches. Thread-safe (the gRPC server calls it from many
// threads); WaitForOpenSubscriptions() lets a test await a stream without sleeping.
#ifndef ENVCTL_TESTS_FAKES_FAKE_CONTROLLER_API_H_
#define ENVCTL_TESTS_FAKES_FAKE_CONTROLLER_API_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/controller_api.h"

// Local ASSIGN_OR_RETURN so the fake needs no include beyond the interface.
#define ASSIGN_OR_RETURN_FAKE_(lhs, expr)                     \
  auto envctl_fake_or_ = (expr);                              \
  if (!envctl_fake_or_.ok()) return envctl_fake_or_.status(); \
  lhs = *envctl_fake_or_

namespace envctl::testing {

class FakeControllerApi : public controller::ControllerApi {
 public:
  FakeControllerApi() : hub_(std::make_shared<Hub>()) {}

  // --- Test setup -------------------------------------------------------------------
  // Adds an environment (spec.name and status.name set) with the given integration tests.
  void AddEnvironment(const std::string& name, std::vector<std::string> tests = {}) {
    absl::MutexLock lock(&mu_);
    Env& env = envs_[name];
    env.response.mutable_spec()->set_name(name);
    env.response.mutable_status()->set_name(name);
    env.tests = std::move(tests);
  }
  // The next call of `method` ("Plan", "Sync", "GetEnvironment", ...) returns `status`.
  void FailNext(const std::string& method, absl::Status status) {
    absl::MutexLock lock(&mu_);
    fail_next_[method] = std::move(status);
  }
  void SetHealthy(bool healthy, std::string why = "") {
    absl::MutexLock lock(&mu_);
    healthy_ = healthy;
    why_ = std::move(why);
  }
  // Delivers `event` to every open subscription for its environment (or for all).
  void Publish(const envctl::v1::Event& event) {
    absl::MutexLock lock(&hub_->mu);
    for (auto& sub : hub_->subs) {
      if (!sub->closed && (sub->environment.empty() || sub->environment == event.environment())) {
        sub->queue.push_back(event);
      }
    }
  }
  // Waits until exactly `n` subscriptions are open; false after `timeout`.
  bool WaitForOpenSubscriptions(int n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&hub_->mu);
    auto count_is_n = [this, n]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(hub_->mu) { return hub_->open == n; };
    return hub_->mu.AwaitWithTimeout(absl::Condition(&count_is_n), timeout);
  }
  int subscriptions_total() {
    absl::MutexLock lock(&hub_->mu);
    return hub_->total;
  }

  // --- Recorded calls ---------------------------------------------------------------
  std::vector<envctl::v1::SyncRequest> sync_requests() {
    absl::MutexLock lock(&mu_);
    return sync_requests_;
  }
  std::vector<std::string> source_changes() {
    absl::MutexLock lock(&mu_);
    return source_changes_;
  }
  std::vector<std::string> cloud_changes() {
    absl::MutexLock lock(&mu_);
    return cloud_changes_;
  }
  // Per cloud change: its client request id and secret version, concatenated.
  std::vector<std::string> cloud_change_origins() {
    absl::MutexLock lock(&mu_);
    return cloud_change_origins_;
  }

  // --- ControllerApi ----------------------------------------------------------------
  envctl::v1::ListEnvironmentsResponse ListEnvironments() override {
    absl::MutexLock lock(&mu_);
    envctl::v1::ListEnvironmentsResponse out;
    for (const auto& [name, env] : envs_) {
      auto* s = out.add_environments();
      s->set_name(name);
      s->set_suspended(env.response.status().suspended());
      s->set_resources(env.response.status().resources_size());
    }
    return out;
  }
  absl::StatusOr<envctl::v1::GetEnvironmentResponse> GetEnvironment(
      const std::string& name) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("GetEnvironment"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(name));
    return env->response;
  }
  absl::StatusOr<envctl::v1::PlanResponse> Plan(const envctl::v1::PlanRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("Plan"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    (void)env;
    envctl::v1::PlanResponse out;
    out.set_environment(request.environment());
    out.set_revision("rev-1");
    auto* change = out.add_changes();
    change->set_resource("sa1");
    change->set_kind("StorageAccount");
    change->set_action(envctl::v1::CHANGE_ACTION_CREATE);
    out.set_in_sync(false);
    return out;
  }
  absl::StatusOr<envctl::v1::SyncResponse> Sync(const envctl::v1::SyncRequest& request) override {
    absl::MutexLock lock(&mu_);
    sync_requests_.push_back(request);
    if (absl::Status s = TakeFailure("Sync"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    if (env->response.status().suspended()) {
      return absl::FailedPreconditionError(
          absl::StrCat("environment ", request.environment(), " is suspended; Resume it first"));
    }
    envctl::v1::SyncResponse out;
    out.set_sync_id(absl::StrCat("sync-", ++next_id_));
    if (request.wait()) {
      *out.mutable_status() = env->response.status();
      out.set_converged(true);
    }
    return out;
  }
  absl::StatusOr<envctl::v1::SuspendResponse> Suspend(
      const envctl::v1::SuspendRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("Suspend"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    env->response.mutable_status()->set_suspended(true);
    envctl::v1::SuspendResponse out;
    *out.mutable_status() = env->response.status();
    return out;
  }
  absl::StatusOr<envctl::v1::ResumeResponse> Resume(
      const envctl::v1::ResumeRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("Resume"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    env->response.mutable_status()->set_suspended(false);
    envctl::v1::ResumeResponse out;
    *out.mutable_status() = env->response.status();
    return out;
  }
  absl::StatusOr<envctl::v1::RunIntegrationTestResponse> RunIntegrationTest(
      const envctl::v1::RunIntegrationTestRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("RunIntegrationTest"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    bool known = false;
    for (const auto& t : env->tests) known = known || t == request.test();
    if (!known) {
      return absl::NotFoundError(absl::StrCat("environment ", request.environment(),
                                              " has no integration test ", request.test()));
    }
    envctl::v1::RunRecord run;
    run.set_run_id(absl::StrCat("run-", ++next_id_));
    run.set_environment(request.environment());
    run.set_test(request.test());
    run.set_result(request.wait() ? envctl::v1::RUN_RESULT_SUCCEEDED
                                  : envctl::v1::RUN_RESULT_UNSPECIFIED);
    runs_[run.run_id()] = run;
    envctl::v1::RunIntegrationTestResponse out;
    *out.mutable_run() = run;
    return out;
  }
  absl::StatusOr<envctl::v1::GetRunResponse> GetRun(
      const envctl::v1::GetRunRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("GetRun"); !s.ok()) return s;
    auto it = runs_.find(request.run_id());
    if (it == runs_.end()) return absl::NotFoundError(absl::StrCat("no run ", request.run_id()));
    envctl::v1::GetRunResponse out;
    *out.mutable_run() = it->second;
    return out;
  }
  // Promotion: every call is recorded in promotion_requests(); the status is per environment.
  absl::StatusOr<envctl::v1::PromoteResponse> Promote(
      const envctl::v1::PromoteRequest& request) override {
    absl::MutexLock lock(&mu_);
    promotion_requests_.push_back(absl::StrCat("promote ", request.environment(), " ",
                                               request.revision(), " by ", request.requested_by()));
    if (absl::Status s = TakeFailure("Promote"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    auto* a = env->response.mutable_status()->mutable_promotion()->add_approvals();
    a->set_revision(request.revision());
    a->set_by(request.requested_by());
    envctl::v1::PromoteResponse out;
    *out.mutable_promotion() = env->response.status().promotion();
    return out;
  }
  absl::StatusOr<envctl::v1::RollbackResponse> Rollback(
      const envctl::v1::RollbackRequest& request) override {
    absl::MutexLock lock(&mu_);
    promotion_requests_.push_back(absl::StrCat("rollback ", request.environment(), " ",
                                               request.to_revision(), " by ",
                                               request.requested_by()));
    if (absl::Status s = TakeFailure("Rollback"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    auto* p = env->response.mutable_status()->mutable_promotion();
    p->set_pinned_revision(request.to_revision());
    p->set_pinned_by(request.requested_by());
    envctl::v1::RollbackResponse out;
    *out.mutable_promotion() = *p;
    return out;
  }
  absl::StatusOr<envctl::v1::UnpinResponse> Unpin(
      const envctl::v1::UnpinRequest& request) override {
    absl::MutexLock lock(&mu_);
    promotion_requests_.push_back(
        absl::StrCat("unpin ", request.environment(), " by ", request.requested_by()));
    if (absl::Status s = TakeFailure("Unpin"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    auto* p = env->response.mutable_status()->mutable_promotion();
    p->clear_pinned_revision();
    p->clear_pinned_by();
    envctl::v1::UnpinResponse out;
    *out.mutable_promotion() = *p;
    return out;
  }
  absl::StatusOr<envctl::v1::HistoryResponse> History(
      const envctl::v1::HistoryRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = TakeFailure("History"); !s.ok()) return s;
    ASSIGN_OR_RETURN_FAKE_(Env * env, Find(request.environment()));
    envctl::v1::HistoryResponse out;
    *out.mutable_promotion() = env->response.status().promotion();
    *out.mutable_revisions() = env->response.status().promotion().history();
    return out;
  }
  std::vector<std::string> promotion_requests() {
    absl::MutexLock lock(&mu_);
    return promotion_requests_;
  }
  std::unique_ptr<controller::EventSubscription> Subscribe(
      const std::string& environment) override {
    auto state = std::make_shared<SubState>();
    state->environment = environment;
    absl::MutexLock lock(&hub_->mu);
    hub_->subs.push_back(state);
    ++hub_->open;
    ++hub_->total;
    return std::make_unique<Subscription>(hub_, state);
  }
  bool Healthy(std::string* why) override {
    absl::MutexLock lock(&mu_);
    if (why != nullptr) *why = why_;
    return healthy_;
  }
  void OnSourceChanged(const std::string& reason) override {
    absl::MutexLock lock(&mu_);
    source_changes_.push_back(reason);
  }
  void OnCloudResourceChanged(const controller::CloudChange& change) override {
    absl::MutexLock lock(&mu_);
    cloud_changes_.push_back(change.resource_id);
    cloud_change_origins_.push_back(change.client_request_id + change.version);
  }

 private:
  struct Env {
    envctl::v1::GetEnvironmentResponse response;
    std::vector<std::string> tests;
  };
  struct SubState {
    std::string environment;
    std::deque<envctl::v1::Event> queue;
    bool closed = false;
  };
  struct Hub {
    absl::Mutex mu;
    std::vector<std::shared_ptr<SubState>> subs ABSL_GUARDED_BY(mu);
    int open ABSL_GUARDED_BY(mu) = 0;
    int total ABSL_GUARDED_BY(mu) = 0;
  };
  class Subscription : public controller::EventSubscription {
   public:
    Subscription(std::shared_ptr<Hub> hub, std::shared_ptr<SubState> state)
        : hub_(std::move(hub)), state_(std::move(state)) {}
    ~Subscription() override { Close(); }
    bool Next(envctl::v1::Event* event, absl::Duration timeout) override {
      absl::MutexLock lock(&hub_->mu);
      SubState* s = state_.get();
      auto ready = [s]() { return s->closed || !s->queue.empty(); };
      hub_->mu.AwaitWithTimeout(absl::Condition(&ready), timeout);
      if (s->closed || s->queue.empty()) return false;
      *event = std::move(s->queue.front());
      s->queue.pop_front();
      return true;
    }
    void Close() override {
      absl::MutexLock lock(&hub_->mu);
      if (state_->closed) return;
      state_->closed = true;
      --hub_->open;
      auto& subs = hub_->subs;
      for (auto it = subs.begin(); it != subs.end(); ++it) {
        if (*it == state_) {
          subs.erase(it);
          break;
        }
      }
    }

   private:
    std::shared_ptr<Hub> hub_;
    std::shared_ptr<SubState> state_;
  };

  absl::Status TakeFailure(const std::string& method) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = fail_next_.find(method);
    if (it == fail_next_.end()) return absl::OkStatus();
    absl::Status s = it->second;
    fail_next_.erase(it);
    return s;
  }
  absl::StatusOr<Env*> Find(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = envs_.find(name);
    if (it == envs_.end()) {
      return absl::NotFoundError(absl::StrCat("environment \"", name, "\" not found"));
    }
    return &it->second;
  }
  absl::Mutex mu_;
  std::map<std::string, Env> envs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> fail_next_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, envctl::v1::RunRecord> runs_ ABSL_GUARDED_BY(mu_);
  std::vector<envctl::v1::SyncRequest> sync_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> source_changes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> cloud_changes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> cloud_change_origins_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> promotion_requests_ ABSL_GUARDED_BY(mu_);
  bool healthy_ ABSL_GUARDED_BY(mu_) = true;
  std::string why_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<Hub> hub_;
};

}  // namespace envctl::testing

#undef ASSIGN_OR_RETURN_FAKE_

#endif  // ENVCTL_TESTS_FAKES_FAKE_CONTROLLER_API_H_
