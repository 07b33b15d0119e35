// Controller: the never-ending GitOps loop. It polls the source (Git or a folder, through
// a SourceLoader), queues every environment whose spec changed, and lets a few workers
// converge each queued environment with the Engine; after each sync the environment is
// queued again after its resync interval (level-triggered: events and webhooks only say
// "look now"), after a failure with per-environment backoff. It publishes events, keeps
// the metrics of DESIGN.md current and implements ControllerApi for gRPC, HTTP and
// `envctl up`. Thread-safe. Start() spawns the workers; Stop() (or the destructor) ends
// them after the syncs in flight finish.
//
// Where each job lives:
//   controller.cc               the scheduler: work queue, workers, source polling, syncs,
//                               resync, test-run polls, event-driven repair, events
//                               published
//   controller_promotion.cc     which revision each environment runs; downstream
//                               environments told when their upstream moved
//   controller_api_queries.cc   read-only RPCs (list, get, run, history), Subscribe, Healthy
//   controller_api_commands.cc  RPCs that queue work or change state (plan, sync,
//                               suspend/resume, test reruns, promote, rollback, unpin)
//   controller_metrics.{h,cc}   ControllerMetrics, the Prometheus recorder it owns
#ifndef ENVCTL_CONTROLLER_CONTROLLER_H_
#define ENVCTL_CONTROLLER_CONTROLLER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "controller/controller_api.h"
#include "controller/controller_metrics.h"
#include "controller/engine.h"
#include "controller/event_bus.h"
#include "controller/ownership.h"
#include "controller/recent_ids.h"
#include "controller/state_store.h"
#include "controller/work_queue.h"
#include "metrics/metrics.h"

namespace envctl::controller {

// What one look at the source yields: its revision and every environment it declares.
struct SourceState {
  std::string revision;
  std::vector<envctl::v1::Environment> environments;
};
// Fetches the source and loads it (spec errors included in the status, file:line first).
using SourceLoader = std::function<absl::StatusOr<SourceState>()>;
// Loads every environment of an earlier revision of the source (promotion runs different
// revisions per environment); NotFound for a revision the source does not know.
using RevisionLoader = std::function<absl::StatusOr<std::vector<envctl::v1::Environment>>(
    const std::string& revision)>;

struct ControllerOptions {
  // Environments synced at once. Syncs wait on the engine's shared executor, which bounds
  // cloud concurrency per service and per environment, and never on test runs; so this
  // is not the throughput ceiling it once was.
  int workers = 16;
  absl::Duration source_poll_interval = absl::Minutes(1);
  // Resync of environments whose spec sets no sync.resyncInterval.
  absl::Duration default_resync_interval = absl::Minutes(10);
  // Only these environments (empty: all the source declares).
  std::set<std::string> environments;
  WorkQueueOptions queue;
  // Specs of revisions older than the newest (unset: only revisions loaded since start).
  RevisionLoader revision_loader;
  // Which environments this replica may act on (etcd backend); null: all of them.
  EnvironmentOwnership* ownership = nullptr;
  // How often each environment's resources without cloud events (Databricks notebooks, jobs
  // and job permissions) get their cheap change look (Engine::ChangedSinceApply); what moved
  // is repaired at once instead of at the next resync. Zero: off.
  absl::Duration change_poll_interval = absl::Seconds(30);
  // With an ownership: how often the promotion status of each upstream that another
  // replica may own is read from the shared store (its owner queues downstream
  // environments only in its own process). The store's watch (StateStore::WatchChanges)
  // says it sooner; this look is what remains when a watch missed something.
  absl::Duration upstream_look_interval = absl::Seconds(10);
};

class Controller : public ControllerApi {
 public:
  Controller(Engine& engine, StateStore& store, Clock& clock, metrics::Metrics& metrics,
             SourceLoader loader, ControllerOptions options = {});
  ~Controller() override;

  // Queues the first look at the source and starts the workers.
  void Start();
  // Stops taking work and joins the workers (syncs in flight finish first).
  void Stop();
  // Loads the source now, on the calling thread (tests, and `envctl up` which already
  // converged). Same effect as a poll.
  absl::Status PollSourceNow();
  // Re-checks delayed work after a FakeClock moved (tests).
  void WakeForTest() { queue_.Wake(); }
  // Waits (bounded, real time) until the workers have taken and finished everything due
  // now; false on timeout.
  bool WaitIdleForTest(absl::Duration timeout) { return queue_.WaitIdleForTest(timeout); }
  std::string RevisionForTest();
  // Cloud events dropped as echoes of envctl's own writes.
  uint64_t EchoesDroppedForTest() {
    absl::MutexLock lock(&mu_);
    return echoes_dropped_;
  }

