#include "controller/replica_set.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace envctl::controller {

namespace {

// FNV-1a 64 followed by a final mix: stable across processes and builds (std::hash is not
// guaranteed to be), so every replica computes the same owner.
uint64_t Hash64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::string RendezvousOwner(const std::string& environment,
                            const std::vector<std::string>& members) {
  std::string best;
  uint64_t best_weight = 0;
  for (const std::string& m : members) {
    const uint64_t w = Hash64(environment + '\0' + m);
    if (best.empty() || w > best_weight || (w == best_weight && m < best)) {
      best = m;
      best_weight = w;
    }
  }
  return best;
}

ReplicaSet::ReplicaSet(KvStore& kv, Clock& clock, metrics::Metrics& metrics,
                       ReplicaSetOptions options)
    : kv_(kv), clock_(clock), metrics_(metrics), options_(std::move(options)) {}

ReplicaSet::~ReplicaSet() { Stop(); }

std::string ReplicaSet::OwnerKey(const std::string& environment) const {
  return absl::StrCat(options_.prefix, "/owners/", environment);
}
std::string ReplicaSet::MemberKey(const std::string& replica) const {
  return absl::StrCat(options_.prefix, "/members/", replica);
}

void ReplicaSet::Start() {
  if (!threads_.empty()) return;
  threads_.emplace_back([this] {
    const absl::Duration every = options_.lease_ttl / 3;
    do {
      absl::Status s = RenewLease();
      if (!s.ok()) log::Warn("ha_lease_error").Str("replica", options_.replica_id).Error(s);
    } while (!stop_.WaitForNotificationWithTimeout(lease() == 0 ? absl::Milliseconds(500) : every));
  });
  // A member leaving (its lease expired: etcd deletes its keys) or an owner key released
  // is looked at when the watch sees it, not at the next interval.
  for (const char* what : {"/members/", "/owners/"}) {
    absl::StatusOr<std::unique_ptr<KvWatch>> watch =
        kv_.WatchPrefix(options_.prefix + what, [this](const std::string&) {
          absl::MutexLock lock(&mu_);
          balance_due_ = true;
        });
    if (watch.ok()) watches_.push_back(std::move(*watch));
  }
  threads_.emplace_back([this] {
    while (true) {
      absl::Status s = Balance();
      if (!s.ok()) log::Warn("ha_balance_error").Str("replica", options_.replica_id).Error(s);
      absl::MutexLock lock(&mu_);
      auto woken = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return balance_due_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), options_.balance_interval);
      if (stopping_) return;
      balance_due_ = false;
    }
  });
}

void ReplicaSet::Stop() {
  if (threads_.empty()) return;
  stop_.Notify();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  watches_.clear();
  int64_t lease = 0;
  {
    absl::MutexLock lock(&mu_);
    lease = lease_;
    LoseAllLocked("stopping");
    lease_ = 0;
    lease_deadline_ = absl::InfinitePast();
  }
  // Revoking deletes the member key and every owner key bound to the lease: the other
  // replicas take over at their next balance instead of after the TTL.
  if (lease != 0) kv_.RevokeLease(lease).IgnoreError();
}

int64_t ReplicaSet::lease() {
  absl::MutexLock lock(&mu_);
  return lease_;
}

bool ReplicaSet::LeaseValidLocked() { return lease_ != 0 && clock_.Now() < lease_deadline_; }

void ReplicaSet::LoseAllLocked(const std::string& why) {
  for (const std::string& env : owned_) {
    metrics_.ha_ownership_changes_total().Add({{"change", "lost"}}).Increment();
    log::Warn("ha_ownership_lost")
        .Str("replica", options_.replica_id)
        .Str("environment", env)
        .Str("reason", why);
  }
  owned_.clear();
  UpdateGaugesLocked();
}

void ReplicaSet::UpdateGaugesLocked() {
  metrics_.ha_owned_environments().Add({}).Set(static_cast<double>(owned_.size()));
}

