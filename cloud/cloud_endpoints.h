// CloudEndpoints: which cloud envctl talks to and with which identity. Either the public
// Azure cloud (credentials from AZURE_* environment variables or managed identity) or an
// `endpoints.json` file such as cloudsim writes (DESIGN.md, "cloudsim contract").
// Resolution order: `--cloud FILE` > `ENVCTL_CLOUD` env > public Azure.
// Plain value type; the functions are thread-safe. The client secret is never printed:
// DebugString() masks it, and there is deliberately no operator<<.
#ifndef ENVCTL_CLOUD_CLOUD_ENDPOINTS_H_
#define ENVCTL_CLOUD_CLOUD_ENDPOINTS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace envctl::cloud {

struct CloudEndpoints {
  std::string arm_endpoint;    // "https://management.azure.com", no trailing slash
  std::string authority_host;  // "https://login.microsoftonline.com", no trailing slash
  std::string tenant_id;
  std::string subscription_id;
  std::string client_id;
  std::string client_secret;   // secret: never log, never print
  std::string object_id;       // the client's service principal object id
  std::string ca_cert_file;    // extra CA to trust (cloudsim's self-signed CA), or ""
  std::string admin_endpoint;  // cloudsim only: "https://127.0.0.1:P/_cloudsim", or ""
  // Where these came from, for messages: "endpoints file /x/endpoints.json" or
  // "public Azure cloud".
  std::string source;

  // One line for logs and `envctl status`; the client secret shows as "<set>" or "<unset>".
  std::string DebugString() const;
  // Token scope for ARM; "" means the public ARM audience. Tokens carry the ARM audience
  // whatever host serves ARM (cloudsim included), as with the Azure SDKs' default.
  std::string arm_token_scope;

  // Scope for ARM tokens: arm_token_scope, else "https://management.azure.com/.default".
  std::string ArmScope() const;
};

// Environment lookup, injectable for tests. nullopt when the variable is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// Reads the real process environment.
EnvLookup ProcessEnv();

// Parses cloudsim's endpoints.json. Errors name the file and the field:
//   "/tmp/x/endpoints.json: field \"arm_endpoint\" is missing (expected an https URL)".
// Required: arm_endpoint, authority_host, tenant_id, subscription_id, client_id,
// client_secret. Optional: object_id, ca_cert_file (relative paths are resolved against
// the file's folder), admin_endpoint.
absl::StatusOr<CloudEndpoints> LoadEndpointsFile(const std::string& path);

// The public Azure cloud: management.azure.com and login.microsoftonline.com, identity
// from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID and
// (optional) AZURE_OBJECT_ID. Without a client secret, managed identity is used.
CloudEndpoints PublicAzureEndpoints(const EnvLookup& env = ProcessEnv());

// `cloud_flag` (the --cloud value, "" when absent) > ENVCTL_CLOUD > public Azure.
absl::StatusOr<CloudEndpoints> ResolveEndpoints(const std::string& cloud_flag,
                                                const EnvLookup& env = ProcessEnv());

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_CLOUD_ENDPOINTS_H_
