// TokenCredential: where bearer tokens come from. Implementations: ClientSecretCredential
// (Entra ID client credentials), ManagedIdentityCredential (IMDS / App Service),
// StaticTokenCredential (a fixed token, e.g. a Databricks PAT), and CachingCredential,
// which wraps any of them with a per-scope cache and single-flight refresh.
// Implementations are thread-safe. An AccessToken holds a secret: never log `token`.
#ifndef ENVCTL_CLOUD_AUTH_TOKEN_CREDENTIAL_H_
#define ENVCTL_CLOUD_AUTH_TOKEN_CREDENTIAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace envctl::cloud {

struct AccessToken {
  std::string token;  // secret
  absl::Time expires_on = absl::InfiniteFuture();
};

class TokenCredential {
 public:
  virtual ~TokenCredential() = default;
  // A token for `scope` (v2 form, "https://management.azure.com/.default").
  // Errors: Unauthenticated / PermissionDenied from the identity provider (with the AADSTS
  // code and description, never the secret), Unavailable / DeadlineExceeded when it
  // cannot be reached.
  virtual absl::StatusOr<AccessToken> GetToken(const std::string& scope) = 0;
};

// A fixed token for every scope (a Databricks PAT, or a token handed in by a test).
class StaticTokenCredential : public TokenCredential {
 public:
  explicit StaticTokenCredential(std::string token, absl::Time expires_on = absl::InfiniteFuture())
      : token_{std::move(token), expires_on} {}
  absl::StatusOr<AccessToken> GetToken(const std::string& /*scope*/) override { return token_; }

 private:
  const AccessToken token_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_TOKEN_CREDENTIAL_H_
