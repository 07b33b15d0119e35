// The api-versions cloudsim accepts, as one table of data: a row per emulated resource type
// (or operation family) with the stable versions the public REST specification
// (Azure/azure-rest-api-specs, stable/ folders) lists for it, the preview and hybrid-profile
// versions clients still send, and the spec version whose examples cloudsim was checked
// against. The same rows feed the api-version check of the ARM router and the
// `resourceTypes` of GET /subscriptions/{sub}/providers[/{namespace}].
#ifndef ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_
#define ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

struct ApiVersionRow {
  std::string provider_namespace;   // "Microsoft.Storage"
  std::string resource_type;        // "storageAccounts/blobServices", "locations/deletedVaults"
  std::vector<std::string> stable;  // newest first
  std::vector<std::string> other;   // previews and hybrid-profile versions, newest first
  std::string spec_checked;         // spec version whose examples cloudsim follows
};

const std::vector<ApiVersionRow>& ApiVersionTable();

// The row that governs a request path (segments lower-cased): the Microsoft.Resources
// subscription rows for /tenants, /subscriptions[/{sub}[/locations]]; the Microsoft.Resources
// rows for resource groups, /resources and the provider registry
// (/subscriptions/{sub}/providers[/{ns}[/register]]); otherwise the row of the resource type
// after /providers/{ns}/, falling back to the namespace's "*" row. nullptr when cloudsim
// emulates nothing there (the router then answers with its own 404).
const ApiVersionRow* ApiVersionRowForPath(const std::vector<std::string>& lower_segments);

// True when `row` accepts `version`; otherwise `*supported` lists what it accepts.
bool IsSupportedApiVersion(const ApiVersionRow& row, const std::string& version,
                           std::string* supported);

// Key Vault data plane ("7.4", "2025-07-01", ...).
bool IsSupportedVaultApiVersion(const std::string& version, std::string* supported);

// The provider registry entry ARM returns for `provider_namespace` (any case; empty
// object when cloudsim does not emulate it): registrationState Registered and one
// resourceTypes entry per table row, apiVersions newest first.
nlohmann::json ProviderJson(const std::string& subscription_id,
                            const std::string& provider_namespace);
// Every emulated namespace, as spelled in the table.
std::vector<std::string> ProviderNamespaces();

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_
