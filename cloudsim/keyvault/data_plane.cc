#include "cloudsim/keyvault/data_plane.h"

#include <map>
#include <optional>
#include <regex>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloudsim/arm/api_versions.h"
#include "cloudsim/arm/authorization.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/url.h"
#include "cloudsim/keyvault/backup.h"
#include "cloudsim/keyvault/vaults.h"

namespace envctl::cloudsim {
namespace {

Response KvJson(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  r.headers["x-ms-keyvault-region"] = "local";
  r.headers["x-ms-keyvault-service-version"] = "1.9.12.0";
  r.headers["x-ms-request-id"] = NewGuid();
  r.body = body.dump();
  return r;
}

Response KvError(int status, const std::string& code, const std::string& message,
                 const std::string& inner = "") {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!inner.empty()) error["innererror"] = {{"code", inner}};
  return KvJson(status, {{"error", error}});
}

Response Challenge(World& world, const std::string& message) {
  Response r = KvError(401, "Unauthorized", message);
  r.headers["WWW-Authenticate"] =
      absl::StrCat("Bearer authorization=\"", world.authority_host(), "/",
                   world.identity().tenant_id, "\", resource=\"", kVaultAudience, "\"");
  return r;
}

Response SecretNotFound(const std::string& what) {
  return KvError(
      404, "SecretNotFound",
      "A secret with (name/id) " + what +
          " was not found in this key vault. If you recently deleted this secret you "
          "may be able to recover it using the correct recovery command. For help "
          "resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182");
}

std::string ForbiddenMessage(World& world, const nlohmann::json& vault, const std::string& appid,
                             const std::string& oid, const std::string& permission) {
  return absl::StrCat("The user, group or application 'appid=", appid, ";oid=", oid,
                      ";iss=https://sts.windows.net/", world.identity().tenant_id,
                      "/' does not have secrets ", permission, " permission on key vault '",
                      vault["name"].get<std::string>(), ";location=", vault.value("location", ""),
                      "'. For help resolving this issue, please see "
                      "https://go.microsoft.com/fwlink/?linkid=2125287");
}

// Azure's 403 for an RBAC vault: the data action checked, as Key Vault names it.
std::string RbacForbiddenMessage(World& world, const nlohmann::json& vault,
                                 const std::string& appid, const std::string& oid,
                                 const std::string& permission) {
  static const auto* actions = new std::map<std::string, std::string>{
      {"get", "getSecret/action"}, {"list", "readMetadata/action"}, {"set", "setSecret/action"},
      {"delete", "delete"},        {"recover", "recover/action"},   {"purge", "purge/action"},
      {"backup", "backup/action"}, {"restore", "restore/action"}};
  auto it = actions->find(permission);
  const std::string action = it == actions->end() ? permission : it->second;
  return absl::StrCat(
      "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny "
      "assignments or role definitions were changed recently, please observe propagation "
      "time.\r\nCaller: appid=",
      appid, ";oid=", oid, ";iss=https://sts.windows.net/", world.identity().tenant_id,
      "/\r\nAction: 'Microsoft.KeyVault/vaults/secrets/", action, "'\r\nResource: '",
      Lower(vault.value("id", "")),
      "'\r\nAssignment: (not found)\r\nDenyAssignmentId: "
      "null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: ",
      vault.value("name", ""), ";location=", vault.value("location", ""), "\r\n");
}

// Empty when allowed; otherwise the 403 response.
bool Allowed(World& world, const nlohmann::json& vault, const std::string& oid,
             const std::string& permission) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  if (vault["properties"].value("enableRbacAuthorization", false)) {
    // RBAC vaults: only a Key Vault data role at the vault or above grants data access.
    // As in Azure, owning the subscription (cloudsim's own principal) is no such role:
    // Owner and Contributor carry no dataActions.
    const std::string id = vault.value("id", "");
    if (HasRoleAt(world, oid, id, {"Key Vault Administrator", "Key Vault Secrets Officer"}))
      return true;
    if (permission == "get" || permission == "list") {
      if (HasRoleAt(world, oid, id, {"Key Vault Secrets User"})) return true;
    }
    if (permission == "list") return HasRoleAt(world, oid, id, {"Key Vault Reader"});
    return false;
  }
  return HasSecretPermission(vault, oid, permission);
}

