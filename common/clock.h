// Clock: the only source of time for envctl code that waits or schedules (work queue,
// backoff, token caches, pollers, simulated runs). Tests inject tests/fakes/fake_clock.h
// and advance time instead of sleeping. Implementations are thread-safe.
#ifndef ENVCTL_COMMON_CLOCK_H_
#define ENVCTL_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace envctl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Blocks the calling thread for `d` of this clock's time (a fake clock returns at once
  // after advancing its time).
  virtual void SleepFor(absl::Duration d) = 0;
};

// Wall-clock time. `RealClock::Get()` is a process-wide immutable instance.
class RealClock : public Clock {
 public:
  static Clock& Get();
  absl::Time Now() override;
  void SleepFor(absl::Duration d) override;
};

}  // namespace envctl

#endif  // ENVCTL_COMMON_CLOCK_H_