  // ControllerApi, read-only (controller_api_queries.cc).
  envctl::v1::ListEnvironmentsResponse ListEnvironments() override;
  absl::StatusOr<envctl::v1::GetEnvironmentResponse> GetEnvironment(
      const std::string& name) override;
  absl::StatusOr<envctl::v1::GetRunResponse> GetRun(
      const envctl::v1::GetRunRequest& request) override;
  absl::StatusOr<envctl::v1::HistoryResponse> History(
      const envctl::v1::HistoryRequest& request) override;
  std::unique_ptr<EventSubscription> Subscribe(const std::string& environment) override;
  bool Healthy(std::string* why) override;

  // ControllerApi, commands (controller_api_commands.cc).
  absl::StatusOr<envctl::v1::PlanResponse> Plan(const envctl::v1::PlanRequest& request) override;
  absl::StatusOr<envctl::v1::SyncResponse> Sync(const envctl::v1::SyncRequest& request) override;
  absl::StatusOr<envctl::v1::SuspendResponse> Suspend(
      const envctl::v1::SuspendRequest& request) override;
  absl::StatusOr<envctl::v1::ResumeResponse> Resume(
      const envctl::v1::ResumeRequest& request) override;
  absl::StatusOr<envctl::v1::RunIntegrationTestResponse> RunIntegrationTest(
      const envctl::v1::RunIntegrationTestRequest& request) override;
  absl::StatusOr<envctl::v1::PromoteResponse> Promote(
      const envctl::v1::PromoteRequest& request) override;
  absl::StatusOr<envctl::v1::RollbackResponse> Rollback(
      const envctl::v1::RollbackRequest& request) override;
  absl::StatusOr<envctl::v1::UnpinResponse> Unpin(const envctl::v1::UnpinRequest& request) override;

  // ControllerApi, triggers: "look now" (controller.cc).
  void OnSourceChanged(const std::string& reason) override;
  void OnCloudResourceChanged(const CloudChange& change) override;

  // The shared store says the state of `upstream` was saved, maybe by another replica:
  // when its promotion status (revision, verified revision, verification) changed since
  // last seen here, the environments promoted from it that this replica owns are queued
  // (a sync re-decides their revision from that status). Cheap for any other environment.
  void OnUpstreamChanged(const std::string& upstream);

 private:
  // A caller of Sync/RunIntegrationTest waiting for the outcome.
  struct SyncWaiter {
    absl::Notification done;
    envctl::v1::SyncResponse response;
    envctl::v1::RunRecord run;  // for RunIntegrationTest
  };
  struct PendingSync {
    std::string sync_id;
    bool allow_mass_prune = false;
    bool override_windows = false;
    std::string rerun_test;  // RunIntegrationTest
    std::shared_ptr<SyncWaiter> waiter;
  };
  struct Entry {
    // The spec of the revision the environment runs (promotion decides which).
    envctl::v1::Environment spec;
    // The spec at the newest revision of the source: its promotion rules apply.
    envctl::v1::Environment latest;
    bool suspended = false;  // by Suspend(), persisted in the status
    std::string suspend_reason;
    std::vector<PendingSync> pending;
    // False once the environment left the source (kept so in-flight syncs stay valid).
    bool declared = true;
    std::unique_ptr<absl::Mutex> run_mu =
        std::make_unique<absl::Mutex>();  // one Plan/Apply at a time
    // Resources named by cloud events, repaired by the next SyncTargets.
    std::set<std::string> targets;
  };