std::string Origin(const nlohmann::json& vault) {
  return std::string(absl::StripSuffix(vault["properties"].value("vaultUri", ""), "/"));
}

nlohmann::json Attributes(const nlohmann::json& version) { return version["attributes"]; }

nlohmann::json Bundle(const std::string& origin, const nlohmann::json& secret,
                      const nlohmann::json& version, bool with_value) {
  nlohmann::json b = {{"id", absl::StrCat(origin, "/secrets/", secret["name"].get<std::string>(),
                                          "/", version["version"].get<std::string>())},
                      {"attributes", Attributes(version)}};
  if (with_value) b["value"] = version["value"];
  if (version.contains("contentType") && !version["contentType"].is_null())
    b["contentType"] = version["contentType"];
  if (version.contains("tags") && version["tags"].is_object() && !version["tags"].empty())
    b["tags"] = version["tags"];
  return b;
}

nlohmann::json DeletedBundle(const std::string& origin, const nlohmann::json& entry, bool item) {
  const nlohmann::json& secret = entry["secret"];
  const nlohmann::json& latest = secret["versions"].back();
  nlohmann::json b = item ? nlohmann::json{{"id", absl::StrCat(origin, "/secrets/",
                                                               secret["name"].get<std::string>())},
                                           {"attributes", Attributes(latest)}}
                          : Bundle(origin, secret, latest, false);
  b["recoveryId"] = absl::StrCat(origin, "/deletedsecrets/", secret["name"].get<std::string>());
  b["deletedDate"] = entry["deletedDate"];
  b["scheduledPurgeDate"] = entry["scheduledPurgeDate"];
  // DeletedSecretItem extends SecretItem, so list items carry contentType and tags too.
  if (item && latest.contains("contentType") && !latest["contentType"].is_null())
    b["contentType"] = latest["contentType"];
  if (item && latest.contains("tags") && latest["tags"].is_object() && !latest["tags"].empty())
    b["tags"] = latest["tags"];
  return b;
}

Response DeletedButRecoverable(const std::string& name) {
  return KvError(
      409, "Conflict",
      "Secret " + name +
          " is currently in a deleted but recoverable state, and its "
          "name cannot be reused; in this state, the secret can only be recovered or purged.",
      "ObjectIsDeletedButRecoverable");
}

nlohmann::json* FindVersion(nlohmann::json& secret, const std::string& version) {
  if (version.empty()) return &secret["versions"].back();
  for (auto& v : secret["versions"]) {
    if (Lower(v["version"].get<std::string>()) == Lower(version)) return &v;
  }
  return nullptr;
}

// Pages `items` with maxresults (1..25, default 25) and $skiptoken.
Response Paged(const Request& req, const std::string& origin,
               const std::vector<nlohmann::json>& items) {
  int max = 25;
  int requested = 0;
  if (absl::SimpleAtoi(req.Query("maxresults"), &requested)) max = std::clamp(requested, 1, 25);
  size_t skip = 0;
  if (!absl::SimpleAtoi(req.Query("$skiptoken"), &skip)) skip = 0;
  nlohmann::json value = nlohmann::json::array();
  for (size_t i = skip; i < items.size() && i < skip + static_cast<size_t>(max); ++i)
    value.push_back(items[i]);
  nlohmann::json body = {{"value", value}, {"nextLink", nullptr}};
  if (skip + max < items.size()) {
    body["nextLink"] = absl::StrCat(origin, req.path, "?api-version=", req.Query("api-version"),
                                    "&$skiptoken=", skip + max, "&maxresults=", max);
  }
  return KvJson(200, body);
}

