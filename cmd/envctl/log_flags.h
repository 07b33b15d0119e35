// `--log-format text|json` and `--log-level debug|info|warn|error|off`, shared by the
// commands that log (controller, apply, up). Lines go to standard error (the journal
// under systemd); a command's own progress output stays on standard output.
#ifndef ENVCTL_CMD_ENVCTL_LOG_FLAGS_H_
#define ENVCTL_CMD_ENVCTL_LOG_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "cmd/envctl/args.h"

namespace envctl::cli {

inline constexpr char kLogFormatFlag[] = "log-format";
inline constexpr char kLogLevelFlag[] = "log-level";

// Configures the process logger from the flags in `args`, falling back to
// `default_format` / `default_level` (e.g. from the controller config). InvalidArgument
// naming the flag and the accepted values when one is wrong.
absl::Status ConfigureLogging(const Args& args, const std::string& default_format,
                              const std::string& default_level);

// A sync id for a CLI apply of `environment`: "<environment>-<8 random hex digits>",
// unique enough to find one run's lines and cloud requests.
std::string NewSyncId(const std::string& environment);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_LOG_FLAGS_H_
