// SnapshotStore: the content of every source revision an environment runs, so that
// environments can run different revisions at once (promotion) without a working tree
// per environment. <dir>/<revision> holds one revision's files (hidden entries such as
// .git left out) for spec::LoadRepo:
// - with a source that keeps past revisions (Git: Source::ExportRevision reads the commit
//   from the object database), Keep() and RootOf() write a revision's folder from the
//   source on first use, so any commit the clone has can be loaded (rollback to a commit
//   the controller never synced, or after the state dir lost its snapshots);
// - otherwise (folders) Keep() copies the fetched snapshot's root, and RootOf() finds
//   only what was kept.
// A revision's folder is written to a temporary folder and renamed, so a crash never
// leaves a half copy under the revision's name. Thread-safe (distinct revisions use
// distinct folders; the same revision is renamed into place once).
#ifndef ENVCTL_WATCHERS_SNAPSHOT_STORE_H_
#define ENVCTL_WATCHERS_SNAPSHOT_STORE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "watchers/source.h"

namespace envctl::watchers {

class SnapshotStore {
 public:
  // `source`, when given, must outlive the store; its ExportRevision is the preferred way
  // to get a revision's content.
  explicit SnapshotStore(std::string dir, const Source* source = nullptr)
      : dir_(std::move(dir)), source_(source) {}

  // Makes <dir>/<revision> unless that revision is kept already: exported from the
  // source, or copied from `snapshot.root` when the source keeps no past revisions.
  // Internal when the copy fails (the message names the file).
  absl::Status Keep(const SourceSnapshot& snapshot);

  // The folder holding `revision`'s content, exported from the source on first use;
  // NotFound when it was never kept and the source does not know it.
  absl::StatusOr<std::string> RootOf(const std::string& revision) const;

 private:
  // Writes <dir>/<revision> with `fill(temp)` into a temporary folder renamed into place.
  absl::Status Materialize(const std::string& revision,
                           const std::function<absl::Status(const std::string&)>& fill) const;
  // "sha256:abc" is a folder revision; ':' is kept out of folder names.
  std::string PathOf(const std::string& revision) const;
  const std::string dir_;
  const Source* const source_;
};

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_SNAPSHOT_STORE_H_
