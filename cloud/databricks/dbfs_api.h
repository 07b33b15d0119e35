// DbfsApi: Databricks DBFS API 2.0 (databricks-rest.md §6). Put() sends files up to one
// block inline and streams bigger ones with create / add-block / close in blocks of at
// most 1 MB of raw data; ReadAll() reads in 1 MB windows. Data is raw bytes here and
// base64 on the wire. Stateless besides the client reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_DBFS_API_H_
#define ENVCTL_CLOUD_DATABRICKS_DBFS_API_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::cloud::databricks {

// DBFS's limit for inline put contents, one add-block and one read.
inline constexpr size_t kDbfsMaxBlockBytes = 1 << 20;

struct FileInfo {
  std::string path;
  bool is_dir = false;
  int64_t file_size = 0;
  int64_t modification_time = 0;  // epoch ms
};

class DbfsApi {
 public:
  // `block_size` (≤ 1 MB) is the inline/streaming threshold and the add-block size.
  explicit DbfsApi(const DatabricksClient& client, size_t block_size = kDbfsMaxBlockBytes);

  // Writes `contents` to `path`: one dbfs/put when it fits a block, else create, one
  // add-block per block, close. AlreadyExists when the file exists and !overwrite. If a
  // block fails the handle is left open (it expires; the partial file never becomes
  // visible) and the error names the block.
  absl::Status Put(const std::string& path, const std::string& contents, bool overwrite) const;
  // The streaming primitives: create → handle; add-block (≤ 1 MB raw); close.
  absl::StatusOr<int64_t> Create(const std::string& path, bool overwrite) const;
  absl::Status AddBlock(int64_t handle, const std::string& data) const;
  absl::Status Close(int64_t handle) const;

  // GET dbfs/read: up to `length` (≤ 1 MB) bytes from `offset` (fewer at the end).
  // NotFound when absent; InvalidArgument for a directory.
  absl::StatusOr<std::string> Read(const std::string& path, int64_t offset, int64_t length) const;
  // The whole file, read block by block.
  absl::StatusOr<std::string> ReadAll(const std::string& path) const;
  // GET dbfs/get-status, or NotFound.
  absl::StatusOr<FileInfo> GetStatus(const std::string& path) const;
  // GET dbfs/list: a folder's children (empty folder = empty list; a file lists itself).
  absl::StatusOr<std::vector<FileInfo>> List(const std::string& path) const;
  // POST dbfs/delete. A non-empty folder without `recursive` fails (IO_ERROR).
  absl::Status Delete(const std::string& path, bool recursive) const;
  // POST dbfs/mkdirs (with parents). AlreadyExists when a prefix is a file.
  absl::Status Mkdirs(const std::string& path) const;

 private:
  const DatabricksClient& client_;
  const size_t block_size_;
};

FileInfo ParseFileInfo(const nlohmann::json& j);

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_DBFS_API_H_
