// ComputeStore: all-purpose clusters (Clusters API 2.0/2.1: create, edit, get, list, start,
// delete = terminate, permanent-delete) and cluster policies (Cluster Policies API 2.0:
// create, edit, get, list, delete) and the Libraries API 2.0 on those clusters. A
// cluster's state is derived lazily from the clock: create/start go PENDING -> RUNNING,
// an edit or restart of a running cluster RESTARTING -> RUNNING, delete TERMINATING ->
// TERMINATED, and a running cluster with autotermination_minutes set terminates after
// that much idle time (no run active on it); phase lengths are simulated seconds divided
// by `speed`. Editing a cluster that is PENDING, RESTARTING or TERMINATING is 400
// INVALID_STATE. A cluster (or job cluster) that names a policy must comply with the
// policy's definition (fixed, forbidden, allowlist, blocklist, range, unlimited).
// Not thread-safe: the Workspace serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_COMPUTE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_COMPUTE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/internal/api.h"
#include "cloudsim/databricks/internal/libraries.h"

namespace envctl::cloudsim::databricks {

inline constexpr absl::Duration kClusterStartTime = absl::Seconds(30);
inline constexpr absl::Duration kClusterTerminateTime = absl::Seconds(10);

// What the compute store asks of the rest of the workspace.
struct ComputeEnv {
  // When cluster `id` was last busy: `now` while a run is active on it, else the end of
  // its last run; nullopt when no run ever used it. Null = never busy.
  std::function<std::optional<absl::Time>(const std::string& id, absl::Time now)> last_activity;
  // True when a regular DBFS file exists at the path (for jar/whl/egg libraries).
  std::function<bool(const std::string& path)> dbfs_file_exists;
};

class ComputeStore {
 public:
  explicit ComputeStore(double speed) : speed_(speed > 0 ? speed : 1.0), libraries_(speed_) {}

  // Installs the workspace callbacks (kept across Load()).
  void SetEnv(ComputeEnv env) { env_ = std::move(env); }

  // Handles "clusters/<verb>", "policies/clusters/<verb>" and "libraries/<verb>". `on_delete(type,
  // id)` is called for an object removed for good ("clusters" or "cluster-policies") so its ACL
  // goes too.
  Response Handle(const Call& call, bool* mutated,
                  const std::function<void(const std::string&, const std::string&)>& on_delete);

  bool HasCluster(const std::string& id) const { return clusters_.count(id) > 0; }
  bool HasPolicy(const std::string& id) const { return policies_.count(id) > 0; }
  std::string ClusterCreator(const std::string& id) const;

  // "" when `cluster` (a new_cluster / cluster spec) complies with its policy_id's
  // definition (or names none); else the INVALID_PARAMETER_VALUE message. Fixed values
  // the cluster leaves out are filled in.
  std::string ApplyPolicy(Json* cluster) const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Cluster {
    std::string id;
    std::string creator;
    Json spec;               // as created or last edited (policy fixed values filled)
    std::string state;       // stable or transitional state at `since`
    absl::Time since;        // when `state` began
    int64_t start_time = 0;  // epoch ms of creation
    int64_t terminated_time = 0;
    std::string termination_code = "USER_REQUEST";  // or INACTIVITY
  };
  struct Policy {
    std::string id;
    std::string name;
    std::string definition;  // the policy language, as a JSON string
    std::string description;
    int64_t max_clusters_per_user = -1;  // -1: unset
    std::string creator;
    int64_t created_at = 0;
  };

  // Moves `c` through its transitions up to `now`.
  // (Autotermination counts idle time from the later of RUNNING and the last run.)
  void Settle(Cluster& c, absl::Time now) const;
  // Puts a cluster into `state` (PENDING or RESTARTING) at `now`: pending library
  // uninstalls take effect, installed libraries install again.
  void Restart(Cluster& c, const std::string& state, absl::Time now);
  Response LibrariesCall(const Call& call, bool* mutated);
  Json ClusterJson(const Cluster& c, absl::Time now) const;
  Json PolicyJson(const Policy& p) const;
  // Validates a cluster spec for create/edit (fills policy defaults); error or nullopt.
  std::optional<Response> CheckClusterSpec(Json* spec) const;
  Cluster* FindCluster(const Call& call, Response* error);

  Response CreateCluster(const Call& call, bool* mutated);
  Response EditCluster(const Call& call, bool* mutated);
  Response GetCluster(const Call& call);
  Response ListClusters(const Call& call);
  Response StartCluster(const Call& call, bool* mutated);
  Response TerminateCluster(const Call& call, bool* mutated);
  Response RestartCluster(const Call& call, bool* mutated);
  Response PolicyCall(const Call& call, bool* mutated,
                      const std::function<void(const std::string&, const std::string&)>& on_delete);

  double speed_;
  ComputeEnv env_;
  ClusterLibraries libraries_;
  std::map<std::string, Cluster> clusters_;
  std::map<std::string, Policy> policies_;
  int64_t next_cluster_ = 1;
  int64_t next_policy_ = 1;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_COMPUTE_H_
