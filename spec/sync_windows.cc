#include "spec/sync_windows.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace envctl::spec {

absl::StatusOr<CronSchedule::Field> CronSchedule::ParseField(absl::string_view text, int lo,
                                                             int hi) {
  Field out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int step = 1;
    std::vector<absl::string_view> range_step = absl::StrSplit(part, absl::MaxSplits('/', 1));
    if (range_step.size() == 2 && (!absl::SimpleAtoi(range_step[1], &step) || step <= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("bad step in \"", part, "\""));
    }
    int from = lo, to = hi;
    if (range_step[0] != "*") {
      std::vector<absl::string_view> bounds =
          absl::StrSplit(range_step[0], absl::MaxSplits('-', 1));
      if (!absl::SimpleAtoi(bounds[0], &from)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", part, "\" is not a number, range or *"));
      }
      to = from;
      if (bounds.size() == 2 && !absl::SimpleAtoi(bounds[1], &to)) {
        return absl::InvalidArgumentError(absl::StrCat("bad range \"", part, "\""));
      }
      if (range_step.size() == 2 && bounds.size() == 1) to = hi;  // "5/15" = from 5 on
    }
    if (from < lo || to > hi || from > to) {
      return absl::InvalidArgumentError(absl::StrCat("\"", part, "\" is outside ", lo, "-", hi));
    }
    for (int v = from; v <= to; v += step) out.set(v);
  }
  return out;
}

absl::StatusOr<CronSchedule> CronSchedule::Parse(const std::string& schedule) {
  std::vector<absl::string_view> f = absl::StrSplit(schedule, ' ', absl::SkipWhitespace());
  if (f.size() != 5) {
    return absl::InvalidArgumentError(
        "expected 5 fields \"minute hour day-of-month month day-of-week\"");
  }
  CronSchedule c;
  struct Spec {
    const char* name;
    int lo, hi;
    Field* into;
  };
  const Spec specs[] = {{"minute", 0, 59, &c.minute_},
                        {"hour", 0, 23, &c.hour_},
                        {"day-of-month", 1, 31, &c.dom_},
                        {"month", 1, 12, &c.month_},
                        {"day-of-week", 0, 7, &c.dow_}};
  for (size_t i = 0; i < 5; ++i) {
    absl::StatusOr<Field> parsed = ParseField(f[i], specs[i].lo, specs[i].hi);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(specs[i].name, ": ", parsed.status().message()));
    }
    *specs[i].into = *parsed;
  }
  c.dom_any_ = f[2] == "*";
  c.dow_any_ = f[4] == "*";
  return c;
}

bool CronSchedule::Matches(const absl::CivilMinute& t) const {
  const int weekday = (static_cast<int>(absl::GetWeekday(absl::CivilDay(t))) + 1) % 7;  // Sunday 0
  if (!minute_.test(t.minute()) || !hour_.test(t.hour()) || !month_.test(t.month())) return false;
  const bool d = dom_.test(t.day()), w = dow_.test(weekday) || (weekday == 0 && dow_.test(7));
  if (dom_any_ || dow_any_) return d && w;
  return d || w;
}

std::vector<SyncWindowProblem> CheckSyncWindow(const envctl::v1::SyncWindow& w) {
  std::vector<SyncWindowProblem> out;
  if (w.kind() != "allow" && w.kind() != "deny") {
    out.push_back({"kind", absl::StrCat("\"", w.kind(), "\" is not allow or deny")});
  }
  absl::StatusOr<CronSchedule> cron = CronSchedule::Parse(w.schedule());
  if (!cron.ok()) {
    out.push_back({"schedule", absl::StrCat("\"", w.schedule(), "\": ", cron.status().message())});
  }
  const absl::Duration duration =
      absl::Seconds(w.duration().seconds()) + absl::Nanoseconds(w.duration().nanos());
  if (duration < absl::Minutes(1) || duration > kMaxSyncWindow) {
    out.push_back({"duration", "must be between 1m and 31 days (e.g. 2h)"});
  }
  const std::string zone_name = w.time_zone().empty() ? "UTC" : w.time_zone();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(zone_name, &zone)) {
    out.push_back({"timeZone", absl::StrCat("unknown IANA time zone \"", zone_name,
                                            "\" (e.g. Europe/Paris, UTC)")});
  }
  return out;
}

}  // namespace envctl::spec
