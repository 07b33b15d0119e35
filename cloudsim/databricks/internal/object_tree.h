// ObjectTree: the workspace file tree (directories, notebooks, workspace files) and the
// Workspace API 2.0 handlers over it (get-status, list, mkdirs, import, export, delete).
// Notebooks are stored without their SOURCE header line. Not thread-safe: the Workspace
// serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_OBJECT_TREE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_OBJECT_TREE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

class ObjectTree {
 public:
  struct Object {
    std::string type;      // DIRECTORY, NOTEBOOK, FILE
    std::string language;  // notebooks only
    std::string content;   // notebook body (no header) or file bytes
    int64_t object_id = 0;
    int64_t created_at = 0;  // epoch ms
    int64_t modified_at = 0;
  };

  explicit ObjectTree(absl::Time now);

  // Canonical form of a workspace path: absolute, no trailing '/', "/Workspace" prefix
  // removed. nullopt when `path` is not absolute.
  static std::optional<std::string> Normalize(const std::string& path);

  // The object at `path` (any form Normalize accepts), or null.
  const Object* Find(const std::string& path) const;
  // The normalized path of the object with `object_id` (the Permissions API addresses
  // notebooks and directories by id), or nullopt.
  std::optional<std::string> PathOfId(int64_t object_id) const;

  // Handles "workspace/<verb>"; sets *mutated when the tree changed.
  Response Handle(const Call& call, bool* mutated);

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  Json Info(const std::string& path, const Object& o) const;
  bool HasChildren(const std::string& dir) const;
  Response GetStatus(const Call& call);
  Response List(const Call& call);
  Response Mkdirs(const Call& call, bool* mutated);
  Response Import(const Call& call, bool* mutated);
  Response Export(const Call& call);
  Response Delete(const Call& call, bool* mutated);
  // Creates `dir` and its missing parents; error response when a prefix is not a directory.
  std::optional<Response> MakeDirs(const std::string& dir, int64_t now_ms, bool* mutated);

  std::map<std::string, Object> objects_;  // keyed by normalized path; "/" always present
  int64_t next_object_id_ = 1000000000000001;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_OBJECT_TREE_H_
