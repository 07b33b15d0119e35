#include "cloud/transport/retrying_transport.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"
#include "cloud/transport/retry_after.h"
#include "common/log.h"
#include "common/wait_observer.h"

namespace envctl::cloud {
namespace {

bool IsRetryableError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

RetryingTransport::RetryingTransport(HttpTransport& next, Clock& clock, RetryOptions options)
    : next_(next),
      clock_(clock),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()),
      budget_(options.budget_initial) {}

bool RetryingTransport::SpendBudget() {
  absl::MutexLock lock(&mu_);
  if (budget_ < 1) return false;
  budget_ -= 1;
  return true;
}

void RetryingTransport::EarnBudget() {
  absl::MutexLock lock(&mu_);
  budget_ = std::min(options_.budget_max, budget_ + options_.budget_per_success);
}

bool RetryingTransport::IsRetryableStatus(int status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

absl::Duration RetryingTransport::JitteredBackoff(int attempt) {
  absl::Duration cap = options_.initial_backoff;
  for (int i = 1; i < attempt && cap < options_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, options_.max_backoff);
  const int64_t cap_ms = absl::ToInt64Milliseconds(cap);
  if (cap_ms <= 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  std::uniform_int_distribution<int64_t> dist(0, cap_ms);
  return absl::Milliseconds(dist(rng_));
}

absl::StatusOr<HttpResponse> RetryingTransport::Send(const HttpRequest& request) {
  HttpRequest attempt_request = request;
  const absl::Time start = clock_.Now();
  for (int attempt = 1;; ++attempt) {
    attempt_request.attempt = attempt;
    absl::StatusOr<HttpResponse> result = next_.Send(attempt_request);

    // Decide whether this answer is worth another try, and how long the server asked us
    // to wait. A 429 is safe to retry for any method: the server refused before acting.
    bool retryable = false;
    std::optional<absl::Duration> server_delay;
    if (result.ok()) {
      retryable =
          IsRetryableStatus(result->status) && (result->status == 429 || request.IsIdempotent());
      if (retryable) server_delay = ParseRetryAfter(result->headers, clock_.Now());
    } else {
      retryable = IsRetryableError(result.status()) && request.IsIdempotent();
    }

    if (result.ok() && result->status < 400) EarnBudget();

    absl::Duration delay = absl::ZeroDuration();
    if (retryable) delay = server_delay.has_value() ? *server_delay : JitteredBackoff(attempt);
    // The total cap counts time spent in requests too, as the caller experiences it.
    const bool past_total = (clock_.Now() - start) + delay > options_.max_total;
    // Past max_attempts only the server's own "come back in N s", paid from the budget.
    const bool out_of_attempts = attempt >= options_.max_attempts &&
                                 !(server_delay.has_value() && !past_total && SpendBudget());
    const bool give_up = !request.retry || !retryable || past_total || out_of_attempts;
    if (give_up) {
      if (attempt == 1) return result;
      if (result.ok()) {
        result->headers[kAttemptsHeader] = std::to_string(attempt);
        return result;
      }
      return absl::Status(result.status().code(), absl::StrCat(result.status().message(),
                                                               " (after ", attempt, " attempts)"));
    }
    // One line per wait (debug): with the engine's per-resource context it says which
    // resource waited how long for what (the benchmark's fault-storm breakdown).
    log::Debug("cloud_retry")
        .Str("method", request.method)
        .Int("status", result.ok() ? result->status : 0)
        .Int("attempt", attempt)
        .Bool("server_delay", server_delay.has_value())
        .Duration(delay);
    // The thread only waits: its owner may lend its slots meanwhile.
    ScopedBlockingWait waiting;
    clock_.SleepFor(delay);
  }
}

}  // namespace envctl::cloud
