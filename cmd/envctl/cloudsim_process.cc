#include "cmd/envctl/cloudsim_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/child_process.h"

namespace envctl::cli {

namespace fs = std::filesystem;

namespace {

std::string Tail(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

absl::StatusOr<std::string> CloudsimBinary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot find envctl's own path: ", ec.message()));
  // Installed: bin/cloudsim beside bin/envctl. Build tree: build/cloudsim/cloudsim.
  for (const fs::path& binary :
       {self.parent_path() / "cloudsim", self.parent_path() / "cloudsim" / "cloudsim"}) {
    if (fs::is_regular_file(binary, ec) && ::access(binary.c_str(), X_OK) == 0)
      return binary.string();
  }
  return absl::NotFoundError(
      absl::StrCat("no cloudsim binary beside ", self.string(),
                   " (looked for cloudsim and cloudsim/cloudsim; build the `cloudsim` target)"));
}

absl::StatusOr<std::unique_ptr<CloudsimProcess>> CloudsimProcess::Start(
    const std::string& state_dir, int port, double speed, absl::Duration timeout) {
  absl::StatusOr<std::string> binary = CloudsimBinary();
  if (!binary.ok()) return binary.status();
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  const fs::path endpoints = fs::path(state_dir) / "endpoints.json";
  // A file from an earlier run would look ready before this cloudsim is.
  fs::remove(endpoints, ec);
  const std::string log = (fs::path(state_dir) / "cloudsim.log").string();

  std::vector<std::string> args = {
      *binary,   "--state-dir",       state_dir,           "--port", std::to_string(port),
      "--speed", absl::StrCat(speed), "--exit-with-parent"};
  std::unique_ptr<CloudsimProcess> process(new CloudsimProcess());
  absl::StatusOr<pid_t> pid = SpawnWithLog(args, log, 0644);
  if (!pid.ok()) return pid.status();
  process->pid_ = *pid;
  const absl::Time deadline = absl::Now() + timeout;
  while (!fs::exists(endpoints)) {
    int status = 0;
    if (::waitpid(process->pid_, &status, WNOHANG) == process->pid_) {
      process->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("cloudsim exited before it was ready:\n", Tail(log)));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("cloudsim did not write ", endpoints.string(),
                                                      " within ", absl::FormatDuration(timeout),
                                                      ":\n", Tail(log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  process->endpoints_file_ = endpoints.string();
  return process;
}

CloudsimProcess::~CloudsimProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace envctl::cli
