// FakeClock: a Clock whose time moves only when a test advances it, or when code under
// test calls SleepFor (which advances time at once and records the sleep). Thread-safe.
#ifndef ENVCTL_TESTS_FAKES_FAKE_CLOCK_H_
#define ENVCTL_TESTS_FAKES_FAKE_CLOCK_H_

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace envctl {

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void SleepFor(absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    sleeps_.push_back(d);
    if (d > absl::ZeroDuration()) now_ += d;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // Every SleepFor duration so far, in call order.
  std::vector<absl::Duration> Sleeps() {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl

#endif  // ENVCTL_TESTS_FAKES_FAKE_CLOCK_H_
