// EtcdStateStore: the StateStore of highly available controllers. Each environment's
// state (status, inventory and run memory, so run records are shared: a new owner resumes
// polling the run its predecessor submitted) is one serialized EnvironmentState under
// <prefix>/state/<environment>. Every write is a transaction guarded by the environment's
// owner key holding this replica's id and lease: a replica that lost ownership can never
// overwrite its successor's state; a refused write marks the environment lost here.
// Reads are linearizable and work on any replica. Thread-safe.
#ifndef ENVCTL_CONTROLLER_ETCD_STATE_STORE_H_
#define ENVCTL_CONTROLLER_ETCD_STATE_STORE_H_

#include <string>

#include "controller/kv_store.h"
#include "controller/replica_set.h"
#include "controller/state_store.h"

namespace envctl::controller {

class EtcdStateStore : public StateStore {
 public:
  // `replicas` may be null for a read-only store (envctl status): then Save fails.
  EtcdStateStore(KvStore& kv, std::string prefix, ReplicaSet* replicas)
      : kv_(kv), prefix_(std::move(prefix)), replicas_(replicas) {}

  absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) override;
  // FailedPrecondition "fenced: ..." when this replica does not own the environment (by
  // its own knowledge, or by the store's compare).
  absl::Status Save(const envctl::v1::EnvironmentState& state) override;
  absl::Status CheckOwnership(const std::string& environment) override;
  // An etcd Watch on <prefix>/state/ (null, with a warning logged, if it cannot start).
  std::unique_ptr<KvWatch> WatchChanges(std::function<void(const std::string&)> on_change) override;

  // Every environment with stored state, sorted.
  absl::StatusOr<std::vector<std::string>> Environments();
  // The replica id in the environment's owner key ("" when none).
  absl::StatusOr<std::string> Owner(const std::string& environment);

  std::string StateKey(const std::string& environment) const;

 private:
  KvStore& kv_;
  const std::string prefix_;
  ReplicaSet* const replicas_;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_ETCD_STATE_STORE_H_
