// SecretStore: secret scopes (Databricks-backed and Azure Key Vault-backed), their
// secrets and ACLs, and the Secrets API 2.0 handlers. Values are never returned by the
// API; Lookup serves dbutils.secrets.get in runs. Not thread-safe: the Workspace
// serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_SECRET_STORE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_SECRET_STORE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

class SecretStore {
 public:
  struct Scope {
    std::string name;          // as created (names compare case-insensitively)
    std::string backend_type;  // DATABRICKS or AZURE_KEYVAULT
    std::string kv_resource_id;
    std::string kv_dns_name;
    std::map<std::string, std::pair<std::string, int64_t>> secrets;  // key -> value, updated ms
    std::map<std::string, std::string> acls;                         // principal -> permission
  };

  // Handles "secrets/..."; sets *mutated when the store changed.
  Response Handle(const Call& call, bool* mutated);

  // The scope named `name` (case-insensitive), or null.
  const Scope* FindScope(const std::string& name) const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  Response CreateScope(const Call& call, bool* mutated);
  Response ListScopes();
  Response DeleteScope(const Call& call, bool* mutated);
  Response Put(const Call& call, bool* mutated);
  Response List(const Call& call);
  Response Delete(const Call& call, bool* mutated);
  Response PutAcl(const Call& call, bool* mutated);
  Response ListAcls(const Call& call);
  Response GetAcl(const Call& call);
  Response DeleteAcl(const Call& call, bool* mutated);
  // Resolves the `scope` parameter to an existing scope or an error response.
  Scope* ScopeParam(const Call& call, Response* error);

  std::map<std::string, Scope> scopes_;  // keyed by lowercase name
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_SECRET_STORE_H_
