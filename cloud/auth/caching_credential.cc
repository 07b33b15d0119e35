#include "cloud/auth/caching_credential.h"

#include <utility>

namespace envctl::cloud {

CachingCredential::CachingCredential(std::unique_ptr<TokenCredential> inner, Clock& clock,
                                     absl::Duration refresh_margin)
    : inner_(std::move(inner)), clock_(clock), refresh_margin_(refresh_margin) {}

absl::StatusOr<AccessToken> CachingCredential::GetToken(const std::string& scope) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[scope];  // std::map: the reference stays valid
  for (;;) {
    const absl::Time now = clock_.Now();
    if (entry.token && now < entry.token->expires_on - refresh_margin_) return *entry.token;
    if (!entry.refreshing) break;
    // Someone else is refreshing. A token that is due for refresh but not yet expired is
    // still good; otherwise wait for that one refresh rather than start another.
    if (entry.token && now < entry.token->expires_on) return *entry.token;
    const uint64_t generation = entry.generation;
    while (entry.generation == generation) refreshed_.Wait(&mu_);
    if (!entry.last_error.ok() && !(entry.token && clock_.Now() < entry.token->expires_on)) {
      return entry.last_error;
    }
  }

  entry.refreshing = true;
  absl::StatusOr<AccessToken> fresh;
  {
    mu_.Unlock();
    fresh = inner_->GetToken(scope);
    mu_.Lock();
  }
  entry.refreshing = false;
  ++entry.generation;
  entry.last_error = fresh.status();
  if (fresh.ok()) entry.token = *fresh;
  refreshed_.SignalAll();
  if (fresh.ok()) return fresh;
  if (entry.token && clock_.Now() < entry.token->expires_on) return *entry.token;
  return fresh.status();
}

}  // namespace envctl::cloud
