// ControllerProcess: runs `envctl controller` as a child process for end-to-end tests,
// standard output and standard error each captured in a file, and stops it with SIGTERM.
// WaitForLogLine() polls the captured stderr (bounded) for a JSON log line matching a
// predicate. Not thread-safe.
#ifndef ENVCTL_TESTS_E2E_CONTROLLER_PROCESS_H_
#define ENVCTL_TESTS_E2E_CONTROLLER_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"

extern char** environ;

namespace envctl::testing {

class ControllerProcess {
 public:
  // Starts `envctl <args...>`; its stdout goes to `dir`/stdout.txt and stderr to
  // `dir`/stderr.txt. Returns false when the process could not be spawned.
  bool Start(const std::filesystem::path& dir, const std::vector<std::string>& args) {
    stdout_path_ = dir / "stdout.txt";
    stderr_path_ = dir / "stderr.txt";
    std::vector<std::string> argv_store = {std::string(ENVCTL_BINARY_DIR) + "/envctl"};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0;
  }

  ~ControllerProcess() { Stop(); }

  // SIGTERM, then waits for the exit; returns the exit code (-1 when it did not exit
  // normally). Idempotent.
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return false;
    }
    return true;
  }

  pid_t pid() const { return pid_; }
  // Sends `signal` (SIGKILL, SIGSTOP, SIGCONT) to the process while it runs.
  void Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  std::string Stdout() const { return Read(stdout_path_); }
  std::string Stderr() const { return Read(stderr_path_); }

  // Every line of stderr parsed as JSON (a line that does not parse is null).
  std::vector<nlohmann::json> LogLines() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(Stderr());
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      out.push_back(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
    }
    return out;
  }

  // Polls the log until a line satisfies `match` (every 50 ms, at most `timeout`), or the
  // process exits. Returns the line.
  std::optional<nlohmann::json> WaitForLogLine(
      const std::function<bool(const nlohmann::json&)>& match,
      std::chrono::seconds timeout = std::chrono::seconds(180)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& line : LogLines()) {
        if (line.is_object() && match(line)) return line;
      }
      if (!Running()) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  static std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::filesystem::path stdout_path_, stderr_path_;
};

// A matcher on a log line's "event" and optional string fields.
inline std::function<bool(const nlohmann::json&)> Event(
    const std::string& event, std::vector<std::pair<std::string, std::string>> fields = {}) {
  return [event, fields](const nlohmann::json& line) {
    if (line.value("event", "") != event) return false;
    for (const auto& [k, v] : fields) {
      if (!line.contains(k) || !line[k].is_string() || line[k].get<std::string>() != v)
        return false;
    }
    return true;
  };
}

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_E2E_CONTROLLER_PROCESS_H_
