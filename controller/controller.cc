#include "controller/controller.h"

#include <algorithm>
#include <functional>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "controller/changes.h"
#include "controller/engine_log.h"
#include "controller/internal/controller_shared.h"
#include "controller/sync_window.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "reconcilers/runs/run_support.h"

namespace envctl::controller {

namespace {

using envctl::v1::Environment;
using envctl::v1::EventType;
using internal::FindCondition;
using internal::IsTrue;
using internal::kChangesPrefix;
using internal::kEnvPrefix;
using internal::kRunsPrefix;
using internal::kSourceKey;
using internal::kSuspendedCondition;
using internal::kTargetsPrefix;
using internal::kUpstreamsKey;

// Revisions whose specs stay in memory (older ones are reloaded through the loader).
constexpr size_t kCachedRevisions = 16;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool SameSpec(const Environment& a, const Environment& b) {
  Environment x = a, y = b;
  x.clear_revision();
  y.clear_revision();
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

// The managed resources a cloud event names. A write names the resource whose id is the
// event's id or its closest parent (a container's write names its storage account, a
// pipeline's its factory; never the resource group around them, nor the resources
// inside the one written). A delete also names everything inside what was deleted. Only
// when no id is the event's or a parent of it do ids under it count (a KeyVaultSecret
// records its versioned id, the event names the secret).
std::vector<const envctl::v1::ManagedResource*> NamedBy(const envctl::v1::EnvironmentState& state,
                                                        const CloudChange& change) {
  const std::string id = absl::AsciiStrToLower(change.resource_id);
  std::vector<const envctl::v1::ManagedResource*> parents, inside;
  size_t closest = 0;
  if (id.empty()) return {};
  for (const auto& m : state.inventory()) {
    if (m.external_id().empty()) continue;
    const std::string ext = absl::AsciiStrToLower(m.external_id());
    if (id == ext || absl::StartsWith(id, ext + "/")) {
      if (change.deleted) {
        parents.push_back(&m);
      } else if (ext.size() >= closest) {
        if (ext.size() > closest) parents.clear();
        closest = ext.size();
        parents.push_back(&m);
      }
    } else if (absl::StartsWith(ext, id + "/")) {
      inside.push_back(&m);
    }
  }
  if (change.deleted || parents.empty())
    parents.insert(parents.end(), inside.begin(), inside.end());
  return parents;
}

// The secret version envctl recorded writing for a KeyVaultSecret ("" for other kinds):
// its memory's "version", else the last segment of its versioned id.
std::string RecordedVersion(const envctl::v1::ManagedResource& m) {
  if (!m.memory_json().empty()) {
    nlohmann::json memory =
        nlohmann::json::parse(m.memory_json(), nullptr, /*allow_exceptions=*/false);
    if (memory.is_object() && memory.contains("version") && memory["version"].is_string())
      return memory["version"].get<std::string>();
  }
  const size_t at = m.external_id().find("/secrets/");
  if (at == std::string::npos) return "";
  const size_t name_end = m.external_id().find('/', at + 9);
  return name_end == std::string::npos ? "" : m.external_id().substr(name_end + 1);
}

}  // namespace

Controller::Controller(Engine& engine, StateStore& store, Clock& clock, metrics::Metrics& metrics,
                       SourceLoader loader, ControllerOptions options)
    : engine_(engine),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      loader_(std::move(loader)),
      options_(std::move(options)),
      queue_(clock, &metrics, options_.queue),
      own_ids_(clock) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  if (options_.ownership != nullptr) {
    // An environment this replica just took over is looked at now: a sync resumes runs
    // its predecessor submitted (their records are in the shared state).
    options_.ownership->SetOnAcquired([this](const std::string& name) {
      // The previous owner may have suspended or resumed it: the shared state says.
      if (absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name); state.ok()) {
        const envctl::v1::Condition* c = FindCondition(state->status(), kSuspendedCondition);
        absl::MutexLock lock(&mu_);
        if (auto it = envs_.find(name); it != envs_.end()) {
          it->second.suspended = IsTrue(c);
          it->second.suspend_reason = IsTrue(c) ? c->message() : "";
        }
      }
      queue_.Forget(kEnvPrefix + name);
      queue_.Add(kEnvPrefix + name);
    });
    options_.ownership->SetBusy([this](const std::string& name) { return Busy(name); });
    // Promotion across replicas: the owner of an upstream queues its downstream
    // environments only here, so this replica hears of upstream changes from the store.
    state_watch_ =
        store_.WatchChanges([this](const std::string& name) { OnUpstreamChanged(name); });
    if (options_.upstream_look_interval > absl::ZeroDuration()) {
      queue_.AddAfter(kUpstreamsKey, options_.upstream_look_interval);
    }
  }
  // The first look at the source happens here so the environments are known when Start
  // returns; a failure is retried at the next poll (Healthy() says why meanwhile).
  PollSourceNow().IgnoreError();
  queue_.AddAfter(kSourceKey, options_.source_poll_interval);
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    workers_.emplace_back([this] { WorkerLoop(); });
}

