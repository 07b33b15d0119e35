#include "cloud/arm/storage_accounts.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace envctl::cloud::arm {
namespace {

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// {"keys":[{"keyName","permissions","value","creationTime"}]}. The error names the
// operation only: the body holds key material.
absl::StatusOr<std::vector<StorageKey>> ParseKeys(const nlohmann::json& body,
                                                  const std::string& what) {
  if (!body.is_object() || !body.contains("keys") || !body["keys"].is_array()) {
    return absl::InternalError(absl::StrCat("ARM ", what, ": response has no \"keys\" array"));
  }
  std::vector<StorageKey> keys;
  for (const auto& k : body["keys"]) {
    if (!k.is_object()) continue;
    StorageKey key;
    key.name = StringField(k, "keyName");
    key.permissions = StringField(k, "permissions");
    key.value = StringField(k, "value");
    key.creation_time = StringField(k, "creationTime");
    if (key.name.empty() || key.value.empty()) {
      return absl::InternalError(
          absl::StrCat("ARM ", what, ": a key entry lacks keyName or value"));
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

StorageAccountsClient::StorageAccountsClient(const ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string StorageAccountsClient::Id(const std::string& group, const std::string& account) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                      "/providers/Microsoft.Storage/storageAccounts/", account);
}

std::string StorageAccountsClient::ContainerPath(const std::string& group,
                                                 const std::string& account,
                                                 const std::string& container) const {
  return absl::StrCat(Id(group, account), "/blobServices/default/containers/", container);
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::Create(const std::string& group,
                                                             const std::string& account,
                                                             const nlohmann::json& body) const {
  return arm_.Put(Id(group, account), kStorageApiVersion, body);
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::Get(const std::string& group,
                                                          const std::string& account) const {
  return arm_.Get(Id(group, account), kStorageApiVersion);
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::Update(const std::string& group,
                                                             const std::string& account,
                                                             const nlohmann::json& patch) const {
  return arm_.Patch(Id(group, account), kStorageApiVersion, patch);
}

absl::Status StorageAccountsClient::Delete(const std::string& group,
                                           const std::string& account) const {
  return arm_.Delete(Id(group, account), kStorageApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> StorageAccountsClient::List(
    const std::string& group) const {
  return arm_.List(absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/", group,
                                "/providers/Microsoft.Storage/storageAccounts"),
                   kStorageApiVersion);
}

absl::StatusOr<std::vector<StorageKey>> StorageAccountsClient::ListKeys(
    const std::string& group, const std::string& account) const {
  RequestOptions options;
  options.idempotent = true;  // a read, despite the POST
  ASSIGN_OR_RETURN(nlohmann::json body, arm_.Post(absl::StrCat(Id(group, account), "/listKeys"),
                                                  kStorageApiVersion, nullptr, options));
  return ParseKeys(body, absl::StrCat("listKeys of storage account ", account));
}

absl::StatusOr<std::vector<StorageKey>> StorageAccountsClient::RegenerateKey(
    const std::string& group, const std::string& account, const std::string& key_name) const {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   arm_.Post(absl::StrCat(Id(group, account), "/regenerateKey"), kStorageApiVersion,
                             {{"keyName", key_name}}));
  return ParseKeys(body, absl::StrCat("regenerateKey of storage account ", account));
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::PutContainer(
    const std::string& group, const std::string& account, const std::string& container,
    const nlohmann::json& body) const {
  return arm_.Put(ContainerPath(group, account, container), kStorageApiVersion,
                  body.is_null() ? nlohmann::json::object() : body);
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::GetContainer(
    const std::string& group, const std::string& account, const std::string& container) const {
  return arm_.Get(ContainerPath(group, account, container), kStorageApiVersion);
}

absl::StatusOr<nlohmann::json> StorageAccountsClient::UpdateContainer(
    const std::string& group, const std::string& account, const std::string& container,
    const nlohmann::json& patch) const {
  return arm_.Patch(ContainerPath(group, account, container), kStorageApiVersion, patch);
}

absl::Status StorageAccountsClient::DeleteContainer(const std::string& group,
                                                    const std::string& account,
                                                    const std::string& container) const {
  return arm_.Delete(ContainerPath(group, account, container), kStorageApiVersion);
}

absl::StatusOr<std::vector<nlohmann::json>> StorageAccountsClient::ListContainers(
    const std::string& group, const std::string& account) const {
  return arm_.List(absl::StrCat(Id(group, account), "/blobServices/default/containers"),
                   kStorageApiVersion);
}

}  // namespace envctl::cloud::arm
