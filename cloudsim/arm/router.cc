#include "cloudsim/arm/router.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloudsim/arm/api_versions.h"
#include "cloudsim/arm/arm_call.h"
#include "cloudsim/arm/authorization.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

Response Unauthorized(const std::string& base_url, const std::string& tenant,
                      const std::string& code, const std::string& message) {
  Response r = ArmError(401, code, message);
  r.headers["WWW-Authenticate"] =
      absl::StrCat("Bearer authorization_uri=\"", base_url, "/", tenant,
                   "\", error=\"invalid_token\", error_description=\"", message, "\"");
  return r;
}

std::string OpType(const std::string& method) {
  if (method == "GET" || method == "HEAD") return "reads";
  if (method == "DELETE") return "deletes";
  return "writes";
}

// "Microsoft.Storage/storageAccounts/blobServices/containers" for a resource path.
std::string ResourceTypeOf(const std::vector<std::string>& seg) {
  size_t p = 0;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (Lower(seg[i]) == "providers") p = i;
  }
  if (p == 0) {
    return seg.size() >= 4 ? "Microsoft.Resources/subscriptions/resourceGroups"
                           : "Microsoft.Resources/subscriptions";
  }
  std::string type = p + 1 < seg.size() ? seg[p + 1] : "";
  for (size_t i = p + 2; i < seg.size(); i += 2) type += "/" + seg[i];
  return type;
}

// A namespace cloudsim does not emulate is still "Registered" (clients check before use)
// but has no resource types.
nlohmann::json ProviderOrPlaceholder(const std::string& sub, const std::string& ns) {
  nlohmann::json p = ProviderJson(sub, ns);
  if (!p.empty()) return p;
  return {{"id", "/subscriptions/" + sub + "/providers/" + ns},
          {"namespace", ns},
          {"registrationState", "Registered"},
          {"resourceTypes", nlohmann::json::array()}};
}

Response ListProviders(ArmCall& call) {
  std::vector<nlohmann::json> items;
  for (const std::string& ns : ProviderNamespaces()) {
    items.push_back(ProviderJson(call.world.identity().subscription_id, ns));
  }
  return ArmList(call, items);
}

