#include "reconcilers/databricks/workspace_ref.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::reconcilers {

absl::StatusOr<std::string> WorkspaceUrlOf(const Outputs& outputs, const std::string& workspace) {
  auto url = outputs.Get(workspace, "workspaceUrl");
  if (!url || url->value.empty()) {
    return KnownAfterApplyError(
        absl::StrCat("output ", workspace, ".workspaceUrl is not known yet (known after apply)"));
  }
  return cloud::databricks::DatabricksClient::NormalizeWorkspaceUrl(url->value);
}

std::string DbfsApiPath(const std::string& path) {
  if (absl::StartsWith(path, "dbfs:")) return path.substr(5);
  return path;
}

}  // namespace envctl::reconcilers
