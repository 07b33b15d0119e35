// Runs the built envctl binary as a child process through the shell and collects what it
// printed: the one helper the end-to-end suites share (validate, status --json, bikeshare).
// Needs ENVCTL_BINARY_DIR (set by tests/CMakeLists.txt for the suites that run envctl).
#ifndef ENVCTL_TESTS_FAKES_ENVCTL_COMMAND_H_
#define ENVCTL_TESTS_FAKES_ENVCTL_COMMAND_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace envctl::testing {

struct CommandRun {
  int exit_code = -1;  // -1 when it could not start or died of a signal
  std::string output;
};

enum class Stderr { kMerged, kDiscarded, kInherited };

// `envctl ARGS` (ARGS is shell text: quote what needs quoting). kMerged: stderr joins
// the output; kInherited: stderr goes to the test's own stderr (output is stdout only).
inline CommandRun RunEnvctl(const std::string& args, Stderr err = Stderr::kMerged) {
  std::string cmd = std::string(ENVCTL_BINARY_DIR "/envctl ") + args;
  if (err == Stderr::kMerged) cmd += " 2>&1";
  if (err == Stderr::kDiscarded) cmd += " 2>/dev/null";
  CommandRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_ENVCTL_COMMAND_H_
