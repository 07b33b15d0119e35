#include "cloudsim/arm/throttle.h"

#include <algorithm>
#include <cmath>

namespace envctl::cloudsim {

ArmThrottle::Decision ArmThrottle::Take(const std::string& principal, const std::string& op_type) {
  const BucketSpec& spec = op_type == "reads"    ? options_.reads
                           : op_type == "writes" ? options_.writes
                                                 : options_.deletes;
  Decision d;
  if (!options_.enabled) {
    d.remaining = static_cast<int>(spec.capacity);
    return d;
  }
  absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace({principal, op_type});
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = spec.capacity;
    b.last = now;
  }
  double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.last));
  b.tokens = std::min(spec.capacity, b.tokens + elapsed * spec.refill_per_second);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.remaining = static_cast<int>(std::floor(b.tokens));
    return d;
  }
  d.allowed = false;
  double wait = spec.refill_per_second > 0 ? (1.0 - b.tokens) / spec.refill_per_second : 60.0;
  d.retry_after = absl::Seconds(wait);
  return d;
}

}  // namespace envctl::cloudsim
