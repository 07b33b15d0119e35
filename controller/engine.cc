#include "controller/engine.h"

#include <algorithm>
#include <exception>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/wait_observer.h"
#include "controller/engine_log.h"
#include "controller/graph.h"
#include "controller/status_builder.h"
#include "google/protobuf/util/time_util.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/runs/run_support.h"
#include "spec/kinds.h"

namespace envctl::controller {

using envctl::v1::DriftPolicy;
using envctl::v1::Environment;
using envctl::v1::EnvironmentState;
using envctl::v1::ManagedResource;
using envctl::v1::Resource;
using envctl::v1::ResourceContent;
using reconcilers::Action;

std::string KindOf(const Resource& resource) {
  const auto* oneof = Resource::descriptor()->FindOneofByName("kind");
  const auto* field = resource.GetReflection()->GetOneofFieldDescriptor(resource, oneof);
  if (field == nullptr) return "";
  std::string name = field->message_type()->name();
  constexpr absl::string_view kSuffix = "Spec";
  if (absl::EndsWith(name, kSuffix)) name.resize(name.size() - kSuffix.size());
  return name;
}

std::string ServiceOf(const Resource& resource) {
  switch (resource.kind_case()) {
    case Resource::kKeyVaultSecret:
      return "keyvault";
    case Resource::kDataFactoryDefinitions:
    case Resource::kPipelineRunTest:
      return "datafactory";
    case Resource::kDatabricksNotebooks:
    case Resource::kDatabricksSecretScope:
    case Resource::kDatabricksLibrary:
    case Resource::kIntegrationTest:
    case Resource::kDatabricksClusterPolicy:
    case Resource::kDatabricksCluster:
    case Resource::kDatabricksJob:
    case Resource::kDatabricksPermissions:
    case Resource::kJobRunTest:
      return "databricks";
    case Resource::kResourceGroup:
    case Resource::kStorageAccount:
    case Resource::kKeyVault:
    case Resource::kDataFactory:
    case Resource::kDatabricksWorkspace:
    case Resource::kRoleAssignment:
    case Resource::kUserAssignedIdentity:
      return "arm";
    case Resource::KIND_NOT_SET:
      break;
  }
  return "";
}

// The resource's own ignoreDifferences plus the environment's rules for its kind.
std::vector<std::string> IgnoredPaths(const Environment& env, const Resource& resource,
                                      const std::string& kind) {
  std::vector<std::string> out(resource.ignore_differences().begin(),
                               resource.ignore_differences().end());
  for (const auto& rule : env.sync().ignore_differences()) {
    if (rule.kind() == kind)
      out.insert(out.end(), rule.json_paths().begin(), rule.json_paths().end());
  }
  return out;
}

// Kinds that are whole cloud objects someone may have made by hand (adoptable); folder
// contents, secrets and tests are envctl's by construction.
bool IsTopLevelKind(const Resource& resource) {
  switch (resource.kind_case()) {
    case Resource::kResourceGroup:
    case Resource::kStorageAccount:
    case Resource::kKeyVault:
    case Resource::kDataFactory:
    case Resource::kDatabricksWorkspace:
    case Resource::kUserAssignedIdentity:
      return true;
    default:
      return false;
  }
}

// Data-plane limits are per vault, factory and workspace, and an environment has its own
// ("keyvault/dev"); ARM's budget is the subscription's, shared by every environment.
std::string ScopedService(const std::string& service, const std::string& env) {
  if (service.empty() || service == "arm") return service;
  return absl::StrCat(service, "/", env);
}

bool EngineResult::ok() const {
  for (const auto& r : resources) {
    if (!r.status.ok() || !r.blocked_by.empty()) return false;
  }
  for (const auto& r : prunes) {
    if (!r.status.ok()) return false;
  }
  return prune_status.ok();
}

bool EngineResult::InSync() const {
  for (const auto& r : resources) {
    if (!r.status.ok() || !r.blocked_by.empty()) return false;
    // A run still going is a result to wait for, not a difference to fix.
    if (r.action == Action::kRun && r.run_in_progress) continue;
    if (r.action != Action::kNone && !r.reported_only) return false;
    if (r.adopt) return false;
  }
  for (const auto& r : prunes) {
    if (r.action == Action::kDelete) return false;
  }
  return true;
}

std::vector<std::string> CriticalPath(const std::vector<ResourceOutcome>& outcomes,
                                      const std::map<std::string, std::set<std::string>>& deps) {
  std::map<std::string, const ResourceOutcome*> by_name;
  const ResourceOutcome* last = nullptr;
  for (const auto& o : outcomes) {
    if (o.finished == absl::Time()) continue;
    by_name[o.name] = &o;
    if (last == nullptr || o.finished > last->finished) last = &o;
  }
  std::vector<std::string> path;
  for (int guard = 0; last != nullptr && guard < static_cast<int>(outcomes.size()); ++guard) {
    path.push_back(last->name);
    const ResourceOutcome* prev = nullptr;
    auto d = deps.find(last->name);
    if (d != deps.end()) {
      for (const std::string& dep : d->second) {
        auto it = by_name.find(dep);
        if (it != by_name.end() && (prev == nullptr || it->second->finished > prev->finished)) {
          prev = it->second;
        }
      }
    }
    last = prev;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Engine::Engine(const ReconcilerRegistry& registry, StateStore& store, Clock& clock,
               DependencyFn dependencies, DagExecutor* executor)
    : registry_(registry),
      store_(store),
      clock_(clock),
      dependencies_(std::move(dependencies)),
      owned_executor_(executor == nullptr ? std::make_unique<DagExecutor>() : nullptr),
      executor_(executor == nullptr ? owned_executor_.get() : executor) {}

absl::StatusOr<EngineResult> Engine::Plan(const Environment& env, const EngineOptions& options) {
  return Run(env, options, /*apply=*/false);
}

absl::StatusOr<EngineResult> Engine::Apply(const Environment& env, const EngineOptions& options) {
  return Run(env, options, /*apply=*/true);
}

namespace {

DriftPolicy EffectivePolicy(const Environment& env, const Resource& r) {
  if (r.drift_policy() != envctl::v1::DRIFT_POLICY_UNSPECIFIED) return r.drift_policy();
  if (env.sync().default_drift_policy() != envctl::v1::DRIFT_POLICY_UNSPECIFIED) {
    return env.sync().default_drift_policy();
  }
  return envctl::v1::DRIFT_POLICY_ENFORCE;
}

const ResourceContent& ContentNamed(const Environment& env, const std::string& name) {
  static const ResourceContent* empty = new ResourceContent();
  for (const auto& c : env.contents()) {
    if (c.resource() == name) return c;
  }
  return *empty;
}

const ResourceContent& ContentFor(const Environment& env, int index) {
  if (index < env.contents_size() &&
      env.contents(index).resource() == env.resources(index).name()) {
    return env.contents(index);
  }
  return ContentNamed(env, env.resources(index).name());
}

reconcilers::PriorState PriorFrom(const ManagedResource* m) {
  reconcilers::PriorState prior;
  if (m == nullptr) return prior;
  prior.applied_hash = m->applied_hash();
  prior.applied_before = m->has_applied_time();
  if (!m->memory_json().empty()) {
    prior.memory = nlohmann::json::parse(m->memory_json(), nullptr, /*allow_exceptions=*/false);
    if (prior.memory.is_discarded()) prior.memory = nlohmann::json();
  }
  return prior;
}

// Runs a reconciler call; an exception escaping it becomes that resource's error.
template <typename F>
auto Guarded(const std::string& name, const char* call, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat(name, ": ", call, " failed with an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(name, ": ", call, " failed with an unknown exception"));
  }
}

google::protobuf::Timestamp Now(Clock& clock) {
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock.Now()));
}

}  // namespace

// The state of one Plan/Apply of one environment, shared by its executor nodes.
struct Engine::Pass {
  Pass(const Environment& e, const EngineOptions& o, bool a) : env(e), options(o), apply(a) {}

