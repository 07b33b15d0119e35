// CachingCredential: a per-scope token cache in front of another TokenCredential. A cached
// token is used until `refresh_margin` before it expires; then one caller refreshes it
// while the others keep using the still-valid token, or, if there is none, wait for that
// one refresh (single flight: N concurrent callers, 1 token request). If a refresh fails
// while the old token is still valid, the old token is returned. Time comes from the
// injected Clock. Thread-safe.
#ifndef ENVCTL_CLOUD_AUTH_CACHING_CREDENTIAL_H_
#define ENVCTL_CLOUD_AUTH_CACHING_CREDENTIAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cloud/auth/token_credential.h"
#include "common/clock.h"

namespace envctl::cloud {

class CachingCredential : public TokenCredential {
 public:
  CachingCredential(std::unique_ptr<TokenCredential> inner, Clock& clock,
                    absl::Duration refresh_margin = absl::Minutes(5));

  absl::StatusOr<AccessToken> GetToken(const std::string& scope) override;

 private:
  struct Entry {
    std::optional<AccessToken> token;
    bool refreshing = false;
    // Bumped after every refresh, so waiters know theirs has finished.
    uint64_t generation = 0;
    absl::Status last_error;
  };

  const std::unique_ptr<TokenCredential> inner_;
  Clock& clock_;
  const absl::Duration refresh_margin_;
  absl::Mutex mu_;
  absl::CondVar refreshed_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_CACHING_CREDENTIAL_H_
