#include "cloudsim/arm/api_versions.h"

#include <map>
#include <set>

#include "absl/strings/str_join.h"

namespace envctl::cloudsim {
namespace {

const std::map<std::string, std::set<std::string>>& Table() {
  static const auto* table = new std::map<std::string, std::set<std::string>>{
      {"microsoft.resources",
       // 2015-11-01: @azure/arm-keyvault 5 lists vaults through GET /resources with it.
       {"2015-11-01", "2016-09-01", "2018-05-01", "2019-05-01", "2019-10-01", "2020-06-01",
        "2020-10-01", "2021-01-01", "2021-04-01", "2022-01-01", "2022-09-01", "2022-12-01",
        "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-01-01", "2025-03-01",
        "2025-04-01"}},
      {"microsoft.storage",
       {"2019-06-01", "2021-04-01", "2021-06-01", "2021-08-01", "2021-09-01", "2022-05-01",
        "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01", "2025-01-01",
        "2025-06-01", "2025-08-01"}},
      {"microsoft.keyvault",
       {"2019-09-01", "2021-10-01", "2022-07-01", "2022-11-01", "2023-02-01", "2023-07-01",
        "2024-04-01-preview", "2024-11-01", "2024-12-01-preview", "2025-05-01", "2026-02-01"}},
      {"microsoft.datafactory", {"2017-09-01-preview", "2018-06-01"}},
      {"microsoft.databricks",
       {"2018-04-01", "2022-04-01-preview", "2023-02-01", "2023-09-15-preview", "2024-05-01",
        "2024-09-01-preview", "2025-03-01-preview", "2025-08-01-preview"}},
  };
  return *table;
}

}  // namespace

bool IsSupportedApiVersion(const std::string& ns, const std::string& version,
                           std::string* supported) {
  auto it = Table().find(ns);
  if (it == Table().end()) {
    *supported = "";
    return false;
  }
  if (it->second.count(version) > 0) return true;
  *supported = absl::StrJoin(it->second, ", ");
  return false;
}

bool IsSupportedVaultApiVersion(const std::string& version, std::string* supported) {
  static const auto* versions = new std::set<std::string>{
      "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"};
  if (versions->count(version) > 0) return true;
  *supported = absl::StrJoin(*versions, ", ");
  return false;
}

}  // namespace envctl::cloudsim