void Controller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  state_watch_.reset();  // returns once no notice is being handled
  queue_.ShutDown();
  for (auto& t : workers_) t.join();
  workers_.clear();
  // Nobody will run what is still pending: release its waiters.
  absl::MutexLock lock(&mu_);
  for (auto& [name, entry] : envs_) {
    for (auto& p : entry.pending) p.waiter->done.Notify();
    entry.pending.clear();
  }
  for (auto& [test, waiters] : run_waiters_) {
    for (auto& w : waiters) w->done.Notify();
  }
  run_waiters_.clear();
}

bool Controller::Owns(const std::string& name) {
  return options_.ownership == nullptr || options_.ownership->Owns(name);
}

bool Controller::Busy(const std::string& name) {
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end()) return false;
    run_mu = it->second.run_mu.get();
  }
  if (!run_mu->TryLock()) return true;
  run_mu->Unlock();
  return false;
}

void Controller::WorkerLoop() {
  while (true) {
    std::string key;
    if (!queue_.Get(&key, absl::Seconds(1))) {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      continue;
    }
    if (key == kSourceKey) {
      absl::Status s = PollSourceNow();
      queue_.Done(key);
      queue_.AddAfter(kSourceKey, options_.source_poll_interval);
    } else if (key == kUpstreamsKey) {
      LookAtUpstreams();
      queue_.Done(key);
      queue_.AddAfter(kUpstreamsKey, options_.upstream_look_interval);
    } else if (absl::StartsWith(key, kEnvPrefix)) {
      SyncEnvironment(key.substr(sizeof(kEnvPrefix) - 1));
      queue_.Done(key);
    } else if (absl::StartsWith(key, kTargetsPrefix)) {
      SyncTargets(key.substr(sizeof(kTargetsPrefix) - 1));
      queue_.Done(key);
    } else if (absl::StartsWith(key, kRunsPrefix)) {
      PollRuns(key.substr(sizeof(kRunsPrefix) - 1));
      queue_.Done(key);
    } else if (absl::StartsWith(key, kChangesPrefix)) {
      PollChanges(key.substr(sizeof(kChangesPrefix) - 1));
      queue_.Done(key);
      if (options_.change_poll_interval > absl::ZeroDuration()) {
        queue_.AddAfter(key, options_.change_poll_interval);
      }
    } else {
      queue_.Done(key);
    }
  }
}

