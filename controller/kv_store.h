// KvStore: the few operations of a consistent key-value store with leases that HA needs
// (membership, ownership, fenced state writes, forwarded calls). EtcdKvStore
// (controller/etcd_client.h) implements it on etcd v3; tests use tests/fakes/fake_kv.h.
// Implementations are thread-safe. Every call fails with Unavailable or DeadlineExceeded
// when the store cannot answer in time (no quorum, no reachable endpoint).
#ifndef ENVCTL_CONTROLLER_KV_STORE_H_
#define ENVCTL_CONTROLLER_KV_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
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

// A watch started by KvStore::WatchPrefix: it delivers changes until destroyed (the
// destructor returns once no callback runs any more).
class KvWatch {
 public:
  virtual ~KvWatch() = default;
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
  virtual absl::StatusOr<bool> DeleteIf(const std::vector<KvGuard>& guards,
                                        const std::string& key) = 0;
  // A new lease of `ttl` (whole seconds, at least 1): its id.
  virtual absl::StatusOr<int64_t> GrantLease(absl::Duration ttl) = 0;
  // Renews the lease: the TTL granted from now. NotFound when it already expired.
  virtual absl::StatusOr<absl::Duration> KeepAlive(int64_t lease) = 0;
  // Ends the lease now; its keys are deleted.
  virtual absl::Status RevokeLease(int64_t lease) = 0;
  // Calls `on_change(key)` after each put or delete of a key starting with `prefix`, on a
  // thread of the store, until the returned watch is destroyed. Delivery is best effort
  // across outages (a watch resumes where it left off when the store allows it), so a
  // caller that must not miss a change also looks now and then. Unimplemented by default.
  virtual absl::StatusOr<std::unique_ptr<KvWatch>> WatchPrefix(
      const std::string& prefix, std::function<void(const std::string& key)> on_change) {
    (void)prefix;
    (void)on_change;
    return absl::UnimplementedError("this key-value store has no watch");
  }
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_KV_STORE_H_