// A Key Vault system-topic event (Event Grid schema) for `version` of `secret`, queued for
// every subscribed endpoint: topic = the vault's ARM id, subject = the secret name, data
// as in the Key Vault Event Grid schema (Id, VaultName, ObjectType, ObjectName, Version,
// NBF, EXP).
void EmitSecretEvent(World& world, const nlohmann::json& vault, const std::string& type,
                     const std::string& origin, const nlohmann::json& secret,
                     const nlohmann::json& version) {
  const std::string name = secret["name"];
  const std::string v = version["version"];
  const nlohmann::json& attrs = version["attributes"];
  world.platform().EmitResourceEvent(
      {{"id", NewGuid()},
       {"topic", vault.value("id", "")},
       {"subject", name},
       {"eventType", type},
       {"eventTime", IsoTime(world.Now())},
       {"data",
        {{"Id", absl::StrCat(origin, "/secrets/", name, "/", v)},
         {"VaultName", vault.value("name", "")},
         {"ObjectType", "Secret"},
         {"ObjectName", name},
         {"Version", v},
         {"NBF", attrs.contains("nbf") ? attrs["nbf"] : nlohmann::json(nullptr)},
         {"EXP", attrs.contains("exp") ? attrs["exp"] : nlohmann::json(nullptr)}}},
       {"dataVersion", "1"},
       {"metadataVersion", "1"}});
}

