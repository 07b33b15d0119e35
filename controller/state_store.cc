#include "controller/state_store.h"

#include <fcntl.h>
#include <unistd.h>

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

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", fs::path(path).parent_path().string(), ": ", ec.message()));
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot flush ", tmp, ": ", std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string DefaultStateDir(const std::string& project) {
  if (const char* d = std::getenv("ENVCTL_STATE_DIR"); d && *d) return (fs::path(d) / project).string();
  if (const char* d = std::getenv("XDG_STATE_HOME"); d && *d) return (fs::path(d) / "envctl" / project).string();
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
