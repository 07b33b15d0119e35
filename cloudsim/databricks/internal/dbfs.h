// Dbfs: the workspace's DBFS file system and the DBFS API 2.0 handlers (put, streaming
// create/add-block/close with 10-minute idle handles, read, get-status, list, mkdirs,
// move, delete). Paths are accepted as "/x" and "dbfs:/x". Not thread-safe: the
// Workspace serializes access under its lock.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_DBFS_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_DBFS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloudsim/databricks/internal/api.h"

namespace envctl::cloudsim::databricks {

class Dbfs {
 public:
  Dbfs();

  // "/x" for "dbfs:/x" or "/x"; nullopt for anything else.
  static std::optional<std::string> Normalize(const std::string& path);

  // True when a regular file exists at `path` (either form).
  bool FileExists(const std::string& path) const;

  // True when a file or directory exists at `path` (either form).
  bool PathExists(const std::string& path) const;
  // What a Spark write leaves at `path`: a directory holding `_SUCCESS` and one part file,
  // replacing whatever was there (mode "overwrite").
  void WriteDataset(const std::string& path, int64_t now_ms);

  // Handles "dbfs/<verb>"; sets *mutated when the file system changed.
  Response Handle(const Call& call, bool* mutated);

  Json Save() const;
  absl::Status Load(const Json& state);

 private:
  struct Node {
    bool is_dir = false;
    std::string data;
    int64_t mtime = 0;  // epoch ms
  };
  struct Upload {
    std::string path;
    bool overwrite = false;
    std::string data;
    absl::Time last_used;
  };

  Json Info(const std::string& path, const Node& n) const;
  bool HasChildren(const std::string& dir) const;
  std::optional<Response> MakeDirs(const std::string& dir, int64_t now_ms);
  // Writes a file (creating parent directories); error response on conflicts.
  std::optional<Response> Write(const std::string& path, std::string data, bool overwrite,
                                int64_t now_ms);
  void ExpireHandles(absl::Time now);
  Response Put(const Call& call, bool* mutated);
  Response Create(const Call& call, bool* mutated);
  Response AddBlock(const Call& call, bool* mutated);
  Response Close(const Call& call, bool* mutated);
  Response Read(const Call& call);
  Response GetStatus(const Call& call);
  Response List(const Call& call);
  Response Mkdirs(const Call& call, bool* mutated);
  Response Move(const Call& call, bool* mutated);
  Response Delete(const Call& call, bool* mutated);

  std::map<std::string, Node> nodes_;  // keyed by normalized path; "/" always present
  std::map<int64_t, Upload> uploads_;
  int64_t next_handle_ = 7340032001;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_DBFS_H_
