// StorageAccountsClient: typed calls for Microsoft.Storage accounts and their blob
// containers (azure-rest.md §4, api-version 2023-05-01). Account keys come back as
// StorageKey values: they are secrets, so nothing here puts them into a Status or a log.
// Stateless besides the ArmClient reference: thread-safe.
#ifndef ENVCTL_CLOUD_ARM_STORAGE_ACCOUNTS_H_
#define ENVCTL_CLOUD_ARM_STORAGE_ACCOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

inline constexpr char kStorageApiVersion[] = "2023-05-01";

// One access key of an account. `value` is a secret: hash it, never print it.
struct StorageKey {
  std::string name;         // "key1" / "key2"
  std::string permissions;  // "Full" / "Read"
  std::string value;
  std::string creation_time;  // RFC 3339, "" when the service does not say
};

class StorageAccountsClient {
 public:
  StorageAccountsClient(const ArmClient& arm, std::string subscription_id);

  // ".../resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{account}".
  std::string Id(const std::string& group, const std::string& account) const;

  // PUT the full account body ({"location","sku","kind","properties","tags"}); waits for
  // the 202 + Location operation; returns the account. AlreadyExists when the name is
  // taken elsewhere (StorageAccountAlreadyTaken), InvalidArgument for a bad name/body,
  // NotFound when the group is missing.
  absl::StatusOr<nlohmann::json> Create(const std::string& group, const std::string& account,
                                        const nlohmann::json& body) const;
  // The account, or NotFound.
  absl::StatusOr<nlohmann::json> Get(const std::string& group, const std::string& account) const;
  // PATCH a subset ({"tags"}, {"properties":{...}}, {"sku"}); returns the account.
  absl::StatusOr<nlohmann::json> Update(const std::string& group, const std::string& account,
                                        const nlohmann::json& patch) const;
  // OK when the account is gone (200, or 204/404 when it did not exist).
  absl::Status Delete(const std::string& group, const std::string& account) const;
  // Accounts in the group (all pages).
  absl::StatusOr<std::vector<nlohmann::json>> List(const std::string& group) const;

  // POST listKeys: both keys. Internal (without key material) on a malformed answer.
  absl::StatusOr<std::vector<StorageKey>> ListKeys(const std::string& group,
                                                   const std::string& account) const;
  // POST regenerateKey {"keyName"}: the keys after rotation.
  absl::StatusOr<std::vector<StorageKey>> RegenerateKey(const std::string& group,
                                                        const std::string& account,
                                                        const std::string& key_name) const;

  // Blob containers ({account}/blobServices/default/containers/{container}).
  // PUT `body` ({} or {"properties":{"publicAccess","metadata"}}): the container.
  absl::StatusOr<nlohmann::json> PutContainer(const std::string& group, const std::string& account,
                                              const std::string& container,
                                              const nlohmann::json& body) const;
  absl::StatusOr<nlohmann::json> GetContainer(const std::string& group, const std::string& account,
                                              const std::string& container) const;
  absl::StatusOr<nlohmann::json> UpdateContainer(const std::string& group,
                                                 const std::string& account,
                                                 const std::string& container,
                                                 const nlohmann::json& patch) const;
  // OK when the container is gone, including when it never existed.
  absl::Status DeleteContainer(const std::string& group, const std::string& account,
                               const std::string& container) const;
  absl::StatusOr<std::vector<nlohmann::json>> ListContainers(const std::string& group,
                                                             const std::string& account) const;

 private:
  std::string ContainerPath(const std::string& group, const std::string& account,
                            const std::string& container) const;

  const ArmClient& arm_;
  const std::string subscription_id_;
};

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_STORAGE_ACCOUNTS_H_
