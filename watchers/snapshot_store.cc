#include "watchers/snapshot_store.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <system_error>

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
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", to.string(), ": ", ec.message()));
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (IsHidden(p)) continue;
    const fs::path target = to / p.filename();
    if (it->is_directory(ec)) {
      absl::Status s = CopyTree(p, target);
      if (!s.ok()) return s;
    } else if (it->is_regular_file(ec)) {
      fs::copy_file(p, target, fs::copy_options::overwrite_existing, ec);
      if (ec)
        return absl::InternalError(absl::StrCat("cannot copy ", p.string(), ": ", ec.message()));
    }
  }
  if (ec)
    return absl::InternalError(absl::StrCat("cannot list ", from.string(), ": ", ec.message()));
  return absl::OkStatus();
}

// A revision names a folder under dir_: a Git sha or "sha256:<hex>", never "..", "/" or
// anything else an API caller could use to point outside the store.
bool IsPlainRevision(const std::string& revision) {
  if (revision.empty() || revision.size() > 128) return false;
  for (char c : revision) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '-' && c != '_')
      return false;
  }
  return true;
}

}  // namespace

std::string SnapshotStore::PathOf(const std::string& revision) const {
  return (fs::path(dir_) / absl::StrReplaceAll(revision, {{":", "-"}, {"/", "-"}})).string();
}

absl::Status SnapshotStore::Materialize(
    const std::string& revision,
    const std::function<absl::Status(const std::string&)>& fill) const {
  if (!IsPlainRevision(revision)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", revision, "\" is not a revision"));
  }
  const fs::path final_path = PathOf(revision);
  std::error_code ec;
  if (fs::is_directory(final_path, ec)) return absl::OkStatus();
  fs::create_directories(dir_, ec);
  static std::atomic<uint64_t> counter{0};
  const fs::path temp = fs::path(dir_) / absl::StrCat(".tmp-", ::getpid(), "-", counter++);
  fs::remove_all(temp, ec);
  absl::Status filled = fill(temp.string());
  if (!filled.ok()) {
    fs::remove_all(temp, ec);
    return filled;
  }
  fs::rename(temp, final_path, ec);
  if (ec) {
    fs::remove_all(temp, ec);
    // Another thread kept the same revision first: that copy is as good as ours.
    if (fs::is_directory(final_path, ec)) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("cannot keep revision ", revision, " in ", final_path.string()));
  }
  return absl::OkStatus();
}

absl::Status SnapshotStore::Keep(const SourceSnapshot& snapshot) {
  return Materialize(snapshot.revision, [&](const std::string& temp) {
    if (source_ != nullptr) {
      absl::Status exported = source_->ExportRevision(snapshot.revision, temp);
      if (exported.code() != absl::StatusCode::kUnimplemented) return exported;
    }
    return CopyTree(snapshot.root, temp);
  });
}

absl::StatusOr<std::string> SnapshotStore::RootOf(const std::string& revision) const {
  const fs::path path = PathOf(revision);
  std::error_code ec;
  const bool plain = IsPlainRevision(revision);
  if (plain && fs::is_directory(path, ec)) return path.string();
  if (plain && source_ != nullptr) {
    absl::Status exported = Materialize(
        revision, [&](const std::string& temp) { return source_->ExportRevision(revision, temp); });
    if (exported.ok()) return path.string();
    if (exported.code() != absl::StatusCode::kUnimplemented) return exported;
  }
  return absl::NotFoundError(absl::StrCat(
      "revision ", revision, " is not known to this controller (no snapshot in ", dir_, ")"));
}

}  // namespace envctl::watchers
