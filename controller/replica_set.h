// ReplicaSet: one controller replica's membership in a highly available group sharing a
// KvStore (etcd). The replica holds a lease (TTL ~10 s, renewed every TTL/3) and registers
// <prefix>/members/<replica id> under it. Each environment is owned by one replica at a
// time through <prefix>/owners/<environment> = <replica id>, bound to the owner's lease:
// when a replica dies its lease expires, etcd deletes its keys and the survivors take its
// environments over. Who should own what is rendezvous hashing of (environment, replica)
// over the live members, so a join or leave moves only the environments it must; an
// owner releases an environment another replica should own once no sync of it runs.
//
// Fencing: the owner key is written only if absent and deleted only by its holder, and
// the state store's writes compare it with (replica id, lease) (EtcdStateStore). Locally,
// CheckOwnership() also fails once the lease's deadline (the last renewal's send time +
// its TTL) has passed, so a replica paused past its TTL (SIGSTOP, GC, partition) stops
// acting the moment it resumes, before any I/O.
//
// Thread-safe. Start() runs the renewal and balancing loops; tests drive RenewLease()
// and Balance() directly on a fake store and clock.
#ifndef ENVCTL_CONTROLLER_REPLICA_SET_H_
#define ENVCTL_CONTROLLER_REPLICA_SET_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controller/kv_store.h"
#include "controller/ownership.h"
#include "metrics/metrics.h"

namespace envctl::controller {

struct ReplicaSetOptions {
  std::string replica_id;  // unique per replica: host:pid by default
  std::string prefix;      // e.g. "/envctl/bikeshare" (no trailing slash)
  absl::Duration lease_ttl = absl::Seconds(10);
  // How often membership and ownership are looked at. With an etcd watch on members and
  // owners a change is looked at as soon as it is seen; the interval is what remains.
  absl::Duration balance_interval = absl::Seconds(1);
};

// Rendezvous (highest random weight) hashing: the member with the highest hash of
// (environment, member). Deterministic; "" when `members` is empty.
std::string RendezvousOwner(const std::string& environment,
                            const std::vector<std::string>& members);

class ReplicaSet : public EnvironmentOwnership {
 public:
  ReplicaSet(KvStore& kv, Clock& clock, metrics::Metrics& metrics, ReplicaSetOptions options);
  ~ReplicaSet() override;

  // Starts the renewal and balancing threads (the first lease is granted on them).
  void Start();
  // Stops the loops, releases every owned environment and revokes the lease (a clean
  // shutdown hands environments over at once instead of after the TTL).
  void Stop();

  // One renewal: grants a lease (and registers the member) when none is held, else
  // renews it. A lease found expired drops every owned environment.
  absl::Status RenewLease();
  // One look at members and owners: acquires, releases, notices losses.
  absl::Status Balance();

  // EnvironmentOwnership.
  void SetEnvironments(const std::vector<std::string>& names) override;
  bool Owns(const std::string& environment) override;
  absl::Status CheckOwnership(const std::string& environment) override;
  std::string OwnerOf(const std::string& environment) override;
  void SetOnAcquired(std::function<void(const std::string&)> callback) override;
  void SetBusy(std::function<bool(const std::string&)> busy) override;
  bool Healthy(std::string* why) override;

  // A fenced write to the state store was refused: the environment is no longer ours.
  void MarkLost(const std::string& environment);

  const std::string& replica_id() const { return options_.replica_id; }
  const std::string& prefix() const { return options_.prefix; }
  // The current lease (0: none), for fenced writes.
  int64_t lease();
  std::string OwnerKey(const std::string& environment) const;
  std::string MemberKey(const std::string& replica) const;
  std::set<std::string> OwnedForTest();

 private:
  void LoseAllLocked(const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool LeaseValidLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  KvStore& kv_;
  Clock& clock_;
  metrics::Metrics& metrics_;
  const ReplicaSetOptions options_;

  absl::Mutex mu_;
  int64_t lease_ ABSL_GUARDED_BY(mu_) = 0;
  // Local deadline of the lease: when the last successful renewal was sent + its TTL.
  absl::Time lease_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status store_status_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("no lease yet");
  std::vector<std::string> environments_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> owned_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> owners_ ABSL_GUARDED_BY(mu_);  // last seen
  std::function<void(const std::string&)> on_acquired_ ABSL_GUARDED_BY(mu_);
  std::function<bool(const std::string&)> busy_ ABSL_GUARDED_BY(mu_);

  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool balance_due_ ABSL_GUARDED_BY(mu_) = false;  // a watch saw members or owners change
  std::vector<std::unique_ptr<KvWatch>> watches_;
  absl::Notification stop_;
  std::vector<std::thread> threads_;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_REPLICA_SET_H_