  const Environment& env;
  const EngineOptions& options;
  const bool apply;
  std::map<std::string, int> index;  // declared, enabled resources
  std::map<std::string, std::set<std::string>> deps;
  std::map<std::string, int> wave_of;  // for reading only: apply does not wait on waves
  reconcilers::Outputs outputs;

  absl::Mutex mu;
  EnvironmentState state ABSL_GUARDED_BY(mu);
  std::map<std::string, std::string> failed ABSL_GUARDED_BY(mu);  // name -> root cause
  std::set<std::string> changing ABSL_GUARDED_BY(mu);             // planned to change
  std::map<std::string, ResourceOutcome> outcomes ABSL_GUARDED_BY(mu);

  ManagedResource* FindManaged(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (auto& m : *state.mutable_inventory()) {
      if (m.name() == name) return &m;
    }
    return nullptr;
  }
  void RemoveManaged(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto* inv = state.mutable_inventory();
    for (int k = 0; k < inv->size(); ++k) {
      if (inv->Get(k).name() == name) {
        inv->DeleteSubrange(k, 1);
        return;
      }
    }
  }
};

absl::StatusOr<EngineResult> Engine::Run(const Environment& env, const EngineOptions& options,
                                         bool apply) {
  Pass pass(env, options, apply);
  // A replica that does not own the environment (shared store) acts on nothing.
  if (apply) RETURN_IF_ERROR(store_.CheckOwnership(env.name()));
  ASSIGN_OR_RETURN(EnvironmentState loaded, store_.Load(env.name()));
  {
    absl::MutexLock lock(&pass.mu);
    pass.state = std::move(loaded);
    pass.state.set_environment(env.name());
  }
  for (int i = 0; i < env.resources_size() && !options.destroy; ++i) {
    if (spec::IsEnabled(env.resources(i))) pass.index[env.resources(i).name()] = i;
  }
  for (const auto& [name, i] : pass.index) {
    std::set<std::string>& d = pass.deps[name];
    for (const std::string& dep : dependencies_(env.resources(i))) {
      if (pass.index.count(dep)) d.insert(dep);
    }
  }
  // Validates the graph (cycles, unknown names) and gives plans their wave numbers.
  ASSIGN_OR_RETURN(DependencyGraph graph, DependencyGraph::Build(pass.deps));
  if (!options.targets.empty()) {
    // Keep the targets and what they depend on (observed only, for their outputs).
    std::set<std::string> keep;
    std::vector<std::string> todo;
    for (const std::string& t : options.targets) {
      if (pass.index.count(t)) todo.push_back(t);
    }
    while (!todo.empty()) {
      std::string n = todo.back();
      todo.pop_back();
      if (!keep.insert(n).second) continue;
      for (const std::string& d : pass.deps.at(n)) todo.push_back(d);
    }
    for (auto it = pass.deps.begin(); it != pass.deps.end();) {
      it = keep.count(it->first) ? std::next(it) : pass.deps.erase(it);
    }
    for (auto it = pass.index.begin(); it != pass.index.end();) {
      it = keep.count(it->first) ? std::next(it) : pass.index.erase(it);
    }
  }
  for (const auto& [name, i] : pass.index) pass.wave_of[name] = graph.WaveOf(name);

  DagExecutor::Graph dag;
  dag.deps = pass.deps;
  dag.parallelism = env.sync().parallelism() > 0 ? env.sync().parallelism() : 4;
  dag.service_of = [&](const std::string& name) {
    return ScopedService(ServiceOf(env.resources(pass.index.at(name))), env.name());
  };
  executor_->Run(dag, [&](const std::string& name, DagExecutor::NodeContext& node) {
    Reconcile(pass, name, node);
  });

  EngineResult result;
  result.environment = env.name();
  {
    absl::MutexLock lock(&pass.mu);
    for (const auto& wave : graph.waves()) {
      for (const std::string& name : wave) {
        if (!pass.deps.count(name)) continue;  // not part of a targeted pass
        if (!options.targets.empty() && !options.targets.count(name)) continue;  // observed only
        ResourceOutcome& o = pass.outcomes[name];
        o.wave = graph.WaveOf(name);
        if (o.run_in_progress) {
          // The next look at a run that has gone on for `elapsed`.
          absl::Time submitted = o.started;
          if (ManagedResource* m = pass.FindManaged(name)) {
            if (auto pending = reconcilers::AnyPending(PriorFrom(m).memory))
              submitted = pending->submitted;
          }
          const absl::Time now = clock_.Now();
          result.next_run_poll =
              std::min(result.next_run_poll, now + reconcilers::RunPollDelay(now - submitted));
        }
        result.resources.push_back(std::move(o));
      }
    }
  }
  result.critical_path = CriticalPath(result.resources, pass.deps);
  if (!result.critical_path.empty()) {
    absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
    for (const auto& o : result.resources) {
      if (o.name == result.critical_path.front()) first = o.started;
      if (o.name == result.critical_path.back()) last = o.finished;
    }
    if (first < last) result.critical_path_duration = last - first;
  }

  if (options.targets.empty()) RETURN_IF_ERROR(Prune(pass, result));

  if (apply) {
    absl::MutexLock lock(&pass.mu);
    if (options.targets.empty()) {
      UpdateStatus(env, result, clock_.Now(), &pass.state);
    } else {
      MergeStatus(result, clock_.Now(), &pass.state);
    }
    RETURN_IF_ERROR(store_.Save(pass.state));
  }
  return result;
}

void Engine::Reconcile(Pass& pass, const std::string& name, DagExecutor::NodeContext& node) {
  const Environment& env = pass.env;
  const EngineOptions& options = pass.options;
  const bool apply = pass.apply;
  const Resource& resource = env.resources(pass.index.at(name));
  ResourceOutcome o;
  o.name = name;
  o.kind = KindOf(resource);
  o.wave = pass.wave_of.at(name);
  // This task's thread: its log lines and cloud requests carry the sync id.
  log::ScopedContext log_scope({{"sync_id", options.sync_id},
                                {"environment", env.name()},
                                {"resource", name},
                                {"kind", o.kind}});
  // While a request of this resource sleeps out a Retry-After, its executor slots go to
  // other ready resources (it takes them back, ahead of new ones, before its retry).
  class LendSlotsWhileWaiting : public WaitObserver {
   public:
    explicit LendSlotsWhileWaiting(DagExecutor::NodeContext& node) : node_(node) {}
    void WaitBegins() override { node_.Suspend(); }
    void WaitEnds() override { node_.Resume(); }

   private:
    DagExecutor::NodeContext& node_;
  } lend(node);
  ScopedWaitObserver lend_scope(&lend);

  reconcilers::PriorState prior;
  {
    absl::MutexLock lock(&pass.mu);
    for (const std::string& dep : pass.deps.at(name)) {
      auto f = pass.failed.find(dep);
      if (f != pass.failed.end()) {
        o.blocked_by = f->second;
        pass.failed[name] = f->second;
        o.reason = absl::StrCat("blocked: dependency ", dep, " failed");
        break;
      }
    }
    if (o.blocked_by.empty()) prior = PriorFrom(pass.FindManaged(name));
    prior.rerun_requested = options.rerun_tests.count(name) > 0;
  }
  auto store_outcome = [&]() {
    absl::MutexLock lock(&pass.mu);
    pass.outcomes[name] = o;
  };
  if (!o.blocked_by.empty()) {
    // Reported like any finished resource so the user sees what waits on the failure.
    if (apply) LogFinished(o);
    if (options.on_progress) options.on_progress(Phase::kFinished, o);
    store_outcome();
    return;
  }
  reconcilers::Reconciler* reconciler = registry_.For(resource.kind_case());
  if (reconciler == nullptr) {
    o.status = absl::UnimplementedError(absl::StrCat(name, ": no reconciler for kind ", o.kind));
    {
      absl::MutexLock lock(&pass.mu);
      pass.failed[name] = name;
    }
    store_outcome();
    return;
  }
  if (apply) {
    // Checked before every resource: ownership can move mid-sync (lease lost while the
    // process was paused); from then on this process writes nothing more to the cloud.
    if (absl::Status owned = store_.CheckOwnership(env.name()); !owned.ok()) {
      o.status = Annotate(owned, name);
      {
        absl::MutexLock lock(&pass.mu);
        pass.failed[name] = name;
      }
      store_outcome();
      return;
    }
  }
  if (options.on_progress) options.on_progress(Phase::kStarted, o);
  o.started = clock_.Now();
  reconcilers::Context ctx{env,          resource, ContentFor(env, pass.index.at(name)),
                           pass.outputs, prior,    clock_};
  if (options.on_detail) {
    ctx.progress = [&options, &name](const std::string& msg) { options.on_detail(name, msg); };
  }
  const std::string& desired_hash = ctx.content.content_hash();
  if (apply) {
    ctx.checkpoint = [&](const nlohmann::json& memory) -> absl::Status {
      absl::MutexLock lock(&pass.mu);
      ManagedResource* m = pass.FindManaged(name);
      if (m == nullptr) {
        m = pass.state.add_inventory();
        m->set_name(name);
        m->set_kind(o.kind);
        *m->mutable_spec() = resource;
      }
      m->set_memory_json(memory.dump());
      return store_.Save(pass.state);
    };
  }
  auto fail = [&](absl::Status status) {
    o.status = Annotate(status, name);
    absl::MutexLock lock(&pass.mu);
    pass.failed[name] = name;
  };
  auto finish = [&]() {
    o.finished = clock_.Now();
    o.duration = o.finished - o.started;
    if (apply && !(!options.targets.empty() && !options.targets.count(name))) LogFinished(o);
    if (options.on_progress) options.on_progress(Phase::kFinished, o);
    store_outcome();
  };

  absl::StatusOr<reconcilers::Change> change =
      Guarded(name, "plan", [&] { return reconciler->Plan(ctx); });
  if (!change.ok()) {
    // In a plan, a resource whose inputs come from a dependency that will change only
    // learns them after apply: a pending change, not an error. Only the explicit signal
    // counts; any other FailedPrecondition (an Azure 409, say) is a real error.
    std::string pending_dep;
    if (!apply && reconcilers::IsKnownAfterApply(change.status())) {
      absl::MutexLock lock(&pass.mu);
      for (const std::string& dep : pass.deps.at(name)) {
        if (pass.changing.count(dep)) pending_dep = dep;
      }
    }
    if (!pending_dep.empty()) {
      o.action = prior.applied_before ? Action::kUpdate : Action::kCreate;
      o.reason = absl::StrCat("(known after apply: depends on ", pending_dep, ")");
      absl::MutexLock lock(&pass.mu);
      pass.changing.insert(name);
    } else {
      fail(change.status());
    }
    finish();
    return;
  }

  // Reconcilers read what Plan observed with json::value(); give them an object even
  // when Plan recorded nothing (e.g. for a create).
  if (!change->observed.is_object()) change->observed = nlohmann::json::object();
  // ignoreDifferences: differences at these paths are neither shown nor repaired. Only an
  // update is filtered: what a create sets is the spec, not a difference.
  // Apply keeps the live values of ignored paths in what it writes.
  if (change->action == Action::kUpdate) {
    reconcilers::DropIgnoredFields(IgnoredPaths(env, resource, o.kind), &*change);
  }
  // A live object envctl never applied exists already: the first apply adopts it.
  o.adopt = change->exists && change->foreign && !prior.applied_before &&
            change->action != Action::kRun && IsTopLevelKind(resource);
  o.action = change->action;
  o.label = change->label;
  o.fields = change->fields;
  o.reason = change->reason;
  const DriftPolicy policy = EffectivePolicy(env, resource);
  const bool spec_changed = prior.applied_hash != desired_hash;
  if (o.action == Action::kCreate || o.action == Action::kUpdate) {
    // The spec is what was last applied, yet live differs: someone changed it.
    o.drift = prior.applied_before && !spec_changed;
    if (policy == envctl::v1::DRIFT_POLICY_IGNORE && change->exists) {
      o.action = Action::kNone;
      o.drift = false;
      o.fields.clear();
      o.reason = "drift ignored (policy ignore)";
    } else if (o.drift && policy == envctl::v1::DRIFT_POLICY_REPORT) {
      o.reported_only = true;
      o.reason = "drift reported (policy report)";
    }
  }
  if (o.adopt && o.reason.empty())
    o.reason = "adopt: exists already; envctl manages it from now on";
  if (o.action != Action::kNone && !o.reported_only) {
    absl::MutexLock lock(&pass.mu);
    pass.changing.insert(name);
  }
  const bool observe_only = !options.targets.empty() && !options.targets.count(name);
  if (!apply && change->resumes_run) o.run_in_progress = true;
  if (!apply || observe_only) {
    finish();
    return;
  }

  LogDriftFound(o);
  const bool act = o.action != Action::kNone && !o.reported_only;
  reconcilers::ApplyResult applied;
  if (act) {
    absl::StatusOr<reconcilers::ApplyResult> r =
        Guarded(name, "apply", [&] { return reconciler->Apply(ctx, *change); });
    if (!r.ok()) {
      fail(r.status());
      finish();
      return;
    }
    applied = *std::move(r);
    o.applied = true;
    if (applied.run_in_progress) {
      if (options.wait_for_runs) {
        // Waiting is not work: give the slots back so the rest of the graph goes on.
        node.Release();
        AwaitRun(pass, name, *reconciler, ctx, &applied, o);
      } else {
        o.run_in_progress = true;
        o.run_external_id = applied.external_id;
        o.reason = absl::StrCat(o.reason.empty() ? "" : o.reason + "; ", "run ",
                                applied.external_id, " in progress");
      }
    }
    o.run = applied.run;
    if (o.status.ok() && o.action == Action::kRun && !o.run_in_progress &&
        applied.run.result() != envctl::v1::RUN_RESULT_SUCCEEDED) {
      o.status = absl::AbortedError(absl::StrCat(
          name, ": run ", applied.run.external_run_id(), " ended ",
          reconcilers::RunResultText(applied.run.result()), ": ", applied.run.message()));
    }
  }
  {
    absl::MutexLock lock(&pass.mu);
    if (!o.status.ok()) pass.failed[name] = name;
    ManagedResource* m = pass.FindManaged(name);
    const std::string& external_id =
        !applied.external_id.empty() ? applied.external_id : change->external_id;
    if (!act && m != nullptr && m->external_id().empty() && !external_id.empty()) {
      // In sync, but recorded without an id (adopted before ids were read): add it.
      m->set_external_id(external_id);
      if (absl::Status s = store_.Save(pass.state); !s.ok() && o.status.ok()) o.status = s;
    }
    if (!act && m != nullptr && !change->memory.is_null() &&
        m->memory_json() != change->memory.dump()) {
      // Nothing written, but the change poll's baseline moved (a hand edit undone by hand,
      // an ignored difference): record it so the next poll does not report it again.
      m->set_memory_json(change->memory.dump());
      if (absl::Status s = store_.Save(pass.state); !s.ok() && o.status.ok()) o.status = s;
    }
    const bool record = act || m == nullptr || m->applied_hash() != desired_hash;
    if (record && !o.reported_only) {
      if (m == nullptr) m = pass.state.add_inventory();
      m->set_name(name);
      m->set_kind(o.kind);
      if (o.adopt) m->set_adopted(true);
      if (!external_id.empty()) m->set_external_id(external_id);
      m->set_applied_hash(desired_hash);
      m->clear_depends_on();
      for (const std::string& d : pass.deps.at(name)) m->add_depends_on(d);
      *m->mutable_spec() = resource;
      if (act && !applied.memory.is_null()) m->set_memory_json(applied.memory.dump());
      *m->mutable_applied_time() = Now(clock_);
      if (absl::Status s = store_.Save(pass.state); !s.ok() && o.status.ok()) o.status = s;
    }
  }
  finish();
}

void Engine::AwaitRun(Pass& pass, const std::string& name, reconcilers::Reconciler& reconciler,
                      reconcilers::Context& ctx, reconcilers::ApplyResult* applied,
                      ResourceOutcome& o) {
  (void)pass;
  absl::Time submitted = clock_.Now();
  if (auto pending = reconcilers::AnyPending(applied->memory)) submitted = pending->submitted;
  // Bounded even if a clock never advances.
  for (int i = 0; i < 100000; ++i) {
    clock_.SleepFor(reconcilers::RunPollDelay(clock_.Now() - submitted));
    reconcilers::PriorState prior = ctx.prior;
    prior.memory = applied->memory;
    reconcilers::Context poll_ctx{ctx.environment, ctx.resource, ctx.content,
                                  ctx.outputs,     prior,        ctx.clock};
    poll_ctx.progress = ctx.progress;
    poll_ctx.checkpoint = ctx.checkpoint;
    absl::StatusOr<reconcilers::RunPoll> poll =
        Guarded(name, "poll", [&] { return reconciler.PollRun(poll_ctx); });
    if (!poll.ok()) {
      o.status = Annotate(poll.status(), name);
      return;
    }
    if (poll->done) {
      *applied = std::move(poll->result);
      return;
    }
  }
  o.status = absl::DeadlineExceededError(absl::StrCat(name, ": gave up polling the run"));
}

absl::StatusOr<EngineResult> Engine::PollRuns(const Environment& env,
                                              const EngineOptions& options) {
  Pass pass(env, options, /*apply=*/true);
  RETURN_IF_ERROR(store_.CheckOwnership(env.name()));
  ASSIGN_OR_RETURN(EnvironmentState loaded, store_.Load(env.name()));
  std::vector<ManagedResource> running;
  {
    absl::MutexLock lock(&pass.mu);
    pass.state = std::move(loaded);
    for (const auto& m : pass.state.inventory()) {
      if (reconcilers::AnyPending(PriorFrom(&m).memory)) running.push_back(m);
    }
  }
  EngineResult result;
  result.environment = env.name();
  for (const ManagedResource& m : running) {
    reconcilers::Reconciler* reconciler = registry_.For(m.spec().kind_case());
    if (reconciler == nullptr) continue;
    const std::string name = m.name();
    log::ScopedContext log_scope({{"sync_id", options.sync_id},
                                  {"environment", env.name()},
                                  {"resource", name},
                                  {"kind", m.kind()}});
    ResourceOutcome o;
    o.name = name;
    o.kind = m.kind();
    o.action = Action::kRun;
    o.started = clock_.Now();
    reconcilers::PriorState prior = PriorFrom(&m);
    if (absl::Status owned = store_.CheckOwnership(env.name()); !owned.ok()) return owned;
    const absl::Time submitted = reconcilers::AnyPending(prior.memory)->submitted;
    reconcilers::Context ctx{env, m.spec(), ContentNamed(env, name), pass.outputs, prior, clock_};
    if (options.on_detail) {
      ctx.progress = [&options, &name](const std::string& msg) { options.on_detail(name, msg); };
    }
    ctx.checkpoint = [&](const nlohmann::json& memory) -> absl::Status {
      absl::MutexLock lock(&pass.mu);
      if (ManagedResource* managed = pass.FindManaged(name))
        managed->set_memory_json(memory.dump());
      return store_.Save(pass.state);
    };
    absl::StatusOr<reconcilers::RunPoll> poll =
        Guarded(name, "poll", [&] { return reconciler->PollRun(ctx); });
    o.finished = clock_.Now();
    o.duration = o.finished - o.started;
    if (!poll.ok()) {
      o.status = Annotate(poll.status(), name);
      if (!absl::IsNotFound(poll.status())) {
        // A transient error: look again later.
        o.run_in_progress = true;
        result.next_run_poll = std::min(
            result.next_run_poll, o.finished + reconcilers::RunPollDelay(o.finished - submitted));
      }
    } else if (!poll->done) {
      o.run_in_progress = true;
      o.run_external_id = reconcilers::AnyPending(prior.memory)->run_id;
      o.reason = absl::StrCat("run ", o.run_external_id, " in progress");
      result.next_run_poll = std::min(
          result.next_run_poll, o.finished + reconcilers::RunPollDelay(o.finished - submitted));
    } else {
      o.applied = true;
      o.run = poll->result.run;
      o.run_external_id = poll->result.external_id;
      if (o.run.result() != envctl::v1::RUN_RESULT_SUCCEEDED) {
        o.status = absl::AbortedError(
            absl::StrCat(name, ": run ", o.run.external_run_id(), " ended ",
                         reconcilers::RunResultText(o.run.result()), ": ", o.run.message()));
      }
      absl::MutexLock lock(&pass.mu);
      if (ManagedResource* managed = pass.FindManaged(name)) {
        managed->set_memory_json(poll->result.memory.dump());
      }
    }
    if (!o.run_in_progress) LogFinished(o);
    if (options.on_progress) options.on_progress(Phase::kFinished, o);
    result.resources.push_back(std::move(o));
  }
  if (!result.resources.empty()) {
    absl::MutexLock lock(&pass.mu);
    RecordRuns(result, clock_.Now(), &pass.state);
    RETURN_IF_ERROR(store_.Save(pass.state));
  }
  return result;
}

absl::StatusOr<std::vector<std::string>> Engine::ChangedSinceApply(const Environment& env) {
  ASSIGN_OR_RETURN(EnvironmentState state, store_.Load(env.name()));
  std::map<std::string, const ManagedResource*> managed;
  for (const auto& m : state.inventory()) managed[m.name()] = &m;
  reconcilers::Outputs outputs;  // the look reads only memory, never other resources
  std::vector<std::string> changed;
  for (int i = 0; i < env.resources_size(); ++i) {
    const Resource& resource = env.resources(i);
    if (resource.has_enabled() && !resource.enabled().value()) continue;
    auto m = managed.find(resource.name());
    if (m == managed.end()) continue;
    reconcilers::Reconciler* reconciler = registry_.For(resource.kind_case());
    if (reconciler == nullptr) continue;
    reconcilers::PriorState prior = PriorFrom(m->second);
    reconcilers::Context ctx{env, resource, ContentFor(env, i), outputs, prior, clock_};
    absl::StatusOr<bool> moved =
        Guarded(resource.name(), "change poll", [&] { return reconciler->ChangedSinceApply(ctx); });
    if (moved.ok() && *moved) changed.push_back(resource.name());
  }
  return changed;
}

absl::Status Engine::Prune(Pass& pass, EngineResult& result) {
  const Environment& env = pass.env;
  const EngineOptions& options = pass.options;
  const bool apply = pass.apply;
  // Managed resources that are no longer declared (or disabled), or all for a destroy.
  std::vector<ManagedResource> orphans;
  // Adopted resources (default) and `deletionPolicy: orphan` ones leave the inventory but
  // stay in the cloud.
  std::vector<ManagedResource> kept;
  {
    absl::MutexLock lock(&pass.mu);
    for (const auto& m : pass.state.inventory()) {
      if (pass.index.count(m.name())) continue;
      const auto policy = m.spec().deletion_policy();
      const bool keep = policy == envctl::v1::DELETION_POLICY_ORPHAN ||
                        (m.adopted() && policy != envctl::v1::DELETION_POLICY_DELETE);
      (keep ? kept : orphans).push_back(m);
    }
  }
  const bool prune_wanted = options.destroy || env.sync().prune();
  for (const auto& m : kept) {
    ResourceOutcome o;
    o.name = m.name();
    o.kind = m.kind();
    o.reason =
        m.adopted()
            ? "removed from the repo; adopted, so left in place (deletionPolicy: delete deletes it)"
            : "removed from the repo; left in place (deletionPolicy: orphan)";
    if (apply && prune_wanted) {
      absl::MutexLock lock(&pass.mu);
      pass.RemoveManaged(m.name());
      RETURN_IF_ERROR(store_.Save(pass.state));
      o.applied = true;
    }
    result.prunes.push_back(o);
  }
  if (orphans.empty()) return absl::OkStatus();
  if (apply) RETURN_IF_ERROR(store_.CheckOwnership(env.name()));
  auto orphan_named = [&orphans](const std::string& name) -> const ManagedResource* {
    for (const auto& o : orphans) {
      if (o.name() == name) return &o;
    }
    return nullptr;
  };
  const int max_prune = env.sync().max_prune() > 0 ? env.sync().max_prune() : 5;
  const bool deletes_group = std::any_of(
      orphans.begin(), orphans.end(),
      [](const ManagedResource& m) { return m.spec().kind_case() == Resource::kResourceGroup; });
  const bool prune_on = options.destroy || env.sync().prune();
  if (prune_on && !options.allow_mass_prune &&
      (static_cast<int>(orphans.size()) > max_prune || deletes_group)) {
    result.prune_status = absl::FailedPreconditionError(absl::StrCat(
        "prune refused: it would delete ", orphans.size(), " resource(s)",
        deletes_group ? " including a whole resource group" : "", " (limit sync.maxPrune=",
        max_prune, "); review the plan and rerun with --allow-mass-prune"));
  }
  const bool will_delete = prune_on && result.prune_status.ok();
  const std::string removed_reason = options.destroy ? "envctl destroy" : "removed from the repo";

  // A resource inside a container that is deleted too (notebooks in a provisioned
  // workspace, a secret in a vault, definitions in a factory) goes with it: deleting it
  // first would need the container's outputs (URL, vault URI), and is wasted work.
  std::map<std::string, std::string> container_of;  // content -> outermost deleted container
  for (const auto& m : orphans) {
    const ManagedResource* outer = nullptr;
    const ManagedResource* at = &m;
    for (int depth = 0; prune_on && depth < 8; ++depth) {  // containers nest a few levels
      const ManagedResource* container = orphan_named(spec::ContainerOf(at->spec()));
      if (container == nullptr || container == at ||
          !spec::DeletionRemovesContents(container->spec()))
        break;
      outer = at = container;
    }
    if (outer != nullptr) container_of[m.name()] = outer->name();
  }
  // Dependents go first: a resource waits for every orphan that depends on it.
  std::map<std::string, std::set<std::string>> waits_for;  // reversed dependencies
  std::map<std::string, std::set<std::string>> orphan_deps;
  // A content is not deleted on its own, so its own dependencies do not order anything
  // (a factory's linked service naming the vault must not hold the vault back, or a vault
  // access policy for the factory's identity would close a cycle). What depends on a
  // content goes before the content's container.
  auto deleted_with = [&container_of](const std::string& name) {
    auto c = container_of.find(name);
    return c == container_of.end() ? name : c->second;
  };
  for (const auto& m : orphans) {
    orphan_deps[m.name()];
    const bool is_content = container_of.count(m.name()) > 0;
    if (!is_content) waits_for[m.name()];
    for (const auto& dep : m.depends_on()) {
      if (orphan_named(dep) == nullptr) continue;
      orphan_deps[m.name()].insert(dep);
      if (is_content) continue;
      const std::string then = deleted_with(dep);
      if (then != m.name()) waits_for[then].insert(m.name());
    }
  }
  ASSIGN_OR_RETURN(DependencyGraph prune_graph, DependencyGraph::Build(orphan_deps));

  std::map<std::string, ResourceOutcome> outcomes;
  const int waves = static_cast<int>(prune_graph.waves().size());
  for (const auto& m : orphans) {
    ResourceOutcome& o = outcomes[m.name()];
    o.name = m.name();
    o.kind = m.kind();
    o.wave = waves - 1 - prune_graph.WaveOf(m.name());  // deletion waves count in run order
    o.action = prune_on ? Action::kDelete : Action::kNone;
    o.reason = prune_on ? removed_reason : "removed from the repo; prune is off";
    auto c = container_of.find(m.name());
    if (c != container_of.end())
      o.reason = absl::StrCat(removed_reason, "; deleted with ", c->second);
  }

  if (apply && will_delete) {
    // Refuses (rather than deadlocks on) a cycle the container mapping could create.
    RETURN_IF_ERROR(DependencyGraph::Build(waits_for).status());
    absl::Mutex outcomes_mu;
    DagExecutor::Graph dag;
    dag.deps = waits_for;
    dag.parallelism = env.sync().parallelism() > 0 ? env.sync().parallelism() : 4;
    dag.service_of = [&](const std::string& name) {
      return ScopedService(ServiceOf(orphan_named(name)->spec()), env.name());
    };
    executor_->Run(dag, [&](const std::string& name, DagExecutor::NodeContext&) {
      const ManagedResource& m = *orphan_named(name);
      log::ScopedContext log_scope({{"sync_id", options.sync_id},
                                    {"environment", env.name()},
                                    {"resource", name},
                                    {"kind", m.kind()}});
      ResourceOutcome o;
      {
        absl::MutexLock lock(&outcomes_mu);
        o = outcomes[name];
      }
      if (options.on_progress) options.on_progress(Phase::kStarted, o);
      o.started = clock_.Now();
      reconcilers::Reconciler* reconciler = registry_.For(m.spec().kind_case());
      if (reconciler == nullptr) {
        o.status =
            absl::UnimplementedError(absl::StrCat(name, ": no reconciler for kind ", m.kind()));
      } else {
        reconcilers::PriorState prior = PriorFrom(&m);
        ResourceContent content;
        content.set_resource(name);
        reconcilers::Context ctx{env, m.spec(), content, pass.outputs, prior, clock_};
        o.status = Annotate(Guarded(name, "delete", [&] { return reconciler->Delete(ctx); }), name);
      }
      o.finished = clock_.Now();
      o.duration = o.finished - o.started;
      o.applied = o.status.ok();
      std::vector<std::string> contents;
      for (const auto& [content, container] : container_of) {
        if (container == name) contents.push_back(content);
      }
      if (o.status.ok()) {
        absl::MutexLock lock(&pass.mu);
        pass.RemoveManaged(name);
        for (const std::string& c : contents) pass.RemoveManaged(c);
        if (absl::Status s = store_.Save(pass.state); !s.ok()) o.status = s;
      }
      // The contents are reported right before their container, with its result.
      absl::MutexLock lock(&outcomes_mu);
      for (const std::string& c : contents) {
        ResourceOutcome& co = outcomes[c];
        co.status = o.status.ok() ? absl::OkStatus()
                                  : absl::FailedPreconditionError(absl::StrCat(
                                        c, ": not deleted: deleting ", name, " failed"));
        co.applied = o.status.ok();
        if (options.on_progress) options.on_progress(Phase::kFinished, co);
      }
      LogFinished(o);
      if (options.on_progress) options.on_progress(Phase::kFinished, o);
      outcomes[name] = std::move(o);
    });
  }
  // Deletion order for reading: dependents first, each container's contents before it.
  for (auto wave = prune_graph.waves().rbegin(); wave != prune_graph.waves().rend(); ++wave) {
    for (const std::string& name : *wave) {
      if (container_of.count(name)) continue;
      for (const auto& [content, container] : container_of) {
        if (container == name) result.prunes.push_back(outcomes[content]);
      }
      result.prunes.push_back(outcomes[name]);
    }
  }
  return absl::OkStatus();
}

}  // namespace envctl::controller