Response Dispatch(World& world, nlohmann::json& vault, const std::string& oid,
                  const std::string& appid, const Request& req)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::vector<std::string> seg = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  const std::string& m = req.method;
  const std::string origin = Origin(vault);
  const std::string vault_name = vault["name"];
  nlohmann::json& data = VaultData(world, vault_name);
  nlohmann::json& secrets = data["secrets"];
  nlohmann::json& deleted = data["deleted"];
  const nlohmann::json& vp = vault["properties"];
  const int retention = vp.value("softDeleteRetentionInDays", 90);
  const bool purge_protected = vp.value("enablePurgeProtection", false);
  auto need = [&](const std::string& permission)
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) -> std::optional<Response> {
    if (Allowed(world, vault, oid, permission)) return std::nullopt;
    bool rbac = vp.value("enableRbacAuthorization", false);
    return KvError(403, "Forbidden",
                   rbac ? RbacForbiddenMessage(world, vault, appid, oid, permission)
                        : ForbiddenMessage(world, vault, appid, oid, permission),
                   rbac ? "ForbiddenByRbac" : "AccessDenied");
  };
  if (seg.empty() || (Lower(seg[0]) != "secrets" && Lower(seg[0]) != "deletedsecrets")) {
    return KvError(404, "NotFound",
                   "The requested path " + req.path + " is not served by this vault.");
  }
  static const std::regex kName("^[0-9a-zA-Z-]{1,127}$");
  if (seg.size() >= 2 && !std::regex_match(seg[1], kName)) {
    return KvError(400, "BadParameter", "The request URI contains an invalid name: " + seg[1]);
  }
  const std::string key = seg.size() >= 2 ? Lower(seg[1]) : "";
  absl::Time now = world.Now();
  int64_t now_s = absl::ToUnixSeconds(now);

  if (Lower(seg[0]) == "deletedsecrets") {
    if (seg.size() == 1 && m == "GET") {
      if (auto denied = need("list")) return *denied;
      std::vector<nlohmann::json> items;
      for (auto& [k, entry] : deleted.items()) items.push_back(DeletedBundle(origin, entry, true));
      return Paged(req, origin, items);
    }
    auto it = deleted.find(key);
    if (seg.size() == 2 && m == "GET") {
      if (auto denied = need("list")) return *denied;
      if (it == deleted.end())
        return KvError(404, "SecretNotFound", "Deleted Secret not found: " + seg[1]);
      return KvJson(200, DeletedBundle(origin, *it, false));
    }
    if (seg.size() == 2 && m == "DELETE") {
      if (auto denied = need("purge")) return *denied;
      if (it == deleted.end())
        return KvError(404, "SecretNotFound", "Deleted Secret not found: " + seg[1]);
      if (purge_protected) {
        return KvError(403, "Forbidden",
                       "Operation \"purge\" is not allowed because purge protection is enabled for "
                       "this vault. Key Vault service will automatically purge it after the "
                       "retention period has passed.",
                       "PurgeProtectionEnabled");
      }
      deleted.erase(it);
      world.MarkDirty();
      return KvJson(204, nullptr);
    }
    if (seg.size() == 3 && Lower(seg[2]) == "recover" && m == "POST") {
      if (auto denied = need("recover")) return *denied;
      if (it == deleted.end())
        return KvError(404, "SecretNotFound", "Deleted Secret not found: " + seg[1]);
      nlohmann::json secret = (*it)["secret"];
      deleted.erase(it);
      secrets[key] = secret;
      world.MarkDirty();
      return KvJson(200, Bundle(origin, secret, secret["versions"].back(), false));
    }
    return KvError(405, "BadParameter", "Method " + m + " is not supported on " + req.path);
  }

  // /secrets...
  if (seg.size() == 1) {
    if (m != "GET")
      return KvError(405, "BadParameter", "Method " + m + " is not supported on /secrets");
    if (auto denied = need("list")) return *denied;
    std::vector<nlohmann::json> items;
    for (auto& [k, secret] : secrets.items()) {
      const nlohmann::json& latest = secret["versions"].back();
      nlohmann::json item = {
          {"id", absl::StrCat(origin, "/secrets/", secret["name"].get<std::string>())},
          {"attributes", Attributes(latest)}};
      if (latest.contains("contentType") && !latest["contentType"].is_null())
        item["contentType"] = latest["contentType"];
      if (latest.contains("tags") && latest["tags"].is_object() && !latest["tags"].empty())
        item["tags"] = latest["tags"];
      items.push_back(item);
    }
    return Paged(req, origin, items);
  }
  // POST /secrets/restore: "restore" is a route here, not a secret name (as in Azure, whose
  // names share the path; a secret called "restore" is still readable with GET).
  if (seg.size() == 2 && key == "restore" && m == "POST") {
    if (auto denied = need("restore")) return *denied;
    nlohmann::json body = ParseRequestJson(req.body);
    if (!body.is_object() || !body.contains("value") || !body["value"].is_string()) {
      return KvError(400, "BadParameter",
                     "The parameter 'value' is required and must be a string.");
    }
    auto blob = Base64UrlDecode(body["value"].get<std::string>());
    if (!blob.ok())
      return KvError(400, "BadParameter", "Backup blob contains invalid or corrupt version.");
    auto restored = OpenSecretBackup(world.identity().signing_key, *blob);
    if (!restored.ok())
      return KvError(400, "BadParameter", std::string(restored.status().message()));
    const std::string name = (*restored)["name"];
    const std::string restored_key = Lower(name);
    if (deleted.contains(restored_key)) return DeletedButRecoverable(name);
    if (secrets.contains(restored_key)) {
      return KvError(409, "Conflict", "Secret " + name + " already exists in this key vault.");
    }
    // The restored versions take this vault's recovery settings, like a fresh write would.
    for (auto& v : (*restored)["versions"]) {
      v["attributes"]["recoveryLevel"] = purge_protected ? "Recoverable" : "Recoverable+Purgeable";
      v["attributes"]["recoverableDays"] = retention;
    }
    secrets[restored_key] = *restored;
    world.MarkDirty();
    return KvJson(200, Bundle(origin, *restored, (*restored)["versions"].back(), false));
  }
  auto it = secrets.find(key);
  if (seg.size() == 3 && Lower(seg[2]) == "backup" && m == "POST") {
    if (auto denied = need("backup")) return *denied;
    if (it == secrets.end()) return SecretNotFound(seg[1]);
    absl::StatusOr<std::string> blob = SealSecretBackup(world.identity().signing_key, *it);
    if (!blob.ok()) return KvError(500, "InternalError", std::string(blob.status().message()));
    return KvJson(200, {{"value", Base64UrlEncode(*blob)}});
  }
  if (seg.size() == 2 && m == "PUT") {
    if (auto denied = need("set")) return *denied;
    if (deleted.contains(key)) return DeletedButRecoverable(seg[1]);
    nlohmann::json body = ParseRequestJson(req.body);
    if (!body.is_object() || !body.contains("value") || !body["value"].is_string()) {
      return KvError(400, "BadParameter",
                     "The parameter 'value' is required and must be a string.");
    }
    nlohmann::json attrs = body.value("attributes", nlohmann::json::object());
    nlohmann::json version = {
        {"version", RandomHex(16)},
        {"value", body["value"]},
        {"attributes",
         {{"enabled", attrs.value("enabled", true)},
          {"created", now_s},
          {"updated", now_s},
          {"recoveryLevel", purge_protected ? "Recoverable" : "Recoverable+Purgeable"},
          {"recoverableDays", retention}}}};
    if (attrs.contains("nbf")) version["attributes"]["nbf"] = attrs["nbf"];
    if (attrs.contains("exp")) version["attributes"]["exp"] = attrs["exp"];
    if (body.contains("contentType")) version["contentType"] = body["contentType"];
    if (body.contains("tags")) version["tags"] = body["tags"];
    if (it == secrets.end()) {
      secrets[key] = {{"name", seg[1]}, {"versions", nlohmann::json::array()}};
      it = secrets.find(key);
    }
    (*it)["versions"].push_back(version);
    world.MarkDirty();
    EmitSecretEvent(world, vault, "Microsoft.KeyVault.SecretNewVersionCreated", origin, *it,
                    version);
    return KvJson(200, Bundle(origin, *it, version, true));
  }
  if (seg.size() == 2 && m == "DELETE") {
    if (auto denied = need("delete")) return *denied;
    if (it == secrets.end()) return SecretNotFound(seg[1]);
    nlohmann::json entry = {{"secret", *it},
                            {"deletedDate", now_s},
                            {"scheduledPurgeDate", now_s + int64_t{retention} * 86400}};
    deleted[key] = entry;
    secrets.erase(it);
    world.MarkDirty();
    return KvJson(200, DeletedBundle(origin, entry, false));
  }
  if (seg.size() == 3 && Lower(seg[2]) == "versions" && m == "GET") {
    if (auto denied = need("list")) return *denied;
    if (it == secrets.end()) return SecretNotFound(seg[1]);
    std::vector<nlohmann::json> items;
    for (const auto& v : (*it)["versions"]) {
      nlohmann::json item = Bundle(origin, *it, v, false);
      items.push_back(item);
    }
    return Paged(req, origin, items);
  }
  if (seg.size() <= 3 && (m == "GET" || m == "PATCH")) {
    std::string version = seg.size() == 3 ? seg[2] : "";
    if (auto denied = need(m == "GET" ? "get" : "set")) return *denied;
    // Once a deletion has completed Azure answers reads of the name with 404 SecretNotFound
    // (whose message points at recovery); 409 ObjectIsDeletedButRecoverable is for writes.
    if (it == secrets.end()) return SecretNotFound(seg[1]);
    nlohmann::json* v = FindVersion(*it, version);
    if (v == nullptr) return SecretNotFound(seg[1] + "/" + version);
    if (m == "GET") {
      if (!(*v)["attributes"].value("enabled", true)) {
        return KvError(403, "Forbidden", "Operation get is not allowed on a disabled secret.",
                       "SecretDisabled");
      }
      return KvJson(200, Bundle(origin, *it, *v, true));
    }
    nlohmann::json body = ParseRequestJson(req.body);
    if (!body.is_object())
      return KvError(400, "BadParameter", "The request body is not a JSON object.");
    if (body.contains("contentType")) (*v)["contentType"] = body["contentType"];
    if (body.contains("tags")) (*v)["tags"] = body["tags"];
    if (body.contains("attributes") && body["attributes"].is_object()) {
      for (const char* a : {"enabled", "nbf", "exp"}) {
        if (body["attributes"].contains(a)) (*v)["attributes"][a] = body["attributes"][a];
      }
    }
    (*v)["attributes"]["updated"] = now_s;
    world.MarkDirty();
    return KvJson(200, Bundle(origin, *it, *v, false));
  }
  return KvError(405, "BadParameter", "Method " + m + " is not supported on " + req.path);
}

}  // namespace