absl::Status ReplicaSet::RenewLease() {
  int64_t lease = 0;
  {
    absl::MutexLock lock(&mu_);
    lease = lease_;
  }
  const absl::Time sent = clock_.Now();
  if (lease == 0) {
    absl::StatusOr<int64_t> granted = kv_.GrantLease(options_.lease_ttl);
    if (!granted.ok()) {
      absl::MutexLock lock(&mu_);
      store_status_ = granted.status();
      return granted.status();
    }
    if (absl::Status put = kv_.Put(MemberKey(options_.replica_id), options_.replica_id, *granted);
        !put.ok()) {
      kv_.RevokeLease(*granted).IgnoreError();
      absl::MutexLock lock(&mu_);
      store_status_ = put;
      return put;
    }
    absl::MutexLock lock(&mu_);
    lease_ = *granted;
    lease_deadline_ = sent + options_.lease_ttl;
    store_status_ = absl::OkStatus();
    log::Info("ha_lease_granted")
        .Str("replica", options_.replica_id)
        .Int("lease", lease_)
        .Int("ttl_s", absl::ToInt64Seconds(options_.lease_ttl));
    return absl::OkStatus();
  }
  absl::StatusOr<absl::Duration> ttl = kv_.KeepAlive(lease);
  absl::MutexLock lock(&mu_);
  if (lease_ != lease) return absl::OkStatus();  // stopped meanwhile
  if (absl::IsNotFound(ttl.status())) {
    // The store let the lease go (paused or cut off past the TTL): everything it bound is
    // gone and may already belong to others.
    LoseAllLocked("lease expired");
    lease_ = 0;
    lease_deadline_ = absl::InfinitePast();
    store_status_ =
        absl::UnavailableError(absl::StrCat("lease of replica ", options_.replica_id, " expired"));
    return store_status_;
  }
  if (!ttl.ok()) {
    store_status_ = ttl.status();
    return ttl.status();
  }
  lease_deadline_ = sent + *ttl;
  store_status_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status ReplicaSet::Balance() {
  int64_t lease = 0;
  std::vector<std::string> environments;
  std::function<bool(const std::string&)> busy;
  {
    absl::MutexLock lock(&mu_);
    lease = LeaseValidLocked() ? lease_ : 0;
    environments = environments_;
    busy = busy_;
  }
  absl::StatusOr<std::vector<KeyValue>> members =
      kv_.List(absl::StrCat(options_.prefix, "/members/"));
  if (!members.ok()) return members.status();
  absl::StatusOr<std::vector<KeyValue>> owner_keys =
      kv_.List(absl::StrCat(options_.prefix, "/owners/"));
  if (!owner_keys.ok()) return owner_keys.status();

  std::vector<std::string> live;
  for (const KeyValue& m : *members) live.push_back(m.value);
  const bool registered = std::find(live.begin(), live.end(), options_.replica_id) != live.end();
  const std::string owners_prefix = absl::StrCat(options_.prefix, "/owners/");
  std::map<std::string, KeyValue> held;  // environment -> owner key
  for (const KeyValue& kv : *owner_keys) held[kv.key.substr(owners_prefix.size())] = kv;

  std::vector<std::string> acquired, released;
  std::set<std::string> now_owned;
  const std::set<std::string> declared(environments.begin(), environments.end());
  for (const std::string& env : environments) {
    const std::string desired = RendezvousOwner(env, live);
    auto it = held.find(env);
    if (it == held.end()) {
      if (lease == 0 || !registered || desired != options_.replica_id) continue;
      absl::StatusOr<bool> won = kv_.PutIf({{KvGuard::Kind::kAbsent, OwnerKey(env), "", 0}},
                                           OwnerKey(env), options_.replica_id, lease);
      if (won.ok() && *won) {
        held[env] = KeyValue{OwnerKey(env), options_.replica_id, lease, 0};
        now_owned.insert(env);
      }
      continue;
    }
    const KeyValue& owner = it->second;
    if (lease == 0 || owner.value != options_.replica_id || owner.lease != lease) continue;
    if (desired != options_.replica_id && !desired.empty() && !(busy && busy(env))) {
      released.push_back(env);
      continue;
    }
    now_owned.insert(env);
  }
  // Held but no longer declared: hand back.
  for (const auto& [env, owner] : held) {
    if (!declared.count(env) && lease != 0 && owner.value == options_.replica_id &&
        owner.lease == lease && !(busy && busy(env))) {
      released.push_back(env);
    }
  }

  std::function<void(const std::string&)> on_acquired;
  {
    absl::MutexLock lock(&mu_);
    on_acquired = on_acquired_;
    for (const std::string& env : released) owned_.erase(env);  // stop acting before letting go
    std::vector<std::string> lost;
    for (const std::string& env : owned_) {
      if (!now_owned.count(env) && declared.count(env)) lost.push_back(env);
    }
    for (const std::string& env : lost) {
      owned_.erase(env);
      metrics_.ha_ownership_changes_total().Add({{"change", "lost"}}).Increment();
      log::Warn("ha_ownership_lost")
          .Str("replica", options_.replica_id)
          .Str("environment", env)
          .Str("reason", "owner key gone or held by another replica");
    }
    for (const std::string& env : now_owned) {
      if (owned_.insert(env).second) {
        acquired.push_back(env);
        metrics_.ha_ownership_changes_total().Add({{"change", "acquired"}}).Increment();
        log::Info("ha_ownership_acquired")
            .Str("replica", options_.replica_id)
            .Str("environment", env)
            .Int("lease", lease);
      }
    }
    owners_.clear();
    for (const auto& [env, owner] : held) owners_[env] = owner.value;
    int unowned = 0;
    for (const std::string& env : environments) unowned += held.count(env) ? 0 : 1;
    metrics_.ha_replicas().Add({}).Set(static_cast<double>(live.size()));
    metrics_.ha_unowned_environments().Add({}).Set(static_cast<double>(unowned));
    UpdateGaugesLocked();
  }
  for (const std::string& env : released) {
    // A sync may have started between the busy check and the erase above: keep the key
    // (it stops at its next resource; the next balance hands the environment over).
    if (busy && busy(env)) continue;
    kv_.DeleteIf({{KvGuard::Kind::kValueAndLease, OwnerKey(env), options_.replica_id, lease}},
                 OwnerKey(env))
        .IgnoreError();
    metrics_.ha_ownership_changes_total().Add({{"change", "released"}}).Increment();
    log::Info("ha_ownership_released")
        .Str("replica", options_.replica_id)
        .Str("environment", env)
        .Str("to", RendezvousOwner(env, live));
  }
  if (on_acquired) {
    for (const std::string& env : acquired) on_acquired(env);
  }
  return absl::OkStatus();
}

void ReplicaSet::SetEnvironments(const std::vector<std::string>& names) {
  absl::MutexLock lock(&mu_);
  environments_ = names;
}

bool ReplicaSet::Owns(const std::string& environment) {
  absl::MutexLock lock(&mu_);
  return owned_.count(environment) > 0 && LeaseValidLocked();
}

absl::Status ReplicaSet::CheckOwnership(const std::string& environment) {
  absl::MutexLock lock(&mu_);
  if (!owned_.count(environment)) {
    auto it = owners_.find(environment);
    return absl::FailedPreconditionError(
        absl::StrCat("fenced: replica ", options_.replica_id, " does not own environment ",
                     environment, " (owner: ", it == owners_.end() ? "none" : it->second, ")"));
  }
  if (!LeaseValidLocked()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "fenced: the lease of replica ", options_.replica_id,
        " is past its deadline; not acting on environment ", environment, " until it is renewed"));
  }
  return absl::OkStatus();
}

