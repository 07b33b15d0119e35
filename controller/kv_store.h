// KvStore: the few operations of a consistent key-value store with leases that HA needs
// (membership, ownership, fenced state writes, forwarded calls). EtcdKvStore
// (controller/etcd_client.h) implements it on etcd v3; tests use tests/fakes/fake_kv.h.
// Implementations are thread-safe. Every call fails with Unavailable or DeadlineExceeded
// when the store cannot answer in time (no quorum, no reachable endpoint).
#ifndef ENVCTL_CONTROLLER_KV_STORE_H_
#define ENVCTL_CONTROLLER_KV_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace envctl::controller {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t lease = 0;  // 0: not bound to a lease
  int64_t mod_revision = 0;
};

// A condition of a guarded write, checked atomically with it.
struct KvGuard {
  enum class Kind {
    kAbsent,         // the key does not exist
    kValueAndLease,  // the key holds `value` and is bound to `lease`
  };
  Kind kind = Kind::kAbsent;
  std::string key;
  std::string value;
  int64_t lease = 0;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  // The key, or nullopt when absent.
  virtual absl::StatusOr<std::optional<KeyValue>> Get(const std::string& key) = 0;
  // Every key starting with `prefix`, in key order.
  virtual absl::StatusOr<std::vector<KeyValue>> List(const std::string& prefix) = 0;
  // Sets key=value (bound to `lease` unless 0).
  virtual absl::Status Put(const std::string& key, const std::string& value, int64_t lease) = 0;
  virtual absl::Status Delete(const std::string& key) = 0;
  // Sets key=value only if every guard holds; false (nothing written) when one does not.
  virtual absl::StatusOr<bool> PutIf(const std::vector<KvGuard>& guards, const std::string& key,
                                     const std::string& value, int64_t lease) = 0;
  // Deletes `key` only if every guard holds; false when one does not.
  virtual absl::StatusOr<bool> DeleteIf(const std::vector<KvGuard>& guards, const std::string& key) = 0;
  // A new lease of `ttl` (whole seconds, at least 1): its id.
  virtual absl::StatusOr<int64_t> GrantLease(absl::Duration ttl) = 0;
  // Renews the lease: the TTL granted from now. NotFound when it already expired.
  virtual absl::StatusOr<absl::Duration> KeepAlive(int64_t lease) = 0;
  // Ends the lease now; its keys are deleted.
  virtual absl::Status RevokeLease(int64_t lease) = 0;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_KV_STORE_H_
