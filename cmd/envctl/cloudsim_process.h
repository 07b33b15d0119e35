// CloudsimProcess: the emulator as a child process. envctl links no cloudsim code; it runs
// the `cloudsim` binary that sits beside its own executable (bin/cloudsim when
// installed; cloudsim/cloudsim in the build dir). Used by `envctl up` (child until envctl exits)
// and `envctl cloudsim` (exec). Not thread-safe.
#ifndef ENVCTL_CMD_ENVCTL_CLOUDSIM_PROCESS_H_
#define ENVCTL_CMD_ENVCTL_CLOUDSIM_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace envctl::cli {

// The `cloudsim` binary beside this executable; NotFound naming the path looked at.
absl::StatusOr<std::string> CloudsimBinary();

class CloudsimProcess {
 public:
  // Starts `cloudsim --state-dir D --port P --speed X` with its output in D/cloudsim.log
  // and waits (at most `timeout`) for D/endpoints.json, which cloudsim writes once every
  // listener accepts connections. Errors carry the tail of the log.
  static absl::StatusOr<std::unique_ptr<CloudsimProcess>> Start(
      const std::string& state_dir, int port, double speed,
      absl::Duration timeout = absl::Seconds(60));
  // SIGTERM and wait.
  ~CloudsimProcess();

  const std::string& endpoints_file() const { return endpoints_file_; }

 private:
  CloudsimProcess() = default;
  pid_t pid_ = -1;
  std::string endpoints_file_;
};

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_CLOUDSIM_PROCESS_H_
