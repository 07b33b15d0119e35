// StateStore: persistent per-environment state (status, managed-resource inventory, run
// records). The file implementation keeps one JSON document per environment under a
// directory and replaces it atomically (write temp, fsync, rename), so a crash never
// leaves a torn file and an interrupted apply resumes from what was recorded.
// Thread-safe.
#ifndef ENVCTL_CONTROLLER_STATE_STORE_H_
#define ENVCTL_CONTROLLER_STATE_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // The stored state, or an empty state named `environment` when none was saved yet.
  virtual absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) = 0;
  virtual absl::Status Save(const envctl::v1::EnvironmentState& state) = 0;
};

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

// Default state directory: $ENVCTL_STATE_DIR, else $XDG_STATE_HOME/envctl, else
// ~/.local/state/envctl; `project` becomes a subfolder.
std::string DefaultStateDir(const std::string& project);

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename).
absl::Status WriteFileAtomically(const std::string& path, const std::string& data);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_STATE_STORE_H_
