// ResourceGroupsClient: typed calls for Microsoft.Resources resource groups
// (azure-rest.md §3, api-version 2022-09-01). Bodies are ARM JSON as returned by the
// service. Stateless besides the ArmClient reference: thread-safe.
#ifndef ENVCTL_CLOUD_ARM_RESOURCE_GROUPS_H_
#define ENVCTL_CLOUD_ARM_RESOURCE_GROUPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

inline constexpr char kResourcesApiVersion[] = "2022-09-01";

class ResourceGroupsClient {
 public:
  ResourceGroupsClient(const ArmClient& arm, std::string subscription_id);

  // "/subscriptions/{sub}/resourceGroups/{name}".
  std::string Id(const std::string& name) const;

  // PUT {"location","tags"}: the group (201 new, 200 replaced). A different location than
  // the existing group's is FailedPrecondition (InvalidResourceGroupLocation); a group
  // being deleted is FailedPrecondition (ResourceGroupBeingDeleted).
  absl::StatusOr<nlohmann::json> CreateOrUpdate(const std::string& name,
                                                const std::string& location,
                                                const nlohmann::json& tags) const;
  // The group, or NotFound (ResourceGroupNotFound).
  absl::StatusOr<nlohmann::json> Get(const std::string& name) const;
  // PATCH {"tags": tags}: replaces the whole tag map; returns the group. NotFound if absent.
  absl::StatusOr<nlohmann::json> UpdateTags(const std::string& name,
                                            const nlohmann::json& tags) const;
  // DELETE and wait (202 + Location polled to 200). Deletes everything in the group.
  // OK when the group is gone, including when it never existed.
  absl::Status Delete(const std::string& name) const;
  // Every group in the subscription (all pages).
  absl::StatusOr<std::vector<nlohmann::json>> List() const;
  // Every top-level resource in group `name` (GET .../resources, all pages): id, name,
  // type, location, tags. NotFound (ResourceGroupNotFound) when the group is absent.
  absl::StatusOr<std::vector<nlohmann::json>> ListResources(const std::string& name) const;
  // Groups carrying tag `tag_name` = `tag_value` ($filter=tagName eq .. and tagValue eq ..).
  absl::StatusOr<std::vector<nlohmann::json>> ListByTag(const std::string& tag_name,
                                                        const std::string& tag_value) const;

 private:
  const ArmClient& arm_;
  const std::string subscription_id_;
};

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_RESOURCE_GROUPS_H_
