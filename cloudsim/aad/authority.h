// The Entra ID authority endpoints cloudsim serves on its main origin:
// openid-configuration (v2 and v1), instance discovery, JWKS, and the client-credentials
// token endpoints (v2 with scope=<resource>/.default and integer expires_in; v1 with
// resource= and string expires_in, as the Databricks Go SDK uses). Stateless apart from
// the immutable identity/token service; thread-safe.
#ifndef ENVCTL_CLOUDSIM_AAD_AUTHORITY_H_
#define ENVCTL_CLOUDSIM_AAD_AUTHORITY_H_

#include "cloudsim/aad/tokens.h"
#include "cloudsim/core/identity.h"
#include "cloudsim/http/http_types.h"
#include "common/clock.h"

namespace envctl::cloudsim {

// True for paths the authority answers (anything under /{tenant}/oauth2/, .well-known,
// discovery).
bool IsAuthorityPath(const std::string& path);

Response HandleAuthority(const Request& request, const Identity& identity,
                         const TokenService& tokens, Clock* clock);

// The managed-identity token endpoint, for clients that log in as an identity: the
// Cloud Shell / App Service style MSI_ENDPOINT (POST /msi/token, form resource=) and the
// IMDS path (GET /metadata/identity/oauth2/token?resource=). Both require the
// "Metadata: true" header and issue a token for cloudsim's one service principal.
bool IsManagedIdentityPath(const std::string& path);
Response HandleManagedIdentity(const Request& request, const Identity& identity,
                               const TokenService& tokens, Clock* clock);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_AAD_AUTHORITY_H_
