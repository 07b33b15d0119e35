#include "controller/sync_window.h"

#include <bitset>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace envctl::controller {

namespace {

// One cron field as the set of values it matches.
using Field = std::bitset<61>;

absl::StatusOr<Field> ParseField(absl::string_view text, int lo, int hi) {
  Field out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int step = 1;
    std::vector<absl::string_view> range_step = absl::StrSplit(part, absl::MaxSplits('/', 1));
    if (range_step.size() == 2 && (!absl::SimpleAtoi(range_step[1], &step) || step <= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("bad step in \"", part, "\""));
    }
    int from = lo, to = hi;
    if (range_step[0] != "*") {
      std::vector<absl::string_view> bounds = absl::StrSplit(range_step[0], absl::MaxSplits('-', 1));
      if (!absl::SimpleAtoi(bounds[0], &from)) {
        return absl::InvalidArgumentError(absl::StrCat("\"", part, "\" is not a number, range or *"));
      }
      to = from;
      if (bounds.size() == 2 && !absl::SimpleAtoi(bounds[1], &to)) {
        return absl::InvalidArgumentError(absl::StrCat("bad range \"", part, "\""));
      }
      if (range_step.size() == 2 && bounds.size() == 1) to = hi;  // "5/15" = from 5 on
    }
    if (from < lo || to > hi || from > to) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is outside ", lo, "-", hi));
    }
    for (int v = from; v <= to; v += step) out.set(v);
  }
  return out;
}

struct Cron {
  Field minute, hour, dom, month, dow;
  bool dom_any = false, dow_any = false;

  bool Matches(const absl::CivilMinute& t) const {
    const int weekday = (static_cast<int>(absl::GetWeekday(absl::CivilDay(t))) + 1) % 7;  // Sunday 0
    if (!minute.test(t.minute()) || !hour.test(t.hour()) || !month.test(t.month())) return false;
    const bool d = dom.test(t.day()), w = dow.test(weekday) || (weekday == 0 && dow.test(7));
    // Classic cron: when both day fields are restricted, either one matching suffices.
    if (dom_any || dow_any) return d && w;
    return d || w;
  }
};

absl::StatusOr<Cron> ParseCron(const std::string& schedule) {
  std::vector<absl::string_view> f = absl::StrSplit(schedule, ' ', absl::SkipWhitespace());
  if (f.size() != 5) {
    return absl::InvalidArgumentError(
        "expected 5 fields \"minute hour day-of-month month day-of-week\"");
  }
  Cron c;
  auto set = [](absl::StatusOr<Field> parsed, Field* into) -> absl::Status {
    if (!parsed.ok()) return parsed.status();
    *into = *parsed;
    return absl::OkStatus();
  };
  for (auto [status, name] :
       {std::make_pair(set(ParseField(f[0], 0, 59), &c.minute), "minute"),
        std::make_pair(set(ParseField(f[1], 0, 23), &c.hour), "hour"),
        std::make_pair(set(ParseField(f[2], 1, 31), &c.dom), "day-of-month"),
        std::make_pair(set(ParseField(f[3], 1, 12), &c.month), "month"),
        std::make_pair(set(ParseField(f[4], 0, 7), &c.dow), "day-of-week")}) {
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", status.message()));
  }
  c.dom_any = f[2] == "*";
  c.dow_any = f[4] == "*";
  return c;
}

}  // namespace

absl::StatusOr<WindowVerdict> EvaluateWindows(const envctl::v1::SyncPolicy& sync, absl::Time now) {
  WindowVerdict verdict;
  bool any_allow = false, in_allow = false;
  std::string deny_reason;
  for (int i = 0; i < sync.windows_size(); ++i) {
    const envctl::v1::SyncWindow& w = sync.windows(i);
    const std::string where = absl::StrCat("sync.windows[", i, "]");
    if (w.kind() != "allow" && w.kind() != "deny") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".kind: \"", w.kind(), "\" is not allow or deny"));
    }
    absl::StatusOr<Cron> cron = ParseCron(w.schedule());
    if (!cron.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".schedule \"", w.schedule(),
                                                     "\": ", cron.status().message()));
    }
    const absl::Duration duration =
        absl::Seconds(w.duration().seconds()) + absl::Nanoseconds(w.duration().nanos());
    if (duration <= absl::ZeroDuration() || duration > absl::Hours(24 * 31)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".duration: must be between 1m and 31 days"));
    }
    const std::string zone_name = w.time_zone().empty() ? "UTC" : w.time_zone();
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(zone_name, &zone)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".timeZone: unknown IANA time zone \"", zone_name, "\""));
    }
    // Starts are whole minutes: look at every minute of (now - duration, now].
    bool open = false;
    const absl::Time last = absl::FromUnixSeconds(absl::ToUnixSeconds(now) / 60 * 60);
    for (absl::Time t = last; t > now - duration && !open; t -= absl::Minutes(1)) {
      open = cron->Matches(absl::ToCivilMinute(t, zone));
    }
    const std::string desc = absl::StrCat(w.kind(), " \"", w.schedule(), "\" (", zone_name, ") for ",
                                          absl::FormatDuration(duration));
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
