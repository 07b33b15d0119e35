// RetryingTransport: retries transient failures of the transport below it: HTTP 408, 429,
// 500, 502, 503, 504 and connection errors (Unavailable / DeadlineExceeded). The wait is
// what the server asked for (x-ms-retry-after-ms, Retry-After seconds or HTTP date) or
// else exponential backoff with full jitter: uniform in [0, min(max_backoff,
// initial_backoff * 2^(n-1))]. It stops at max_attempts or when the next wait would pass
// max_total, and then returns the last answer: a response (with header x-envctl-attempts
// so StatusFromResponse can say how many tries were made) or the last error annotated with
// the attempt count. A request with HttpRequest::retry false gets one attempt only.
// Non-idempotent requests (HttpRequest::IsIdempotent) are retried only
// on 429, which the server sends before doing any work. Waits go through the injected
// Clock and are marked as blocking waits (common/wait_observer.h), so the engine lends the
// waiting resource's executor slots to other resources meanwhile. Thread-safe.
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
  // Retry budget: past max_attempts, an answer that says when to come back (429/503 with
  // Retry-After) is retried again while the budget lasts (and max_total allows). Each
  // such retry costs one token; every successful answer earns `budget_per_success`. A
  // storm (many faults, most requests still succeeding) keeps the budget full, so it
  // slows a pass instead of failing it; an outage (no successes) drains it, so requests
  // fail after max_attempts as before. It starts empty: only what succeeded pays.
  double budget_initial = 0;
  double budget_max = 50;
  double budget_per_success = 0.5;
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
  // Takes one token from the retry budget; false when it is empty.
  bool SpendBudget();
  void EarnBudget();

  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  double budget_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_RETRYING_TRANSPORT_H_
