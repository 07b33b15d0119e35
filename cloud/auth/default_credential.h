// The credential envctl uses by default, the Azure SDK way: a client secret when the
// endpoints carry tenant, client id and secret (from endpoints.json, or AZURE_TENANT_ID /
// AZURE_CLIENT_ID / AZURE_CLIENT_SECRET for the public cloud), else managed identity.
// Always wrapped in a CachingCredential.
#ifndef ENVCTL_CLOUD_AUTH_DEFAULT_CREDENTIAL_H_
#define ENVCTL_CLOUD_AUTH_DEFAULT_CREDENTIAL_H_

#include <memory>

#include "cloud/auth/managed_identity_credential.h"
#include "cloud/auth/token_credential.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"

namespace envctl::cloud {

struct DefaultCredentialOptions {
  absl::Duration refresh_margin = absl::Minutes(5);
  ManagedIdentityOptions managed_identity = ManagedIdentityOptions::FromEnvironment();
};

// `aad_transport` must outlive the credential. A client id and secret without a tenant
// is an InvalidArgument naming AZURE_TENANT_ID.
absl::StatusOr<std::unique_ptr<TokenCredential>> CreateDefaultCredential(
    const CloudEndpoints& endpoints, HttpTransport& aad_transport, Clock& clock,
    DefaultCredentialOptions options = {});

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_AUTH_DEFAULT_CREDENTIAL_H_
