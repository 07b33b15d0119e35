#include "cloud/databricks/workspace_api.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace envctl::cloud::databricks {

const char* LanguageName(Language language) {
  switch (language) {
    case Language::kPython:
      return "PYTHON";
    case Language::kScala:
      return "SCALA";
    case Language::kSql:
      return "SQL";
    case Language::kR:
      return "R";
  }
  return "PYTHON";
}

ObjectInfo ParseObjectInfo(const nlohmann::json& j) {
  ObjectInfo info;
  info.path = JsonString(j, "path");
  info.object_type = JsonString(j, "object_type");
  info.language = JsonString(j, "language");
  info.object_id = JsonInt(j, "object_id");
  info.size = JsonInt(j, "size");
  info.modified_at = JsonInt(j, "modified_at");
  return info;
}

WorkspaceApi::WorkspaceApi(const DatabricksClient& client) : client_(client) {}

absl::Status WorkspaceApi::ImportSource(const std::string& path, const std::string& content,
                                        Language language, bool overwrite) const {
  nlohmann::json body = {{"path", path},
                         {"format", "SOURCE"},
                         {"language", LanguageName(language)},
                         {"content", absl::Base64Escape(content)},
                         {"overwrite", overwrite}};
  PostOptions options;
  // With overwrite a repeat is harmless; without it a repeat answers ALREADY_EXISTS.
  options.idempotent = overwrite;
  return Annotate(client_.Post("/api/2.0/workspace/import", body, options).status(),
                  absl::StrCat("importing notebook ", path));
}

absl::StatusOr<std::string> WorkspaceApi::ExportSource(const std::string& path) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/workspace/export",
                                                    {{"path", path}, {"format", "SOURCE"}}));
  std::string decoded;
  if (!absl::Base64Unescape(JsonString(body, "content"), &decoded)) {
    return absl::InternalError(
        absl::StrCat("Databricks export of ", path, ": content is not valid base64"));
  }
  return decoded;
}

absl::StatusOr<ObjectInfo> WorkspaceApi::GetStatus(const std::string& path) const {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   client_.Get("/api/2.0/workspace/get-status", {{"path", path}}));
  return ParseObjectInfo(body);
}

absl::StatusOr<std::vector<ObjectInfo>> WorkspaceApi::List(const std::string& path) const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/workspace/list", {{"path", path}}));
  std::vector<ObjectInfo> out;
  for (const auto& o : JsonArray(body, "objects")) out.push_back(ParseObjectInfo(o));
  return out;
}

absl::Status WorkspaceApi::Mkdirs(const std::string& path) const {
  PostOptions options;
  options.idempotent = true;
  return client_.Post("/api/2.0/workspace/mkdirs", {{"path", path}}, options).status();
}

absl::Status WorkspaceApi::Delete(const std::string& path, bool recursive) const {
  PostOptions options;
  options.idempotent = true;
  return client_
      .Post("/api/2.0/workspace/delete", {{"path", path}, {"recursive", recursive}}, options)
      .status();
}

}  // namespace envctl::cloud::databricks
