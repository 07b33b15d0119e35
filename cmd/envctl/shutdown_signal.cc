#include "cmd/envctl/shutdown_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace envctl::cli {

namespace {

int g_pipe[2] = {-1, -1};

extern "C" void OnShutdownSignal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  // A full pipe means a signal is already pending; dropping this one is fine.
  [[maybe_unused]] ssize_t n = write(g_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

absl::Status InstallShutdownSignalHandler() {
  if (g_pipe[0] >= 0) return absl::OkStatus();
  if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot create the signal pipe: ", std::strerror(errno)));
  }
  // Reads block; only the handler's writes must never block.
  fcntl(g_pipe[0], F_SETFL, fcntl(g_pipe[0], F_GETFL) & ~O_NONBLOCK);
  struct sigaction action {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM}) {
    if (sigaction(sig, &action, nullptr) != 0) {
      return absl::InternalError(
          absl::StrCat("cannot install a handler for signal ", sig, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

int WaitForShutdownSignal() {
  unsigned char byte = 0;
  for (;;) {
    const ssize_t n = read(g_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return SIGTERM;  // the pipe is gone: treat as a request to stop
  }
}

bool WaitForShutdownSignalFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    struct pollfd fd {};
    fd.fd = g_pipe[0];
    fd.events = POLLIN;
    const int64_t ms = std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 24 * 3600 * 1000);
    const int n = poll(&fd, 1, static_cast<int>(ms));
    if (n > 0) {
      WaitForShutdownSignal();
      return true;
    }
    if (n < 0 && errno != EINTR) return true;  // the pipe is gone: treat as a request to stop
  }
}

}  // namespace envctl::cli
