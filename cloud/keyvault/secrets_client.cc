#include "cloud/keyvault/secrets_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloud/errors.h"
#include "cloud/transport/redact.h"
#include "common/status_macros.h"

namespace envctl::cloud::keyvault {
namespace {

std::string StringField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<int64_t> IntField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

std::string TrimSlashes(absl::string_view s) {
  while (absl::ConsumeSuffix(&s, "/")) {
  }
  return std::string(s);
}

// The status with its message scrubbed of anything the request body carried, so a vault
// that echoes the value it was sent cannot leak it. Code and payloads are kept.
absl::Status ScrubEchoes(const absl::Status& status, const std::string& request_body) {
  if (status.ok() || request_body.empty()) return status;
  absl::Status out(status.code(), RedactEchoes(status.message(), request_body));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

nlohmann::json Attributes(std::optional<bool> enabled, std::optional<int64_t> nbf,
                          std::optional<int64_t> exp) {
  nlohmann::json a = nlohmann::json::object();
  if (enabled) a["enabled"] = *enabled;
  if (nbf) a["nbf"] = *nbf;
  if (exp) a["exp"] = *exp;
  return a;
}

DeletedSecret ParseDeleted(const nlohmann::json& body) {
  DeletedSecret d;
  d.properties = ParseSecretProperties(body);
  d.recovery_id = StringField(body, "recoveryId");
  d.deleted_date = IntField(body, "deletedDate");
  d.scheduled_purge_date = IntField(body, "scheduledPurgeDate");
  return d;
}

}  // namespace

SecretProperties ParseSecretProperties(const nlohmann::json& bundle) {
  SecretProperties p;
  p.id = StringField(bundle, "id");
  // https://host[:port]/secrets/{name}[/{version}] (or /deletedsecrets/{name}).
  const size_t scheme = p.id.find("://");
  const size_t path_start = p.id.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start != std::string::npos) {
    std::vector<std::string> parts =
        absl::StrSplit(absl::string_view(p.id).substr(path_start + 1), '/', absl::SkipEmpty());
    if (parts.size() >= 2) p.name = parts[1];
    if (parts.size() >= 3) p.version = parts[2];
  }
  p.content_type = StringField(bundle, "contentType");
  if (bundle.is_object() && bundle.contains("tags") && bundle["tags"].is_object()) {
    for (const auto& [k, v] : bundle["tags"].items()) {
      if (v.is_string()) p.tags[k] = v.get<std::string>();
    }
  }
  if (bundle.is_object() && bundle.contains("attributes")) {
    const nlohmann::json& a = bundle["attributes"];
    if (a.is_object() && a.contains("enabled") && a["enabled"].is_boolean()) {
      p.enabled = a["enabled"].get<bool>();
    }
    p.not_before = IntField(a, "nbf");
    p.expires = IntField(a, "exp");
    p.created = IntField(a, "created");
    p.updated = IntField(a, "updated");
    p.recovery_level = StringField(a, "recoveryLevel");
  }
  if (bundle.is_object() && bundle.contains("managed") && bundle["managed"].is_boolean()) {
    p.managed = bundle["managed"].get<bool>();
  }
  return p;
}

SecretsClient::SecretsClient(HttpTransport& transport, std::string vault_uri)
    : transport_(transport), vault_uri_(TrimSlashes(vault_uri)) {}

std::string SecretsClient::Url(const std::string& path) const {
  return absl::StrCat(vault_uri_, path, absl::StrContains(path, "?") ? "&" : "?",
                      "api-version=", kSecretsApiVersion);
}

absl::StatusOr<nlohmann::json> SecretsClient::Call(const std::string& method,
                                                   const std::string& url, const std::string& body,
                                                   const std::string& what) const {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers["Accept"] = "application/json";
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = body;
  // Recover is a POST but repeating it is harmless (the second answers 404/409).
  if (method == "POST") request.idempotent = true;
  absl::StatusOr<HttpResponse> r = transport_.Send(request);
  if (!r.ok()) return ScrubEchoes(Annotate(r.status(), what), body);
  if (r->status >= 400) {
    return ScrubEchoes(Annotate(StatusFromResponse(Service::kKeyVault, *r), what), body);
  }
  const absl::string_view text = absl::StripAsciiWhitespace(r->body);
  if (text.empty()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InternalError(absl::StrCat("Key Vault ", what, ": HTTP ", r->status,
                                            " response body is not JSON (", text.size(),
                                            " bytes)"));
  }
  return j;
}

absl::StatusOr<SecretProperties> SecretsClient::Set(const std::string& name,
                                                    const std::string& value,
                                                    const SetSecretOptions& options) const {
  nlohmann::json body = {{"value", value}};
  if (!options.content_type.empty()) body["contentType"] = options.content_type;
  if (!options.tags.empty()) body["tags"] = options.tags;
  nlohmann::json attributes = Attributes(options.enabled, options.not_before, options.expires);
  if (!attributes.empty()) body["attributes"] = attributes;
  ASSIGN_OR_RETURN(nlohmann::json result, Call("PUT", Url(absl::StrCat("/secrets/", name)),
                                               body.dump(), absl::StrCat("PUT /secrets/", name)));
  return ParseSecretProperties(result);
}

absl::StatusOr<Secret> SecretsClient::Get(const std::string& name,
                                          const std::string& version) const {
  const std::string path = version.empty() ? absl::StrCat("/secrets/", name)
                                           : absl::StrCat("/secrets/", name, "/", version);
  ASSIGN_OR_RETURN(nlohmann::json result, Call("GET", Url(path), "", absl::StrCat("GET ", path)));
  Secret secret;
  secret.properties = ParseSecretProperties(result);
  secret.value = StringField(result, "value");
  return secret;
}

absl::StatusOr<std::vector<SecretProperties>> SecretsClient::ListAll(
    const std::string& path, const std::string& what) const {
  std::vector<SecretProperties> out;
  std::string url = Url(path);
  // Bounded so a repeating nextLink cannot loop forever.
  for (int page = 0; page < 10000 && !url.empty(); ++page) {
    ASSIGN_OR_RETURN(nlohmann::json body, Call("GET", url, "", what));
    if (body.is_object() && body.contains("value") && body["value"].is_array()) {
      for (const auto& item : body["value"]) out.push_back(ParseSecretProperties(item));
    }
    url = StringField(body, "nextLink");
  }
  return out;
}

absl::StatusOr<std::vector<SecretProperties>> SecretsClient::List() const {
  return ListAll("/secrets", "GET /secrets");
}

absl::StatusOr<std::vector<SecretProperties>> SecretsClient::ListVersions(
    const std::string& name) const {
  const std::string path = absl::StrCat("/secrets/", name, "/versions");
  return ListAll(path, absl::StrCat("GET ", path));
}

absl::StatusOr<SecretProperties> SecretsClient::UpdateProperties(const std::string& name,
                                                                 const std::string& version,
                                                                 const SecretUpdate& update) const {
  std::string target_version = version;
  if (target_version.empty()) {
    ASSIGN_OR_RETURN(Secret latest, Get(name));
    target_version = latest.properties.version;
  }
  nlohmann::json body = nlohmann::json::object();
  if (update.content_type) body["contentType"] = *update.content_type;
  if (update.tags) body["tags"] = *update.tags;
  nlohmann::json attributes = Attributes(update.enabled, update.not_before, update.expires);
  if (!attributes.empty()) body["attributes"] = attributes;
  const std::string path = absl::StrCat("/secrets/", name, "/", target_version);
  ASSIGN_OR_RETURN(nlohmann::json result,
                   Call("PATCH", Url(path), body.dump(), absl::StrCat("PATCH ", path)));
  return ParseSecretProperties(result);
}

absl::StatusOr<DeletedSecret> SecretsClient::Delete(const std::string& name) const {
  const std::string path = absl::StrCat("/secrets/", name);
  ASSIGN_OR_RETURN(nlohmann::json result,
                   Call("DELETE", Url(path), "", absl::StrCat("DELETE ", path)));
  return ParseDeleted(result);
}

absl::StatusOr<DeletedSecret> SecretsClient::GetDeleted(const std::string& name) const {
  const std::string path = absl::StrCat("/deletedsecrets/", name);
  ASSIGN_OR_RETURN(nlohmann::json result, Call("GET", Url(path), "", absl::StrCat("GET ", path)));
  return ParseDeleted(result);
}

absl::Status SecretsClient::Purge(const std::string& name) const {
  const std::string path = absl::StrCat("/deletedsecrets/", name);
  return Call("DELETE", Url(path), "", absl::StrCat("DELETE ", path)).status();
}

absl::StatusOr<SecretProperties> SecretsClient::Recover(const std::string& name) const {
  const std::string path = absl::StrCat("/deletedsecrets/", name, "/recover");
  ASSIGN_OR_RETURN(nlohmann::json result, Call("POST", Url(path), "", absl::StrCat("POST ", path)));
  return ParseSecretProperties(result);
}

}  // namespace envctl::cloud::keyvault
