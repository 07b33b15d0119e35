// Minimal command-line parsing shared by envctl's subcommands:
// positional arguments plus `--name value`, `--name=value` and boolean `--name`.
#ifndef ENVCTL_CMD_ENVCTL_ARGS_H_
#define ENVCTL_CMD_ENVCTL_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace envctl::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--json" -> "true"

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
  bool GetBool(const std::string& name) const {
    auto it = flags.find(name);
    return it != flags.end() && it->second != "false" && it->second != "0";
  }
};

// Parses argv[first..argc). `value_flags` take a value; `bool_flags` do not. Anything
// else starting with "--" is an InvalidArgument error naming the flag.
absl::StatusOr<Args> ParseArgs(int argc, char** argv, int first,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& bool_flags);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_ARGS_H_
