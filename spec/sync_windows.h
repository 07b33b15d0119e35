// Sync window definitions: the cron schedule of a window's starts and the checks a window
// must pass (kind, schedule, duration, time zone). Used by the loader (errors at
// file:line:column) and by controller/sync_window.* (evaluating windows at a time).
// Pure functions; thread-safe.
#ifndef ENVCTL_SPEC_SYNC_WINDOWS_H_
#define ENVCTL_SPEC_SYNC_WINDOWS_H_

#include <bitset>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "envctl/v1/spec.pb.h"

namespace envctl::spec {

// "minute hour day-of-month month day-of-week": numbers, "*", lists "1,3", ranges "1-5",
// steps "*/15" and "5/15"; day-of-week 0 and 7 are Sunday. When both day fields are
// restricted, either one matching suffices (classic cron).
class CronSchedule {
 public:
  // InvalidArgument naming the field and the part that is wrong.
  static absl::StatusOr<CronSchedule> Parse(const std::string& schedule);
  bool Matches(const absl::CivilMinute& t) const;

 private:
  using Field = std::bitset<61>;
  static absl::StatusOr<Field> ParseField(absl::string_view text, int lo, int hi);
  Field minute_, hour_, dom_, month_, dow_;
  bool dom_any_ = false, dow_any_ = false;
};

// Longest window a schedule may open.
inline constexpr absl::Duration kMaxSyncWindow = absl::Hours(24 * 31);

struct SyncWindowProblem {
  // The window's field in the repo's spelling: "kind", "schedule", "duration", "timeZone".
  std::string field;
  std::string message;
};

// Every problem of `window`: kind not allow/deny, a malformed schedule, a duration outside
// (0, 31 days], an unknown IANA time zone. Empty when the window is usable.
std::vector<SyncWindowProblem> CheckSyncWindow(const envctl::v1::SyncWindow& window);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_SYNC_WINDOWS_H_
