// GitSource: a Source that keeps a local clone of one branch of a Git repository (libgit2).
// The first Fetch() creates the clone in `checkout_dir` (or reuses a clone already there
// whose origin is the same URL); every Fetch() then fetches origin and force-checks out
// origin/<branch> with a detached HEAD, discarding local edits and untracked files, so
// the working tree always equals the commit reported. The revision is the commit's 40-hex
// sha; `root` is <checkout_dir>/<path>. ExportRevision() writes any fetched commit's
// <path> folder from the clone's object database (no checkout), for environments that run
// another revision than the branch's head (promotion, rollback); see snapshot_store.h.
//
// Private HTTPS repositories: `token_env` names an environment variable holding a token
// (GitHub/GitLab PAT, Azure DevOps PAT, ...). It is read on every Fetch (so rotation needs no
// restart), sent as basic auth with user "x-access-token", and never stored, logged or put
// in an error. Credentials embedded in the URL are likewise stripped from Describe() and
// errors. SSH URLs are not supported.
// Not thread-safe (see source.h).
#ifndef ENVCTL_WATCHERS_GIT_SOURCE_H_
#define ENVCTL_WATCHERS_GIT_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "watchers/source.h"

namespace envctl::watchers {

struct GitSourceOptions {
  // https://host/org/repo.git, http://..., file:///path/repo, or a local path.
  std::string url;
  std::string branch = "main";
  // Folder inside the repository holding envctl.yaml; "" for the top.
  std::string path;
  // Where the clone lives; created when missing. Must be empty, absent, or a clone of `url`.
  std::string checkout_dir;
  // Name of the environment variable holding an HTTPS token; "" for public repositories.
  std::string token_env;
};

// InvalidArgument when `url` or `checkout_dir` is empty, `url` is an ssh or other
// unsupported URL, or `path` is absolute or climbs out with "..". Does no I/O.
//
// Fetch() errors: Unavailable when the remote cannot be reached; PermissionDenied when it
// wants credentials that are missing or refused; FailedPrecondition when checkout_dir holds
// something else (another origin, or files that are not a clone) or token_env names an
// unset variable; NotFound when the branch does not exist (listing branches that do) or
// `path` does not exist at that commit (naming both).
absl::StatusOr<std::unique_ptr<Source>> NewGitSource(GitSourceOptions options);

// `url` without any user:password@ part, for logs and errors.
std::string RedactUrl(const std::string& url);

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_GIT_SOURCE_H_
