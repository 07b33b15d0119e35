#include "cloud/transport/rate_limiting_transport.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "cloud/transport/url.h"

namespace envctl::cloud {

TokenBucket::TokenBucket(Clock& clock, TokenBucketOptions options)
    : clock_(clock), options_(options), tokens_(options.capacity), last_(clock.Now()) {}

absl::Duration TokenBucket::Reserve() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (now > last_) {
    tokens_ = std::min(options_.capacity,
                       tokens_ + absl::ToDoubleSeconds(now - last_) * options_.refill_per_second);
    last_ = now;
  }
  // Going negative reserves a future token: the debt is what the caller must wait for,
  // and the next caller queues behind it.
  tokens_ -= 1;
  if (tokens_ >= 0 || options_.refill_per_second <= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / options_.refill_per_second);
}

void TokenBucket::Acquire() {
  const absl::Duration wait = Reserve();
  if (wait > absl::ZeroDuration()) clock_.SleepFor(wait);
}

RateLimitingTransport::RateLimitingTransport(HttpTransport& next, TokenBucket& reads,
                                             TokenBucket& writes)
    : next_(next), reads_(reads), writes_(writes) {}

absl::StatusOr<HttpResponse> RateLimitingTransport::Send(const HttpRequest& request) {
  const std::string method = absl::AsciiStrToUpper(request.method);
  (method == "GET" || method == "HEAD" ? reads_ : writes_).Acquire();
  return next_.Send(request);
}

TokenBucket& PerOriginBuckets::For(const std::string& origin) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<TokenBucket>& bucket = buckets_[origin];
  if (bucket == nullptr) bucket = std::make_unique<TokenBucket>(clock_, options_);
  return *bucket;
}

absl::StatusOr<HttpResponse> PerOriginRateLimitingTransport::Send(const HttpRequest& request) {
  buckets_.For(OriginOf(request.url)).Acquire();
  return next_.Send(request);
}

}  // namespace envctl::cloud
