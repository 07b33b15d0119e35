// PermissionStore: object access control lists of the Permissions API 2.0
// (GET/PUT/PATCH /api/2.0/permissions/{clusters,cluster-policies,jobs,notebooks,
// directories}/{id}, and .../permissionLevels). Direct entries are stored per object;
// GET adds what Databricks shows besides them: the owner (jobs: IS_OWNER, clusters: the
// creator's CAN_MANAGE), entries inherited from parent directories (notebooks and
// directories) and the `admins` group's inherited CAN_MANAGE. PUT replaces the direct
// entries (a job keeps its owner unless the body names a new IS_OWNER); PATCH replaces the
// levels of the principals it names. Levels are checked per object type.
// Not thread-safe: the Workspace serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_PERMISSIONS_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_PERMISSIONS_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

// What the permissions handlers need to know about an object.
struct AclObject {
  std::string object_id;    // "/jobs/123", "/notebooks/1000000000000004", ...
  std::string object_type;  // "job", "cluster", "cluster-policy", "notebook", "directory"
  std::string owner;        // creator (jobs, clusters); "" for others
  // Permission keys ("directories/<id>") of the parents it inherits from, nearest first.
  std::vector<std::string> parents;
};
// Looks an object up by URL type ("jobs") and id; nullopt when it does not exist.
using AclResolver =
    std::function<std::optional<AclObject>(const std::string& type, const std::string& id)>;

class PermissionStore {
 public:
  // Handles "permissions/<type>/<id>[/permissionLevels]".
  Response Handle(const Call& call, bool* mutated, const AclResolver& resolve);

  // Drops the ACL of a deleted object.
  void Forget(const std::string& type, const std::string& id);

  // Whether `principal` (a user or service principal name) holds one of `levels` on the
  // object, directly or inherited from a parent. Group membership is not modelled.
  bool Holds(const std::string& type, const std::string& id, const std::string& principal,
             const std::set<std::string>& levels, const AclResolver& resolve) const;

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Entry {
    std::string kind;  // user_name, group_name, service_principal_name
    std::string name;
    std::string level;
  };
  Json Describe(const std::string& key, const AclObject& object, const AclResolver& resolve) const;

  std::map<std::string, std::vector<Entry>> acls_;  // "jobs/123" -> direct entries
  std::map<std::string, std::string> owners_;       // "jobs/123" -> user set as IS_OWNER
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_PERMISSIONS_H_
