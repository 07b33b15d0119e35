#include "cloud/databricks/secrets_api.h"

#include "common/status_macros.h"

namespace envctl::cloud::databricks {

SecretsApi::SecretsApi(const DatabricksClient& client) : client_(client) {}

absl::Status SecretsApi::CreateScope(const std::string& scope,
                                     const std::optional<KeyVaultBackend>& keyvault,
                                     const std::string& initial_manage_principal) const {
  nlohmann::json body = {{"scope", scope}};
  if (!initial_manage_principal.empty()) {
    body["initial_manage_principal"] = initial_manage_principal;
  }
  if (keyvault.has_value()) {
    body["scope_backend_type"] = "AZURE_KEYVAULT";
    body["backend_azure_keyvault"] = {{"resource_id", keyvault->resource_id},
                                      {"dns_name", keyvault->dns_name}};
  } else {
    body["scope_backend_type"] = "DATABRICKS";
  }
  // Safe to repeat: a repeat after a lost answer gets RESOURCE_ALREADY_EXISTS
  // (AlreadyExists), which the caller checks against what it asked for.
  PostOptions options;
  options.idempotent = true;
  return client_.Post("/api/2.0/secrets/scopes/create", body, options).status();
}

absl::StatusOr<std::vector<SecretScope>> SecretsApi::ListScopes() const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/secrets/scopes/list"));
  std::vector<SecretScope> out;
  for (const auto& s : JsonArray(body, "scopes")) {
    SecretScope scope;
    scope.name = JsonString(s, "name");
    scope.backend_type = JsonString(s, "backend_type");
    if (s.is_object() && s.contains("keyvault_metadata") && s["keyvault_metadata"].is_object()) {
      scope.keyvault = KeyVaultBackend{JsonString(s["keyvault_metadata"], "resource_id"),
                                       JsonString(s["keyvault_metadata"], "dns_name")};
    }
    out.push_back(std::move(scope));
  }
  return out;
}

absl::Status SecretsApi::DeleteScope(const std::string& scope) const {
  return client_.Post("/api/2.0/secrets/scopes/delete", {{"scope", scope}}).status();
}

absl::Status SecretsApi::PutSecret(const std::string& scope, const std::string& key,
                                   const std::string& value) const {
  PostOptions options;
  options.idempotent = true;  // put overwrites
  options.secret_body = true;
  return client_
      .Post("/api/2.0/secrets/put", {{"scope", scope}, {"key", key}, {"string_value", value}},
            options)
      .status();
}

absl::StatusOr<std::vector<SecretMetadata>> SecretsApi::ListSecrets(
    const std::string& scope) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/secrets/list", {{"scope", scope}}));
  std::vector<SecretMetadata> out;
  for (const auto& s : JsonArray(body, "secrets")) {
    out.push_back({JsonString(s, "key"), JsonInt(s, "last_updated_timestamp")});
  }
  return out;
}

absl::Status SecretsApi::DeleteSecret(const std::string& scope, const std::string& key) const {
  return client_.Post("/api/2.0/secrets/delete", {{"scope", scope}, {"key", key}}).status();
}

absl::Status SecretsApi::PutAcl(const std::string& scope, const std::string& principal,
                                const std::string& permission) const {
  PostOptions options;
  options.idempotent = true;  // put overwrites
  return client_
      .Post("/api/2.0/secrets/acls/put",
            {{"scope", scope}, {"principal", principal}, {"permission", permission}}, options)
      .status();
}

absl::StatusOr<std::vector<AclItem>> SecretsApi::ListAcls(const std::string& scope) const {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   client_.Get("/api/2.0/secrets/acls/list", {{"scope", scope}}));
  std::vector<AclItem> out;
  for (const auto& a : JsonArray(body, "items")) {
    out.push_back({JsonString(a, "principal"), JsonString(a, "permission")});
  }
  return out;
}

absl::Status SecretsApi::DeleteAcl(const std::string& scope, const std::string& principal) const {
  return client_.Post("/api/2.0/secrets/acls/delete", {{"scope", scope}, {"principal", principal}})
      .status();
}

}  // namespace envctl::cloud::databricks
