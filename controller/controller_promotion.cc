// Controller's promotion room: which revision each environment runs (ResolveRevision,
// SpecAt), what a sync or a finished test run establishes about that revision
// (RecordRevisionFacts), and how environments promoted from an upstream hear that it
// moved — queued here (QueueDownstream) or, with several replicas, through the shared
// store (OnUpstreamChanged, LookAtUpstreams). The rules themselves are promotion.h's.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "controller/controller.h"
#include "controller/internal/controller_shared.h"
#include "controller/promotion.h"
#include "controller/sync_window.h"

namespace envctl::controller {

namespace {

using envctl::v1::Environment;
using internal::kEnvPrefix;
using internal::kSourceKey;

// What a downstream environment decides on (and says while it waits) from its upstream's
// promotion status.
std::string UpstreamFingerprint(const envctl::v1::PromotionStatus& p) {
  return absl::StrCat(p.revision(), "\n", p.verified_revision(), "\n", p.verification());
}

}  // namespace

absl::StatusOr<Environment> Controller::SpecAt(const std::string& name,
                                               const std::string& revision) {
  {
    absl::MutexLock lock(&mu_);
    auto r = specs_by_revision_.find(revision);
    if (r != specs_by_revision_.end()) {
      auto e = r->second.find(name);
      if (e == r->second.end()) {
        return absl::NotFoundError(absl::StrCat("revision ", ShortRevision(revision),
                                                " does not declare environment \"", name, "\""));
      }
      return e->second;
    }
  }
  if (!options_.revision_loader) {
    return absl::NotFoundError(absl::StrCat(
        "revision ", revision, " is not known to this controller (not loaded since it started)"));
  }
  ASSIGN_OR_RETURN(std::vector<Environment> envs, options_.revision_loader(revision));
  absl::MutexLock lock(&mu_);
  auto& cached = specs_by_revision_[revision];
  for (Environment& env : envs) {
    env.set_revision(revision);
    cached[env.name()] = env;
  }
  if (std::find(revision_order_.begin(), revision_order_.end(), revision) == revision_order_.end())
    revision_order_.insert(revision_order_.begin(), revision);  // older: evicted first
  auto e = cached.find(name);
  if (e == cached.end()) {
    return absl::NotFoundError(absl::StrCat("revision ", ShortRevision(revision),
                                            " does not declare environment \"", name, "\""));
  }
  return e->second;
}

absl::StatusOr<bool> Controller::ResolveRevision(const std::string& name, bool override_windows,
                                                 Environment* spec, bool* writes_allowed,
                                                 std::string* window_reason) {
  PromotionInputs in;
  in.environment = name;
  envctl::v1::SyncPolicy sync;
  {
    absl::MutexLock lock(&mu_);
    auto it = envs_.find(name);
    if (it == envs_.end())
      return absl::NotFoundError(absl::StrCat("no environment \"", name, "\""));
    in.policy = it->second.latest.promotion();
    in.newest_revision = revision_;
    sync = it->second.latest.sync();
    // A controller limited to some environments cannot see an upstream it does not manage:
    // the environment follows the newest revision (docs/controller.md, "Promotion").
    auto up = envs_.find(in.policy.from());
    if (!in.policy.from().empty() && (up == envs_.end() || !up->second.declared))
      in.policy.clear_from();
  }
  ASSIGN_OR_RETURN(envctl::v1::EnvironmentState state, store_.Load(name));
  state.set_environment(name);
  state.mutable_status()->set_name(name);
  envctl::v1::EnvironmentState upstream;
  if (!in.policy.from().empty()) {
    ASSIGN_OR_RETURN(upstream, store_.Load(in.policy.from()));
    if (upstream.status().has_promotion()) in.upstream = &upstream.status().promotion();
  }
  if (!override_windows && sync.windows_size() > 0) {
    absl::StatusOr<WindowVerdict> verdict = EvaluateWindows(sync, clock_.Now());
    if (!verdict.ok()) {
      // A malformed window must not open writes it was meant to forbid.
      in.writes_allowed = false;
      in.window_reason = std::string(verdict.status().message());
    } else {
      in.writes_allowed = verdict->writes_allowed;
      in.window_reason = verdict->reason;
    }
  }
  *writes_allowed = in.writes_allowed;
  *window_reason = in.window_reason;
  envctl::v1::PromotionStatus* promotion = state.mutable_status()->mutable_promotion();
  const std::string before = promotion->SerializeAsString();
  const bool moved = Decide(in, clock_.Now(), promotion);
  // Gauges first: whoever sees the new status also sees the gauges that describe it.
  metrics_.SetPromotion(name, *promotion);
  if (promotion->SerializeAsString() != before) RETURN_IF_ERROR(store_.Save(state));
  if (moved) {
    Publish(envctl::v1::EVENT_TYPE_SOURCE_CHANGED, name, "",
            absl::StrCat("adopted revision ", promotion->revision(), " (",
                         promotion->history(0).reason(), ")"),
            promotion->revision());
  }
  if (promotion->revision().empty()) return false;
  absl::StatusOr<Environment> at = SpecAt(name, promotion->revision());
  if (absl::IsNotFound(at.status())) {
    // Adopted from an upstream another replica owns, at a revision this one has not
    // fetched yet: look at the source now (the sync is retried after its backoff).
    queue_.Add(kSourceKey);
  }
  if (!at.ok()) return at.status();
  *spec = *std::move(at);
  absl::MutexLock lock(&mu_);
  auto it = envs_.find(name);
  if (it != envs_.end()) it->second.spec = *spec;
  return true;
}

void Controller::RecordRevisionFacts(const std::string& name, const Environment& spec) {
  absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(name);
  if (!state.ok() || !state->status().has_promotion()) return;
  envctl::v1::PromotionStatus* promotion = state->mutable_status()->mutable_promotion();
  const std::string before = promotion->SerializeAsString();
  RecordFacts(FactsOf(spec, *state), promotion);
  if (promotion->SerializeAsString() == before) return;
  if (!store_.Save(*state).ok()) return;  // recorded again after the next sync or poll
  {
    // Queued here: the store's notice of this very save changes nothing more.
    absl::MutexLock lock(&mu_);
    upstream_seen_[name] = UpstreamFingerprint(*promotion);
  }
  QueueDownstream(name);
}

void Controller::OnUpstreamChanged(const std::string& upstream) {
  std::vector<std::string> downstream;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [other, entry] : envs_) {
      if (entry.declared && entry.latest.promotion().from() == upstream)
        downstream.push_back(other);
    }
  }
  downstream.erase(std::remove_if(downstream.begin(), downstream.end(),
                                  [this](const std::string& d) { return !Owns(d); }),
                   downstream.end());
  if (downstream.empty()) return;
  absl::StatusOr<envctl::v1::EnvironmentState> state = store_.Load(upstream);
  if (!state.ok()) return;  // the periodic look tries again
  const envctl::v1::PromotionStatus& p = state->status().promotion();
  {
    absl::MutexLock lock(&mu_);
    std::string& last = upstream_seen_[upstream];
    if (last == UpstreamFingerprint(p)) return;
    last = UpstreamFingerprint(p);
  }
  for (const std::string& d : downstream) {
    log::Info("upstream_changed")
        .Str("environment", d)
        .Str("upstream", upstream)
        .Str("upstream_revision", p.revision())
        .Str("verified_revision", p.verified_revision());
    queue_.Add(kEnvPrefix + d);
  }
}

void Controller::LookAtUpstreams() {
  std::set<std::string> upstreams;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : envs_) {
      if (entry.declared && !entry.latest.promotion().from().empty())
        upstreams.insert(entry.latest.promotion().from());
    }
  }
  for (const std::string& upstream : upstreams) OnUpstreamChanged(upstream);
}

void Controller::QueueDownstream(const std::string& name) {
  std::vector<std::string> downstream;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [other, entry] : envs_) {
      if (entry.declared && entry.latest.promotion().from() == name) downstream.push_back(other);
    }
  }
  for (const std::string& d : downstream) queue_.Add(kEnvPrefix + d);
}

}  // namespace envctl::controller
