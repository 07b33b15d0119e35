// Shared parsing of token endpoint answers (Entra ID v2 and managed identity): numbers may
// arrive as JSON numbers or strings. Internal to cloud/auth.
#ifndef ENVCTL_CLOUD_AUTH_TOKEN_RESPONSE_H_
#define ENVCTL_CLOUD_AUTH_TOKEN_RESPONSE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud/auth/token_credential.h"

namespace envctl::cloud::auth_internal {

// Parses {"access_token", "expires_in" | "expires_on"}; `now` anchors expires_in.
// `who` names the endpoint in errors ("Entra ID", "managed identity"). The body is never
// quoted in an error, since a malformed answer may still hold a token.
absl::StatusOr<AccessToken> ParseTokenResponse(const std::string& body, absl::Time now,
                                               const std::string& who);

}  // namespace envctl::cloud::auth_internal

#endif  // ENVCTL_CLOUD_AUTH_TOKEN_RESPONSE_H_