absl::Status Controller::PollSourceNow() {
  absl::StatusOr<SourceState> loaded = loader_();
  std::vector<std::string> changed;
  std::string revision;
  std::set<std::string> seen;
  {
    absl::MutexLock lock(&mu_);
    if (!loaded.ok()) {
      // Logged once per distinct error, not on every poll.
      if (loaded.status() != source_status_) log::Error("source_error").Error(loaded.status());
      source_status_ = loaded.status();
      return loaded.status();
    }
    source_status_ = absl::OkStatus();
    revision = loaded->revision;
    const bool new_revision = revision != revision_;
    if (new_revision) {
      log::Info("source_revision").Str("revision", revision).Str("previous", revision_);
    }
    revision_ = revision;
    // With promotion rules every environment re-decides its revision on a new one (an
    // unchanged environment still moves to it, so downstream ones can follow).
    bool promotion_rules = false;
    auto& cached = specs_by_revision_[revision];
    if (std::find(revision_order_.begin(), revision_order_.end(), revision) ==
        revision_order_.end())
      revision_order_.push_back(revision);
    for (Environment& env : loaded->environments) {
      env.set_revision(revision);
      cached[env.name()] = env;
      promotion_rules |= !env.promotion().from().empty() || env.promotion().require_approval();
    }
    while (revision_order_.size() > kCachedRevisions) {
      specs_by_revision_.erase(revision_order_.front());
      revision_order_.erase(revision_order_.begin());
    }
    for (Environment& env : loaded->environments) {
      if (!options_.environments.empty() && !options_.environments.count(env.name())) continue;
      seen.insert(env.name());
      auto it = envs_.find(env.name());
      if (it == envs_.end()) {
        Entry entry;
        entry.spec = env;
        entry.latest = env;
        // A suspension made through the API survives restarts.
        absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(env.name());
        if (state.ok()) {
          const envctl::v1::Condition* c = FindCondition(state->status(), kSuspendedCondition);
          if (IsTrue(c)) {
            entry.suspended = true;
            entry.suspend_reason = c->message();
          }
        }
        metrics_.InitEnvironment(env, state.ok() ? &*state : nullptr);
        envs_.emplace(env.name(), std::move(entry));
        changed.push_back(env.name());
        if (options_.change_poll_interval > absl::ZeroDuration()) {
          queue_.AddAfter(kChangesPrefix + env.name(), options_.change_poll_interval);
        }
      } else if (!SameSpec(it->second.latest, env) || !it->second.declared) {
        metrics_.InitEnvironment(env, nullptr);
        // Promotion decides what a rule-bound environment runs; the others run the newest.
        if (env.promotion().from().empty()) it->second.spec = env;
        it->second.latest = env;
        it->second.declared = true;
        changed.push_back(env.name());
      } else {
        it->second.latest.set_revision(revision);
        if (env.promotion().from().empty() && !promotion_rules) {
          // Same content at the newest revision: it runs that revision without a sync.
          it->second.spec.set_revision(revision);
          if (new_revision) metrics_.SetRevision(env.name(), revision);
        }
        if (new_revision && promotion_rules) changed.push_back(env.name());
      }
    }
    // An environment that left the repo is no longer synced; its resources stay.
    for (auto& [name, entry] : envs_) {
      if (!seen.count(name)) entry.declared = false;
    }
  }
  if (options_.ownership != nullptr) {
    options_.ownership->SetEnvironments(std::vector<std::string>(seen.begin(), seen.end()));
  }
  for (const std::string& name : changed) {
    Publish(envctl::v1::EVENT_TYPE_SOURCE_CHANGED, name, "", absl::StrCat("revision ", revision),
            revision);
    queue_.Add(kEnvPrefix + name);
  }
  return absl::OkStatus();
}

absl::Duration Controller::ResyncOf(const Environment& env) const {
  absl::Duration resync = options_.default_resync_interval;
  if (env.sync().has_resync_interval()) {
    const auto& d = env.sync().resync_interval();
    absl::Duration declared = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
    if (declared > absl::ZeroDuration()) resync = declared;
  }
  // +-10 % jitter, fixed per environment, so many environments do not resync in lockstep.
  const uint64_t h = std::hash<std::string>()(env.name());
  const double jitter = (static_cast<double>(h % 2001) / 1000.0 - 1.0) * 0.1;
  return resync * (1.0 + jitter);
}

