// FolderSource: a Source over a local directory (`envctl apply DIR`, development loops).
// Nothing is copied; the revision is a content hash over the sorted relative paths and
// contents of every regular file, skipping hidden directories (`.git`, `.vscode`, ...),
// so an edit, a new file or a rename changes it and nothing else does.
// Not thread-safe (see source.h).
#ifndef ENVCTL_WATCHERS_FOLDER_SOURCE_H_
#define ENVCTL_WATCHERS_FOLDER_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "watchers/source.h"

namespace envctl::watchers {

// Fetch() returns {revision "sha256:<12 hex>", root = absolute `dir`}; NotFound naming the
// directory when it does not exist, FailedPrecondition when it is not a directory,
// Internal when a file cannot be read.
std::unique_ptr<Source> NewFolderSource(std::string dir);

// The revision Fetch() would report for `dir` (exposed for `envctl plan` output and tests).
absl::StatusOr<std::string> FolderRevision(const std::string& dir);

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_FOLDER_SOURCE_H_
