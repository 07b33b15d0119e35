// What `ignoreDifferences` may name: per kind, the paths its plan prints (and their
// parents), so a misspelled path is an error at load time instead of a rule that never
// matches. Kinds whose plan shows no per-field differences worth ignoring (folders of
// files, secrets, tests, role assignments) accept none. Pure functions over constant
// tables; safe from any thread.
#ifndef ENVCTL_SPEC_INTERNAL_IGNORE_PATHS_H_
#define ENVCTL_SPEC_INTERNAL_IGNORE_PATHS_H_

#include <string>
#include <vector>

#include "spec/kinds.h"

namespace envctl::spec::internal {

// "" when `path` names a path (or a parent of paths) plan can print for `kind`; otherwise
// the message to report, with a `did you mean` when a close path exists.
std::string CheckIgnorePath(Kind kind, const std::string& path);

// Display names of the kinds that accept ignoreDifferences ("StorageAccount", ...).
std::vector<std::string> KindsWithIgnorePaths();

// The kind whose display name is `name`, or KIND_NOT_SET.
Kind KindByName(const std::string& name);

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_IGNORE_PATHS_H_