void Controller::SyncEnvironment(const std::string& name) {
  // Another replica owns it; this one is told (and queues it) if it ever acquires it.
  if (!Owns(name)) return;
  Environment spec;
  std::vector<PendingSync> pending;
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end() || !it->second.declared) return;
    Entry& entry = it->second;
    if (entry.suspended || entry.spec.sync().suspended()) {
      for (auto& p : entry.pending) {
        p.waiter->response.set_sync_id(p.sync_id);
        p.waiter->done.Notify();
      }
      entry.pending.clear();
      return;
    }
    spec = entry.spec;
    pending.swap(entry.pending);
    run_mu = entry.run_mu.get();
  }
  std::string sync_id;
  EngineOptions options;
  bool override_windows = false;
  for (const PendingSync& p : pending) {
    options.allow_mass_prune |= p.allow_mass_prune;
    override_windows |= p.override_windows;
    if (!p.rerun_test.empty()) options.rerun_tests.insert(p.rerun_test);
    if (sync_id.empty()) sync_id = p.sync_id;
  }
  if (sync_id.empty()) {
    absl::MutexLock lock(&mu_);
    sync_id = absl::StrCat(name, "-", ++next_sync_);
  }
  // The events of this sync's writes carry its id: they are echoes (OnCloudResourceChanged).
  own_ids_.Begin(sync_id);
  absl::Cleanup end_id = [&] { own_ids_.End(sync_id); };
  options.on_progress = [&](Phase phase, const ResourceOutcome& o) {
    PublishOutcome(name, sync_id, phase, o);
  };
  // A submitted test run is polled on its own schedule (PollRuns), never waited for here.
  options.wait_for_runs = false;
  options.sync_id = sync_id;

  absl::StatusOr<bool> has_revision;
  bool writes_allowed = true;
  std::string window_reason;
  {
    absl::MutexLock run_lock(run_mu);
    has_revision = ResolveRevision(name, override_windows, &spec, &writes_allowed, &window_reason);
  }
  if (has_revision.ok() && !*has_revision) {
    // Nothing promoted here yet: nothing to write. An upstream change queues it again.
    queue_.Forget(kEnvPrefix + name);
    queue_.AddAfter(kEnvPrefix + name, ResyncOf(spec));
    for (PendingSync& p : pending) {
      p.waiter->response.set_sync_id(p.sync_id);
      if (absl::StatusOr<envctl::v1::EnvironmentState> st = store_.Load(name); st.ok())
        *p.waiter->response.mutable_status() = st->status();
      p.waiter->done.Notify();
    }
    return;
  }

  Publish(envctl::v1::EVENT_TYPE_SYNC_STARTED, name, "", absl::StrCat("revision ", spec.revision()),
          sync_id);
  log::Info("sync_start")
      .Str("environment", name)
      .Str("sync_id", sync_id)
      .Str("revision", spec.revision());
  const absl::Time start = clock_.Now();
  absl::StatusOr<EngineResult> result;
  if (!has_revision.ok()) {
    result = has_revision.status();
  } else if (!writes_allowed) {
    // A closed sync window: plan only (drift is still reported), nothing is written.
    {
      absl::MutexLock run_lock(run_mu);
      result = engine_.Plan(spec, options);
    }
    queue_.Forget(kEnvPrefix + name);
    queue_.AddAfter(kEnvPrefix + name, ResyncOf(spec));
    Publish(envctl::v1::EVENT_TYPE_SYNC_FINISHED, name, "",
            absl::StrCat("plan only: ", window_reason,
                         result.ok() ? (result->InSync() ? "; in sync" : "; changes pending") : ""),
            sync_id, clock_.Now() - start);
    for (PendingSync& p : pending) {
      p.waiter->response.set_sync_id(p.sync_id);
      if (absl::StatusOr<envctl::v1::EnvironmentState> st = store_.Load(name); st.ok())
        *p.waiter->response.mutable_status() = st->status();
      p.waiter->done.Notify();
    }
    return;
  } else {
    absl::MutexLock run_lock(run_mu);
    result = engine_.Apply(spec, options);
    RecordRevisionFacts(name, spec);
  }
  const absl::Duration took = clock_.Now() - start;

  envctl::v1::SyncResponse response;
  response.set_sync_id(sync_id);
  const bool ok = result.ok() && result->ok() && result->prune_status.ok();
  LogSyncEnd(name, sync_id, spec.revision(), took, result);
  // Schedule the next look before anyone hears of this one (resync counts from now).
  const std::string key = kEnvPrefix + name;
  if (ok) {
    queue_.Forget(key);
    queue_.AddAfter(key, ResyncOf(spec));
  } else {
    queue_.AddRateLimited(key);
  }
  if (result.ok() && result->next_run_poll != absl::InfiniteFuture()) {
    queue_.AddAfter(kRunsPrefix + name,
                    std::max(absl::ZeroDuration(), result->next_run_poll - clock_.Now()));
  }
  if (ok) {
    metrics_.RecordSyncSuccess(name, clock_.Now());
    metrics_.SetRevision(name, spec.revision());
  }
  if (result.ok()) {
    metrics_.RecordSync(name, *result);
    for (const ResourceOutcome& o : result->resources) {
      if (o.applied) *response.add_applied() = ToResourceChange(o);
    }
    for (const ResourceOutcome& o : result->prunes) {
      if (o.applied) *response.add_applied() = ToResourceChange(o);
    }
    response.set_converged(ok);
    Publish(envctl::v1::EVENT_TYPE_SYNC_FINISHED, name, "",
            ok ? "converged"
               : (result->prune_status.ok() ? "incomplete: some resources failed or are blocked"
                                            : std::string(result->prune_status.message())),
            sync_id, took);
  } else {
    Publish(envctl::v1::EVENT_TYPE_SYNC_FINISHED, name, "",
            absl::StrCat("failed: ", result.status().message()), sync_id, took);
  }
  absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
  if (state.ok()) *response.mutable_status() = state->status();

  for (PendingSync& p : pending) {
    p.waiter->response = response;
    p.waiter->response.set_sync_id(p.sync_id);
    bool in_progress = false;
    if (!p.rerun_test.empty() && result.ok()) {
      for (const ResourceOutcome& o : result->resources) {
        if (o.name != p.rerun_test) continue;
        p.waiter->run = o.run;
        in_progress = o.run_in_progress;
      }
    }
    if (in_progress) {
      // Told when PollRuns sees the run end.
      absl::MutexLock lock(&mu_);
      run_waiters_[absl::StrCat(name, "/", p.rerun_test)].push_back(p.waiter);
    } else {
      p.waiter->done.Notify();
    }
  }
}

