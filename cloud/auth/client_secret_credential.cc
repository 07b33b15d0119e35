#include "cloud/auth/client_secret_credential.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cloud/auth/token_response.h"
#include "cloud/errors.h"
#include "cloud/transport/url.h"
#include "common/status_macros.h"

namespace envctl::cloud {

ClientSecretCredential::ClientSecretCredential(HttpTransport& transport, Clock& clock,
                                               std::string authority_host, std::string tenant_id,
                                               std::string client_id, std::string client_secret)
    : transport_(transport),
      clock_(clock),
      authority_host_(std::move(authority_host)),
      tenant_id_(std::move(tenant_id)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)) {}

absl::StatusOr<AccessToken> ClientSecretCredential::GetToken(const std::string& scope) {
  std::string authority = authority_host_;
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(authority, "/", UrlEncode(tenant_id_), "/oauth2/v2.0/token");
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.headers["Accept"] = "application/json";
  request.body = absl::StrCat("client_id=", UrlEncode(client_id_),
                              "&client_secret=", UrlEncode(client_secret_),
                              "&grant_type=client_credentials&scope=", UrlEncode(scope));
  // Asking for a token twice has no side effect.
  request.idempotent = true;

  const std::string context = absl::StrCat("getting a token for scope ", scope, " as client ",
                                           client_id_, " in tenant ", tenant_id_);
  const absl::Time now = clock_.Now();
  absl::StatusOr<HttpResponse> response = transport_.Send(request);
  if (!response.ok()) return Annotate(response.status(), context);
  RETURN_IF_ERROR(Annotate(StatusFromResponse(Service::kAad, *response), context));
  return auth_internal::ParseTokenResponse(response->body, now, "Entra ID");
}

}  // namespace envctl::cloud
