// ArmThrottle: ARM's 2024 token-bucket throttling (reference §11.1): one bucket per
// (principal, operation type) where the type is read, write or delete; each request
// takes a token; an empty bucket means 429 with Retry-After = time until the next token.
// Buckets refill continuously in real (clock) time, independent of the speed knob.
// Thread-safe.
#ifndef ENVCTL_CLOUDSIM_ARM_THROTTLE_H_
#define ENVCTL_CLOUDSIM_ARM_THROTTLE_H_

#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace envctl::cloudsim {

struct BucketSpec {
  double capacity = 250;
  double refill_per_second = 25;
};

struct ThrottleOptions {
  bool enabled = true;
  BucketSpec reads{250, 25};
  BucketSpec writes{200, 10};
  BucketSpec deletes{200, 10};
};

class ArmThrottle {
 public:
  ArmThrottle(ThrottleOptions options, Clock* clock) : options_(options), clock_(clock) {}

  struct Decision {
    bool allowed = true;
    int remaining = 0;           // tokens left after this request
    absl::Duration retry_after;  // when !allowed
  };
  // `op_type` is "reads", "writes" or "deletes".
  Decision Take(const std::string& principal, const std::string& op_type);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  const ThrottleOptions options_;
  Clock* const clock_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_THROTTLE_H_