void Controller::PollRuns(const std::string& name) {
  if (!Owns(name)) return;  // the owner polls (the run's record is in the shared state)
  Environment spec;
  absl::Mutex* run_mu = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end()) return;
    spec = it->second.spec;
    run_mu = it->second.run_mu.get();
  }
  const std::string sync_id = absl::StrCat(name, "-runs");
  own_ids_.Begin(sync_id);
  absl::Cleanup end_id = [&] { own_ids_.End(sync_id); };
  EngineOptions options;
  options.sync_id = sync_id;
  options.on_progress = [&](Phase phase, const ResourceOutcome& o) {
    if (!o.run_in_progress) PublishOutcome(name, sync_id, phase, o);
  };
  absl::StatusOr<EngineResult> result;
  {
    absl::MutexLock run_lock(run_mu);
    result = engine_.PollRuns(spec, options);
    // A finished run may verify the revision: environments promoted from here look now.
    if (result.ok()) RecordRevisionFacts(name, spec);
  }
  if (!result.ok()) {
    // The state store is unreadable: try again after the usual backoff.
    queue_.AddRateLimited(kRunsPrefix + name);
    return;
  }
  if (result->next_run_poll != absl::InfiniteFuture()) {
    queue_.AddAfter(kRunsPrefix + name,
                    std::max(absl::ZeroDuration(), result->next_run_poll - clock_.Now()));
  }
  std::vector<std::pair<std::shared_ptr<SyncWaiter>, envctl::v1::RunRecord>> done;
  {
    absl::MutexLock lock(&mu_);
    for (const ResourceOutcome& o : result->resources) {
      if (o.run_in_progress) continue;
      auto w = run_waiters_.find(absl::StrCat(name, "/", o.name));
      if (w == run_waiters_.end()) continue;
      for (auto& waiter : w->second) done.emplace_back(waiter, o.run);
      run_waiters_.erase(w);
    }
  }
  for (auto& [waiter, run] : done) {
    waiter->run = run;
    waiter->done.Notify();
  }
}