void EmitEvent(ArmCall& call) {
  const std::string& m = call.req.method;
  if (m != "PUT" && m != "PATCH" && m != "DELETE") return;
  // Only writes to resources under the subscription raise events.
  if (call.lseg.size() < 3 || call.lseg[0] != "subscriptions") return;
  std::string resource_id = "/" + absl::StrJoin(call.seg, "/");
  std::string type = ResourceTypeOf(call.seg);
  bool del = m == "DELETE";
  std::string op = absl::StrCat(type, del ? "/delete" : "/write");
  std::string topic = call.seg.size() >= 4 ? absl::StrCat("/subscriptions/", call.seg[1],
                                                          "/resourceGroups/", call.seg[3])
                                           : absl::StrCat("/subscriptions/", call.seg[1]);
  std::string url = absl::StrCat("https://management.azure.com", call.req.path,
                                 "?api-version=", call.api_version);
  nlohmann::json event = {
      {"subject", resource_id},
      {"eventType", del ? "Microsoft.Resources.ResourceDeleteSuccess"
                        : "Microsoft.Resources.ResourceWriteSuccess"},
      {"eventTime", IsoTime(call.world.Now())},
      {"id", NewGuid()},
      {"data",
       {{"authorization",
         {{"scope", resource_id}, {"action", op}, {"evidence", {{"role", "Owner"}}}}},
        {"claims",
         {{"aud", call.caller.aud},
          {"appid", call.caller.appid},
          {"http://schemas.microsoft.com/identity/claims/objectidentifier", call.caller.oid}}},
        {"correlationId", call.req.Header("x-ms-correlation-request-id")},
        {"httpRequest",
         {{"clientRequestId", call.req.Header("x-ms-client-request-id")},
          {"clientIpAddress", "127.0.0.1"},
          {"method", m},
          {"url", url}}},
        {"resourceProvider", type.substr(0, type.find('/'))},
        {"resourceUri", resource_id},
        {"operationName", op},
        {"status", "Succeeded"},
        {"subscriptionId", call.world.identity().subscription_id},
        {"tenantId", call.world.identity().tenant_id}}},
      {"dataVersion", "2"},
      {"metadataVersion", "1"},
      {"topic", topic}};
  call.world.platform().EmitResourceEvent(event);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response Dispatch(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const auto& l = call.lseg;
  const std::string& sub = call.world.identity().subscription_id;
  if (l.empty()) return ArmError(404, "NotFound", "No route for " + call.req.path);
  const bool read = call.req.method == "GET" || call.req.method == "HEAD";
  if (l[0] == "tenants" && l.size() == 1) {
    if (!read) return ArmError(405, "MethodNotAllowed", "Use GET to list tenants.");
    return ArmJson(200, {{"value",
                          {{{"id", "/tenants/" + call.world.identity().tenant_id},
                            {"tenantId", call.world.identity().tenant_id},
                            {"tenantCategory", "Home"},
                            {"displayName", "cloudsim"},
                            {"defaultDomain", "cloudsim.onmicrosoft.com"},
                            {"domains", {"cloudsim.onmicrosoft.com"}},
                            {"tenantType", "AAD"}}}}});
  }
  if (l[0] != "subscriptions") {
    return ArmError(404, "InvalidResourceType",
                    "The resource path '" + call.req.path + "' is not served by cloudsim.");
  }
  nlohmann::json sub_body = {{"id", "/subscriptions/" + sub},
                             {"subscriptionId", sub},
                             {"tenantId", call.world.identity().tenant_id},
                             {"displayName", "cloudsim"},
                             {"state", "Enabled"},
                             {"authorizationSource", "RoleBased"},
                             {"managedByTenants", nlohmann::json::array()},
                             {"subscriptionPolicies",
                              {{"locationPlacementId", "Public_2014-09-01"},
                               {"quotaId", "PayAsYouGo_2014-09-01"},
                               {"spendingLimit", "Off"}}}};
  if (l.size() <= 2 && !read) {
    return ArmError(405, "MethodNotAllowed", "Use GET to read subscriptions.");
  }
  if (l.size() == 1) return ArmJson(200, {{"value", {sub_body}}});
  if (l[1] != Lower(sub)) {
    return ArmError(404, "SubscriptionNotFound",
                    "The subscription '" + call.seg[1] + "' could not be found.");
  }
  if (l.size() == 2) return ArmJson(200, sub_body);
  if (l.size() == 3 && l[2] == "locations") {
    if (!read) return ArmError(405, "MethodNotAllowed", "Use GET to list locations.");
    // Names only: cloudsim keeps no display names or coordinates.
    std::vector<nlohmann::json> items;
    for (const std::string& region : PublicRegions()) {
      items.push_back(
          {{"id", "/subscriptions/" + sub + "/locations/" + region},
           {"name", region},
           {"type", "Region"},
           {"displayName", region},
           {"regionalDisplayName", region},
           {"metadata", {{"regionType", "Physical"}, {"regionCategory", "Recommended"}}}});
    }
    return ArmList(call, items);
  }
  // Operation monitors, wherever the provider put them.
  for (size_t i = 2; i + 1 < l.size(); ++i) {
    if ((l[i] == "operationresults" || l[i] == "asyncoperations" || l[i] == "operationstatuses" ||
         l[i] == "operationstatus") &&
        i + 2 == l.size() && call.req.method == "GET") {
      return HandleOperationPoll(call, i + 1,
                                 l[i] == "operationstatuses" || l[i] == "operationstatus");
    }
  }
  size_t providers = 0;
  for (size_t i = 2; i < l.size(); ++i) {
    if (l[i] == "providers") {
      providers = i;
      break;
    }
  }
  if (providers == 0) return HandleResourceGroups(call);
  if (providers != 2 && providers != 4) {
    return ArmError(400, "InvalidResourceType", "Unsupported resource path " + call.req.path);
  }
  if (providers == 4) {
    nlohmann::json* rg = FindResourceGroup(call.world, call.seg[3]);
    if (rg == nullptr) return ResourceGroupNotFound(call.seg[3]);
    if (call.req.method != "GET" && call.req.method != "HEAD" &&
        (*rg)["properties"].value("provisioningState", "") == "Deleting") {
      return ArmError(409, "ResourceGroupBeingDeleted",
                      "The resource group '" + call.seg[3] +
                          "' is in deprovisioning state and cannot perform this operation.");
    }
  }
  // Role assignments and definitions are extension resources: they hang off any scope.
  if (size_t auth = AuthorizationProvidersIndex(l); auth != 0 && auth + 2 < l.size()) {
    return HandleAuthorization(call, auth);
  }
  if (providers + 1 >= l.size()) {
    // "/subscriptions/{sub}/providers" lists the registered providers; a resource group
    // has no provider list of its own.
    if (providers == 2 && (call.req.method == "GET" || call.req.method == "HEAD")) {
      return ListProviders(call);
    }
    return ArmError(
        404, "InvalidResourceNamespace",
        "The resource path '" + call.req.path + "' names no resource provider namespace.");
  }
  std::string ns = call.L(providers + 1);
  if (providers == 2 && l.size() == 4) {
    if (call.req.method != "GET" && call.req.method != "HEAD") {
      return ArmError(405, "MethodNotAllowed", "Use GET to read a resource provider.");
    }
    return ArmJson(200, ProviderOrPlaceholder(sub, call.seg[3]));
  }
  if (providers == 2 && l.size() == 5 && (l[4] == "register" || l[4] == "unregister")) {
    if (call.req.method != "POST") {
      return ArmError(405, "MethodNotAllowed", "Use POST to register a resource provider.");
    }
    // cloudsim never unregisters: every namespace it emulates stays usable.
    return ArmJson(200, ProviderOrPlaceholder(sub, call.seg[3]));
  }
  if (ns == "microsoft.storage") return HandleStorage(call);
  if (ns == "microsoft.keyvault") return HandleKeyVaultManagement(call);
  if (ns == "microsoft.datafactory") return HandleDataFactory(call);
  if (ns == "microsoft.databricks") return HandleDatabricksWorkspaces(call);
  if (ns == "microsoft.managedidentity") return HandleManagedIdentity(call);
  return ArmError(404, "InvalidResourceNamespace",
                  "The resource namespace '" + call.seg[providers + 1] + "' is invalid.");
}

}  // namespace

