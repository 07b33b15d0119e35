#include "reconcilers/databricks/library_reconciler.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/workspace_ref.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::DbfsApi;
using cloud::databricks::FileInfo;

absl::StatusOr<const envctl::v1::SourceFile*> SourceOf(const Context& ctx) {
  const auto& spec = ctx.resource.databricks_library();
  if (ctx.content.files_size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat("library ", spec.source_file(),
                                                      ": expected its content to be loaded (",
                                                      ctx.content.files_size(), " files)"));
  }
  return &ctx.content.files(0);
}

std::string Short(const std::string& sha) { return absl::StrCat("sha256:", sha.substr(0, 12)); }

}  // namespace

absl::StatusOr<Change> DatabricksLibraryReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_library();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(const envctl::v1::SourceFile* file, SourceOf(ctx));
  DatabricksClient client(transport_, url);
  DbfsApi dbfs(client, block_size_);
  const std::string path = DbfsApiPath(spec.dbfs_path());
  const std::string& want = file->sha256();

  Change change;
  // A workspace created in this pass has no file of ours.
  absl::StatusOr<FileInfo> info =
      ctx.outputs.reads().ReadInside(spec.workspace(), [&] { return dbfs.GetStatus(path); });
  if (absl::IsNotFound(info.status())) {
    change.action = Action::kCreate;
    change.reason = "file does not exist";
    change.fields.push_back({"content", "(none)", Short(want)});
    return change;
  }
  RETURN_IF_ERROR(Annotate(info.status(), absl::StrCat("reading status of ", spec.dbfs_path())));
  change.exists = true;
  if (info->is_dir) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec.dbfs_path(), " is a DBFS directory; dbfsPath must name a file"));
  }
  const nlohmann::json& mem = ctx.prior.memory;
  const bool untouched = mem.is_object() && mem.value("sha256", "") == want &&
                         mem.value("size", int64_t{-1}) == info->file_size &&
                         mem.value("mtime", int64_t{-1}) == info->modification_time;
  if (untouched) return change;
  std::string have;
  if (info->file_size != static_cast<int64_t>(file->content().size())) {
    have = absl::StrCat("(", info->file_size, " bytes)");
  } else {
    // Same size, but moved since our upload (or never uploaded by us): compare content.
    ASSIGN_OR_RETURN(std::string content,
                     WithContext(dbfs.ReadAll(path), absl::StrCat("reading ", spec.dbfs_path())));
    const std::string sha = Sha256Hex(content);
    if (sha == want) return change;
    have = Short(sha);
  }
  change.action = Action::kUpdate;
  change.reason = "content differs";
  change.fields.push_back({"content", have, Short(want)});
  return change;
}

absl::StatusOr<ApplyResult> DatabricksLibraryReconciler::Apply(Context& ctx, const Change& change) {
  (void)change;
  const auto& spec = ctx.resource.databricks_library();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(const envctl::v1::SourceFile* file, SourceOf(ctx));
  DatabricksClient client(transport_, url);
  DbfsApi dbfs(client, block_size_);
  const std::string path = DbfsApiPath(spec.dbfs_path());
  RETURN_IF_ERROR(
      Annotate(dbfs.Put(path, file->content(), /*overwrite=*/true),
               absl::StrCat("uploading ", spec.source_file(), " to ", spec.dbfs_path())));
  ASSIGN_OR_RETURN(
      FileInfo info,
      WithContext(dbfs.GetStatus(path), absl::StrCat("reading status of ", spec.dbfs_path())));
  ApplyResult result;
  result.external_id = spec.dbfs_path();
  result.memory = {
      {"sha256", file->sha256()}, {"size", info.file_size}, {"mtime", info.modification_time}};
  return result;
}

absl::Status DatabricksLibraryReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_library();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  DbfsApi dbfs(client, block_size_);
  absl::Status s = dbfs.Delete(DbfsApiPath(spec.dbfs_path()), /*recursive=*/false);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting ", spec.dbfs_path()));
}

}  // namespace envctl::reconcilers
