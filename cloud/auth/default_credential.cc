#include "cloud/auth/default_credential.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cloud/auth/caching_credential.h"
#include "cloud/auth/client_secret_credential.h"

namespace envctl::cloud {

absl::StatusOr<std::unique_ptr<TokenCredential>> CreateDefaultCredential(
    const CloudEndpoints& endpoints, HttpTransport& aad_transport, Clock& clock,
    DefaultCredentialOptions options) {
  std::unique_ptr<TokenCredential> inner;
  if (!endpoints.client_secret.empty()) {
    if (endpoints.tenant_id.empty() || endpoints.client_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          endpoints.source, ": a client secret is set but ",
          endpoints.tenant_id.empty() ? "the tenant id" : "the client id",
          " is missing (set AZURE_TENANT_ID and AZURE_CLIENT_ID, or tenant_id and client_id "
          "in the endpoints file)"));
    }
    inner = std::make_unique<ClientSecretCredential>(aad_transport, clock, endpoints.authority_host,
                                                     endpoints.tenant_id, endpoints.client_id,
                                                     endpoints.client_secret);
  } else {
    ManagedIdentityOptions mi = options.managed_identity;
    if (mi.client_id.empty()) mi.client_id = endpoints.client_id;
    inner = std::make_unique<ManagedIdentityCredential>(aad_transport, clock, std::move(mi));
  }
  return std::unique_ptr<TokenCredential>(
      std::make_unique<CachingCredential>(std::move(inner), clock, options.refresh_margin));
}

}  // namespace envctl::cloud
