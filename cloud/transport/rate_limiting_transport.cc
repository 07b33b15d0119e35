#include "cloud/transport/rate_limiting_transport.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

void TokenBucket::Observe(double remaining, double reserve) {
  absl::MutexLock lock(&mu_);
  tokens_ = std::min(tokens_, remaining - reserve);
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

ArmBudget::Op ArmBudget::OpOf(const std::string& method) {
  const std::string m = absl::AsciiStrToUpper(method);
  if (m == "GET" || m == "HEAD") return Op::kRead;
  if (m == "DELETE") return Op::kDelete;
  return Op::kWrite;
}

const char* ArmBudget::HeaderSuffix(Op op) {
  switch (op) {
    case Op::kRead:
      return "reads";
    case Op::kDelete:
      return "deletes";
    case Op::kWrite:
      break;
  }
  return "writes";
}

std::string ArmBudget::SubscriptionOf(const std::string& url) {
  const std::string lower = absl::AsciiStrToLower(url);
  const size_t scheme = lower.find("://");
  const size_t path = lower.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return "";
  const std::string marker = "/subscriptions/";
  const size_t at = lower.find(marker, path);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  const size_t end = lower.find_first_of("/?#", start);
  return lower.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TokenBucket& ArmBudget::For(const std::string& subscription, Op op) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<TokenBucket>& bucket = buckets_[{subscription, op}];
  if (bucket == nullptr) {
    bucket = std::make_unique<TokenBucket>(clock_, op == Op::kRead    ? options_.reads
                                                   : op == Op::kWrite ? options_.writes
                                                                      : options_.deletes);
  }
  return *bucket;
}

absl::StatusOr<HttpResponse> ArmRateLimitingTransport::Send(const HttpRequest& request) {
  const ArmBudget::Op op = ArmBudget::OpOf(request.method);
  TokenBucket& bucket = budget_.For(ArmBudget::SubscriptionOf(request.url), op);
  bucket.Acquire();
  absl::StatusOr<HttpResponse> response = next_.Send(request);
  if (response.ok()) {
    const std::string remaining = response->Header(
        std::string("x-ms-ratelimit-remaining-subscription-") + ArmBudget::HeaderSuffix(op));
    double value = 0;
    if (!remaining.empty() && absl::SimpleAtod(remaining, &value) && value >= 0) {
      bucket.Observe(value, budget_.reserve());
    }
  }
  return response;
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
