// SnapshotStore: the content of every source revision the controller has seen, so that
// environments can run different revisions at once (promotion) without a working tree
// per environment. Keep() copies a fetched snapshot's root (hidden folders such as .git
// left out) to <dir>/<revision> once; RootOf() returns that copy for spec::LoadRepo.
// A revision's copy is written to a temporary folder and renamed, so a crash never leaves
// a half copy under the revision's name. Thread-safe (distinct revisions use distinct
// folders; the same revision is renamed into place once).
#ifndef ENVCTL_WATCHERS_SNAPSHOT_STORE_H_
#define ENVCTL_WATCHERS_SNAPSHOT_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "watchers/source.h"

namespace envctl::watchers {

class SnapshotStore {
 public:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}

  // Copies `snapshot.root` to <dir>/<revision> unless that revision is kept already.
  // Internal when the copy fails (the message names the file).
  absl::Status Keep(const SourceSnapshot& snapshot);

  // The folder holding `revision`'s content; NotFound when it was never kept.
  absl::StatusOr<std::string> RootOf(const std::string& revision) const;

 private:
  // "sha256:abc" is a folder revision; ':' is kept out of folder names.
  std::string PathOf(const std::string& revision) const;
  const std::string dir_;
};

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_SNAPSHOT_STORE_H_
