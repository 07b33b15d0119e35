#include "spec/internal/repo_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace envctl::spec::internal {

namespace fs = std::filesystem;

namespace {

// True when `p` is `base` or below it (both canonical).
bool IsWithin(const fs::path& p, const fs::path& base) {
  auto b = base.begin();
  auto q = p.begin();
  for (; b != base.end(); ++b, ++q) {
    if (q == p.end() || *q != *b) return false;
  }
  return true;
}

}  // namespace

RepoFiles::RepoFiles(std::string root) : root_(std::move(root)) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(root_, ec);
  if (!ec) canonical_ = canonical.string();
}

absl::StatusOr<std::string> RepoFiles::Resolve(const std::string& rel) const {
  const fs::path p = fs::path(rel).lexically_normal();
  if (rel.empty() || p.is_absolute() || (!p.empty() && *p.begin() == "..")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", rel, "\" must be a path inside the repo, relative to its root"));
  }
  if (canonical_.empty()) {
    return absl::NotFoundError(absl::StrCat("repo folder ", root_, " not found"));
  }
  std::error_code ec;
  const fs::path full = fs::path(canonical_) / p;
  const fs::path resolved = fs::canonical(full, ec);
  if (ec) {
    // A dangling symlink is refused like one that escapes: it names no repo file.
    if (fs::is_symlink(fs::symlink_status(full, ec))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", rel, "\" is a symlink to \"", fs::read_symlink(full, ec).string(),
                       "\", which does not exist; a symlink must point to a file in the repo"));
    }
    return absl::NotFoundError(absl::StrCat("\"", rel, "\" not found in the repo"));
  }
  if (!IsWithin(resolved, fs::path(canonical_))) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", rel, "\" resolves to \"", resolved.string(),
                     "\", outside the repo; a symlink must point inside the repo"));
  }
  return resolved.string();
}

absl::StatusOr<std::string> RepoFiles::ResolveFile(const std::string& rel) const {
  absl::StatusOr<std::string> path = Resolve(rel);
  if (!path.ok()) return path;
  std::error_code ec;
  if (!fs::is_regular_file(*path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("\"", rel, "\" is not a regular file"));
  }
  return path;
}

absl::StatusOr<std::string> RepoFiles::ResolveDir(const std::string& rel) const {
  absl::StatusOr<std::string> path = Resolve(rel);
  if (!path.ok()) return path;
  std::error_code ec;
  if (!fs::is_directory(*path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("\"", rel, "\" is not a folder"));
  }
  return path;
}

absl::StatusOr<std::string> RepoFiles::Read(const std::string& rel, size_t max_bytes) const {
  absl::StatusOr<std::string> path = ResolveFile(rel);
  if (!path.ok()) return path.status();
  // The resolved path holds no symlink: O_NOFOLLOW keeps a link swapped in since from
  // being followed, O_NONBLOCK keeps a FIFO swapped in from blocking the open.
  const int fd = ::open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read \"", rel, "\": ", std::strerror(errno)));
  }
  struct stat st {};
  std::string out;
  absl::Status status;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::FailedPreconditionError(absl::StrCat("\"", rel, "\" is not a regular file"));
  } else if (static_cast<size_t>(st.st_size) > max_bytes) {
    status = absl::OutOfRangeError(
        absl::StrCat("\"", rel, "\" is ", st.st_size, " bytes, over the limit of ", max_bytes));
  } else {
    out.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != out.size()) {
      status = absl::DataLossError(absl::StrCat("\"", rel, "\" changed while being read"));
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

std::vector<std::string> RepoFiles::List(const std::string& rel_dir, bool recursive) const {
  std::vector<std::string> out;
  absl::StatusOr<std::string> dir = ResolveDir(rel_dir);
  if (!dir.ok()) return out;
  const fs::path prefix = fs::path(rel_dir).lexically_normal();
  auto add = [&](const fs::directory_entry& entry) {
    std::error_code ec;
    if (entry.is_symlink(ec) || entry.is_regular_file(ec)) {
      out.push_back(
          (prefix / entry.path().lexically_relative(*dir)).lexically_normal().generic_string());
    }
  };
  std::error_code ec;
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(*dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      add(*it);
    }
  } else {
    for (auto it = fs::directory_iterator(*dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
      add(*it);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace envctl::spec::internal
