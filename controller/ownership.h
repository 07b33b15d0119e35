// EnvironmentOwnership: which environments this process may act on. The embedded store
// needs none (one process owns everything: Controller treats a null ownership as "all");
// with the etcd backend ReplicaSet (controller/replica_set.h) decides. Implementations
// are thread-safe; Owns() and CheckOwnership() are local (no I/O) so the engine can ask
// before every resource.
#ifndef ENVCTL_CONTROLLER_OWNERSHIP_H_
#define ENVCTL_CONTROLLER_OWNERSHIP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace envctl::controller {

class EnvironmentOwnership {
 public:
  virtual ~EnvironmentOwnership() = default;
  // The environments the source declares (ownership is spread over these).
  virtual void SetEnvironments(const std::vector<std::string>& names) = 0;
  // True while this process owns `environment` and its lease is valid.
  virtual bool Owns(const std::string& environment) = 0;
  // OK when Owns(); FailedPrecondition naming the replica and why otherwise.
  virtual absl::Status CheckOwnership(const std::string& environment) = 0;
  // The replica id owning `environment` as last seen ("" when none).
  virtual std::string OwnerOf(const std::string& environment) = 0;
  // Called (on an ownership thread) each time this process acquires an environment.
  virtual void SetOnAcquired(std::function<void(const std::string&)> callback) = 0;
  // Whether a sync of `environment` is running here; ownership is released only when not.
  virtual void SetBusy(std::function<bool(const std::string&)> busy) = 0;
  // False (with the reason) while this replica cannot reach the store or lost its lease.
  virtual bool Healthy(std::string* why) = 0;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_OWNERSHIP_H_
