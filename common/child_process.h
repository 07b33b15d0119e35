// Starting a child process whose stdout and stderr go to a log file (cloudsim under
// `envctl up`, envctl under the benchmark): one posix_spawn recipe instead of copies.
#ifndef ENVCTL_COMMON_CHILD_PROCESS_H_
#define ENVCTL_COMMON_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace envctl {

// Starts argv[0] (a path, not searched in PATH) with argv and this process's environment;
// stdout and stderr both write `log_path` (created with `mode`, truncated). The caller
// waits for the returned pid.
absl::StatusOr<pid_t> SpawnWithLog(const std::vector<std::string>& argv,
                                   const std::string& log_path, mode_t mode = 0600);

}  // namespace envctl

#endif  // ENVCTL_COMMON_CHILD_PROCESS_H_
