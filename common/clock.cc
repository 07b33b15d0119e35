#include "common/clock.h"

#include "absl/time/clock.h"

namespace envctl {

Clock& RealClock::Get() {
  static RealClock* clock = new RealClock();
  return *clock;
}

absl::Time RealClock::Now() { return absl::Now(); }

void RealClock::SleepFor(absl::Duration d) {
  if (d > absl::ZeroDuration()) absl::SleepFor(d);
}

}  // namespace envctl
