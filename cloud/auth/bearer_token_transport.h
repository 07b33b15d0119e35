// Authentication decorators for HttpTransport.
// BearerTokenTransport: adds `Authorization: Bearer <token>` for one fixed scope (ARM,
// Databricks). ChallengeAuthTransport: Key Vault's challenge flow (azure-rest.md §6.1):
// the first request to a vault goes out without a token; a 401 with
// `WWW-Authenticate: Bearer authorization="…/{tenant}", resource="…"` (or
// `authorization_uri=`, or `scope=`) names the scope, the token is fetched and the request
// is sent once more. The scope is remembered per origin, so later requests carry a token
// from the start; a 401 on a request that already had a token is answered with one fresh
// retry too, never more (no 401 loops). A vault not seen yet is first sent a token for the
// scope the last challenge named, or before any challenge for `expected_scope` (the cloud's
// Key Vault audience): a vault that wants another scope says so in its 401 and gets it.
// Both are thread-safe.
#ifndef ENVCTL_CLOUD_AUTH_BEARER_TOKEN_TRANSPORT_H_
#define ENVCTL_CLOUD_AUTH_BEARER_TOKEN_TRANSPORT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cloud/auth/token_credential.h"
#include "cloud/transport/http_transport.h"

namespace envctl::cloud {

class BearerTokenTransport : public HttpTransport {
 public:
  BearerTokenTransport(HttpTransport& next, TokenCredential& credential, std::string scope);
  // A token error is returned as is (Unauthenticated, PermissionDenied, Unavailable).
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  TokenCredential& credential_;
  const std::string scope_;
};

struct BearerChallenge {
  std::string authorization;  // authorization= or authorization_uri=
  std::string resource;
  std::string scope;
  // The scope to request: `scope` if given, else "{resource}/.default".
  std::string TokenScope() const;
  // Last path segment of `authorization` (the tenant id), or "".
  std::string Tenant() const;
};

// Parses a `WWW-Authenticate: Bearer k="v", k2="v2"` header; nullopt when it is not a
// Bearer challenge or names neither resource nor scope.
std::optional<BearerChallenge> ParseBearerChallenge(absl::string_view header);

class ChallengeAuthTransport : public HttpTransport {
 public:
  // `expected_scope`: tried on a vault before any challenge was seen; "" = learn it from a
  // first bare request.
  ChallengeAuthTransport(HttpTransport& next, TokenCredential& credential,
                         std::string expected_scope = "");
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  TokenCredential& credential_;
  absl::Mutex mu_;
  std::map<std::string, std::string> scope_by_origin_ ABSL_GUARDED_BY(mu_);
  // The scope the last challenge named (until then the expected one): tried first on an
  // origin not seen yet.
  std::string last_challenged_scope_ ABSL_GUARDED_BY(mu_);
  // A request without any known scope is out, its answer (the challenge) not yet in:
  // other requests without a scope wait for it instead of each drawing its own 401 (50
  // environments open their 50 vaults at once).
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_BEARER_TOKEN_TRANSPORT_H_
