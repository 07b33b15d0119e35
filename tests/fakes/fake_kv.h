// FakeKv: an in-memory KvStore with etcd's semantics for what HA uses — guarded writes,
// leases whose keys vanish when they expire — driven by a FakeClock (a lease expires when
// the clock passes its deadline; expiry is applied lazily at the next call). SetDown()
// makes every call fail with Unavailable (no quorum). WatchPrefix delivers each change on
// the writer's thread once the write is done (a callback must not write to the store);
// SetWatchesMuted() drops deliveries, as a broken watch stream would. Thread-safe.
#ifndef ENVCTL_TESTS_FAKES_FAKE_KV_H_
#define ENVCTL_TESTS_FAKES_FAKE_KV_H_

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "controller/kv_store.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::testing {

class FakeKv : public controller::KvStore {
 public:
  explicit FakeKv(FakeClock& clock) : clock_(clock) {}

  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  // While muted, changes are not delivered to watches (they are lost, not deferred).
  void SetWatchesMuted(bool muted) {
    absl::MutexLock lock(&mu_);
    muted_ = muted;
  }
  // Writes refused by a guard so far.
  int RefusedWrites() {
    absl::MutexLock lock(&mu_);
    return refused_;
  }

  absl::StatusOr<std::optional<controller::KeyValue>> Get(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = BeginLocked(); !s.ok()) return s;
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<controller::KeyValue>();
    return std::optional<controller::KeyValue>(it->second);
  }
  absl::StatusOr<std::vector<controller::KeyValue>> List(const std::string& prefix) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = BeginLocked(); !s.ok()) return s;
    std::vector<controller::KeyValue> out;
    for (const auto& [k, v] : data_) {
      if (absl::StartsWith(k, prefix)) out.push_back(v);
    }
    return out;
  }
  absl::Status Put(const std::string& key, const std::string& value, int64_t lease) override {
    absl::Status s;
    {
      absl::MutexLock lock(&mu_);
      s = BeginLocked();
      if (s.ok()) s = PutLocked(key, value, lease);
    }
    Deliver();
    return s;
  }
  absl::Status Delete(const std::string& key) override {
    absl::Status s;
    {
      absl::MutexLock lock(&mu_);
      s = BeginLocked();
      if (s.ok()) EraseLocked(key);
    }
    Deliver();
    return s;
  }
  absl::StatusOr<bool> PutIf(const std::vector<controller::KvGuard>& guards, const std::string& key,
                             const std::string& value, int64_t lease) override {
    absl::StatusOr<bool> out = false;
    {
      absl::MutexLock lock(&mu_);
      absl::Status s = BeginLocked();
      if (s.ok() && HoldLocked(guards)) {
        s = PutLocked(key, value, lease);
        out = true;
      }
      if (!s.ok()) out = s;
    }
    Deliver();
    return out;
  }
  absl::StatusOr<bool> DeleteIf(const std::vector<controller::KvGuard>& guards,
                                const std::string& key) override {
    absl::StatusOr<bool> out = false;
    {
      absl::MutexLock lock(&mu_);
      absl::Status s = BeginLocked();
      if (!s.ok()) {
        out = s;
      } else if (HoldLocked(guards)) {
        EraseLocked(key);
        out = true;
      }
    }
    Deliver();
    return out;
  }
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = BeginLocked(); !s.ok()) return s;
    const int64_t id = ++next_lease_;
    leases_[id] = Lease{ttl, clock_.Now() + ttl};
    return id;
  }
  absl::StatusOr<absl::Duration> KeepAlive(int64_t lease) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = BeginLocked(); !s.ok()) return s;
    auto it = leases_.find(lease);
    if (it == leases_.end())
      return absl::NotFoundError(absl::StrCat("lease ", lease, " not found"));
    it->second.deadline = clock_.Now() + it->second.ttl;
    return it->second.ttl;
  }
  absl::Status RevokeLease(int64_t lease) override {
    absl::Status s;
    {
      absl::MutexLock lock(&mu_);
      s = BeginLocked();
      if (s.ok()) DropLeaseLocked(lease);
    }
    Deliver();
    return s;
  }
  absl::StatusOr<std::unique_ptr<controller::KvWatch>> WatchPrefix(
      const std::string& prefix, std::function<void(const std::string& key)> on_change) override {
    absl::MutexLock lock(&mu_);
    const int id = ++next_watch_;
    watches_[id] = Watcher{prefix, std::move(on_change)};
    return std::unique_ptr<controller::KvWatch>(new Watch(*this, id));
  }

 private:
  struct Watcher {
    std::string prefix;
    std::function<void(const std::string&)> on_change;
  };
  class Watch : public controller::KvWatch {
   public:
    Watch(FakeKv& kv, int id) : kv_(kv), id_(id) {}
    ~Watch() override {
      {
        absl::MutexLock lock(&kv_.mu_);
        kv_.watches_.erase(id_);
      }
      absl::MutexLock delivering(&kv_.deliver_mu_);  // no callback of this watch runs past here
    }

   private:
    FakeKv& kv_;
    const int id_;
  };
  // Hands the changes made so far to the watches, outside mu_ (a callback may read).
  void Deliver() {
    absl::MutexLock delivering(&deliver_mu_);
    std::vector<std::string> changed;
    std::vector<Watcher> watches;
    {
      absl::MutexLock lock(&mu_);
      changed.swap(changed_);
      if (muted_) return;
      for (const auto& [id, w] : watches_) watches.push_back(w);
    }
    for (const std::string& key : changed) {
      for (const Watcher& w : watches) {
        if (absl::StartsWith(key, w.prefix)) w.on_change(key);
      }
    }
  }
  void EraseLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (data_.erase(key) > 0) changed_.push_back(key);
  }
  struct Lease {
    absl::Duration ttl;
    absl::Time deadline;
  };
  absl::Status BeginLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (down_) return absl::UnavailableError("fake etcd: no quorum");
    std::vector<int64_t> expired;
    for (const auto& [id, l] : leases_) {
      if (clock_.Now() >= l.deadline) expired.push_back(id);
    }
    for (int64_t id : expired) DropLeaseLocked(id);
    return absl::OkStatus();
  }
  void DropLeaseLocked(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    leases_.erase(id);
    for (auto it = data_.begin(); it != data_.end();) {
      if (it->second.lease == id) changed_.push_back(it->first);
      it = it->second.lease == id ? data_.erase(it) : std::next(it);
    }
  }
  absl::Status PutLocked(const std::string& key, const std::string& value, int64_t lease)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (lease != 0 && !leases_.count(lease))
      return absl::NotFoundError("requested lease not found");
    data_[key] = controller::KeyValue{key, value, lease, ++revision_};
    changed_.push_back(key);
    return absl::OkStatus();
  }
  bool HoldLocked(const std::vector<controller::KvGuard>& guards)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& g : guards) {
      auto it = data_.find(g.key);
      const bool holds =
          g.kind == controller::KvGuard::Kind::kAbsent
              ? it == data_.end()
              : it != data_.end() && it->second.value == g.value && it->second.lease == g.lease;
      if (!holds) {
        ++refused_;
        return false;
      }
    }
    return true;
  }

  FakeClock& clock_;
  absl::Mutex mu_;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int refused_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_lease_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, controller::KeyValue> data_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> changed_ ABSL_GUARDED_BY(mu_);  // not delivered yet
  bool muted_ ABSL_GUARDED_BY(mu_) = false;
  int next_watch_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, Watcher> watches_ ABSL_GUARDED_BY(mu_);
  absl::Mutex deliver_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one delivery at a time
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_FAKE_KV_H_
