// SecretsApi: Databricks Secrets API 2.0 (databricks-rest.md §5): scopes (Databricks- or
// Azure Key Vault-backed), secrets and scope ACLs. Secret values go out in PutSecret and
// never come back (the API has no read); they never appear in a Status message.
// Stateless besides the client reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_SECRETS_API_H_
#define ENVCTL_CLOUD_DATABRICKS_SECRETS_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::cloud::databricks {

struct KeyVaultBackend {
  std::string resource_id;  // ARM id of the vault
  std::string dns_name;     // its vaultUri, "https://kv.vault.azure.net/"
};

struct SecretScope {
  std::string name;
  std::string backend_type;  // DATABRICKS | AZURE_KEYVAULT
  std::optional<KeyVaultBackend> keyvault;
};

struct SecretMetadata {
  std::string key;
  int64_t last_updated_timestamp = 0;  // epoch ms
};

struct AclItem {
  std::string principal;
  std::string permission;  // READ | WRITE | MANAGE
};

class SecretsApi {
 public:
  explicit SecretsApi(const DatabricksClient& client);

  // POST secrets/scopes/create. With `keyvault` the scope is AZURE_KEYVAULT-backed
  // (read-only here; needs an AAD user token in real Azure). `initial_manage_principal`
  // "" = not sent (creator gets MANAGE), "users" = all users. AlreadyExists when the name
  // is taken (case-insensitively); InvalidArgument for a bad name.
  absl::Status CreateScope(const std::string& scope,
                           const std::optional<KeyVaultBackend>& keyvault = std::nullopt,
                           const std::string& initial_manage_principal = "") const;
  // Every scope (empty when none).
  absl::StatusOr<std::vector<SecretScope>> ListScopes() const;
  // POST secrets/scopes/delete; NotFound when absent.
  absl::Status DeleteScope(const std::string& scope) const;

  // POST secrets/put {string_value}: creates or overwrites. NotFound (scope missing),
  // InvalidArgument (bad key, or AKV-backed scope: BAD_REQUEST).
  absl::Status PutSecret(const std::string& scope, const std::string& key,
                         const std::string& value) const;
  // Keys and update times (never values); NotFound when the scope is missing.
  absl::StatusOr<std::vector<SecretMetadata>> ListSecrets(const std::string& scope) const;
  // POST secrets/delete; NotFound when the scope or key is missing.
  absl::Status DeleteSecret(const std::string& scope, const std::string& key) const;

  // POST secrets/acls/put (create or overwrite). permission: READ | WRITE | MANAGE.
  absl::Status PutAcl(const std::string& scope, const std::string& principal,
                      const std::string& permission) const;
  // GET secrets/acls/list (the "items" array); NotFound when the scope is missing.
  absl::StatusOr<std::vector<AclItem>> ListAcls(const std::string& scope) const;
  // POST secrets/acls/delete; NotFound when the scope or ACL is missing.
  absl::Status DeleteAcl(const std::string& scope, const std::string& principal) const;

 private:
  const DatabricksClient& client_;
};

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_SECRETS_API_H_
