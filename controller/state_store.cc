#include "controller/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace envctl::controller {

namespace fs = std::filesystem;

namespace {

std::atomic<uint64_t> temp_counter{0};

absl::Status ErrnoError(const std::string& what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

// fsync of a directory makes a rename in it durable.
absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);  // closed whether or not the fsync worked
  if (rc != 0) return ErrnoError("cannot flush directory", dir, err);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  // Unique per process, thread and call: concurrent writers never share a temp file.
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid(), ".", temp_counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot write", tmp, errno);
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError("cannot write", tmp, err);
    }
    written += static_cast<size_t>(n);
  }
  // close() runs whatever fsync() said, so a failed fsync never leaks the descriptor.
  const int sync_rc = ::fsync(fd);
  const int sync_err = errno;
  const int close_rc = ::close(fd);
  const int close_err = errno;
  if (sync_rc != 0 || close_rc != 0) {
    ::unlink(tmp.c_str());
    return ErrnoError("cannot flush", tmp, sync_rc != 0 ? sync_err : close_err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("cannot rename to", path, err);
  }
  return SyncDirectory(parent.empty() ? "." : parent.string());
}

absl::StatusOr<std::unique_ptr<StateDirLock>> StateDirLock::Acquire(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create state dir ", dir, ": ", ec.message()));
  const std::string path = (fs::path(dir) / ".lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot open lock file", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) return ErrnoError("cannot lock", path, err);
    const int holder = HolderPid(dir);
    return absl::FailedPreconditionError(absl::StrCat(
        "state dir ", dir, " is in use by pid ", holder > 0 ? std::to_string(holder) : "?",
        "; stop that process or pass another --state-dir"));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return ErrnoError("cannot write lock file", path, err);
  }
  return std::unique_ptr<StateDirLock>(new StateDirLock(fd));
}

StateDirLock::~StateDirLock() {
  // Truncate first: a reader never sees the pid of a process that let go.
  if (::ftruncate(fd_, 0) != 0) {
    // Best effort: HolderPid checks the lock itself, not only the file's content.
  }
  ::close(fd_);
}

int StateDirLock::HolderPid(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  // Held only if a shared lock cannot be taken.
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
    ::close(fd);
    return 0;
  }
  char buf[32] = {0};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  ::close(fd);
  if (n <= 0) return -1;
  return std::atoi(buf);
}

std::string DefaultStateDir(const std::string& project) {
  if (const char* d = std::getenv("ENVCTL_STATE_DIR"); d && *d)
    return (fs::path(d) / project).string();
  if (const char* d = std::getenv("XDG_STATE_HOME"); d && *d)
    return (fs::path(d) / "envctl" / project).string();
  const char* home = std::getenv("HOME");
  return (fs::path(home ? home : ".") / ".local/state/envctl" / project).string();
}

std::string FileStateStore::PathFor(const std::string& environment) const {
  return (fs::path(dir_) / (environment + ".state.json")).string();
}

absl::StatusOr<envctl::v1::EnvironmentState> FileStateStore::Load(const std::string& environment) {
  absl::MutexLock lock(&mu_);
  envctl::v1::EnvironmentState state;
  std::ifstream in(PathFor(environment));
  if (!in) {
    state.set_environment(environment);
    return state;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // tolerate state written by newer versions
  auto st = google::protobuf::util::JsonStringToMessage(buf.str(), &state, options);
  if (!st.ok()) {
    return absl::DataLossError(absl::StrCat("state file ", PathFor(environment),
                                            " is corrupt: ", st.ToString(),
                                            "; move it away to start from live state"));
  }
  return state;
}

absl::Status FileStateStore::Save(const envctl::v1::EnvironmentState& state) {
  absl::MutexLock lock(&mu_);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  auto st = google::protobuf::util::MessageToJsonString(state, &json, options);
  if (!st.ok()) return absl::InternalError(st.ToString());
  return WriteFileAtomically(PathFor(state.environment()), json);
}

}  // namespace envctl::controller
