// DatabricksClient: JSON calls against one Azure Databricks workspace
// (databricks-rest.md §1, §3). The typed APIs (workspace_api.h, secrets_api.h, dbfs_api.h,
// jobs_api.h, tokens_api.h) are thin layers over it. The workspace URL is the ARM
// workspace's properties.workspaceUrl, with "https://" added when it has no scheme.
// Send requests through CloudSession::Databricks() (AAD) or DatabricksWithToken(pat).
// Errors are parsed by cloud/errors.h (error_code string or int, 400-for-missing-run
// overrides). Stateless besides the transport: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_DATABRICKS_CLIENT_H_
#define ENVCTL_CLOUD_DATABRICKS_DATABRICKS_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/transport/http_transport.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::databricks {

using Query = std::vector<std::pair<std::string, std::string>>;

struct PostOptions {
  // Safe to send twice (mkdirs, delete, put-with-overwrite, runs/submit with an
  // idempotency token): the transport may then retry it after a 5xx or reset.
  bool idempotent = false;
  // The body carries a secret (secrets/put): error messages are scrubbed of every value
  // the body held.
  bool secret_body = false;
};

class DatabricksClient {
 public:
  // `workspace_url`: "adb-1.2.azuredatabricks.net" or "https://host[:port]" (trailing
  // slash ignored).
  DatabricksClient(HttpTransport& transport, std::string workspace_url);

  // Failure contract for both calls: the mapped status of an error response (NotFound for
  // RESOURCE_DOES_NOT_EXIST and "Run/Cluster ... does not exist", AlreadyExists for
  // RESOURCE_ALREADY_EXISTS even when sent as 400, FailedPrecondition for INVALID_STATE /
  // DIRECTORY_NOT_EMPTY, InvalidArgument, PermissionDenied, Unauthenticated,
  // ResourceExhausted, Unavailable; ServiceErrorCode() = error_code), transport errors as
  // returned, Internal when a 200 body is not JSON. An empty 200 body is `{}`.

  // GET {url}{path}?k=v (values URL-encoded): the response object.
  absl::StatusOr<nlohmann::json> Get(absl::string_view path, const Query& query = {}) const;
  // POST {url}{path} with a JSON body: the response object.
  absl::StatusOr<nlohmann::json> Post(absl::string_view path, const nlohmann::json& body,
                                      PostOptions options = {}) const;

  // PUT or PATCH {url}{path} with a JSON body (the Permissions API): the response object.
  // Both replace state, so they are safe to retry.
  absl::StatusOr<nlohmann::json> Send(absl::string_view method, absl::string_view path,
                                      const nlohmann::json& body) const;

  const std::string& workspace_url() const { return workspace_url_; }

  // "https://" + url when it has no scheme; no trailing slash.
  static std::string NormalizeWorkspaceUrl(absl::string_view url);

 private:
  absl::StatusOr<nlohmann::json> Exchange(HttpRequest request, const std::string& what,
                                          bool secret_body) const;

  HttpTransport& transport_;
  const std::string workspace_url_;
};

// Small accessors tolerant of missing or mistyped fields (Databricks omits empty ones).
std::string JsonString(const nlohmann::json& j, const char* key);
int64_t JsonInt(const nlohmann::json& j, const char* key);
bool JsonBool(const nlohmann::json& j, const char* key);
// j[key] when it is an array, else an empty array (a missing list means empty).
const nlohmann::json& JsonArray(const nlohmann::json& j, const char* key);

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_DATABRICKS_CLIENT_H_
