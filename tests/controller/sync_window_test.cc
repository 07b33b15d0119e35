// Sync windows on fixed instants: cron matching, allow/deny, time zones and DST.
#include "controller/sync_window.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::controller {
namespace {

using ::testing::HasSubstr;

envctl::v1::SyncPolicy Window(const std::string& kind, const std::string& schedule,
                              absl::Duration duration, const std::string& zone) {
  envctl::v1::SyncPolicy sync;
  auto* w = sync.add_windows();
  w->set_kind(kind);
  w->set_schedule(schedule);
  w->mutable_duration()->set_seconds(absl::ToInt64Seconds(duration));
  w->set_time_zone(zone);
  return sync;
}

absl::Time At(const std::string& zone_name, int y, int mo, int d, int h, int mi) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name, &zone));
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), zone);
}

bool Allowed(const envctl::v1::SyncPolicy& sync, absl::Time t) {
  absl::StatusOr<WindowVerdict> v = EvaluateWindows(sync, t);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() && v->writes_allowed;
}

TEST(SyncWindowTest, NoWindowsAlwaysAllow) {
  EXPECT_TRUE(Allowed(envctl::v1::SyncPolicy(), absl::Now()));
}

TEST(SyncWindowTest, AnAllowWindowOpensAtItsStartsForItsDuration) {
  // Weekdays 09:00-17:00 in Paris.
  auto sync = Window("allow", "0 9 * * 1-5", absl::Hours(8), "Europe/Paris");
  EXPECT_FALSE(Allowed(sync, At("Europe/Paris", 2026, 12, 7, 8, 59)));  // Monday
  EXPECT_TRUE(Allowed(sync, At("Europe/Paris", 2026, 12, 7, 9, 0)));
  EXPECT_TRUE(Allowed(sync, At("Europe/Paris", 2026, 12, 7, 16, 59)));
  EXPECT_FALSE(Allowed(sync, At("Europe/Paris", 2026, 12, 7, 17, 0)));
  EXPECT_FALSE(Allowed(sync, At("Europe/Paris", 2026, 12, 5, 10, 0)));  // Saturday
  absl::StatusOr<WindowVerdict> v = EvaluateWindows(sync, At("Europe/Paris", 2026, 12, 5, 10, 0));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->reason, "sync window closed: outside every allow window");
}

TEST(SyncWindowTest, ADenyWindowClosesWritesAndWinsOverAllow) {
  auto sync = Window("allow", "* * * * *", absl::Minutes(1), "UTC");
  *sync.add_windows() =
      Window("deny", "0 18 * * 5", absl::Hours(62), "UTC").windows(0);  // Fri 18:00 to Mon 08:00
  EXPECT_TRUE(Allowed(sync, At("UTC", 2026, 12, 4, 17, 59)));
  absl::StatusOr<WindowVerdict> v = EvaluateWindows(sync, At("UTC", 2026, 12, 5, 12, 0));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->writes_allowed);
  EXPECT_THAT(v->reason, HasSubstr("deny \"0 18 * * 5\" (UTC)"));
  EXPECT_FALSE(Allowed(sync, At("UTC", 2026, 12, 7, 7, 59)));
  EXPECT_TRUE(Allowed(sync, At("UTC", 2026, 12, 7, 8, 0)));
}

TEST(SyncWindowTest, StartsFollowLocalTimeAcrossDaylightSavingChanges) {
  // 02:30 every day in New York: on 2026-03-08 clocks jump 02:00 -> 03:00, so no window
  // starts that day; the day after it starts at 02:30 EDT (06:30 UTC, not 07:30).
  auto sync = Window("allow", "30 2 * * *", absl::Minutes(30), "America/New_York");
  EXPECT_TRUE(
      Allowed(sync, absl::FromCivil(absl::CivilMinute(2026, 3, 7, 7, 45), absl::UTCTimeZone())));
  for (int h = 0; h < 24; ++h) {
    EXPECT_FALSE(
        Allowed(sync, absl::FromCivil(absl::CivilMinute(2026, 3, 8, h, 45), absl::UTCTimeZone())))
        << "hour " << h << " UTC on the day 02:30 does not exist";
  }
  EXPECT_TRUE(
      Allowed(sync, absl::FromCivil(absl::CivilMinute(2026, 3, 9, 6, 45), absl::UTCTimeZone())));
  EXPECT_FALSE(
      Allowed(sync, absl::FromCivil(absl::CivilMinute(2026, 3, 9, 7, 45), absl::UTCTimeZone())));
  // 01:30 happens twice on 2026-11-01 (EDT then EST): two windows that day.
  auto twice = Window("allow", "30 1 * * *", absl::Minutes(10), "America/New_York");
  EXPECT_TRUE(
      Allowed(twice, absl::FromCivil(absl::CivilMinute(2026, 11, 1, 5, 35), absl::UTCTimeZone())));
  EXPECT_TRUE(
      Allowed(twice, absl::FromCivil(absl::CivilMinute(2026, 11, 1, 6, 35), absl::UTCTimeZone())));
}

TEST(SyncWindowTest, MalformedWindowsNameTheField) {
  auto bad_zone = Window("allow", "0 9 * * *", absl::Hours(1), "Mars/Olympus");
  EXPECT_THAT(std::string(EvaluateWindows(bad_zone, absl::Now()).status().message()),
              HasSubstr("sync.windows[0].timeZone: unknown IANA time zone \"Mars/Olympus\""));
  auto bad_cron = Window("deny", "0 25 * * *", absl::Hours(1), "UTC");
  EXPECT_THAT(std::string(EvaluateWindows(bad_cron, absl::Now()).status().message()),
              HasSubstr("sync.windows[0].schedule: \"0 25 * * *\": hour: \"25\" is outside 0-23"));
  auto bad_kind = Window("maybe", "0 9 * * *", absl::Hours(1), "UTC");
  EXPECT_THAT(std::string(EvaluateWindows(bad_kind, absl::Now()).status().message()),
              HasSubstr("sync.windows[0].kind: \"maybe\" is not allow or deny"));
}

}  // namespace
}  // namespace envctl::controller