Response HandleArm(World& world, ArmThrottle& throttle, const Request& req) {
  const std::string base_url = "https://" + req.host;
  std::string correlation = req.Header("x-ms-correlation-request-id");
  if (correlation.empty()) correlation = NewGuid();
  const std::string request_id = NewGuid();
  auto finish = [&](Response r) {
    r.headers["x-ms-request-id"] = request_id;
    r.headers["x-ms-correlation-request-id"] = correlation;
    r.headers["x-ms-routing-request-id"] =
        absl::StrCat("LOCAL:", absl::FormatTime("%Y%m%dT%H%M%SZ", world.Now(), absl::UTCTimeZone()),
                     ":", request_id);
    std::string client_request_id = req.Header("x-ms-client-request-id");
    if (!client_request_id.empty()) r.headers["x-ms-client-request-id"] = client_request_id;
    r.headers["Cache-Control"] = "no-cache";
    return r;
  };

  // Authentication comes first, as in ARM: an anonymous caller learns nothing else.
  std::string auth = req.Header("Authorization");
  const std::string& tenant = world.identity().tenant_id;
  if (auth.empty()) {
    return finish(Unauthorized(base_url, tenant, "AuthenticationFailed",
                               "Authentication failed. The 'Authorization' header is missing."));
  }
  if (!absl::StartsWithIgnoreCase(auth, "bearer ")) {
    return finish(Unauthorized(base_url, tenant, "AuthenticationFailedInvalidHeader",
                               "Authentication failed. The 'Authorization' header is provided "
                               "in an invalid format."));
  }
  auto claims = world.tokens().Validate(auth, {kArmAudience, kArmLegacyAudience});
  if (!claims.ok()) {
    if (absl::IsDeadlineExceeded(claims.status())) {
      return finish(Unauthorized(base_url, tenant, "ExpiredAuthenticationToken",
                                 std::string(claims.status().message())));
    }
    if (absl::IsPermissionDenied(claims.status())) {
      return finish(Unauthorized(
          base_url, tenant, "InvalidAuthenticationTokenAudience",
          absl::StrCat("The access token has been obtained for wrong audience or resource '",
                       claims.status().message(),
                       "'. It should exactly match with one of the allowed audiences '",
                       kArmLegacyAudience, "','", kArmAudience, "'.")));
    }
    return finish(Unauthorized(base_url, tenant, "InvalidAuthenticationToken",
                               "The access token is invalid."));
  }

  std::vector<std::string> seg = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  std::vector<std::string> lseg;
  for (const auto& s : seg) lseg.push_back(Lower(s));
  std::string version = req.Query("api-version");
  if (version.empty()) {
    return finish(ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all "
                           "requests."));
  }
  const ApiVersionRow* versions = ApiVersionRowForPath(lseg);
  std::string supported;
  if (versions != nullptr && !IsSupportedApiVersion(*versions, version, &supported)) {
    return finish(
        ArmError(400, "InvalidApiVersionParameter",
                 absl::StrCat("The api-version '", version,
                              "' is invalid. The supported versions are '", supported, "'.")));
  }

  const std::string op_type = OpType(req.method);
  ArmThrottle::Decision decision = throttle.Take(claims->oid, op_type);
  if (!decision.allowed) {
    int64_t seconds = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(decision.retry_after))));
    Response r = ArmError(
        429, "SubscriptionRequestsThrottled",
        absl::StrCat("Number of '", op_type.substr(0, op_type.size() - 1),
                     "' requests for subscription '", world.identity().subscription_id, "' actor '",
                     claims->oid, "' exceeded. Please try again after '", seconds,
                     "' seconds after additional tokens are available. Refer to "
                     "https://aka.ms/arm-throttling"));
    r.headers["Retry-After"] = std::to_string(seconds);
    r.headers["x-ms-ratelimit-remaining-subscription-" + op_type] = "0";
    return finish(r);
  }

  Response resp;
  {
    absl::MutexLock lock(&world.mu);
    SettleWorld(world);
    ArmCall call{world, req, seg, lseg, version, *claims, base_url};
    resp = Dispatch(call);
    if (resp.status < 300) EmitEvent(call);
    absl::Status persisted = world.PersistIfDirty();
    if (!persisted.ok()) {
      resp = ArmError(500, "InternalServerError",
                      "cloudsim could not persist its state: " + std::string(persisted.message()));
    }
  }
  resp.headers["x-ms-ratelimit-remaining-subscription-" + op_type] =
      std::to_string(decision.remaining);
  return finish(resp);
}

