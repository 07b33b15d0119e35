#include "watchers/event_grid_guard.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/secret_equals.h"
#include "common/sha256.h"

namespace envctl::watchers {

namespace {

// Bounds the memory a flood of distinct ids or sources can take.
constexpr size_t kMaxTracked = 10000;

}  // namespace

EventGridGuard::EventGridGuard(EventGridGuardOptions options, Clock& clock)
    : options_(std::move(options)),
      secret_digest_(options_.secret.empty() ? "" : Sha256Hex(options_.secret)),
      clock_(clock) {}

absl::Status EventGridGuard::Authenticate(absl::string_view query) const {
  if (options_.secret.empty()) return absl::OkStatus();
  bool match = false;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view name = pair.substr(0, eq);
    if (name != "code" && name != "key") continue;
    // Digests have a fixed length, so the comparison's time says nothing of the secret.
    const std::string digest = Sha256Hex(std::string(pair.substr(eq + 1)));
    if (SecretEquals(digest, secret_digest_)) match = true;
  }
  if (match) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "Event Grid delivery rejected: the endpoint URL's ?code= (or ?key=) is missing or wrong; "
      "set it to the secret of webhooks.eventGridSecretEnv in the event subscription");
}

bool EventGridGuard::Take(Bucket& bucket, int limit, absl::Time now) {
  if (now - bucket.window_start >= absl::Minutes(1)) {
    bucket.window_start = now;
    bucket.count = 0;
  }
  if (bucket.count >= limit) return false;
  ++bucket.count;
  return true;
}

void EventGridGuard::Prune(absl::Time now) {
  if (last_admitted_.size() > kMaxTracked) {
    for (auto it = last_admitted_.begin(); it != last_admitted_.end();) {
      it = now - it->second >= options_.dedup_window ? last_admitted_.erase(it) : std::next(it);
    }
  }
  if (per_source_.size() > kMaxTracked) {
    for (auto it = per_source_.begin(); it != per_source_.end();) {
      it =
          now - it->second.window_start >= absl::Minutes(1) ? per_source_.erase(it) : std::next(it);
    }
  }
}

std::vector<ResourceChange> EventGridGuard::Admit(const EventGridDelivery& delivery) {
  std::vector<ResourceChange> out;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  Prune(now);
  for (const ResourceChange& change : delivery.changes) {
    const std::string id = absl::StrCat(absl::AsciiStrToLower(change.resource_id), "\n",
                                        change.client_request_id, "\n", change.version);
    auto seen = last_admitted_.find(id);
    if (seen != last_admitted_.end() && now - seen->second < options_.dedup_window) {
      ++counters_.deduplicated;
      continue;
    }
    // Past kMaxTracked sources a new one shares the total budget only.
    const std::string source = absl::AsciiStrToLower(change.source);
    const bool tracked = per_source_.count(source) > 0 || per_source_.size() < kMaxTracked;
    Bucket overflow;
    Bucket& bucket = tracked ? per_source_[source] : overflow;
    if (!Take(bucket, options_.per_source_per_minute, now) ||
        !Take(total_, options_.total_per_minute, now)) {
      ++counters_.rate_limited;
      continue;
    }
    last_admitted_[id] = now;
    ++counters_.admitted;
    out.push_back(change);
  }
  return out;
}

EventGridGuard::Counters EventGridGuard::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

}  // namespace envctl::watchers
