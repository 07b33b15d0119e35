#include "controller/engine.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "controller/graph.h"
#include "controller/status_builder.h"
#include "google/protobuf/util/time_util.h"
#include "reconcilers/tests/run_support.h"
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
    if (r.action != Action::kNone && !r.reported_only) return false;
  }
  for (const auto& r : prunes) {
    if (r.action == Action::kDelete) return false;
  }
  return true;
}

Engine::Engine(const ReconcilerRegistry& registry, StateStore& store, Clock& clock,
               DependencyFn dependencies)
    : registry_(registry), store_(store), clock_(clock), dependencies_(std::move(dependencies)) {}

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

const ResourceContent& ContentFor(const Environment& env, int index) {
  static const ResourceContent* empty = new ResourceContent();
  if (index < env.contents_size() &&
      env.contents(index).resource() == env.resources(index).name()) {
    return env.contents(index);
  }
  for (const auto& c : env.contents()) {
    if (c.resource() == env.resources(index).name()) return c;
  }
  return *empty;
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

// Runs fn(i) for i in [0, n) on at most `parallelism` threads.
void ParallelFor(size_t n, int parallelism, const std::function<void(size_t)>& fn) {
  size_t workers = std::min<size_t>(n, static_cast<size_t>(std::max(1, parallelism)));
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace

absl::StatusOr<EngineResult> Engine::Run(const Environment& env, const EngineOptions& options,
                                         bool apply) {
  ASSIGN_OR_RETURN(EnvironmentState state, store_.Load(env.name()));
  state.set_environment(env.name());

  std::map<std::string, int> index;
  std::map<std::string, std::set<std::string>> deps;
  for (int i = 0; i < env.resources_size() && !options.destroy; ++i) {
    if (spec::IsEnabled(env.resources(i))) index[env.resources(i).name()] = i;
  }
  for (const auto& [name, i] : index) {
    std::set<std::string>& d = deps[name];
    for (const std::string& dep : dependencies_(env.resources(i))) {
      if (index.count(dep)) d.insert(dep);
    }
  }
  ASSIGN_OR_RETURN(DependencyGraph graph, DependencyGraph::Build(deps));

  absl::Mutex mu;                             // guards state, failed, changing
  std::map<std::string, std::string> failed;  // name -> root cause resource
  std::set<std::string> changing;             // names with a planned change (plan mode)
  auto find_managed = [&state](const std::string& name) -> ManagedResource* {
    for (auto& m : *state.mutable_inventory()) {
      if (m.name() == name) return &m;
    }
    return nullptr;
  };
  auto save_state = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) -> absl::Status {
    return apply ? store_.Save(state) : absl::OkStatus();
  };

  reconcilers::Outputs outputs;
  EngineResult result;
  result.environment = env.name();
  int parallelism = env.sync().parallelism() > 0 ? env.sync().parallelism() : 4;

  for (const auto& wave : graph.waves()) {
    std::vector<ResourceOutcome> outcomes(wave.size());
    ParallelFor(wave.size(), parallelism, [&](size_t w) {
      const std::string& name = wave[w];
      const int i = index.at(name);
      const Resource& resource = env.resources(i);
      ResourceOutcome& o = outcomes[w];
      o.name = name;
      o.kind = KindOf(resource);
      o.wave = graph.WaveOf(name);

      reconcilers::PriorState prior;
      {
        absl::MutexLock lock(&mu);
        for (const std::string& dep : graph.DependenciesOf(name)) {
          auto f = failed.find(dep);
          if (f != failed.end()) {
            o.blocked_by = f->second;
            failed[name] = f->second;
            o.reason = absl::StrCat("blocked: dependency ", dep, " failed");
            break;
          }
        }
        if (o.blocked_by.empty()) prior = PriorFrom(find_managed(name));
        prior.rerun_requested = options.rerun_tests.count(name) > 0;
      }
      if (!o.blocked_by.empty()) {
        // Reported like any finished resource so the user sees what waits on the failure.
        if (options.on_progress) options.on_progress(Phase::kFinished, o);
        return;
      }
      reconcilers::Reconciler* reconciler = registry_.For(resource.kind_case());
      if (reconciler == nullptr) {
        o.status =
            absl::UnimplementedError(absl::StrCat(name, ": no reconciler for kind ", o.kind));
        absl::MutexLock lock(&mu);
        failed[name] = name;
        return;
      }
      if (options.on_progress) options.on_progress(Phase::kStarted, o);
      const absl::Time start = clock_.Now();
      reconcilers::Context ctx{env, resource, ContentFor(env, i), outputs, prior, clock_};
      if (options.on_detail) {
        ctx.progress = [&options, &name](const std::string& msg) { options.on_detail(name, msg); };
      }
      const std::string& desired_hash = ctx.content.content_hash();
      if (apply) {
        ctx.checkpoint = [&](const nlohmann::json& memory) -> absl::Status {
          absl::MutexLock lock(&mu);
          ManagedResource* m = find_managed(name);
          if (m == nullptr) {
            m = state.add_inventory();
            m->set_name(name);
            m->set_kind(o.kind);
            *m->mutable_spec() = resource;
          }
          m->set_memory_json(memory.dump());
          return save_state();
        };
      }

      auto finish = [&]() {
        o.duration = clock_.Now() - start;
        if (options.on_progress) options.on_progress(Phase::kFinished, o);
      };

      absl::StatusOr<reconcilers::Change> change = reconciler->Plan(ctx);
      if (!change.ok()) {
        // In a plan, a resource whose inputs come from a dependency that will change only
        // learns them after apply; that is a pending change, not an error.
        std::string pending_dep;
        if (!apply && absl::IsFailedPrecondition(change.status())) {
          absl::MutexLock lock(&mu);
          for (const std::string& dep : graph.DependenciesOf(name)) {
            if (changing.count(dep)) pending_dep = dep;
          }
        }
        if (!pending_dep.empty()) {
          o.action = prior.applied_before ? Action::kUpdate : Action::kCreate;
          o.reason = absl::StrCat("(known after apply: depends on ", pending_dep, ")");
          absl::MutexLock lock(&mu);
          changing.insert(name);
        } else {
          o.status = Annotate(change.status(), name);
          absl::MutexLock lock(&mu);
          failed[name] = name;
        }
        finish();
        return;
      }

      // Reconcilers read what Plan observed with json::value(); give them an object even
      // when Plan recorded nothing (e.g. for a create).
      if (!change->observed.is_object()) change->observed = nlohmann::json::object();
      o.action = change->action;
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
      if (o.action != Action::kNone && !o.reported_only) {
        absl::MutexLock lock(&mu);
        changing.insert(name);
      }

      if (!apply) {
        finish();
        return;
      }
      const bool act = o.action != Action::kNone && !o.reported_only;
      reconcilers::ApplyResult applied;
      if (act) {
        absl::StatusOr<reconcilers::ApplyResult> r = reconciler->Apply(ctx, *change);
        if (!r.ok()) {
          o.status = Annotate(r.status(), name);
          absl::MutexLock lock(&mu);
          failed[name] = name;
          finish();
          return;
        }
        applied = *std::move(r);
        o.applied = true;
        o.run = applied.run;
        if (o.action == Action::kRun && applied.run.result() != envctl::v1::RUN_RESULT_SUCCEEDED) {
          o.status = absl::AbortedError(absl::StrCat(
              name, ": run ", applied.run.external_run_id(), " ended ",
              reconcilers::RunResultText(applied.run.result()), ": ", applied.run.message()));
        }
      }
      {
        absl::MutexLock lock(&mu);
        if (!o.status.ok()) failed[name] = name;
        ManagedResource* m = find_managed(name);
        const bool record = act || m == nullptr || m->applied_hash() != desired_hash;
        if (record && !o.reported_only) {
          if (m == nullptr) m = state.add_inventory();
          m->set_name(name);
          m->set_kind(o.kind);
          if (!applied.external_id.empty()) m->set_external_id(applied.external_id);
          m->set_applied_hash(desired_hash);
          m->clear_depends_on();
          for (const std::string& d : graph.DependenciesOf(name)) m->add_depends_on(d);
          *m->mutable_spec() = resource;
          if (act && !applied.memory.is_null()) m->set_memory_json(applied.memory.dump());
          *m->mutable_applied_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
              absl::ToUnixSeconds(clock_.Now()));
          if (absl::Status s = save_state(); !s.ok() && o.status.ok()) o.status = s;
        }
      }
      finish();
    });
    for (auto& o : outcomes) result.resources.push_back(std::move(o));
  }

  // Prune: managed resources that are no longer declared (or disabled), or all of them
  // for a destroy.
  std::vector<ManagedResource> orphans;
  for (const auto& m : state.inventory()) {
    if (!index.count(m.name())) orphans.push_back(m);
  }
  if (!orphans.empty()) {
    std::map<std::string, std::set<std::string>> orphan_deps;
    for (const auto& m : orphans) {
      auto& d = orphan_deps[m.name()];
      for (const auto& dep : m.depends_on()) {
        if (std::any_of(orphans.begin(), orphans.end(),
                        [&](const ManagedResource& o) { return o.name() == dep; })) {
          d.insert(dep);
        }
      }
    }
    ASSIGN_OR_RETURN(DependencyGraph prune_graph, DependencyGraph::Build(orphan_deps));
    const int max_prune = env.sync().max_prune() > 0 ? env.sync().max_prune() : 5;
    bool deletes_group = std::any_of(orphans.begin(), orphans.end(), [](const ManagedResource& m) {
      return m.spec().kind_case() == Resource::kResourceGroup;
    });
    const bool prune_on = options.destroy || env.sync().prune();
    if (prune_on && !options.allow_mass_prune &&
        (static_cast<int>(orphans.size()) > max_prune || deletes_group)) {
      result.prune_status = absl::FailedPreconditionError(absl::StrCat(
          "prune refused: it would delete ", orphans.size(), " resource(s)",
          deletes_group ? " including a whole resource group" : "", " (limit sync.maxPrune=",
          max_prune, "); review the plan and rerun with --allow-mass-prune"));
    }
    // A resource inside a container that is deleted too (notebooks in a provisioned
    // workspace, a secret in a vault, definitions in a factory) goes with it: deleting it
    // first would need the container's outputs (URL, vault URI), and is wasted work.
    std::map<std::string, std::vector<ResourceOutcome>> inside;  // container -> contents
    auto orphan_named = [&orphans](const std::string& name) -> const ManagedResource* {
      for (const auto& o : orphans) {
        if (o.name() == name) return &o;
      }
      return nullptr;
    };
    auto remove_from_inventory = [&](const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      auto* inv = state.mutable_inventory();
      for (int k = 0; k < inv->size(); ++k) {
        if (inv->Get(k).name() == name) {
          inv->DeleteSubrange(k, 1);
          return;
        }
      }
    };
    const std::string removed_reason = options.destroy ? "envctl destroy" : "removed from the repo";
    // Reverse dependency order: dependents go first.
    const auto& waves = prune_graph.waves();
    int prune_wave = 0;  // deletion waves count from 0 in the order they run
    for (auto wave = waves.rbegin(); wave != waves.rend(); ++wave, ++prune_wave) {
      for (const std::string& name : *wave) {
        const ManagedResource& m = *orphan_named(name);
        ResourceOutcome o;
        o.name = name;
        o.kind = m.kind();
        o.wave = prune_wave;
        const bool will_delete = prune_on && result.prune_status.ok();
        o.action = prune_on ? Action::kDelete : Action::kNone;
        o.reason = prune_on ? removed_reason : "removed from the repo; prune is off";
        const ManagedResource* container = orphan_named(spec::ContainerOf(m.spec()));
        if (prune_on && container != nullptr && spec::DeletionRemovesContents(container->spec())) {
          o.reason = absl::StrCat(removed_reason, "; deleted with ", container->name());
          inside[container->name()].push_back(std::move(o));
          continue;
        }
        if (apply && will_delete) {
          reconcilers::Reconciler* reconciler = registry_.For(m.spec().kind_case());
          if (options.on_progress) options.on_progress(Phase::kStarted, o);
          const absl::Time start = clock_.Now();
          if (reconciler == nullptr) {
            o.status =
                absl::UnimplementedError(absl::StrCat(name, ": no reconciler for kind ", m.kind()));
          } else {
            reconcilers::PriorState prior = PriorFrom(&m);
            ResourceContent content;
            content.set_resource(name);
            reconcilers::Context ctx{env, m.spec(), content, outputs, prior, clock_};
            o.status = Annotate(reconciler->Delete(ctx), name);
          }
          o.duration = clock_.Now() - start;
          o.applied = o.status.ok();
          if (o.status.ok()) {
            absl::MutexLock lock(&mu);
            remove_from_inventory(name);
            for (const ResourceOutcome& c : inside[name]) remove_from_inventory(c.name);
            if (absl::Status s = save_state(); !s.ok()) o.status = s;
          }
          if (options.on_progress) options.on_progress(Phase::kFinished, o);
        }
        // The contents are reported right before their container, with its result.
        for (ResourceOutcome& c : inside[name]) {
          if (apply && will_delete) {
            c.status = o.status.ok() ? absl::OkStatus()
                                     : absl::FailedPreconditionError(absl::StrCat(
                                           c.name, ": not deleted: deleting ", name, " failed"));
            c.applied = o.status.ok();
            if (options.on_progress) options.on_progress(Phase::kFinished, c);
          }
          result.prunes.push_back(std::move(c));
        }
        result.prunes.push_back(std::move(o));
      }
    }
  }

  if (apply) {
    absl::MutexLock lock(&mu);
    UpdateStatus(env, result, clock_.Now(), &state);
    RETURN_IF_ERROR(store_.Save(state));
  }
  return result;
}

}  // namespace envctl::controller
