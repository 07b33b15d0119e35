#include "watchers/folder_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace envctl::watchers {
namespace {

namespace fs = std::filesystem;

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", path.string()));
  return std::move(out).str();
}

class FolderSource : public Source {
 public:
  explicit FolderSource(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<SourceSnapshot> Fetch() override {
    ASSIGN_OR_RETURN(std::string revision, FolderRevision(dir_));
    std::error_code ec;
    fs::path root = fs::absolute(dir_, ec);
    if (ec) return absl::InternalError(absl::StrCat("folder ", dir_, ": ", ec.message()));
    return SourceSnapshot{std::move(revision), root.lexically_normal().string()};
  }

  std::string Describe() const override { return absl::StrCat("folder ", dir_); }

 private:
  const std::string dir_;
};

}  // namespace

absl::StatusOr<std::string> FolderRevision(const std::string& dir) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("folder source ", dir, " does not exist"));
  }
  if (!fs::is_directory(st)) {
    return absl::FailedPreconditionError(absl::StrCat("folder source ", dir,
                                                      " is not a directory (point it at the folder "
                                                      "holding envctl.yaml)"));
  }

  std::vector<std::pair<std::string, fs::path>> files;  // (relative generic path, path)
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
    const fs::directory_entry& entry = *it;
    if (entry.is_directory(ec)) {
      if (IsHidden(entry.path())) it.disable_recursion_pending();
      continue;
    }
    // A symlink counts by its target's path, never its content: reading a link that points
    // outside the folder (a FIFO, /proc, a huge file) could block or leak (the loader
    // refuses such links anyway).
    if (!entry.is_symlink(ec) && !entry.is_regular_file(ec)) continue;
    files.emplace_back(entry.path().lexically_relative(dir).generic_string(), entry.path());
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());

  // A manifest of "path\0sha256(content)\n" lines keeps memory at one file at a time and
  // makes a rename change the revision as surely as an edit does.
  std::string manifest;
  for (const auto& [rel, path] : files) {
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
      const fs::path target = fs::read_symlink(path, ec);
      absl::StrAppend(&manifest, rel, std::string(1, '\0'), "-> ", target.string(), "\n");
      continue;
    }
    ASSIGN_OR_RETURN(std::string content, ReadFile(path));
    absl::StrAppend(&manifest, rel, std::string(1, '\0'), Sha256Hex(content), "\n");
  }
  return absl::StrCat("sha256:", Sha256Hex(manifest).substr(0, 12));
}

std::unique_ptr<Source> NewFolderSource(std::string dir) {
  return std::make_unique<FolderSource>(std::move(dir));
}

}  // namespace envctl::watchers
