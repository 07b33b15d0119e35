#include "cloudsim/aad/authority.h"

#include <openssl/crypto.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/url.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {
namespace {

Response Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  r.headers["Cache-Control"] = "no-store, no-cache";
  r.body = body.dump();
  return r;
}

Response AadError(const Request& req, Clock* clock, int status, const std::string& error, int code,
                  const std::string& message) {
  std::string trace = NewGuid();
  std::string correlation = req.Header("client-request-id");
  if (correlation.empty()) correlation = NewGuid();
  std::string ts = absl::FormatTime("%Y-%m-%d %H:%M:%SZ", clock->Now(), absl::UTCTimeZone());
  return Json(status, {{"error", error},
                       {"error_description",
                        absl::StrCat("AADSTS", code, ": ", message, "\r\nTrace ID: ", trace,
                                     "\r\nCorrelation ID: ", correlation, "\r\nTimestamp: ", ts)},
                       {"error_codes", {code}},
                       {"timestamp", ts},
                       {"trace_id", trace},
                       {"correlation_id", correlation},
                       {"error_uri", absl::StrCat("https://", req.host, "/error?code=", code)}});
}

// Maps a requested resource (v1 `resource`, or a v2 scope without "/.default") to the
// audience the token carries; empty when cloudsim knows no such resource.
std::string AudienceFor(absl::string_view resource) {
  std::string r = Lower(absl::StripSuffix(resource, "/"));
  if (r == "https://management.azure.com") return kArmAudience;
  if (r == "https://management.core.windows.net") return kArmLegacyAudience;
  if (r == "https://vault.azure.net") return kVaultAudience;
  if (r == kDatabricksAudience) return kDatabricksAudience;
  if (r == "https://storage.azure.com") return kStorageAudience;
  // cloudsim serves no Graph API, but clients (the Azure CLI's keyvault create) acquire a
  // Graph token just to learn the tenant.
  if (r == "https://graph.windows.net") return "https://graph.windows.net/";
  if (r == "https://graph.microsoft.com") return "https://graph.microsoft.com";
  return "";
}

bool SecretsEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool IsAuthorityPath(const std::string& path) {
  std::string p = Lower(path);
  return absl::StrContains(p, "/oauth2/") || absl::StrContains(p, "/.well-known/") ||
         absl::StrContains(p, "/discovery/");
}

