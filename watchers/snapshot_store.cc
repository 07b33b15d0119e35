#include "watchers/snapshot_store.h"

#include <atomic>
#include <filesystem>
#include <system_error>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace envctl::watchers {
namespace {

namespace fs = std::filesystem;

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

absl::Status CopyTree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", to.string(), ": ", ec.message()));
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (IsHidden(p)) continue;
    const fs::path target = to / p.filename();
    if (it->is_directory(ec)) {
      absl::Status s = CopyTree(p, target);
      if (!s.ok()) return s;
    } else if (it->is_regular_file(ec)) {
      fs::copy_file(p, target, fs::copy_options::overwrite_existing, ec);
      if (ec) return absl::InternalError(absl::StrCat("cannot copy ", p.string(), ": ", ec.message()));
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", from.string(), ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

std::string SnapshotStore::PathOf(const std::string& revision) const {
  return (fs::path(dir_) / absl::StrReplaceAll(revision, {{":", "-"}, {"/", "-"}})).string();
}

absl::Status SnapshotStore::Keep(const SourceSnapshot& snapshot) {
  if (snapshot.revision.empty()) return absl::InvalidArgumentError("snapshot without a revision");
  const fs::path final_path = PathOf(snapshot.revision);
  std::error_code ec;
  if (fs::is_directory(final_path, ec)) return absl::OkStatus();
  static std::atomic<uint64_t> counter{0};
  const fs::path temp = fs::path(dir_) / absl::StrCat(".tmp-", ::getpid(), "-", counter++);
  fs::remove_all(temp, ec);
  absl::Status copied = CopyTree(snapshot.root, temp);
  if (!copied.ok()) {
    fs::remove_all(temp, ec);
    return copied;
  }
  fs::rename(temp, final_path, ec);
  if (ec) {
    fs::remove_all(temp, ec);
    // Another thread kept the same revision first: that copy is as good as ours.
    if (fs::is_directory(final_path, ec)) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("cannot keep revision ", snapshot.revision, " in ",
                                            final_path.string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SnapshotStore::RootOf(const std::string& revision) const {
  const fs::path path = PathOf(revision);
  std::error_code ec;
  if (revision.empty() || !fs::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat("revision ", revision,
                                            " is not known to this controller (no snapshot in ",
                                            dir_, ")"));
  }
  return path.string();
}

}  // namespace envctl::watchers