std::string ReplicaSet::OwnerOf(const std::string& environment) {
  absl::MutexLock lock(&mu_);
  auto it = owners_.find(environment);
  return it == owners_.end() ? "" : it->second;
}

void ReplicaSet::SetOnAcquired(std::function<void(const std::string&)> callback) {
  absl::MutexLock lock(&mu_);
  on_acquired_ = std::move(callback);
}

void ReplicaSet::SetBusy(std::function<bool(const std::string&)> busy) {
  absl::MutexLock lock(&mu_);
  busy_ = std::move(busy);
}

bool ReplicaSet::Healthy(std::string* why) {
  absl::MutexLock lock(&mu_);
  // The reason says whether the replica still acts (renewals failing inside the lease) or
  // has stopped (past the lease deadline: it writes nothing until a renewal succeeds).
  if (lease_ != 0 && !LeaseValidLocked()) {
    if (why) {
      *why = absl::StrCat(
          "lease of replica ", options_.replica_id,
          " is past its deadline; acting on no environment until it is renewed",
          store_status_.ok() ? "" : absl::StrCat(" (etcd: ", store_status_.message(), ")"));
    }
    return false;
  }
  if (!store_status_.ok()) {
    if (why) {
      *why = absl::StrCat("etcd: ", store_status_.message());
      if (lease_ != 0) {
        absl::StrAppend(why, " (lease valid for another ",
                        absl::FormatDuration(
                            absl::Trunc(lease_deadline_ - clock_.Now(), absl::Milliseconds(100))),
                        ")");
      }
    }
    return false;
  }
  if (!LeaseValidLocked()) {
    if (why) *why = absl::StrCat("lease of replica ", options_.replica_id, " not renewed in time");
    return false;
  }
  return true;
}

void ReplicaSet::MarkLost(const std::string& environment) {
  absl::MutexLock lock(&mu_);
  if (owned_.erase(environment) == 0) return;
  metrics_.ha_ownership_changes_total().Add({{"change", "lost"}}).Increment();
  log::Warn("ha_ownership_lost")
      .Str("replica", options_.replica_id)
      .Str("environment", environment)
      .Str("reason", "a fenced write was refused");
  UpdateGaugesLocked();
}

std::set<std::string> ReplicaSet::OwnedForTest() {
  absl::MutexLock lock(&mu_);
  return owned_;
}

}  // namespace envctl::controller
