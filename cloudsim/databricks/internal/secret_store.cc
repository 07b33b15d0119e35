#include "cloudsim/databricks/internal/secret_store.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr size_t kMaxScopes = 1000;
constexpr size_t kMaxSecretsPerScope = 1000;
constexpr size_t kMaxValueBytes = 128 * 1024;

bool ValidName(const std::string& s, const std::string& extra) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

bool ValidPermission(const std::string& p) { return p == "READ" || p == "WRITE" || p == "MANAGE"; }

Response ScopeMissing(const std::string& scope) {
  return NotFound("Scope " + scope + " does not exist!");
}

}  // namespace

const SecretStore::Scope* SecretStore::FindScope(const std::string& name) const {
  auto it = scopes_.find(absl::AsciiStrToLower(name));
  return it == scopes_.end() ? nullptr : &it->second;
}

Response SecretStore::Handle(const Call& call, bool* mutated) {
  const std::string& v = call.verb;
  if (call.method() == "GET") {
    if (v == "secrets/scopes/list") return ListScopes();
    if (v == "secrets/list") return List(call);
    if (v == "secrets/acls/list") return ListAcls(call);
    if (v == "secrets/acls/get") return GetAcl(call);
  } else {
    if (v == "secrets/scopes/create") return CreateScope(call, mutated);
    if (v == "secrets/scopes/delete") return DeleteScope(call, mutated);
    if (v == "secrets/put") return Put(call, mutated);
    if (v == "secrets/delete") return Delete(call, mutated);
    if (v == "secrets/acls/put") return PutAcl(call, mutated);
    if (v == "secrets/acls/delete") return DeleteAcl(call, mutated);
  }
  return EndpointNotFound(*call.request);
}

SecretStore::Scope* SecretStore::ScopeParam(const Call& call, Response* error) {
  auto name = call.Param("scope");
  if (!name || name->empty()) {
    *error = MissingParameter("scope");
    return nullptr;
  }
  auto it = scopes_.find(absl::AsciiStrToLower(*name));
  if (it == scopes_.end()) {
    *error = ScopeMissing(*name);
    return nullptr;
  }
  return &it->second;
}

Response SecretStore::CreateScope(const Call& call, bool* mutated) {
  std::string name = call.Param("scope").value_or("");
  if (name.empty()) return MissingParameter("scope");
  if (!ValidName(name, "-_.@")) {
    return InvalidParameter(
        "Scope name can only contain alphanumeric characters, dashes, underscores, periods "
        "and @, and may not exceed 128 characters.");
  }
  if (FindScope(name)) return AlreadyExists("Scope " + name + " already exists!");
  if (scopes_.size() >= kMaxScopes) {
    return ErrorResponse(400, "RESOURCE_LIMIT_EXCEEDED",
                         "Maximum number of scopes (1000) reached in this workspace.");
  }
  Scope scope;
  scope.name = name;
  scope.backend_type = call.Param("scope_backend_type").value_or("DATABRICKS");
  if (scope.backend_type == "AZURE_KEYVAULT") {
    // Databricks needs an Entra ID token to check the caller's access to the vault; with a
    // PAT it refuses (DataThirstLtd/azure.databricks.cicd.tools#43, MicrosoftDocs#82429).
    if (call.pat) {
      return InvalidParameter("Scope with Azure KeyVault must have userAADToken defined!");
    }
    const Json& kv = call.body.contains("backend_azure_keyvault")
                         ? call.body["backend_azure_keyvault"]
                         : Json::object();
    if (!kv.is_object() || !kv.contains("resource_id") || !kv.contains("dns_name") ||
        !kv["resource_id"].is_string() || !kv["dns_name"].is_string()) {
      return InvalidParameter(
          "backend_azure_keyvault with resource_id and dns_name is required for an "
          "AZURE_KEYVAULT scope.");
    }
    scope.kv_resource_id = kv["resource_id"].get<std::string>();
    scope.kv_dns_name = kv["dns_name"].get<std::string>();
  } else if (scope.backend_type != "DATABRICKS") {
    return InvalidParameter("Invalid scope_backend_type: " + scope.backend_type +
                            ". Expected DATABRICKS or AZURE_KEYVAULT.");
  }
  std::string manager = call.Param("initial_manage_principal").value_or("");
  scope.acls[manager.empty() ? call.principal : manager] = "MANAGE";
  scopes_[absl::AsciiStrToLower(name)] = std::move(scope);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response SecretStore::ListScopes() {
  Json scopes = Json::array();
  for (const auto& [key, s] : scopes_) {
    Json j = {{"name", s.name}, {"backend_type", s.backend_type}};
    if (s.backend_type == "AZURE_KEYVAULT") {
      j["keyvault_metadata"] = {{"resource_id", s.kv_resource_id}, {"dns_name", s.kv_dns_name}};
    }
    scopes.push_back(std::move(j));
  }
  Json out = Json::object();
  if (!scopes.empty()) out["scopes"] = std::move(scopes);
  return JsonResponse(out);
}

Response SecretStore::DeleteScope(const Call& call, bool* mutated) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  scopes_.erase(absl::AsciiStrToLower(scope->name));
  *mutated = true;
  return JsonResponse(Json::object());
}

