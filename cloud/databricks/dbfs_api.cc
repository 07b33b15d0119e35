#include "cloud/databricks/dbfs_api.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace envctl::cloud::databricks {

FileInfo ParseFileInfo(const nlohmann::json& j) {
  FileInfo info;
  info.path = JsonString(j, "path");
  info.is_dir = JsonBool(j, "is_dir");
  info.file_size = JsonInt(j, "file_size");
  info.modification_time = JsonInt(j, "modification_time");
  return info;
}

DbfsApi::DbfsApi(const DatabricksClient& client, size_t block_size)
    : client_(client), block_size_(std::clamp<size_t>(block_size, 1, kDbfsMaxBlockBytes)) {}

absl::Status DbfsApi::Put(const std::string& path, const std::string& contents,
                          bool overwrite) const {
  if (contents.size() <= block_size_) {
    PostOptions options;
    options.idempotent = overwrite;
    return client_
        .Post(
            "/api/2.0/dbfs/put",
            {{"path", path}, {"contents", absl::Base64Escape(contents)}, {"overwrite", overwrite}},
            options)
        .status();
  }
  ASSIGN_OR_RETURN(int64_t handle, Create(path, overwrite));
  const size_t blocks = (contents.size() + block_size_ - 1) / block_size_;
  for (size_t i = 0; i < blocks; ++i) {
    const std::string block = contents.substr(i * block_size_, block_size_);
    RETURN_IF_ERROR(Annotate(AddBlock(handle, block),
                             absl::StrCat("uploading ", path, " block ", i + 1, " of ", blocks)));
  }
  return Close(handle);
}

absl::StatusOr<int64_t> DbfsApi::Create(const std::string& path, bool overwrite) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Post("/api/2.0/dbfs/create",
                                                     {{"path", path}, {"overwrite", overwrite}}));
  if (!body.is_object() || !body.contains("handle")) {
    return absl::InternalError(
        absl::StrCat("Databricks dbfs/create of ", path, ": response has no handle"));
  }
  return JsonInt(body, "handle");
}

absl::Status DbfsApi::AddBlock(int64_t handle, const std::string& data) const {
  // Not idempotent: a repeated block would be appended twice.
  return client_
      .Post("/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", absl::Base64Escape(data)}})
      .status();
}

absl::Status DbfsApi::Close(int64_t handle) const {
  return client_.Post("/api/2.0/dbfs/close", {{"handle", handle}}).status();
}

absl::StatusOr<std::string> DbfsApi::Read(const std::string& path, int64_t offset,
                                          int64_t length) const {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   client_.Get("/api/2.0/dbfs/read", {{"path", path},
                                                      {"offset", std::to_string(offset)},
                                                      {"length", std::to_string(length)}}));
  std::string decoded;
  if (!absl::Base64Unescape(JsonString(body, "data"), &decoded)) {
    return absl::InternalError(
        absl::StrCat("Databricks dbfs/read of ", path, ": data is not valid base64"));
  }
  return decoded;
}

absl::StatusOr<std::string> DbfsApi::ReadAll(const std::string& path) const {
  ASSIGN_OR_RETURN(FileInfo info, GetStatus(path));
  std::string out;
  const int64_t window = static_cast<int64_t>(block_size_);
  // Bounded by the size reported up front (plus one read to see the end).
  while (static_cast<int64_t>(out.size()) < info.file_size) {
    ASSIGN_OR_RETURN(std::string chunk, Read(path, static_cast<int64_t>(out.size()), window));
    if (chunk.empty()) break;
    out += chunk;
  }
  return out;
}

absl::StatusOr<FileInfo> DbfsApi::GetStatus(const std::string& path) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/dbfs/get-status", {{"path", path}}));
  return ParseFileInfo(body);
}

absl::StatusOr<std::vector<FileInfo>> DbfsApi::List(const std::string& path) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/dbfs/list", {{"path", path}}));
  std::vector<FileInfo> out;
  for (const auto& f : JsonArray(body, "files")) out.push_back(ParseFileInfo(f));
  return out;
}

absl::Status DbfsApi::Delete(const std::string& path, bool recursive) const {
  PostOptions options;
  options.idempotent = true;
  return client_.Post("/api/2.0/dbfs/delete", {{"path", path}, {"recursive", recursive}}, options)
      .status();
}

absl::Status DbfsApi::Mkdirs(const std::string& path) const {
  PostOptions options;
  options.idempotent = true;
  return client_.Post("/api/2.0/dbfs/mkdirs", {{"path", path}}, options).status();
}

}  // namespace envctl::cloud::databricks
