// ManagedIdentityCredential: tokens from the Azure Instance Metadata Service
// (`GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01
// &resource=...` with `Metadata: true`) or, when IDENTITY_ENDPOINT and IDENTITY_HEADER are
// set, the App Service / Functions variant (`api-version=2019-08-01`, header
// X-IDENTITY-HEADER). The v2 scope is turned into a v1 resource by dropping "/.default".
// expires_in / expires_on may be strings or numbers. No caching here. Thread-safe.
#ifndef ENVCTL_CLOUD_AUTH_MANAGED_IDENTITY_CREDENTIAL_H_
#define ENVCTL_CLOUD_AUTH_MANAGED_IDENTITY_CREDENTIAL_H_

#include <string>

#include "cloud/auth/token_credential.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

struct ManagedIdentityOptions {
  // IMDS token endpoint; tests point it at a fake.
  std::string imds_endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
  // User-assigned identity to use, or "" for the system-assigned one.
  std::string client_id;
  // App Service / Functions: both set means use that endpoint instead of IMDS.
  std::string identity_endpoint;
  std::string identity_header;  // secret

  // IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID from the environment.
  static ManagedIdentityOptions FromEnvironment(const EnvLookup& env = ProcessEnv());
};

class ManagedIdentityCredential : public TokenCredential {
 public:
  ManagedIdentityCredential(HttpTransport& transport, Clock& clock,
                            ManagedIdentityOptions options = {});
  absl::StatusOr<AccessToken> GetToken(const std::string& scope) override;

 private:
  HttpTransport& transport_;
  Clock& clock_;
  const ManagedIdentityOptions options_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_MANAGED_IDENTITY_CREDENTIAL_H_
