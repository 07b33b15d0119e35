#include "cmd/envctl/log_flags.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace envctl::cli {

absl::Status ConfigureLogging(const Args& args, const std::string& default_format,
                              const std::string& default_level) {
  auto format = log::ParseFormat(args.Get(kLogFormatFlag, default_format));
  if (!format.ok())
    return absl::InvalidArgumentError(absl::StrCat("--log-format: ", format.status().message()));
  auto level = log::ParseLevel(args.Get(kLogLevelFlag, default_level));
  if (!level.ok())
    return absl::InvalidArgumentError(absl::StrCat("--log-level: ", level.status().message()));
  log::Options options;
  options.format = *format;
  options.level = *level;
  log::Configure(options);
  return absl::OkStatus();
}

std::string NewSyncId(const std::string& environment) {
  std::random_device seed;
  return absl::StrFormat("%s-%08x", environment, seed());
}

}  // namespace envctl::cli