Response HandleVaultDataPlane(World& world, const std::string& vault_name, const Request& req) {
  std::string auth = req.Header("Authorization");
  if (auth.empty() || !absl::StartsWithIgnoreCase(auth, "bearer ")) {
    return Challenge(world, "AKV10000: Request is missing a Bearer or PoP token.");
  }
  auto claims = world.tokens().Validate(auth, {kVaultAudience});
  if (!claims.ok()) {
    if (absl::IsDeadlineExceeded(claims.status()))
      return Challenge(world, "AKV10036: Token expired.");
    if (absl::IsPermissionDenied(claims.status())) {
      return Challenge(world, "AKV10022: Invalid audience. Expected " +
                                  std::string(kVaultAudience) +
                                  ", found: " + std::string(claims.status().message()) + ".");
    }
    return Challenge(world, "AKV10020: Invalid token signature.");
  }
  std::string version = req.Query("api-version");
  std::string supported;
  if (version.empty()) {
    return KvError(400, "BadParameter",
                   "The request is missing the required 'api-version' query parameter.");
  }
  if (!IsSupportedVaultApiVersion(version, &supported)) {
    return KvError(400, "BadParameter",
                   "The specified version (" + version +
                       ") is not recognized. Consider using the "
                       "latest supported version (2025-07-01). Supported: " +
                       supported + ".");
  }
  absl::MutexLock lock(&world.mu);
  nlohmann::json* slot = FindVaultByName(world, vault_name);
  if (slot == nullptr) {
    return KvError(404, "VaultNotFound",
                   "The vault '" + vault_name + "' does not exist or was deleted.");
  }
  Response resp = Dispatch(world, (*slot)["body"], claims->oid, claims->appid, req);
  absl::Status persisted = world.PersistIfDirty();
  if (!persisted.ok()) return KvError(500, "InternalError", std::string(persisted.message()));
  if (resp.status == 204) resp.body.clear();
  return resp;
}