void Controller::PublishOutcome(const std::string& env, const std::string& sync_id, Phase phase,
                                const ResourceOutcome& o) {
  {
    // What envctl is reconciling now: changes to it that say not who made them wait for
    // the end of that reconcile (OnCloudResourceChanged, PollChanges).
    std::vector<std::string> deferred;
    const std::string key = absl::StrCat(env, "/", o.name);
    {
      absl::MutexLock lock(&mu_);
      if (phase == Phase::kStarted) {
        reconciling_.insert(key);
      } else {
        reconciling_.erase(key);
        if (auto d = deferred_events_.find(key); d != deferred_events_.end()) {
          deferred.swap(d->second);
          deferred_events_.erase(d);
        }
      }
    }
    if (!deferred.empty()) {
      DecideDeferred(env, o.name, o.applied && o.action != reconcilers::Action::kRun, deferred);
    }
  }
  if (phase == Phase::kStarted) {
    if (o.action == reconcilers::Action::kRun) {
      Publish(envctl::v1::EVENT_TYPE_RUN_STARTED, env, o.name, o.reason, sync_id);
    }
    return;
  }
  metrics_.RecordReconcile(o);
  if (!o.status.ok()) {
    Publish(envctl::v1::EVENT_TYPE_RESOURCE_FAILED, env, o.name, std::string(o.status.message()),
            sync_id, o.duration);
  } else if (!o.blocked_by.empty()) {
    Publish(envctl::v1::EVENT_TYPE_RESOURCE_FAILED, env, o.name,
            absl::StrCat("blocked by ", o.blocked_by), sync_id);
  } else {
    Publish(envctl::v1::EVENT_TYPE_RESOURCE_RECONCILED, env, o.name,
            o.applied ? absl::StrCat(o.reason.empty() ? "applied" : o.reason) : "in sync", sync_id,
            o.duration);
  }
  const std::string drift_key = absl::StrCat(env, "/", o.name);
  if (o.drift) {
    metrics_.RecordDriftDetected(env, o.kind);
    absl::Time first_seen;
    {
      absl::MutexLock lock(&mu_);
      first_seen = drift_seen_.emplace(drift_key, clock_.Now()).first->second;
    }
    Publish(envctl::v1::EVENT_TYPE_DRIFT_DETECTED, env, o.name, o.reason, sync_id);
    if (o.applied && o.status.ok()) {
      metrics_.RecordDriftCorrected(env, o.kind, clock_.Now() - first_seen);
      absl::MutexLock lock(&mu_);
      drift_seen_.erase(drift_key);
      Publish(envctl::v1::EVENT_TYPE_DRIFT_CORRECTED, env, o.name, "repaired", sync_id);
    }
  } else if (o.status.ok() && o.blocked_by.empty()) {
    absl::MutexLock lock(&mu_);
    drift_seen_.erase(drift_key);
  }
  if (o.run.result() != envctl::v1::RUN_RESULT_UNSPECIFIED) {
    const std::string run_result = reconcilers::RunResultText(o.run.result());
    metrics_.RecordRunFinished(env, o, clock_.Now());
    Publish(envctl::v1::EVENT_TYPE_RUN_FINISHED, env, o.name,
            absl::StrCat(run_result, o.run.message().empty() ? "" : ": " + o.run.message()),
            o.run.run_id().empty() ? sync_id : o.run.run_id(), o.duration);
  }
}

