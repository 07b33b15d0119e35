#include "controller/sync_window.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "spec/sync_windows.h"

namespace envctl::controller {

absl::StatusOr<WindowVerdict> EvaluateWindows(const envctl::v1::SyncPolicy& sync, absl::Time now) {
  WindowVerdict verdict;
  bool any_allow = false, in_allow = false;
  std::string deny_reason;
  for (int i = 0; i < sync.windows_size(); ++i) {
    const envctl::v1::SyncWindow& w = sync.windows(i);
    const std::string where = absl::StrCat("sync.windows[", i, "]");
    const std::vector<spec::SyncWindowProblem> problems = spec::CheckSyncWindow(w);
    if (!problems.empty()) {
      // `envctl validate` reports these at file:line:column; a controller given such a
      // window anyway refuses to evaluate it (the caller keeps writes closed).
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", problems[0].field, ": ", problems[0].message));
    }
    absl::StatusOr<spec::CronSchedule> cron = spec::CronSchedule::Parse(w.schedule());
    if (!cron.ok()) return cron.status();
    const absl::Duration duration =
        absl::Seconds(w.duration().seconds()) + absl::Nanoseconds(w.duration().nanos());
    const std::string zone_name = w.time_zone().empty() ? "UTC" : w.time_zone();
    absl::TimeZone zone;
    absl::LoadTimeZone(zone_name, &zone);
    // Starts are whole minutes: look at every minute of (now - duration, now].
    bool open = false;
    const absl::Time last = absl::FromUnixSeconds(absl::ToUnixSeconds(now) / 60 * 60);
    for (absl::Time t = last; t > now - duration && !open; t -= absl::Minutes(1)) {
      open = cron->Matches(absl::ToCivilMinute(t, zone));
    }
    const std::string desc = absl::StrCat(w.kind(), " \"", w.schedule(), "\" (", zone_name,
                                          ") for ", absl::FormatDuration(duration));
    if (w.kind() == "allow") {
      any_allow = true;
      in_allow |= open;
    } else if (open && deny_reason.empty()) {
      deny_reason = absl::StrCat("sync window closed: ", desc);
    }
  }
  if (!deny_reason.empty()) {
    verdict.writes_allowed = false;
    verdict.reason = deny_reason;
  } else if (any_allow && !in_allow) {
    verdict.writes_allowed = false;
    verdict.reason = "sync window closed: outside every allow window";
  }
  return verdict;
}

}  // namespace envctl::controller