bool IsMetadataEndpointsPath(const std::string& path) {
  std::vector<std::string> seg = absl::StrSplit(Lower(path), '/', absl::SkipEmpty());
  return seg == std::vector<std::string>{"metadata", "endpoints"};
}

Response HandleMetadataEndpoints(const Request& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    return ArmError(405, "MethodNotAllowed", "Use GET to read the metadata endpoints.");
  }
  const std::string version = req.Query("api-version");
  if (version.empty()) {
    return ArmError(
        400, "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.");
  }
  static const std::vector<std::string> kVersions = {"2015-01-01", "2018-01-01", "2019-05-01",
                                                     "2020-06-01", "2022-09-01"};
  if (std::find(kVersions.begin(), kVersions.end(), version) == kVersions.end()) {
    return ArmError(
        400, "InvalidApiVersionParameter",
        absl::StrCat("The api-version '", version, "' is invalid. The supported versions are '",
                     absl::StrJoin(kVersions, ", "), "'."));
  }
  const std::string base = "https://" + req.host + "/";
  const nlohmann::json audiences = {"https://management.core.windows.net/",
                                    "https://management.azure.com/"};
  if (version < "2019-05-01") {
    return ArmJson(200, {{"galleryEndpoint", base},
                         {"graphEndpoint", "https://graph.windows.net/"},
                         {"portalEndpoint", base},
                         {"authentication", {{"loginEndpoint", base}, {"audiences", audiences}}}});
  }
  nlohmann::json cloud = {{"name", "cloudsim"},
                          {"portal", base},
                          {"resourceManager", base},
                          {"gallery", base},
                          {"graph", "https://graph.windows.net/"},
                          {"graphAudience", "https://graph.windows.net/"},
                          {"microsoftGraphResourceId", "https://graph.microsoft.com/"},
                          {"authentication",
                           {{"loginEndpoint", base},
                            {"audiences", audiences},
                            {"tenant", "common"},
                            {"identityProvider", "AAD"}}},
                          {"suffixes",
                           {{"keyVaultDns", "vault.azure.net"},
                            {"storage", "core.windows.net"},
                            {"acrLoginServer", "azurecr.io"},
                            {"sqlServerHostname", "database.windows.net"}}}};
  return ArmJson(200, nlohmann::json::array({cloud}));
}

}  // namespace envctl::cloudsim
