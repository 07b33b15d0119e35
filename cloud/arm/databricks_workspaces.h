// DatabricksWorkspacesClient: typed calls for Microsoft.Databricks workspaces (the ARM
// resource; azure-rest.md §8, api-version 2023-02-01). Create and delete are
// Azure-AsyncOperation LROs that take minutes in Azure; the ArmClient's LroOptions bound
// them. The workspace APIs themselves are cloud/databricks/, reached through WorkspaceUrl().
// Stateless besides the ArmClient reference: thread-safe.
#ifndef ENVCTL_CLOUD_ARM_DATABRICKS_WORKSPACES_H_
#define ENVCTL_CLOUD_ARM_DATABRICKS_WORKSPACES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::arm {

inline constexpr char kDatabricksApiVersion[] = "2023-02-01";

class DatabricksWorkspacesClient {
 public:
  DatabricksWorkspacesClient(const ArmClient& arm, std::string subscription_id);

  // ".../resourceGroups/{rg}/providers/Microsoft.Databricks/workspaces/{name}".
  std::string Id(const std::string& group, const std::string& name) const;

  // PUT {"location","sku","tags","properties":{"managedResourceGroupId"}} and wait for
  // the operation; returns the workspace as read afterwards (with workspaceUrl).
  // Aborted when the operation ends Failed (ServiceErrorCode = the operation's code),
  // DeadlineExceeded past the LRO timeout, InvalidArgument for a bad body.
  absl::StatusOr<nlohmann::json> CreateOrUpdate(const std::string& group, const std::string& name,
                                                const nlohmann::json& body) const;
  // The workspace, or NotFound.
  absl::StatusOr<nlohmann::json> Get(const std::string& group, const std::string& name) const;
  // PATCH {"tags": tags} (an LRO in 2023-02-01): the workspace.
  absl::StatusOr<nlohmann::json> UpdateTags(const std::string& group, const std::string& name,
                                            const nlohmann::json& tags) const;
  // DELETE and wait (also removes the managed resource group). OK when gone, including
  // never existed.
  absl::Status Delete(const std::string& group, const std::string& name) const;
  absl::StatusOr<std::vector<nlohmann::json>> List(const std::string& group) const;

  // "https://" + properties.workspaceUrl (kept as is when it already has a scheme), no
  // trailing slash; "" while the workspace has no URL yet.
  static std::string WorkspaceUrl(const nlohmann::json& workspace);

 private:
  const ArmClient& arm_;
  const std::string subscription_id_;
};

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_DATABRICKS_WORKSPACES_H_
