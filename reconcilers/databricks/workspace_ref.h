// Helpers shared by the Databricks data-plane reconcilers: where a workspace is (its
// `workspaceUrl` output, published by the DatabricksWorkspace reconciler) and how DBFS
// paths are written. Pure functions; thread-safe.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_WORKSPACE_REF_H_
#define ENVCTL_RECONCILERS_DATABRICKS_WORKSPACE_REF_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "reconcilers/outputs.h"

namespace envctl::reconcilers {

// "https://<host>" of the DatabricksWorkspace resource `workspace` ("https://" added when
// the output has no scheme, as ARM's properties.workspaceUrl has none).
// FailedPrecondition "output <workspace>.workspaceUrl is not known yet (known after
// apply)" while the workspace does not exist.
absl::StatusOr<std::string> WorkspaceUrlOf(const Outputs& outputs, const std::string& workspace);

// `value`, or its error prefixed with `context` (Annotate for StatusOr).
template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> value, absl::string_view context) {
  if (value.ok()) return value;
  return Annotate(value.status(), context);
}

// "dbfs:/libs/a.jar" -> "/libs/a.jar"; "/libs/a.jar" unchanged.
std::string DbfsApiPath(const std::string& path);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_WORKSPACE_REF_H_