absl::StatusOr<std::string> ReadSecretAs(World& world, const std::string& base_url,
                                         const std::string& secret, const std::string& version,
                                         const std::string& object_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  auto wanted = ParseUrl(base_url);
  if (!wanted.ok())
    return absl::InvalidArgumentError("invalid Key Vault baseUrl '" + base_url + "'");
  nlohmann::json* vault = nullptr;
  for (auto& [key, slot] : world.Section("resources").items()) {
    nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) != Lower(kVaultType)) continue;
    auto uri = ParseUrl(body["properties"].value("vaultUri", ""));
    bool same_origin = uri.ok() && uri->host == wanted->host && uri->port == wanted->port;
    bool azure_name = Lower(wanted->host) == Lower(body.value("name", "")) + ".vault.azure.net";
    if (same_origin || azure_name) {
      vault = &body;
      break;
    }
  }
  if (vault == nullptr) {
    return absl::NotFoundError("The remote name could not be resolved: no Key Vault answers at " +
                               base_url);
  }
  if (!Allowed(world, *vault, object_id, "get")) {
    return absl::PermissionDeniedError(ForbiddenMessage(world, *vault, "", object_id, "get"));
  }
  nlohmann::json& secrets = VaultData(world, (*vault)["name"])["secrets"];
  auto it = secrets.find(Lower(secret));
  std::string what = version.empty() ? secret : secret + "/" + version;
  std::string not_found = "A secret with (name/id) " + what +
                          " was not found in this key vault. If you recently deleted this secret "
                          "you may be able to recover it using the correct recovery command.";
  if (it == secrets.end()) return absl::NotFoundError(not_found);
  nlohmann::json* v = FindVersion(*it, version);
  if (v == nullptr) return absl::NotFoundError(not_found);
  if (!(*v)["attributes"].value("enabled", true)) {
    return absl::PermissionDeniedError("Operation get is not allowed on a disabled secret.");
  }
  return (*v)["value"].get<std::string>();
}

}  // namespace envctl::cloudsim
