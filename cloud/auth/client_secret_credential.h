// ClientSecretCredential: Entra ID (v2) client-credentials flow,
// `POST {authority_host}/{tenant}/oauth2/v2.0/token` with a form body (azure-rest.md §1.1).
// No caching here; wrap in CachingCredential. The secret goes only into the request body;
// errors carry the AADSTS code and description, never the secret. Thread-safe.
#ifndef ENVCTL_CLOUD_AUTH_CLIENT_SECRET_CREDENTIAL_H_
#define ENVCTL_CLOUD_AUTH_CLIENT_SECRET_CREDENTIAL_H_

#include <string>

#include "cloud/auth/token_credential.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

class ClientSecretCredential : public TokenCredential {
 public:
  // `transport` is an unauthenticated pipeline (retries, metrics) to the authority.
  ClientSecretCredential(HttpTransport& transport, Clock& clock, std::string authority_host,
                         std::string tenant_id, std::string client_id, std::string client_secret);

  absl::StatusOr<AccessToken> GetToken(const std::string& scope) override;

 private:
  HttpTransport& transport_;
  Clock& clock_;
  const std::string authority_host_;
  const std::string tenant_id_;
  const std::string client_id_;
  const std::string client_secret_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_CLIENT_SECRET_CREDENTIAL_H_
