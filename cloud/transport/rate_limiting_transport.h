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
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

struct TokenBucketOptions {
  double capacity = 100;
  double refill_per_second = 10;
};

// Defaults: ARM allows 250 reads (25/s), 200 writes (10/s) and 200 deletes (10/s) per
// principal and subscription (azure-rest.md §11.1). Our buckets are ARM's own: what keeps
// us below it is ArmRateLimitingTransport lowering them to the remaining budget ARM
// reports in every answer (less a reserve), not a smaller bucket, which would only
// serialize many environments' writes sooner than ARM does. Databricks: the Go SDK's
// 15 req/s. Key Vault secrets: well under the per-vault limits.
struct RateLimitDefaults {
  static TokenBucketOptions ArmReads() { return {250, 25}; }
  static TokenBucketOptions ArmWrites() { return {200, 10}; }
  static TokenBucketOptions ArmDeletes() { return {200, 10}; }
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
  // The service says `remaining` requests are left in its own bucket (which other clients
  // of the same budget also spend): never hold more tokens than that less `reserve`, so the
  // next requests are spaced at the refill rate before the service answers 429.
  void Observe(double remaining, double reserve);

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

// ARM's budget: ARM throttles per principal and subscription with separate read, write
// and delete buckets, and tells what is left of each in every answer
// (x-ms-ratelimit-remaining-subscription-reads/-writes/-deletes). One ArmBudget per
// process holds one bucket per subscription and operation type, shared by every
// environment and by the ARM and Data Factory pipelines. Thread-safe.
struct ArmBudgetOptions {
  TokenBucketOptions reads = RateLimitDefaults::ArmReads();
  TokenBucketOptions writes = RateLimitDefaults::ArmWrites();
  TokenBucketOptions deletes = RateLimitDefaults::ArmDeletes();
  // Tokens kept in hand below what ARM says remains (requests of other clients in flight).
  double reserve = 5;
};

class ArmBudget {
 public:
  enum class Op { kRead, kWrite, kDelete };
  ArmBudget(Clock& clock, ArmBudgetOptions options) : clock_(clock), options_(options) {}
  // The bucket of `subscription` ("" for calls outside a subscription) for `op`.
  TokenBucket& For(const std::string& subscription, Op op);
  double reserve() const { return options_.reserve; }

  // GET/HEAD read, DELETE deletes, anything else writes.
  static Op OpOf(const std::string& method);
  // The subscription id in an ARM URL's path (/subscriptions/<id>/...), lower-cased; "".
  static std::string SubscriptionOf(const std::string& url);
  // "reads", "writes" or "deletes": the suffix of ARM's remaining-budget header.
  static const char* HeaderSuffix(Op op);

 private:
  Clock& clock_;
  const ArmBudgetOptions options_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, Op>, std::unique_ptr<TokenBucket>> buckets_ ABSL_GUARDED_BY(mu_);
};

// Takes a token of the request's subscription and operation type before sending, and
// lowers that bucket to what ARM's x-ms-ratelimit-remaining-subscription-* header says
// is left after the answer.
class ArmRateLimitingTransport : public HttpTransport {
 public:
  // `budget` must outlive this transport.
  ArmRateLimitingTransport(HttpTransport& next, ArmBudget& budget) : next_(next), budget_(budget) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  ArmBudget& budget_;
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
