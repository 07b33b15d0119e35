#include "cloudsim/arm/api_versions.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace envctl::cloudsim {
namespace {

using Versions = std::vector<std::string>;

// Stable folders of specification/resources/resource-manager/Microsoft.Resources/stable
// holding resources.json (resource groups, resources, providers).
const Versions kResourcesStable = {
    "2025-04-01", "2025-03-01", "2025-01-01", "2024-11-01", "2024-07-01", "2024-03-01",
    "2023-07-01", "2022-12-01", "2022-09-01", "2021-04-01", "2021-01-01", "2020-10-01",
    "2020-08-01", "2020-06-01", "2019-10-01", "2019-08-01", "2019-07-01", "2019-05-10",
    "2019-05-01", "2019-03-01", "2018-05-01", "2018-02-01", "2017-05-10", "2016-09-01",
    "2016-07-01", "2016-02-01", "2015-11-01"};
// Accepted by ARM though not a resources.json folder; 2022-01-01 was sent by earlier SDKs.
// Hybrid profiles (Azure Stack) use 2019-10-01 (2020-09-01-hybrid), 2018-05-01
// (2019-03-01-hybrid), 2018-02-01 (2018-03-01-hybrid), 2016-02-01 (2017-03-09-profile):
// all stable above.
const Versions kResourcesOther = {"2022-01-01"};
// Folders holding subscriptions.json (subscriptions, tenants, locations).
const Versions kSubscriptionsStable = {"2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01",
                                       "2019-06-01", "2018-06-01", "2016-06-01", "2015-11-01"};

// Microsoft.Storage/stable (storage.json / openapi.json, blob.json). Hybrid profiles use
// 2019-06-01, 2017-10-01, 2016-01-01 (stable).
const Versions kStorageStable = {
    "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01", "2023-04-01",
    "2023-01-01", "2022-09-01", "2022-05-01", "2021-09-01", "2021-08-01", "2021-06-01",
    "2021-04-01", "2021-02-01", "2021-01-01", "2019-06-01", "2019-04-01", "2018-11-01",
    "2018-07-01", "2018-02-01", "2017-10-01", "2017-06-01", "2016-12-01", "2016-05-01",
    "2016-01-01", "2015-06-15"};

// Microsoft.KeyVault/stable (keyvault.json, secrets.json, common.json). Hybrid profiles use
// 2016-10-01 (stable).
const Versions kKeyVaultStable = {"2025-05-01", "2024-11-01", "2023-07-01", "2023-02-01",
                                  "2022-11-01", "2022-07-01", "2021-10-01", "2019-09-01",
                                  "2018-02-14", "2016-10-01", "2015-06-01"};
const Versions kKeyVaultOther = {"2026-02-01", "2024-12-01-preview", "2024-04-01-preview"};
// managedHSMs / deletedManagedHSMs first appear in stable 2021-10-01.
const Versions kManagedHsmStable = {"2025-05-01", "2024-11-01", "2023-07-01", "2023-02-01",
                                    "2022-11-01", "2022-07-01", "2021-10-01"};
const Versions kManagedHsmOther = {"2021-06-01-preview", "2021-04-01-preview",
                                   "2020-04-01-preview"};

// Microsoft.DataFactory/stable has a single version.
const Versions kDataFactoryStable = {"2018-06-01"};
const Versions kDataFactoryOther = {"2017-09-01-preview"};

// Microsoft.Databricks/stable holding databricks.json (workspaces).
const Versions kDatabricksStable = {"2024-05-01", "2023-02-01", "2020-02-15", "2018-04-01"};
const Versions kDatabricksOther = {"2025-08-01-preview", "2025-03-01-preview",
                                   "2024-09-01-preview", "2023-09-15-preview",
                                   "2022-04-01-preview", "2021-04-01-preview"};

// Microsoft.Authorization/stable folders holding authorization-RoleAssignmentsCalls.json
// / authorization-RoleDefinitionsCalls.json; previews the SDKs and the CLI have sent.
const Versions kAuthorizationStable = {"2022-04-01", "2015-07-01"};
const Versions kAuthorizationOther = {
    "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview", "2020-08-01-preview",
    "2020-10-01",         "2020-10-01-preview", "2022-05-01-preview"};

// Microsoft.ManagedIdentity/stable (ManagedIdentity.json).
const Versions kMsiStable = {"2024-11-30", "2023-01-31", "2018-11-30"};
const Versions kMsiOther = {"2025-01-31-preview", "2022-01-31-preview", "2021-09-30-preview",
                            "2015-08-31-preview"};

Versions Minus(const Versions& all, const Versions& taken) {
  Versions out;
  for (const auto& v : all) {
    if (std::find(taken.begin(), taken.end(), v) == taken.end()) out.push_back(v);
  }
  return out;
}

ApiVersionRow Row(const char* ns, const char* type, const Versions& stable, const Versions& other,
                  const char* checked) {
  return ApiVersionRow{ns, type, stable, other, checked};
}

std::vector<ApiVersionRow> BuildTable() {
  // ARM serves subscriptions and tenants with every Microsoft.Resources version too.
  Versions sub_other = Minus(kResourcesStable, kSubscriptionsStable);
  for (const auto& v : kResourcesOther) sub_other.push_back(v);
  std::vector<ApiVersionRow> t;
  const char* kRes = "Microsoft.Resources";
  t.push_back(Row(kRes, "subscriptions", kSubscriptionsStable, sub_other, "2022-12-01"));
  t.push_back(Row(kRes, "tenants", kSubscriptionsStable, sub_other, "2022-12-01"));
  t.push_back(Row(kRes, "locations", kSubscriptionsStable, sub_other, "2022-12-01"));
  t.push_back(Row(kRes, "resourceGroups", kResourcesStable, kResourcesOther, "2025-04-01"));
  t.push_back(Row(kRes, "resources", kResourcesStable, kResourcesOther, "2025-04-01"));
  t.push_back(Row(kRes, "providers", kResourcesStable, kResourcesOther, "2022-12-01"));
  t.push_back(Row(kRes, "*", kResourcesStable, kResourcesOther, "2025-04-01"));

  const char* kSt = "Microsoft.Storage";
  for (const char* type :
       {"storageAccounts", "storageAccounts/blobServices",
        "storageAccounts/blobServices/containers", "checkNameAvailability", "deletedAccounts",
        "locations/deletedAccounts", "locations/asyncoperations", "operations", "*"}) {
    t.push_back(Row(kSt, type, kStorageStable, {}, "2025-06-01"));
  }

  const char* kKv = "Microsoft.KeyVault";
  for (const char* type : {"vaults", "vaults/secrets", "vaults/accessPolicies", "deletedVaults",
                           "locations/deletedVaults", "locations/operationResults",
                           "checkNameAvailability", "operations", "*"}) {
    t.push_back(Row(kKv, type, kKeyVaultStable, kKeyVaultOther, "2024-11-01"));
  }
  for (const char* type : {"managedHSMs", "deletedManagedHSMs", "locations/deletedManagedHSMs"}) {
    t.push_back(Row(kKv, type, kManagedHsmStable, kManagedHsmOther, "2024-11-01"));
  }

  const char* kAdf = "Microsoft.DataFactory";
  for (const char* type :
       {"factories", "factories/pipelines", "factories/linkedservices", "factories/datasets",
        "factories/triggers", "factories/dataflows", "factories/integrationRuntimes",
        "factories/pipelineruns", "locations", "operations", "*"}) {
    t.push_back(Row(kAdf, type, kDataFactoryStable, kDataFactoryOther, "2018-06-01"));
  }

  const char* kAuth = "Microsoft.Authorization";
  for (const char* type : {"roleAssignments", "roleDefinitions", "*"}) {
    t.push_back(Row(kAuth, type, kAuthorizationStable, kAuthorizationOther, "2022-04-01"));
  }
  const char* kMsi = "Microsoft.ManagedIdentity";
  for (const char* type : {"userAssignedIdentities", "operations", "*"}) {
    t.push_back(Row(kMsi, type, kMsiStable, kMsiOther, "2023-01-31"));
  }

  const char* kDb = "Microsoft.Databricks";
  for (const char* type :
       {"workspaces", "locations", "locations/operationstatuses", "operations", "*"}) {
    t.push_back(Row(kDb, type, kDatabricksStable, kDatabricksOther, "2024-05-01"));
  }
  return t;
}

const ApiVersionRow* FindRow(const std::string& ns, const std::string& type) {
  const ApiVersionRow* fallback = nullptr;
  for (const auto& row : ApiVersionTable()) {
    if (!absl::EqualsIgnoreCase(row.provider_namespace, ns)) continue;
    if (absl::EqualsIgnoreCase(row.resource_type, type)) return &row;
    if (row.resource_type == "*") fallback = &row;
  }
  return fallback;
}

}  // namespace