  void WorkerLoop();
  // True when this replica may sync `name` (always without an ownership).
  bool Owns(const std::string& name);
  // Whether a sync, repair or run poll of `name` holds its run lock now.
  bool Busy(const std::string& name);
  void SyncEnvironment(const std::string& name);
  // Looks at the environment's test runs in progress; schedules the next look.
  void PollRuns(const std::string& name);
  // Reconciles only the resources cloud events named (event-driven drift repair).
  void SyncTargets(const std::string& name);
  // The change look of `name` (options_.change_poll_interval): queues what moved as targets.
  void PollChanges(const std::string& name);
  // Adds `resources` of environment `name` to its targets; true when a targeted sync must
  // be queued. A change that does not say who made it (`attributed` false: no client
  // request id) to a resource being reconciled now is decided when that reconcile ends
  // (`version`: the Key Vault secret version the event announced, or "").
  bool AddTargetsLocked(const std::string& name, const std::set<std::string>& resources,
                        bool attributed, const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A reconcile of `resource` ended with events deferred for it: each is dropped when the
  // reconcile wrote the very version it announced, else the resource is looked at again.
  void DecideDeferred(const std::string& env, const std::string& resource, bool wrote,
                      const std::vector<std::string>& versions);
  // Queues a sync for a Sync/RunIntegrationTest caller (controller_api_commands.cc).
  absl::StatusOr<std::shared_ptr<SyncWaiter>> QueueSync(const std::string& environment,
                                                        PendingSync pending);
  void PublishOutcome(const std::string& env, const std::string& sync_id, Phase phase,
                      const ResourceOutcome& o);
  void Publish(envctl::v1::EventType type, const std::string& env, const std::string& resource,
               const std::string& message, const std::string& correlation_id,
               absl::Duration duration = absl::ZeroDuration());
  // Saves a suspension made through the API (controller_api_commands.cc).
  absl::Status PersistSuspended(const std::string& name, bool suspended, const std::string& reason);
  // Promotion (controller_promotion.cc).
  // Decides (promotion) the revision `name` runs, persists the decision and sets `spec` to
  // that revision's spec. False when the environment has no revision to run yet.
  // Called with the environment's run_mu held.
  // `override_windows`: a manual sync that may write whatever the sync windows say;
  // `*writes_allowed` is false while a window forbids writes (then only plan).
  absl::StatusOr<bool> ResolveRevision(const std::string& name, bool override_windows,
                                       envctl::v1::Environment* spec, bool* writes_allowed,
                                       std::string* window_reason);
  // Records what the state now says about the revision `spec` runs; queues the
  // environments promoted from `name` when that changed. Called with run_mu held.
  void RecordRevisionFacts(const std::string& name, const envctl::v1::Environment& spec);
  void QueueDownstream(const std::string& name);
  // The spec of environment `name` at `revision` (cache, else the revision loader).
  absl::StatusOr<envctl::v1::Environment> SpecAt(const std::string& name,
                                                 const std::string& revision);
  // Applies `change` to the promotion status of `name` under its run lock and saves it
  // (controller_api_commands.cc).
  absl::StatusOr<envctl::v1::PromotionStatus> ChangePromotion(
      const std::string& name,
      const std::function<absl::Status(envctl::v1::PromotionStatus*)>& change);
  // The environment's resync interval with a fixed per-environment jitter of +-10 %.
  absl::Duration ResyncOf(const envctl::v1::Environment& env) const;
  // Every upstream with a downstream environment this replica owns gets OnUpstreamChanged
  // (the periodic look behind the store's watch, with an ownership only).
  void LookAtUpstreams();

  Engine& engine_;
  StateStore& store_;
  Clock& clock_;
  ControllerMetrics metrics_;
  SourceLoader loader_;
  const ControllerOptions options_;
  WorkQueue queue_;
  EventBus events_;

  absl::Mutex mu_;
  std::map<std::string, Entry> envs_ ABSL_GUARDED_BY(mu_);
  std::string revision_ ABSL_GUARDED_BY(mu_);
  absl::Status source_status_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("source not loaded yet");
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_sync_ ABSL_GUARDED_BY(mu_) = 0;
  // Specs per revision and environment, newest revisions kept (bounded).
  std::map<std::string, std::map<std::string, envctl::v1::Environment>> specs_by_revision_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::string> revision_order_ ABSL_GUARDED_BY(mu_);       // oldest first
  std::map<std::string, absl::Time> drift_seen_ ABSL_GUARDED_BY(mu_);  // env/resource -> first seen
  // The sync ids of this process's syncs (sent as x-ms-client-request-id): an ARM event
  // carrying one is the echo of envctl's own write.
  RecentIds own_ids_;
  // "env/resource" being reconciled now.
  std::set<std::string> reconciling_ ABSL_GUARDED_BY(mu_);
  uint64_t echoes_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Upstream -> its promotion status as last seen by OnUpstreamChanged.
  std::map<std::string, std::string> upstream_seen_ ABSL_GUARDED_BY(mu_);
  // The store's watch feeding OnUpstreamChanged (with an ownership; null without one).
  std::unique_ptr<KvWatch> state_watch_;
  // Unattributed changes that arrived while their resource was being reconciled, decided
  // at its end: "env/resource" -> the secret versions they announced ("" for none).
  std::map<std::string, std::vector<std::string>> deferred_events_ ABSL_GUARDED_BY(mu_);
  // RunIntegrationTest callers waiting for a run in progress, by "env/test".
  std::map<std::string, std::vector<std::shared_ptr<SyncWaiter>>> run_waiters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_CONTROLLER_H_
