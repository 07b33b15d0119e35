// StateStore: persistent per-environment state (status, managed-resource inventory, run
// records). Two backends implement it: FileStateStore here (the embedded default: one
// process, one JSON document per environment under a locked directory) and
// EtcdStateStore (controller/etcd_state_store.h: shared by replicas, fenced writes).
// Implementations are thread-safe.
#ifndef ENVCTL_CONTROLLER_STATE_STORE_H_
#define ENVCTL_CONTROLLER_STATE_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/kv_store.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // The stored state, or an empty state named `environment` when none was saved yet.
  virtual absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) = 0;
  // Replaces the environment's state. A shared backend refuses (FailedPrecondition,
  // "fenced: ...") a write by a process that no longer owns the environment.
  virtual absl::Status Save(const envctl::v1::EnvironmentState& state) = 0;
  // OK while this process may act on `environment` (write to the cloud and to the store);
  // FailedPrecondition once it may not (a shared backend's ownership moved or the lease
  // expired). The engine checks it before every resource it acts on. A local check: no I/O.
  virtual absl::Status CheckOwnership(const std::string& environment) {
    (void)environment;
    return absl::OkStatus();
  }
  // Calls `on_change(environment)`, on a thread of the store, after the state of
  // `environment` was saved (by any process), until the returned watch is destroyed.
  // Null when the store cannot watch, or has no writer but this process (the embedded one).
  virtual std::unique_ptr<KvWatch> WatchChanges(std::function<void(const std::string&)> on_change) {
    (void)on_change;
    return nullptr;
  }
};

// The embedded store: `dir`/<environment>.state.json, each replaced atomically (unique
// temp file, fsync, rename, fsync of the directory) so a crash, even kill -9 in the
// middle of a write, leaves either the old or the new document, never a torn one.
class FileStateStore : public StateStore {
 public:
  // `dir` is created on first Save.
  explicit FileStateStore(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) override;
  absl::Status Save(const envctl::v1::EnvironmentState& state) override;
  std::string PathFor(const std::string& environment) const;

 private:
  const std::string dir_;
  absl::Mutex mu_;
};

// An exclusive advisory lock (flock) on a state directory, held until destroyed (or the
// process dies: the kernel releases it, so a kill -9 leaves no stale lock). The lock file
// `dir`/.lock holds the holder's pid, so a second process is told who holds it.
class StateDirLock {
 public:
  // Creates `dir` if needed and takes the lock without waiting: FailedPrecondition
  // "state dir D is in use by pid P" when another process holds it.
  static absl::StatusOr<std::unique_ptr<StateDirLock>> Acquire(const std::string& dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

  // The pid holding the lock on `dir`, or 0 when nobody does (status shows it as owner).
  static int HolderPid(const std::string& dir);

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Default state directory: $ENVCTL_STATE_DIR, else $XDG_STATE_HOME/envctl, else
// ~/.local/state/envctl; `project` becomes a subfolder.
std::string DefaultStateDir(const std::string& project);

// Writes `data` to `path` atomically: a temp file with a name unique to this call in the
// same directory, write, fsync, rename over `path`, fsync of the directory (so the rename
// itself survives a power loss). The temp file is removed and its descriptor closed on
// every failure.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_STATE_STORE_H_