void Controller::Publish(EventType type, const std::string& env, const std::string& resource,
                         const std::string& message, const std::string& correlation_id,
                         absl::Duration duration) {
  envctl::v1::Event event;
  event.set_type(type);
  event.set_environment(env);
  event.set_resource(resource);
  event.set_message(message);
  *event.mutable_time() = ToProto(clock_.Now());
  event.set_correlation_id(correlation_id);
  if (duration > absl::ZeroDuration()) {
    *event.mutable_duration() =
        google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(duration));
  }
  events_.Publish(event);
}

std::string Controller::RevisionForTest() {
  absl::MutexLock lock(&mu_);
  return revision_;
}

void Controller::OnSourceChanged(const std::string& reason) {
  (void)reason;
  queue_.Add(kSourceKey);
}

bool Controller::AddTargetsLocked(const std::string& name, const std::set<std::string>& resources,
                                  bool attributed, const std::string& version) {
  auto it = envs_.find(name);
  if (it == envs_.end()) return false;
  bool queue = false;
  for (const std::string& resource : resources) {
    const std::string key = absl::StrCat(name, "/", resource);
    if (!attributed && reconciling_.count(key)) {
      // Maybe the echo of the write in progress: decided when it ends (DecideDeferred).
      deferred_events_[key].push_back(version);
      continue;
    }
    // Someone else's change; one being reconciled now is looked at again after.
    queue |= it->second.targets.insert(resource).second;
  }
  return queue;
}

void Controller::DecideDeferred(const std::string& env, const std::string& resource, bool wrote,
                                const std::vector<std::string>& versions) {
  // The state was saved before the reconcile reported its end: it holds what was written.
  std::string written;
  if (wrote) {
    if (absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(env); state.ok()) {
      for (const auto& m : state->inventory()) {
        if (m.name() == resource) written = RecordedVersion(m);
      }
    }
  }
  const bool all_echoes =
      !written.empty() && std::all_of(versions.begin(), versions.end(),
                                      [&](const std::string& v) { return v == written; });
  bool queue = false;
  {
    absl::MutexLock lock(&mu_);
    if (all_echoes) {
      echoes_dropped_ += versions.size();
      return;
    }
    // Not provably envctl's own: one more look (a read; it writes only if live differs).
    auto it = envs_.find(env);
    queue = it != envs_.end() && it->second.targets.insert(resource).second;
  }
  if (queue) queue_.Add(kTargetsPrefix + env);
}

void Controller::PollChanges(const std::string& name) {
  Environment spec;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end() || !it->second.declared || it->second.suspended) return;
    spec = it->second.spec;
  }
  absl::StatusOr<std::vector<std::string>> changed = engine_.ChangedSinceApply(spec);
  if (!changed.ok() || changed->empty()) return;
  log::Info("change_poll").Str("environment", name).Str("resources", absl::StrJoin(*changed, ","));
  bool queue = false;
  {
    absl::MutexLock lock(&mu_);
    queue = AddTargetsLocked(name, std::set<std::string>(changed->begin(), changed->end()),
                             /*attributed=*/false, /*version=*/"");
  }
  if (queue) queue_.Add(kTargetsPrefix + name);
}

