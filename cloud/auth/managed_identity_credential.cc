#include "cloud/auth/managed_identity_credential.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/auth/token_response.h"
#include "cloud/errors.h"
#include "cloud/transport/url.h"
#include "common/status_macros.h"

namespace envctl::cloud {

ManagedIdentityOptions ManagedIdentityOptions::FromEnvironment(const EnvLookup& env) {
  ManagedIdentityOptions o;
  o.identity_endpoint = env("IDENTITY_ENDPOINT").value_or("");
  o.identity_header = env("IDENTITY_HEADER").value_or("");
  o.client_id = env("AZURE_CLIENT_ID").value_or("");
  return o;
}

ManagedIdentityCredential::ManagedIdentityCredential(HttpTransport& transport, Clock& clock,
                                                     ManagedIdentityOptions options)
    : transport_(transport), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<AccessToken> ManagedIdentityCredential::GetToken(const std::string& scope) {
  // Managed identity speaks v1: a resource, not a scope.
  std::string resource(absl::StripSuffix(scope, "/.default"));
  const bool app_service = !options_.identity_endpoint.empty() && !options_.identity_header.empty();

  HttpRequest request;
  request.method = "GET";
  const std::string& base = app_service ? options_.identity_endpoint : options_.imds_endpoint;
  request.url = absl::StrCat(base, absl::StrContains(base, "?") ? "&" : "?",
                             "api-version=", app_service ? "2019-08-01" : "2018-02-01",
                             "&resource=", UrlEncode(resource));
  if (!options_.client_id.empty()) {
    absl::StrAppend(&request.url, "&client_id=", UrlEncode(options_.client_id));
  }
  if (app_service) {
    request.headers["X-IDENTITY-HEADER"] = options_.identity_header;
  } else {
    request.headers["Metadata"] = "true";
  }
  request.headers["Accept"] = "application/json";
  // IMDS answers quickly or not at all (not on an Azure VM); do not hang a minute.
  request.timeout = absl::Seconds(10);

  const std::string context =
      absl::StrCat("getting a managed identity token for ", resource, " from ",
                   app_service ? "the App Service identity endpoint" : "IMDS",
                   " (no AZURE_CLIENT_SECRET set, so managed identity is used)");
  const absl::Time now = clock_.Now();
  absl::StatusOr<HttpResponse> response = transport_.Send(request);
  if (!response.ok()) return Annotate(response.status(), context);
  RETURN_IF_ERROR(Annotate(StatusFromResponse(Service::kAad, *response), context));
  return auth_internal::ParseTokenResponse(response->body, now, "managed identity");
}

}  // namespace envctl::cloud
