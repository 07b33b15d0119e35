#include "cloud/arm/key_vaults.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace envctl::cloud::arm {
namespace {

const char* OperationName(AccessPolicyOperation operation) {
  switch (operation) {
    case AccessPolicyOperation::kAdd:
      return "add";
    case AccessPolicyOperation::kReplace:
      return "replace";
    case AccessPolicyOperation::kRemove:
      return "remove";
  }
  return "add";
}

}  // namespace

KeyVaultsClient::KeyVaultsClient(const ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string KeyVaultsClient::Id(const std::string& group, const std::string& name) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                      "/providers/Microsoft.KeyVault/vaults/", name);
}

std::string KeyVaultsClient::DeletedPath(const std::string& location,
                                         const std::string& name) const {
  // ARM location names are lower-case without spaces ("westeurope"), whatever the
  // display form in a body ("West Europe").
  std::string loc = absl::AsciiStrToLower(location);
  loc.erase(std::remove(loc.begin(), loc.end(), ' '), loc.end());
  return absl::StrCat("/subscriptions/", subscription_id_,
                      "/providers/Microsoft.KeyVault/locations/", loc, "/deletedVaults/", name);
}

absl::StatusOr<nlohmann::json> KeyVaultsClient::CreateOrUpdate(const std::string& group,
                                                               const std::string& name,
                                                               const nlohmann::json& body) const {
  return arm_.Put(Id(group, name), kKeyVaultApiVersion, body);
}

absl::StatusOr<nlohmann::json> KeyVaultsClient::Get(const std::string& group,
                                                    const std::string& name) const {
  return arm_.Get(Id(group, name), kKeyVaultApiVersion);
}

absl::StatusOr<nlohmann::json> KeyVaultsClient::Update(const std::string& group,
                                                       const std::string& name,
                                                       const nlohmann::json& patch) const {
  return arm_.Patch(Id(group, name), kKeyVaultApiVersion, patch);
}

absl::Status KeyVaultsClient::Delete(const std::string& group, const std::string& name) const {
  return arm_.Delete(Id(group, name), kKeyVaultApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> KeyVaultsClient::List(const std::string& group) const {
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                                "/providers/Microsoft.KeyVault/vaults"),
                   kKeyVaultApiVersion);
}

absl::StatusOr<nlohmann::json> KeyVaultsClient::UpdateAccessPolicies(
    const std::string& group, const std::string& name, AccessPolicyOperation operation,
    const nlohmann::json& policies) const {
  nlohmann::json body = {
      {"properties",
       {{"accessPolicies", policies.is_array() ? policies : nlohmann::json::array()}}}};
  ASSIGN_OR_RETURN(
      nlohmann::json response,
      arm_.Put(absl::StrCat(Id(group, name), "/accessPolicies/", OperationName(operation)),
               kKeyVaultApiVersion, body));
  if (response.is_object() && response.contains("properties") &&
      response["properties"].is_object() && response["properties"].contains("accessPolicies")) {
    return response["properties"]["accessPolicies"];
  }
  return nlohmann::json::array();
}

absl::StatusOr<nlohmann::json> KeyVaultsClient::GetDeleted(const std::string& location,
                                                           const std::string& name) const {
  return arm_.Get(DeletedPath(location, name), kKeyVaultApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> KeyVaultsClient::ListDeleted() const {
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_,
                                "/providers/Microsoft.KeyVault/deletedVaults"),
                   kKeyVaultApiVersion);
}

absl::Status KeyVaultsClient::Purge(const std::string& location, const std::string& name) const {
  return arm_.Post(absl::StrCat(DeletedPath(location, name), "/purge"), kKeyVaultApiVersion)
      .status();
}

std::string KeyVaultsClient::VaultUri(const nlohmann::json& vault) {
  if (!vault.is_object() || !vault.contains("properties") || !vault["properties"].is_object()) {
    return "";
  }
  const nlohmann::json& props = vault["properties"];
  auto it = props.find("vaultUri");
  if (it == props.end() || !it->is_string()) return "";
  const std::string& raw = it->get_ref<const std::string&>();
  absl::string_view uri = raw;
  while (absl::ConsumeSuffix(&uri, "/")) {
  }
  return std::string(uri);
}

}  // namespace envctl::cloud::arm
