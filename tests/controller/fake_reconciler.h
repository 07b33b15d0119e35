// FakeReconciler: an in-memory "cloud" for engine tests. Each resource's live state is a
// JSON object {"location", "tags"} keyed by resource name; writes are counted; failures
// can be injected per resource. Thread-safe.
#ifndef ENVCTL_TESTS_CONTROLLER_FAKE_RECONCILER_H_
#define ENVCTL_TESTS_CONTROLLER_FAKE_RECONCILER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/reconciler.h"

namespace envctl::testing {

class FakeReconciler : public reconcilers::Reconciler {
 public:
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context& ctx) override {
    absl::MutexLock lock(&mu_);
    const std::string& name = ctx.resource.name();
    ++plans_[name];
    if (plan_failures_.count(name)) return absl::UnavailableError("injected plan failure");
    for (const auto& dep : ctx.resource.depends_on()) {
      if (!ctx.outputs.Get(dep, "id")) {
        return reconcilers::KnownAfterApplyError("output " + dep + ".id is not known yet");
      }
    }
    reconcilers::Change change;
    auto it = live_.find(name);
    change.exists = it != live_.end();
    nlohmann::json desired = Desired(ctx.resource);
    if (!change.exists) {
      change.action = reconcilers::Action::kCreate;
    } else {
      ctx.outputs.Set(name, "id", Id(name));
      change.external_id = "/fake/" + name;
      change.foreign = foreign_.count(name) > 0;
      if (reconcilers::DiffJson(desired, it->second, &change.fields)) {
        change.action = reconcilers::Action::kUpdate;
      }
    }
    return change;
  }

  absl::StatusOr<reconcilers::ApplyResult> Apply(reconcilers::Context& ctx,
                                                 const reconcilers::Change&) override {
    absl::MutexLock lock(&mu_);
    const std::string& name = ctx.resource.name();
    order_.push_back(name);
    if (apply_failures_.count(name)) {
      return absl::InvalidArgumentError("BadRequest: injected apply failure for " + name);
    }
    live_[name] = Desired(ctx.resource);
    ++writes_;
    ctx.outputs.Set(name, "id", Id(name));
    reconcilers::ApplyResult result;
    result.external_id = "/fake/" + name;
    if (versioned_) {
      // Like a Key Vault secret: each write is a new version, recorded in memory.
      last_version_[name] = "v" + std::to_string(writes_);
      result.memory = {{"version", last_version_[name]}};
    }
    return result;
  }

  absl::Status Delete(reconcilers::Context& ctx) override {
    absl::MutexLock lock(&mu_);
    deleted_.push_back(ctx.resource.name());
    live_.erase(ctx.resource.name());
    ++writes_;
    return absl::OkStatus();
  }

  static reconcilers::OutputValue Id(const std::string& name) {
    reconcilers::OutputValue v;
    v.value = "/fake/" + name;
    return v;
  }

  static nlohmann::json Desired(const envctl::v1::Resource& r) {
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [k, v] : r.tags()) tags[k] = v;
    return {{"location", r.resource_group().location()}, {"tags", tags}};
  }

  // `name` exists without envctl's marker (someone else made it): applying adopts it.
  void SetForeign(const std::string& name) {
    absl::MutexLock lock(&mu_);
    foreign_.insert(name);
  }

  void SetLive(const std::string& name, nlohmann::json live) {
    absl::MutexLock lock(&mu_);
    live_[name] = std::move(live);
  }
  void EraseLive(const std::string& name) {
    absl::MutexLock lock(&mu_);
    live_.erase(name);
  }
  bool Exists(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return live_.count(name) > 0;
  }
  std::optional<nlohmann::json> Live(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto it = live_.find(name);
    if (it == live_.end()) return std::nullopt;
    return it->second;
  }
  void FailApply(const std::string& name) {
    absl::MutexLock lock(&mu_);
    apply_failures_.insert(name);
  }
  void ClearFailures() {
    absl::MutexLock lock(&mu_);
    apply_failures_.clear();
    plan_failures_.clear();
  }
  int writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }
  // Plans (live reads) of `name` so far.
  int plans(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return plans_[name];
  }
  // Every write makes a new version ("v<n>"), recorded as memory {"version": ...}.
  void SetVersioned(bool versioned) {
    absl::MutexLock lock(&mu_);
    versioned_ = versioned;
  }
  std::string LastVersion(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return last_version_[name];
  }
  std::vector<std::string> order() {
    absl::MutexLock lock(&mu_);
    return order_;
  }
  std::vector<std::string> deleted() {
    absl::MutexLock lock(&mu_);
    return deleted_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, nlohmann::json> live_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> apply_failures_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> plan_failures_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> foreign_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> plans_ ABSL_GUARDED_BY(mu_);
  bool versioned_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::string> last_version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_CONTROLLER_FAKE_RECONCILER_H_
