// WorkspaceApi: Databricks Workspace API 2.0 (databricks-rest.md §4): notebooks and
// folders. Import/export use format SOURCE; content is raw bytes here and base64 on the
// wire. Stateless besides the client reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATABRICKS_WORKSPACE_API_H_
#define ENVCTL_CLOUD_DATABRICKS_WORKSPACE_API_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/databricks/databricks_client.h"

namespace envctl::cloud::databricks {

enum class Language { kPython, kScala, kSql, kR };
// "PYTHON", "SCALA", "SQL", "R".
const char* LanguageName(Language language);

struct ObjectInfo {
  std::string path;
  std::string object_type;  // NOTEBOOK | DIRECTORY | LIBRARY | FILE | REPO | DASHBOARD
  std::string language;     // notebooks only
  int64_t object_id = 0;
  int64_t size = 0;
  int64_t modified_at = 0;  // epoch ms, 0 when absent
};

class WorkspaceApi {
 public:
  explicit WorkspaceApi(const DatabricksClient& client);

  // POST workspace/import {format: SOURCE, language, content: base64, overwrite}.
  // AlreadyExists (RESOURCE_ALREADY_EXISTS) when it exists and !overwrite; NotFound when
  // the parent folder is missing (call Mkdirs first); InvalidArgument
  // (MAX_NOTEBOOK_SIZE_EXCEEDED over 10 MB, bad content).
  absl::Status ImportSource(const std::string& path, const std::string& content, Language language,
                            bool overwrite) const;
  // GET workspace/export?format=SOURCE: the notebook source bytes (with the
  // "# Databricks notebook source" header line). NotFound when absent.
  absl::StatusOr<std::string> ExportSource(const std::string& path) const;
  // GET workspace/get-status, or NotFound.
  absl::StatusOr<ObjectInfo> GetStatus(const std::string& path) const;
  // GET workspace/list: the folder's direct children (empty folder = empty list).
  // NotFound when the folder is missing.
  absl::StatusOr<std::vector<ObjectInfo>> List(const std::string& path) const;
  // POST workspace/mkdirs (with parents; existing is fine). AlreadyExists when a prefix is
  // a file or notebook.
  absl::Status Mkdirs(const std::string& path) const;
  // POST workspace/delete. NotFound when absent; FailedPrecondition
  // (DIRECTORY_NOT_EMPTY) for a non-empty folder without `recursive`.
  absl::Status Delete(const std::string& path, bool recursive) const;

 private:
  const DatabricksClient& client_;
};

ObjectInfo ParseObjectInfo(const nlohmann::json& j);

}  // namespace envctl::cloud::databricks

#endif  // ENVCTL_CLOUD_DATABRICKS_WORKSPACE_API_H_
