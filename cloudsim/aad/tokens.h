// TokenService: issues and validates cloudsim's Entra ID access tokens. Tokens are
// JWT-shaped (base64url header.payload.signature, HS256 with a per-state-dir key) and
// carry aud, iss, oid, tid, appid, iat, nbf, exp, so SDKs that peek into them work.
// Immutable after construction; safe from any thread.
#ifndef ENVCTL_CLOUDSIM_AAD_TOKENS_H_
#define ENVCTL_CLOUDSIM_AAD_TOKENS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace envctl::cloudsim {

// Audiences cloudsim issues tokens for.
inline constexpr char kArmAudience[] = "https://management.azure.com/";
inline constexpr char kArmLegacyAudience[] = "https://management.core.windows.net/";
inline constexpr char kVaultAudience[] = "https://vault.azure.net";
inline constexpr char kDatabricksAudience[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
inline constexpr char kStorageAudience[] = "https://storage.azure.com";

struct TokenClaims {
  std::string aud;
  std::string oid;
  std::string tid;
  std::string appid;
  absl::Time iat;
  absl::Time nbf;
  absl::Time exp;
};

class TokenService {
 public:
  TokenService(std::string signing_key, std::string tenant_id, Clock* clock,
               absl::Duration lifetime);

  std::string Issue(const std::string& audience, const std::string& oid,
                    const std::string& appid) const;
  absl::Duration lifetime() const { return lifetime_; }

  // Accepts a raw token or an "Authorization" header value ("Bearer x").
  // Errors: Unauthenticated (not a cloudsim token / bad signature / other tenant),
  // DeadlineExceeded (expired; message names the expiry), PermissionDenied (audience is
  // none of `audiences`; compared ignoring a trailing '/').
  absl::StatusOr<TokenClaims> Validate(absl::string_view token,
                                       const std::vector<std::string>& audiences) const;

 private:
  const std::string key_;
  const std::string tenant_id_;
  Clock* const clock_;
  const absl::Duration lifetime_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_AAD_TOKENS_H_
