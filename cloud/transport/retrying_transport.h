// RetryingTransport: retries transient failures of the transport below it: HTTP 408, 429,
// 500, 502, 503, 504 and connection errors (Unavailable / DeadlineExceeded). The wait is
// what the server asked for (x-ms-retry-after-ms, Retry-After seconds or HTTP date) or
// else exponential backoff with full jitter: uniform in [0, min(max_backoff,
// initial_backoff * 2^(n-1))]. It stops at max_attempts or when the next wait would pass
// max_total, and then returns the last answer: a response (with header x-envctl-attempts
// so StatusFromResponse can say how many tries were made) or the last error annotated with
// the attempt count. Non-idempotent requests (HttpRequest::IsIdempotent) are retried only
// on 429, which the server sends before doing any work. Waits go through the injected
// Clock. Thread-safe.
#ifndef ENVCTL_CLOUD_TRANSPORT_RETRYING_TRANSPORT_H_
#define ENVCTL_CLOUD_TRANSPORT_RETRYING_TRANSPORT_H_

#include <cstdint>
#include <random>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

struct RetryOptions {
  int max_attempts = 6;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(60);
  // Cap on the total time of one Send, attempts and waits included: no retry is started
  // whose wait would end past it.
  absl::Duration max_total = absl::Minutes(5);
  // Seed for the jitter RNG; 0 seeds from std::random_device.
  uint64_t seed = 0;
};

class RetryingTransport : public HttpTransport {
 public:
  RetryingTransport(HttpTransport& next, Clock& clock, RetryOptions options = {});

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

  // True for the HTTP statuses this transport retries.
  static bool IsRetryableStatus(int status);

  // The jittered backoff before attempt `attempt + 1` when the server gave no delay.
  absl::Duration JitteredBackoff(int attempt);

 private:
  HttpTransport& next_;
  Clock& clock_;
  const RetryOptions options_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_RETRYING_TRANSPORT_H_
