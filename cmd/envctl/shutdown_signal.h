// Waiting for Ctrl-C (SIGINT) or SIGTERM in the long-running commands (`envctl controller`,
// `envctl up`, `envctl cloudsim`). The handler only writes to a self-pipe, which is
// async-signal-safe whichever thread the kernel picks; the main thread then shuts the
// servers down in order. Before Install() the default disposition applies (the process
// ends at once), which is what an interrupted apply wants.
#ifndef ENVCTL_CMD_ENVCTL_SHUTDOWN_SIGNAL_H_
#define ENVCTL_CMD_ENVCTL_SHUTDOWN_SIGNAL_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace envctl::cli {

// Routes SIGINT and SIGTERM to WaitForShutdownSignal(). Idempotent.
absl::Status InstallShutdownSignalHandler();

// Blocks until SIGINT or SIGTERM arrives after Install; returns the signal number.
int WaitForShutdownSignal();

// Like WaitForShutdownSignal, but gives up after `timeout`: true when a signal came.
bool WaitForShutdownSignalFor(absl::Duration timeout);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_SHUTDOWN_SIGNAL_H_
