// Client-side rate limiting so envctl stays under the service's own limits instead of
// collecting 429s. TokenBucket: `capacity` tokens, refilled at `refill_per_second`; each
// request takes one, and when none is left the caller waits (through the injected Clock)
// until its token has accrued. Reservations are made under the lock and the wait happens
// outside it, so concurrent callers are spaced 1/refill apart. RateLimitingTransport puts
// reads (GET, HEAD) and writes (everything else) in separate buckets, which may be shared
// by several pipelines (ARM and Data Factory share ARM's). Thread-safe.
#ifndef ENVCTL_CLOUD_TRANSPORT_RATE_LIMITING_TRANSPORT_H_
#define ENVCTL_CLOUD_TRANSPORT_RATE_LIMITING_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

struct TokenBucketOptions {
  double capacity = 100;
  double refill_per_second = 10;
};

// Defaults: ARM allows 250 reads (25/s) and 200 writes (10/s) per principal and
// subscription (azure-rest.md §11.1); we keep ~20% below. Databricks: the Go SDK's 15 req/s.
// Key Vault secrets: well under the per-vault limits.
struct RateLimitDefaults {
  static TokenBucketOptions ArmReads() { return {200, 20}; }
  static TokenBucketOptions ArmWrites() { return {160, 8}; }
  static TokenBucketOptions KeyVault() { return {100, 50}; }
  static TokenBucketOptions Databricks() { return {30, 15}; }
};

class TokenBucket {
 public:
  TokenBucket(Clock& clock, TokenBucketOptions options);
  // Takes one token, sleeping on the clock until it is available.
  void Acquire();
  // Takes one token and returns how long the caller must wait for it (zero when one was
  // available). Acquire() = clock.SleepFor(Reserve()).
  absl::Duration Reserve();

 private:
  Clock& clock_;
  const TokenBucketOptions options_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

// One bucket per origin, made on first use: a data-plane limit is per vault or workspace
// (each vault and workspace has its own origin), so one environment's traffic never
// spends another's. Thread-safe.
class PerOriginBuckets {
 public:
  PerOriginBuckets(Clock& clock, TokenBucketOptions options) : clock_(clock), options_(options) {}
  TokenBucket& For(const std::string& origin);

 private:
  Clock& clock_;
  const TokenBucketOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_ ABSL_GUARDED_BY(mu_);
};

class PerOriginRateLimitingTransport : public HttpTransport {
 public:
  // `buckets` must outlive this transport; reads and writes share an origin's bucket.
  PerOriginRateLimitingTransport(HttpTransport& next, PerOriginBuckets& buckets)
      : next_(next), buckets_(buckets) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  PerOriginBuckets& buckets_;
};

class RateLimitingTransport : public HttpTransport {
 public:
  // `reads` and `writes` may be the same bucket; both must outlive this transport.
  RateLimitingTransport(HttpTransport& next, TokenBucket& reads, TokenBucket& writes);
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  TokenBucket& reads_;
  TokenBucket& writes_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_RATE_LIMITING_TRANSPORT_H_