Response SecretStore::Put(const Call& call, bool* mutated) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  if (scope->backend_type == "AZURE_KEYVAULT") {
    return ErrorResponse(400, "BAD_REQUEST",
                         "Cannot write secrets to Azure KeyVault-backed scope " + scope->name);
  }
  std::string key = call.Param("key").value_or("");
  if (key.empty()) return MissingParameter("key");
  if (!ValidName(key, "-_.")) {
    return InvalidParameter(
        "Secret key can only contain alphanumeric characters, dashes, underscores and "
        "periods, and may not exceed 128 characters.");
  }
  bool has_string = call.body.contains("string_value");
  bool has_bytes = call.body.contains("bytes_value");
  if (has_string == has_bytes) {
    return ErrorResponse(400, "MALFORMED_REQUEST",
                         "Exactly one of string_value or bytes_value must be specified.");
  }
  std::string value;
  const Json& field = call.body[has_string ? "string_value" : "bytes_value"];
  if (!field.is_string()) return InvalidParameter("Secret value must be a string.");
  if (has_string) {
    value = field.get<std::string>();
  } else if (!Base64Decode(field.get<std::string>(), &value)) {
    return InvalidParameter("bytes_value must be base64-encoded.");
  }
  if (value.size() > kMaxValueBytes) {
    return InvalidParameter("Secret value size (" + std::to_string(value.size()) +
                            " bytes) exceeds the limit of 131072 bytes.");
  }
  if (!scope->secrets.count(key) && scope->secrets.size() >= kMaxSecretsPerScope) {
    return ErrorResponse(400, "RESOURCE_LIMIT_EXCEEDED",
                         "Maximum number of secrets (1000) in scope " + scope->name + " reached.");
  }
  scope->secrets[key] = {std::move(value), ToMillis(call.now)};
  *mutated = true;
  return JsonResponse(Json::object());
}

Response SecretStore::List(const Call& call) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  Json secrets = Json::array();
  for (const auto& [key, v] : scope->secrets) {
    secrets.push_back({{"key", key}, {"last_updated_timestamp", v.second}});
  }
  Json out = Json::object();
  if (!secrets.empty()) out["secrets"] = std::move(secrets);
  return JsonResponse(out);
}

Response SecretStore::Delete(const Call& call, bool* mutated) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  if (scope->backend_type == "AZURE_KEYVAULT") {
    return ErrorResponse(400, "BAD_REQUEST",
                         "Cannot delete secrets from Azure KeyVault-backed scope " + scope->name);
  }
  std::string key = call.Param("key").value_or("");
  if (key.empty()) return MissingParameter("key");
  if (!scope->secrets.erase(key)) {
    return NotFound("Secret " + key + " does not exist in scope " + scope->name + ".");
  }
  *mutated = true;
  return JsonResponse(Json::object());
}

Response SecretStore::PutAcl(const Call& call, bool* mutated) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  std::string principal = call.Param("principal").value_or("");
  if (principal.empty()) return MissingParameter("principal");
  std::string permission = call.Param("permission").value_or("");
  if (!ValidPermission(permission)) {
    return InvalidParameter("Invalid permission: '" + permission +
                            "'. Expected READ, WRITE or MANAGE.");
  }
  scope->acls[principal] = permission;
  *mutated = true;
  return JsonResponse(Json::object());
}

Response SecretStore::ListAcls(const Call& call) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  Json items = Json::array();
  for (const auto& [principal, permission] : scope->acls) {
    items.push_back({{"principal", principal}, {"permission", permission}});
  }
  Json out = Json::object();
  if (!items.empty()) out["items"] = std::move(items);
  return JsonResponse(out);
}

Response SecretStore::GetAcl(const Call& call) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  std::string principal = call.Param("principal").value_or("");
  if (principal.empty()) return MissingParameter("principal");
  auto it = scope->acls.find(principal);
  if (it == scope->acls.end()) {
    return NotFound("No ACL for principal " + principal + " in scope " + scope->name + ".");
  }
  return JsonResponse({{"principal", principal}, {"permission", it->second}});
}

Response SecretStore::DeleteAcl(const Call& call, bool* mutated) {
  Response error;
  Scope* scope = ScopeParam(call, &error);
  if (!scope) return error;
  std::string principal = call.Param("principal").value_or("");
  if (principal.empty()) return MissingParameter("principal");
  if (!scope->acls.erase(principal)) {
    return NotFound("No ACL for principal " + principal + " in scope " + scope->name + ".");
  }
  *mutated = true;
  return JsonResponse(Json::object());
}

Json SecretStore::Save() const {
  Json scopes = Json::array();
  for (const auto& [key, s] : scopes_) {
    Json secrets = Json::object();
    for (const auto& [k, v] : s.secrets) {
      secrets[k] = {{"value", Base64Encode(v.first)}, {"updated", v.second}};
    }
    scopes.push_back({{"name", s.name},
                      {"backend_type", s.backend_type},
                      {"kv_resource_id", s.kv_resource_id},
                      {"kv_dns_name", s.kv_dns_name},
                      {"secrets", secrets},
                      {"acls", s.acls}});
  }
  return scopes;
}

absl::Status SecretStore::Load(const Json& state) {
  std::map<std::string, Scope> scopes;
  for (const Json& j : state) {
    Scope s;
    s.name = j.at("name").get<std::string>();
    s.backend_type = j.at("backend_type").get<std::string>();
    s.kv_resource_id = j.value("kv_resource_id", "");
    s.kv_dns_name = j.value("kv_dns_name", "");
    for (const auto& [k, v] : j.at("secrets").items()) {
      std::string value;
      if (!Base64Decode(v.at("value").get<std::string>(), &value)) {
        return absl::DataLossError("secret value is not base64");
      }
      s.secrets[k] = {std::move(value), v.at("updated").get<int64_t>()};
    }
    s.acls = j.at("acls").get<std::map<std::string, std::string>>();
    scopes[absl::AsciiStrToLower(s.name)] = std::move(s);
  }
  scopes_ = std::move(scopes);
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
