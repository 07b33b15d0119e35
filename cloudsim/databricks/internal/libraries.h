// ClusterLibraries: the libraries requested on each all-purpose cluster (Libraries API
// 2.0: install, uninstall, cluster-status, all-cluster-statuses). A library's status is
// derived from the clock: PENDING until its cluster runs, then PENDING 2 s -> INSTALLING
// 10 s -> INSTALLED (or FAILED when a jar/whl/egg on DBFS was missing when it was
// requested), simulated seconds divided by `speed`. An uninstall shows
// UNINSTALL_ON_RESTART until the cluster restarts (edit, restart or start), as in
// Databricks; a restart installs the others again. Not thread-safe: the Workspace
// serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_LIBRARIES_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_LIBRARIES_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

inline constexpr absl::Duration kLibraryPendingTime = absl::Seconds(2);
inline constexpr absl::Duration kLibraryInstallTime = absl::Seconds(10);

class ClusterLibraries {
 public:
  explicit ClusterLibraries(double speed) : speed_(speed > 0 ? speed : 1.0) {}

  // "" when `libraries` is an array of Library objects (one of jar, whl, egg,
  // requirements, pypi.package, maven.coordinates, cran.package each), else the message.
  static std::string Check(const Json& libraries);

  // Requests `libraries` on cluster `id` (ones already requested are kept as they are).
  // `file_exists` decides whether a DBFS jar/whl/egg will install.
  void Install(const std::string& id, const Json& libraries, absl::Time now,
               const std::function<bool(const std::string&)>& file_exists);
  // Marks the named libraries UNINSTALL_ON_RESTART; unknown ones are ignored.
  void Uninstall(const std::string& id, const Json& libraries);
  // The cluster restarted at `now`: marked libraries go, the others install again.
  void Restart(const std::string& id);
  void Forget(const std::string& id) { by_cluster_.erase(id); }

  // The library_statuses array of cluster `id`; `running_since` is when the cluster
  // last became RUNNING, nullopt when it is not running.
  Json Statuses(const std::string& id, std::optional<absl::Time> running_since,
                absl::Time now) const;
  std::vector<std::string> Clusters() const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Entry {
    Json library;
    absl::Time requested;
    bool uninstall = false;
    std::string failure;  // set when it cannot install
  };
  double speed_;
  std::map<std::string, std::vector<Entry>> by_cluster_;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_LIBRARIES_H_
