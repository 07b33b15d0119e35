// Sync windows: whether an environment may write now, from its `sync.windows` (allow/deny
// windows, each a cron schedule of starts, a duration and an IANA time zone). A window is
// open at `now` when one of its starts lies in (now - duration, now], starts being read in
// the window's time zone: across a DST change a local time that does not exist never
// starts a window and one that happens twice starts it twice. Pure functions; thread-safe.
#ifndef ENVCTL_CONTROLLER_SYNC_WINDOW_H_
#define ENVCTL_CONTROLLER_SYNC_WINDOW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "envctl/v1/spec.pb.h"

namespace envctl::controller {

struct WindowVerdict {
  // False inside a deny window, or outside every allow window when there is one.
  bool writes_allowed = true;
  // Why not, e.g. "sync window closed: deny \"0 18 * * 5\" (Europe/Paris) for 64h".
  std::string reason;
};

// InvalidArgument naming the window (index, field) when a schedule, duration, kind or
// time zone is malformed.
absl::StatusOr<WindowVerdict> EvaluateWindows(const envctl::v1::SyncPolicy& sync, absl::Time now);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_SYNC_WINDOW_H_
