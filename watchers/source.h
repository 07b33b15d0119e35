// Source: where the desired state of an environment comes from (a Git repository, a local
// folder). A watcher polls Fetch() on the controller's schedule; when the revision differs
// from the last one synced, the controller reloads the repo at `root` with spec::LoadRepo.
// Implementations are synchronous (no threads, no sleeping) and not thread-safe: one
// caller at a time per Source.
#ifndef ENVCTL_WATCHERS_SOURCE_H_
#define ENVCTL_WATCHERS_SOURCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace envctl::watchers {

struct SourceSnapshot {
  // Identifies the content: a 40-hex commit sha for Git, "sha256:<12 hex>" for folders.
  // Equal revisions mean equal content.
  std::string revision;
  // Absolute local directory holding envctl.yaml, for spec::LoadRepo.
  std::string root;
};

class Source {
 public:
  virtual ~Source() = default;

  // Brings the local copy up to date and returns it. Cheap when nothing changed.
  // Errors say what failed and where (NotFound for a missing folder, branch or path;
  // Unavailable for an unreachable remote; PermissionDenied for refused credentials).
  virtual absl::StatusOr<SourceSnapshot> Fetch() = 0;

  // Writes the content of `revision` (the folder holding envctl.yaml, entries whose name
  // starts with '.' left out) into `dest`, a folder that must not exist yet. A Git source
  // reads any commit of its local object database (tree walk, blobs; no checkout), so an
  // environment can run, or roll back to, a revision other than the one Fetch() returned.
  // NotFound when the source does not know `revision`; Unimplemented (the default) for a
  // source that only has its current content (folders). Unlike Fetch(), safe to call from
  // any thread, also while Fetch() runs.
  virtual absl::Status ExportRevision(const std::string& revision, const std::string& dest) const {
    (void)revision;
    (void)dest;
    return absl::UnimplementedError(Describe() + " keeps no past revisions");
  }

  // For logs and status, e.g. "git https://host/repo.git@main:examples/bikeshare".
  // Never includes credentials.
  virtual std::string Describe() const = 0;
};

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_SOURCE_H_
