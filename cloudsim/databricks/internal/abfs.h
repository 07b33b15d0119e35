// ABFS (abfss://) as a notebook's Spark session sees it: which storage account and
// container a path names, which credential hadoop-azure's settings select
// (fs.azure.account.auth.type, .key, .oauth.provider.type, .oauth2.client.id/secret,
// account-specific keys first), and the exception text a refused access surfaces.
// Pure functions; thread-safe.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_ABFS_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_ABFS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cloudsim/databricks/workspace.h"

namespace envctl::cloudsim::databricks {

struct AbfsPath {
  std::string account;    // "bikesharetestlake"
  std::string container;  // "bikeshare"
  std::string url;        // https://<account>.dfs.core.windows.net/<container>/<path>
};

// The account and container of "abfs[s]://<container>@<account>.dfs.core.windows.net/..."
// or nullopt for any other path.
std::optional<AbfsPath> ParseAbfsPath(const std::string& path);

// The credential `conf` (spark.conf.set values of the session) selects for `account`,
// or InvalidArgument naming the setting that is missing or invalid.
absl::Status ResolveAbfsCredential(const std::map<std::string, std::string>& conf,
                                   const std::string& account, StorageAccess* access);

// The error a Spark read or write of `path` fails with when `status` (from
// ResolveAbfsCredential or WorkspaceEnv::authorize_storage) is not OK.
std::string AbfsError(const absl::Status& status, const AbfsPath& path, bool write,
                      const StorageAccess& access);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_ABFS_H_
