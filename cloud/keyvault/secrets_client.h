// SecretsClient: the Key Vault secrets data plane (api-version 7.4, azure-rest.md §6) of
// one vault, addressed by its vaultUri (from the ARM vault's properties.vaultUri; a
// trailing slash is fine). Send requests through CloudSession::KeyVault(), whose
// transport answers the 401 challenge and retries. Secret values are returned to the
// caller and nowhere else: no Status message or log line made here contains one (a
// service message echoing the sent value is scrubbed). Stateless: thread-safe.
#ifndef ENVCTL_CLOUD_KEYVAULT_SECRETS_CLIENT_H_
#define ENVCTL_CLOUD_KEYVAULT_SECRETS_CLIENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/transport/http_transport.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::keyvault {

inline constexpr char kSecretsApiVersion[] = "7.4";

// Everything about a secret except its value. Timestamps are Unix epoch seconds.
struct SecretProperties {
  std::string id;       // "https://{vault}/secrets/{name}[/{version}]"
  std::string name;     // parsed from id
  std::string version;  // parsed from id; "" for list items (ids without version)
  std::string content_type;
  std::map<std::string, std::string> tags;
  std::optional<bool> enabled;
  std::optional<int64_t> not_before;
  std::optional<int64_t> expires;
  std::optional<int64_t> created;
  std::optional<int64_t> updated;
  std::string recovery_level;
  bool managed = false;
};

struct Secret {
  SecretProperties properties;
  std::string value;  // secret: hash it, never print it
};

struct DeletedSecret {
  SecretProperties properties;
  std::string recovery_id;  // "https://{vault}/deletedsecrets/{name}"
  std::optional<int64_t> deleted_date;
  std::optional<int64_t> scheduled_purge_date;
};

struct SetSecretOptions {
  std::string content_type;  // "" = not sent
  std::map<std::string, std::string> tags;
  std::optional<bool> enabled;
  std::optional<int64_t> not_before;
  std::optional<int64_t> expires;
};

// PATCH of a version's metadata; unset fields are not sent (left unchanged).
struct SecretUpdate {
  std::optional<std::string> content_type;
  std::optional<std::map<std::string, std::string>> tags;
  std::optional<bool> enabled;
  std::optional<int64_t> not_before;
  std::optional<int64_t> expires;
};

class SecretsClient {
 public:
  SecretsClient(HttpTransport& transport, std::string vault_uri);

  // Failure contract for every call: NotFound (SecretNotFound), FailedPrecondition with
  // ServiceErrorCode "Conflict" and ServiceInnerErrorCode "ObjectIsDeletedButRecoverable"
  // or "ObjectIsBeingDeleted" for a soft-deleted name, PermissionDenied (no access
  // policy), Unauthenticated, InvalidArgument (BadParameter), ResourceExhausted,
  // Unavailable; Internal when a 2xx body is malformed (the body is never quoted).

  // PUT /secrets/{name}: a new version; returns its properties (not the value).
  absl::StatusOr<SecretProperties> Set(const std::string& name, const std::string& value,
                                       const SetSecretOptions& options = {}) const;
  // GET /secrets/{name}[/{version}]: the latest (version "") or a given version.
  absl::StatusOr<Secret> Get(const std::string& name, const std::string& version = "") const;
  // Every secret (all pages; no values, ids without version).
  absl::StatusOr<std::vector<SecretProperties>> List() const;
  // Every version of a secret (all pages; no values, ids with version). An unknown name
  // is NotFound or an empty list, depending on the service.
  absl::StatusOr<std::vector<SecretProperties>> ListVersions(const std::string& name) const;
  // PATCH /secrets/{name}/{version}; version "" updates the latest version.
  absl::StatusOr<SecretProperties> UpdateProperties(const std::string& name,
                                                    const std::string& version,
                                                    const SecretUpdate& update) const;
  // DELETE /secrets/{name}: the deleted secret (soft delete). NotFound when absent.
  absl::StatusOr<DeletedSecret> Delete(const std::string& name) const;
  // GET /deletedsecrets/{name}, or NotFound (also briefly right after Delete).
  absl::StatusOr<DeletedSecret> GetDeleted(const std::string& name) const;
  // DELETE /deletedsecrets/{name}: OK once purged; NotFound when not soft-deleted.
  absl::Status Purge(const std::string& name) const;
  // POST /deletedsecrets/{name}/recover: the recovered secret's properties.
  absl::StatusOr<SecretProperties> Recover(const std::string& name) const;

  // The vault URI without trailing slash.
  const std::string& vault_uri() const { return vault_uri_; }

 private:
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& url,
                                      const std::string& body, const std::string& what) const;
  absl::StatusOr<std::vector<SecretProperties>> ListAll(const std::string& path,
                                                        const std::string& what) const;
  std::string Url(const std::string& path) const;

  HttpTransport& transport_;
  const std::string vault_uri_;
};

// Parses a SecretBundle / SecretItem / DeletedSecretBundle's metadata (no value).
SecretProperties ParseSecretProperties(const nlohmann::json& bundle);

}  // namespace envctl::cloud::keyvault

#endif  // ENVCTL_CLOUD_KEYVAULT_SECRETS_CLIENT_H_