const std::vector<ApiVersionRow>& ApiVersionTable() {
  static const auto* table = new std::vector<ApiVersionRow>(BuildTable());
  return *table;
}

const ApiVersionRow* ApiVersionRowForPath(const std::vector<std::string>& l) {
  const std::string kRes = "Microsoft.Resources";
  if (l.empty()) return nullptr;
  if (l[0] == "tenants") return FindRow(kRes, "tenants");
  if (l[0] != "subscriptions") return nullptr;
  if (l.size() <= 2) return FindRow(kRes, "subscriptions");
  if (l.size() == 3 && l[2] == "locations") return FindRow(kRes, "locations");
  size_t p = 0;
  for (size_t i = 2; i < l.size(); ++i) {
    if (l[i] == "providers") {
      p = i;
      break;
    }
  }
  if (p == 0) {
    if (l[2] == "resourcegroups") return FindRow(kRes, "resourceGroups");
    if (l[2] == "resources") return FindRow(kRes, "resources");
    return FindRow(kRes, "*");
  }
  // The provider registry is Microsoft.Resources whatever namespace it names.
  if (p == 2 && (l.size() <= 4 || (l.size() == 5 && l[4] == "register") ||
                 (l.size() == 5 && l[4] == "unregister"))) {
    return FindRow(kRes, "providers");
  }
  if (p + 1 >= l.size()) return FindRow(kRes, "providers");
  // Extension resources (role assignments on a storage account) take the versions of the
  // last provider in the path.
  for (size_t i = l.size(); i-- > p + 1;) {
    if (l[i] == "providers" && i + 1 < l.size()) {
      p = i;
      break;
    }
  }
  std::string type;
  for (size_t i = p + 2; i < l.size(); i += 2) type += (type.empty() ? "" : "/") + l[i];
  return FindRow(l[p + 1], type);
}