Response HandleAuthority(const Request& req, const Identity& identity, const TokenService& tokens,
                         Clock* clock) {
  std::vector<std::string> seg = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  if (seg.empty()) return AadError(req, clock, 404, "invalid_request", 90002, "Unknown path.");
  const std::string tenant = seg[0];
  const std::string base = absl::StrCat("https://", req.host, "/", tenant);
  std::string rest = Lower(absl::StrJoin(seg.begin() + 1, seg.end(), "/"));

  if (req.method == "GET" && rest == "discovery/instance") {
    std::string host = req.host;
    return Json(
        200, {{"tenant_discovery_endpoint",
               absl::StrCat(base, "/v2.0/.well-known/openid-configuration")},
              {"api-version", "1.1"},
              {"metadata",
               {{{"preferred_network", host}, {"preferred_cache", host}, {"aliases", {host}}}}}});
  }
  // "common" and "organizations" are the multi-tenant authorities; cloudsim has one tenant,
  // so both resolve to it (MSAL and the Azure CLI start from "organizations").
  bool tenant_known = absl::EqualsIgnoreCase(tenant, identity.tenant_id) ||
                      absl::EqualsIgnoreCase(tenant, "common") ||
                      absl::EqualsIgnoreCase(tenant, "organizations");
  if (!tenant_known) {
    return AadError(req, clock, 400, "invalid_request", 90002,
                    absl::StrCat("Tenant '", tenant,
                                 "' not found. Check to make sure you have the correct tenant ID "
                                 "and are signing into the correct cloud."));
  }
  if (req.method == "GET" && (rest == "v2.0/.well-known/openid-configuration" ||
                              rest == ".well-known/openid-configuration")) {
    bool v2 = absl::StartsWith(rest, "v2.0");
    std::string issuer = v2 ? absl::StrCat("https://", req.host, "/", identity.tenant_id, "/v2.0")
                            : absl::StrCat("https://", req.host, "/", identity.tenant_id, "/");
    std::string oauth = v2 ? absl::StrCat(base, "/oauth2/v2.0") : absl::StrCat(base, "/oauth2");
    return Json(
        200, {{"issuer", issuer},
              {"token_endpoint", oauth + "/token"},
              {"authorization_endpoint", oauth + "/authorize"},
              {"device_authorization_endpoint", oauth + "/devicecode"},
              {"end_session_endpoint", oauth + "/logout"},
              {"jwks_uri", absl::StrCat(base, "/discovery/v2.0/keys")},
              {"token_endpoint_auth_methods_supported",
               {"client_secret_post", "private_key_jwt", "client_secret_basic"}},
              {"response_types_supported", {"code", "id_token", "code id_token", "id_token token"}},
              {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
              {"subject_types_supported", {"pairwise"}},
              {"id_token_signing_alg_values_supported", {"RS256"}},
              {"tenant_region_scope", "EU"},
              {"cloud_instance_name", "cloudsim"},
              {"http_logout_supported", true},
              {"frontchannel_logout_supported", true}});
  }
  if (req.method == "GET" && absl::EndsWith(rest, "discovery/v2.0/keys")) {
    return Json(200, {{"keys", nlohmann::json::array()}});
  }
  bool v2_token = rest == "oauth2/v2.0/token";
  bool v1_token = rest == "oauth2/token";
  if (!v2_token && !v1_token) {
    return AadError(req, clock, 404, "invalid_request", 900561,
                    "The endpoint only accepts POST requests to a token path.");
  }
  if (req.method != "POST") {
    return AadError(
        req, clock, 400, "invalid_request", 900561,
        "The endpoint only accepts POST requests. Received a " + req.method + " request.");
  }
  absl::StatusOr<std::map<std::string, std::string>> parsed_form = ParseQuery(req.body);
  if (!parsed_form.ok()) {
    return AadError(req, clock, 400, "invalid_request", 900144,
                    "The request body must be application/x-www-form-urlencoded: " +
                        std::string(parsed_form.status().message()));
  }
  std::map<std::string, std::string>& form = *parsed_form;
  std::string client_id = form["client_id"];
  std::string client_secret = form["client_secret"];
  std::string auth = req.Header("Authorization");
  if (absl::StartsWithIgnoreCase(auth, "basic ")) {
    std::string decoded;
    if (absl::Base64Unescape(absl::StripAsciiWhitespace(auth.substr(6)), &decoded)) {
      size_t colon = decoded.find(':');
      absl::StatusOr<std::string> id, secret;
      if (colon != std::string::npos) {
        id = PercentDecode(decoded.substr(0, colon), true);
        secret = PercentDecode(decoded.substr(colon + 1), true);
      }
      if (id.ok() && secret.ok()) {
        client_id = *id;
        client_secret = *secret;
      }
    }
  }
  if (form["grant_type"] != "client_credentials") {
    return AadError(req, clock, 400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + form["grant_type"] +
                        "'. cloudsim supports client_credentials only.");
  }
  if (client_id.empty()) {
    return AadError(req, clock, 400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'client_id'.");
  }
  if (!absl::EqualsIgnoreCase(client_id, identity.client_id)) {
    return AadError(req, clock, 400, "unauthorized_client", 700016,
                    absl::StrCat("Application with identifier '", client_id,
                                 "' was not found in the directory '", identity.tenant_id,
                                 "'. This can happen if the application has not been installed "
                                 "by the administrator of the tenant or consented to by any user "
                                 "in the tenant. You may have sent your authentication request to "
                                 "the wrong tenant."));
  }
  if (client_secret.empty()) {
    return AadError(req, clock, 401, "invalid_client", 7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the "
                    "'client_credentials' grant type.");
  }
  if (!SecretsEqual(client_secret, identity.client_secret)) {
    return AadError(req, clock, 401, "invalid_client", 7000215,
                    absl::StrCat("Invalid client secret provided. Ensure the secret being sent "
                                 "in the request is the client secret value, not the client "
                                 "secret ID, for a secret added to app '",
                                 identity.client_id, "'."));
  }
  std::string resource;
  if (v2_token) {
    std::vector<std::string> scopes;
    for (absl::string_view s : absl::StrSplit(form["scope"], ' ', absl::SkipEmpty())) {
      if (s == "openid" || s == "profile" || s == "offline_access") continue;
      scopes.emplace_back(s);
    }
    if (scopes.size() != 1 || !absl::EndsWith(scopes[0], "/.default")) {
      return AadError(req, clock, 400, "invalid_scope", 1002012,
                      absl::StrCat("The provided value for scope ", form["scope"],
                                   " is not valid. Client credential flows must have a scope "
                                   "value with /.default suffixed to the resource identifier "
                                   "(application ID URI)."));
    }
    resource = scopes[0].substr(0, scopes[0].size() - std::string("/.default").size());
  } else {
    resource = form["resource"];
    if (resource.empty()) {
      return AadError(req, clock, 400, "invalid_request", 900144,
                      "The request body must contain the following parameter: 'resource'.");
    }
  }
  std::string audience = AudienceFor(resource);
  if (audience.empty()) {
    return AadError(req, clock, v2_token ? 400 : 400,
                    v2_token ? "invalid_scope" : "invalid_resource", 500011,
                    absl::StrCat("The resource principal named ", resource,
                                 " was not found in the tenant named ", identity.tenant_id,
                                 ". This can happen if the application has not been installed by "
                                 "the administrator of the tenant or consented to by any user in "
                                 "the tenant."));
  }
  std::string token = tokens.Issue(audience, identity.object_id, identity.client_id);
  int64_t lifetime = absl::ToInt64Seconds(tokens.lifetime());
  if (v2_token) {
    return Json(200, {{"token_type", "Bearer"},
                      {"expires_in", lifetime},
                      {"ext_expires_in", lifetime},
                      {"access_token", token}});
  }
  int64_t now = absl::ToUnixSeconds(clock->Now());
  return Json(200, {{"token_type", "Bearer"},
                    {"expires_in", std::to_string(lifetime)},
                    {"ext_expires_in", std::to_string(lifetime)},
                    {"expires_on", std::to_string(now + lifetime)},
                    {"not_before", std::to_string(now)},
                    {"resource", resource},
                    {"access_token", token}});
}

bool IsManagedIdentityPath(const std::string& path) {
  std::vector<std::string> seg = absl::StrSplit(Lower(path), '/', absl::SkipEmpty());
  return seg == std::vector<std::string>{"msi", "token"} ||
         seg == std::vector<std::string>{"metadata", "identity", "oauth2", "token"};
}

Response HandleManagedIdentity(const Request& req, const Identity& identity,
                               const TokenService& tokens, Clock* clock) {
  // As IMDS and the Cloud Shell endpoint do: the Metadata header proves the caller is not
  // a browser being bounced here (SSRF).
  if (!absl::EqualsIgnoreCase(req.Header("Metadata"), "true")) {
    return Json(400, {{"error", "invalid_request"},
                      {"error_description", "Required metadata header not specified"}});
  }
  if (req.method != "GET" && req.method != "POST") {
    return Json(405,
                {{"error", "invalid_request"},
                 {"error_description", "Use GET or POST to obtain a managed identity token."}});
  }
  std::string resource = req.Query("resource");
  if (resource.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> params = ParseQuery(req.body);
    if (params.ok()) resource = (*params)["resource"];
  }
  if (resource.empty()) {
    return Json(400, {{"error", "invalid_request"},
                      {"error_description", "Required query variable 'resource' is missing"}});
  }
  std::string audience = AudienceFor(resource);
  if (audience.empty()) {
    return Json(400,
                {{"error", "invalid_resource"},
                 {"error_description",
                  absl::StrCat("AADSTS500011: The resource principal named ", resource,
                               " was not found in the tenant named ", identity.tenant_id, ".")}});
  }
  std::string token = tokens.Issue(audience, identity.object_id, identity.client_id);
  int64_t lifetime = absl::ToInt64Seconds(tokens.lifetime());
  int64_t now = absl::ToUnixSeconds(clock->Now());
  return Json(200, {{"access_token", token},
                    {"client_id", identity.client_id},
                    {"expires_in", std::to_string(lifetime)},
                    {"expires_on", std::to_string(now + lifetime)},
                    {"ext_expires_in", std::to_string(lifetime)},
                    {"not_before", std::to_string(now)},
                    {"resource", resource},
                    {"token_type", "Bearer"}});
}

}  // namespace envctl::cloudsim