void Controller::OnCloudResourceChanged(const CloudChange& change) {
  // The request that made the change carried one of envctl's own sync ids: its echo.
  if (own_ids_.Contains(change.client_request_id)) {
    log::Info("cloud_event")
        .Str("resource_id", change.resource_id)
        .Str("client_request_id", change.client_request_id)
        .Str("outcome", "echo");
    absl::MutexLock lock(&mu_);
    ++echoes_dropped_;
    return;
  }
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : envs_) names.push_back(name);
  }
  for (const std::string& name : names) {
    absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
    if (!state.ok()) continue;
    std::set<std::string> named;
    int echoes = 0;
    for (const envctl::v1::ManagedResource* m : NamedBy(*state, change)) {
      // Key Vault events say no request id; a version envctl recorded writing is its own.
      if (!change.version.empty() && RecordedVersion(*m) == change.version) {
        ++echoes;
        continue;
      }
      named.insert(m->name());
    }
    if (echoes > 0 || !named.empty()) {
      log::Info("cloud_event")
          .Str("environment", name)
          .Str("resource_id", change.resource_id)
          .Str("client_request_id", change.client_request_id)
          .Str("version", change.version)
          .Str("outcome", named.empty() ? "echo" : "repair")
          .Str("resources", absl::StrJoin(named, ","));
    }
    bool queue = false;
    {
      absl::MutexLock lock(&mu_);
      echoes_dropped_ += echoes;
      if (!named.empty()) {
        queue = AddTargetsLocked(name, named, !change.client_request_id.empty(), change.version);
      }
    }
    if (queue) queue_.Add(kTargetsPrefix + name);
  }
}

void Controller::SyncTargets(const std::string& name) {
  if (!Owns(name)) return;
  Environment spec;
  std::set<std::string> targets;
  absl::Mutex* run_mu = nullptr;
  std::string sync_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end() || !it->second.declared) return;
    targets.swap(it->second.targets);
    if (targets.empty() || it->second.suspended || it->second.spec.sync().suspended()) return;
    if (it->second.latest.sync().windows_size() > 0) {
      absl::StatusOr<WindowVerdict> verdict =
          EvaluateWindows(it->second.latest.sync(), clock_.Now());
      // A closed window: no repair now; the next resync plans and reports the drift.
      if (!verdict.ok() || !verdict->writes_allowed) return;
    }
    spec = it->second.spec;
    run_mu = it->second.run_mu.get();
    sync_id = absl::StrCat(name, "-", ++next_sync_);
  }
  own_ids_.Begin(sync_id);
  absl::Cleanup end_id = [&] { own_ids_.End(sync_id); };
  EngineOptions options;
  options.targets = targets;
  options.wait_for_runs = false;
  options.sync_id = sync_id;
  options.on_progress = [&](Phase phase, const ResourceOutcome& o) {
    if (targets.count(o.name)) PublishOutcome(name, sync_id, phase, o);
  };
  Publish(envctl::v1::EVENT_TYPE_SYNC_STARTED, name, "",
          absl::StrCat("cloud event: ", absl::StrJoin(targets, ", ")), sync_id);
  log::Info("sync_start")
      .Str("environment", name)
      .Str("sync_id", sync_id)
      .Str("revision", spec.revision())
      .Str("targets", absl::StrJoin(targets, ","));
  const absl::Time start = clock_.Now();
  absl::StatusOr<EngineResult> result;
  {
    absl::MutexLock run_lock(run_mu);
    result = engine_.Apply(spec, options);
  }
  LogSyncEnd(name, sync_id, spec.revision(), clock_.Now() - start, result);
  if (!result.ok() || !result->ok()) {
    // A failed repair falls back to a full sync with its backoff.
    queue_.AddRateLimited(kEnvPrefix + name);
  }
  Publish(envctl::v1::EVENT_TYPE_SYNC_FINISHED, name, "",
          result.ok()
              ? (result->ok() ? "converged" : "incomplete: some resources failed or are blocked")
              : absl::StrCat("failed: ", result.status().message()),
          sync_id, clock_.Now() - start);
}

}  // namespace envctl::controller