bool IsSupportedApiVersion(const ApiVersionRow& row, const std::string& version,
                           std::string* supported) {
  auto has = [&](const Versions& vs) {
    return std::find(vs.begin(), vs.end(), version) != vs.end();
  };
  if (has(row.stable) || has(row.other)) return true;
  std::set<std::string> all(row.stable.begin(), row.stable.end());
  all.insert(row.other.begin(), row.other.end());
  *supported = absl::StrJoin(all, ", ");
  return false;
}

bool IsSupportedVaultApiVersion(const std::string& version, std::string* supported) {
  // specification/keyvault/data-plane/Microsoft.KeyVault/stable; 2016-10-01 is the
  // hybrid-profile version.
  static const auto* versions = new std::set<std::string>{
      "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"};
  if (versions->count(version) > 0) return true;
  *supported = absl::StrJoin(*versions, ", ");
  return false;
}

nlohmann::json ProviderJson(const std::string& subscription_id, const std::string& ns) {
  nlohmann::json types = nlohmann::json::array();
  std::string spelled;
  for (const auto& row : ApiVersionTable()) {
    if (!absl::EqualsIgnoreCase(row.provider_namespace, ns)) continue;
    spelled = row.provider_namespace;
    if (row.resource_type == "*") continue;
    // Newest first, stable before previews of the same date, as ARM lists them.
    Versions versions = row.stable;
    versions.insert(versions.end(), row.other.begin(), row.other.end());
    std::stable_sort(versions.begin(), versions.end(),
                     [](const std::string& a, const std::string& b) {
                       return a.substr(0, 10) > b.substr(0, 10);
                     });
    nlohmann::json type = {{"resourceType", row.resource_type},
                           {"locations", nlohmann::json::array()},
                           {"apiVersions", versions},
                           {"defaultApiVersion", row.stable.front()},
                           {"capabilities", "None"}};
    bool located = row.resource_type != "operations" &&
                   row.resource_type != "checkNameAvailability" &&
                   !absl::StartsWith(row.resource_type, "locations") &&
                   row.provider_namespace != "Microsoft.Resources";
    if (located) {
      type["locations"] = {
          "West Europe", "North Europe",         "East US",       "East US 2", "West US 2",
          "UK South",    "Germany West Central", "Sweden Central"};
    }
    types.push_back(type);
  }
  if (spelled.empty()) return nlohmann::json::object();
  return {{"id", "/subscriptions/" + subscription_id + "/providers/" + spelled},
          {"namespace", spelled},
          {"registrationState", "Registered"},
          {"registrationPolicy", "RegistrationRequired"},
          {"resourceTypes", types}};
}

std::vector<std::string> ProviderNamespaces() {
  std::vector<std::string> out;
  for (const auto& row : ApiVersionTable()) {
    if (std::find(out.begin(), out.end(), row.provider_namespace) == out.end()) {
      out.push_back(row.provider_namespace);
    }
  }
  return out;
}

}  // namespace envctl::cloudsim
