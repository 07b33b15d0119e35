// RepoFiles: the one gate through which the loader (and so every reconciler, which only
// sees what the loader read) reads a repo's files. A path is repo-relative; `..`,
// absolute paths and symlinks that resolve outside the repo root are refused, as are
// non-regular files (FIFOs, devices, /proc) and files over a size limit. A symlink that
// points inside the repo is followed. Immutable after construction; safe from several
// threads.
#ifndef ENVCTL_SPEC_INTERNAL_REPO_FILES_H_
#define ENVCTL_SPEC_INTERNAL_REPO_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace envctl::spec::internal {

class RepoFiles {
 public:
  explicit RepoFiles(std::string root);

  // The absolute, symlink-free path of repo-relative `rel`. InvalidArgument when it
  // escapes the repo (the message says how), NotFound when it does not exist,
  // FailedPrecondition when it is not a regular file / not a directory as asked.
  absl::StatusOr<std::string> ResolveFile(const std::string& rel) const;
  absl::StatusOr<std::string> ResolveDir(const std::string& rel) const;

  // Reads repo-relative `rel` whole. Besides ResolveFile's errors, OutOfRange when the
  // file is larger than `max_bytes`.
  absl::StatusOr<std::string> Read(const std::string& rel, size_t max_bytes) const;

  // Repo-relative paths (generic form, sorted) of the regular files, or symlinks to
  // anything, under repo-relative folder `rel_dir` (recursively when `recursive`; hidden
  // entries included). Symlinked folders are not descended into. Callers read them with
  // Read, which applies the confinement rules.
  std::vector<std::string> List(const std::string& rel_dir, bool recursive) const;

 private:
  absl::StatusOr<std::string> Resolve(const std::string& rel) const;

  std::string root_;       // as given
  std::string canonical_;  // symlink-free; empty when the root does not exist
};

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_REPO_FILES_H_
