#include "reconcilers/databricks/notebooks_reconciler.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/workspace_api.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/parallel.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::Language;
using cloud::databricks::ObjectInfo;
using cloud::databricks::WorkspaceApi;

// Notebook imports in flight at once.
constexpr size_t kImportParallelism = 8;

struct DesiredNotebook {
  std::string path;  // workspace path
  Language language;
  const envctl::v1::SourceFile* file;
};

std::optional<Language> LanguageOf(const std::string& file) {
  if (absl::EndsWith(file, ".py")) return Language::kPython;
  if (absl::EndsWith(file, ".scala")) return Language::kScala;
  if (absl::EndsWith(file, ".sql")) return Language::kSql;
  if (absl::EndsWith(file, ".r") || absl::EndsWith(file, ".R")) return Language::kR;
  return std::nullopt;
}

std::string TargetFolder(const envctl::v1::DatabricksNotebooksSpec& spec) {
  std::string folder = spec.target_folder();
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  return folder;
}

std::vector<DesiredNotebook> DesiredNotebooks(const Context& ctx) {
  const std::string folder = TargetFolder(ctx.resource.databricks_notebooks());
  std::vector<DesiredNotebook> out;
  for (const auto& file : ctx.content.files()) {
    std::optional<Language> language = LanguageOf(file.path());
    if (!language) continue;  // other files are ignored
    const std::string stem = file.path().substr(0, file.path().rfind('.'));
    out.push_back({absl::StrCat(folder, "/", stem), *language, &file});
  }
  return out;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string FieldPath(const std::string& path) { return absl::StrCat("notebooks[", path, "]"); }

std::string ShortHash(const std::string& text) {
  return absl::StrCat("sha256:", Sha256Hex(text).substr(0, 12));
}

// Every object under `folder`, recursively (notebooks and files; folders are walked).
// An absent folder is an empty map and *exists = false.
absl::Status ListRecursive(const WorkspaceApi& api, const std::string& folder,
                           std::map<std::string, ObjectInfo>* out, bool* exists) {
  absl::StatusOr<std::vector<ObjectInfo>> children = api.List(folder);
  if (absl::IsNotFound(children.status())) {
    if (exists) *exists = false;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(Annotate(children.status(), absl::StrCat("listing ", folder)));
  if (exists) *exists = true;
  for (const ObjectInfo& o : *children) {
    if (o.object_type == "DIRECTORY") {
      RETURN_IF_ERROR(ListRecursive(api, o.path, out, nullptr));
    } else {
      (*out)[o.path] = o;
    }
  }
  return absl::OkStatus();
}

const nlohmann::json& Recorded(const PriorState& prior, const std::string& path) {
  static const nlohmann::json* none = new nlohmann::json();
  if (!prior.memory.is_object() || !prior.memory.contains("notebooks")) return *none;
  const nlohmann::json& nbs = prior.memory["notebooks"];
  if (!nbs.is_object() || !nbs.contains(path)) return *none;
  return nbs[path];
}

}  // namespace

std::string NormalizeNotebookSource(absl::string_view source) {
  std::string s = absl::StrReplaceAll(source, {{"\r\n", "\n"}});
  for (const char* header : {"# Databricks notebook source", "// Databricks notebook source",
                             "-- Databricks notebook source"}) {
    if (absl::StartsWith(s, header)) {
      const size_t eol = s.find('\n');
      s = eol == std::string::npos ? "" : s.substr(eol + 1);
      break;
    }
  }
  // Trailing whitespace per line, then leading/trailing blank lines.
  std::string out;
  for (absl::string_view line : absl::StrSplit(s, '\n')) {
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  absl::string_view trimmed = absl::StripAsciiWhitespace(out);
  return std::string(trimmed);
}

absl::StatusOr<Change> DatabricksNotebooksReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_notebooks();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  WorkspaceApi api(client);
  const std::string folder = TargetFolder(spec);

  std::map<std::string, ObjectInfo> live;
  bool folder_exists = false;
  // A workspace created in this pass has no folder of ours to list.
  if (!ctx.outputs.reads().CreatedInThisPass(spec.workspace())) {
    RETURN_IF_ERROR(ListRecursive(api, folder, &live, &folder_exists));
  }

  Change change;
  change.exists = folder_exists;
  nlohmann::json imports = nlohmann::json::array();
  nlohmann::json deletes = nlohmann::json::array();
  nlohmann::json same = nlohmann::json::object();
  std::set<std::string> declared;
  for (const DesiredNotebook& nb : DesiredNotebooks(ctx)) {
    declared.insert(nb.path);
    auto it = live.find(nb.path);
    if (it == live.end()) {
      change.fields.push_back({FieldPath(nb.path), "(none)", "(create)"});
      imports.push_back(nb.path);
      continue;
    }
    const ObjectInfo& info = it->second;
    const nlohmann::json& recorded = Recorded(ctx.prior, nb.path);
    if (info.object_type == "NOTEBOOK" && recorded.is_object() && info.modified_at != 0 &&
        recorded.value("modified_at", int64_t{-1}) == info.modified_at &&
        recorded.value("sha256", "") == nb.file->sha256()) {
      same[nb.path] = recorded;  // untouched since envctl wrote it
      continue;
    }
    const std::string want = NormalizeNotebookSource(nb.file->content());
    std::string have;
    if (info.object_type == "NOTEBOOK") {
      absl::StatusOr<std::string> exported = api.ExportSource(nb.path);
      RETURN_IF_ERROR(Annotate(exported.status(), absl::StrCat("exporting ", nb.path)));
      have = NormalizeNotebookSource(*exported);
      if (have == want) {
        same[nb.path] = {{"sha256", nb.file->sha256()}, {"modified_at", info.modified_at}};
        continue;
      }
    }
    change.fields.push_back({FieldPath(nb.path),
                             info.object_type == "NOTEBOOK"
                                 ? ShortHash(have)
                                 : absl::StrCat("(", info.object_type, ")"),
                             ShortHash(want)});
    imports.push_back(nb.path);
  }
  for (const auto& [path, info] : live) {
    if (declared.count(path) || info.object_type != "NOTEBOOK") continue;
    change.fields.push_back({FieldPath(path), "(exists)", "(delete: not in the repo)"});
    deletes.push_back(path);
  }
  change.observed = {{"imports", imports}, {"deletes", deletes}, {"same", same}};
  if (imports.empty() && deletes.empty()) {
    // In sync: the times seen now are the change poll's baseline (a notebook edited and
    // put back by hand has a new modified_at and the same content).
    change.memory = {{"notebooks", same}, {"workspaceUrl", url}};
    return change;
  }
  change.action = folder_exists ? Action::kUpdate : Action::kCreate;
  change.reason = absl::StrCat(imports.size(), " to import, ", deletes.size(), " to delete");
  return change;
}

absl::StatusOr<ApplyResult> DatabricksNotebooksReconciler::Apply(Context& ctx,
                                                                 const Change& change) {
  const auto& spec = ctx.resource.databricks_notebooks();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  WorkspaceApi api(client);
  const std::string folder = TargetFolder(spec);
  const nlohmann::json imports = change.observed.value("imports", nlohmann::json::array());
  const nlohmann::json deletes = change.observed.value("deletes", nlohmann::json::array());

  // Folders first (one request per folder), then every import at once: the imports are
  // independent, so their latencies and any Retry-After waits overlap instead of adding up.
  std::vector<DesiredNotebook> to_import;
  std::set<std::string> made;
  for (const DesiredNotebook& nb : DesiredNotebooks(ctx)) {
    if (std::find(imports.begin(), imports.end(), nb.path) == imports.end()) continue;
    const std::string parent = Parent(nb.path);
    if (made.insert(parent).second) {
      RETURN_IF_ERROR(Annotate(api.Mkdirs(parent), absl::StrCat("creating folder ", parent)));
    }
    to_import.push_back(nb);
  }
  absl::Status imported = RunParallel(to_import.size(), kImportParallelism, [&](size_t i) {
    const DesiredNotebook& nb = to_import[i];
    return Annotate(api.ImportSource(nb.path, nb.file->content(), nb.language, true),
                    absl::StrCat("importing ", nb.path));
  });
  RETURN_IF_ERROR(imported);
  for (const DesiredNotebook& nb : to_import) ctx.progress(absl::StrCat("imported ", nb.path));
  for (const auto& path : deletes) {
    absl::Status s = api.Delete(path.get<std::string>(), /*recursive=*/false);
    if (!s.ok() && !absl::IsNotFound(s))
      return Annotate(s, absl::StrCat("deleting ", path.get<std::string>()));
  }

  // Record what was written and when, so the next plan exports only what someone touched.
  // One attempt: a throttled service does not hold the dependents for it; without the
  // times (modified_at 0) the next plan compares content instead, once.
  cloud::SingleAttemptTransport once(transport_);
  DatabricksClient once_client(once, url);
  std::map<std::string, ObjectInfo> live;
  if (!ListRecursive(WorkspaceApi(once_client), folder, &live, nullptr).ok()) live.clear();
  nlohmann::json notebooks = nlohmann::json::object();
  for (const DesiredNotebook& nb : DesiredNotebooks(ctx)) {
    auto it = live.find(nb.path);
    notebooks[nb.path] = {{"sha256", nb.file->sha256()},
                          {"modified_at", it == live.end() ? 0 : it->second.modified_at}};
  }
  ApplyResult result;
  result.external_id = folder;
  result.memory = {{"notebooks", notebooks}, {"workspaceUrl", url}};
  return result;
}

absl::StatusOr<bool> DatabricksNotebooksReconciler::ChangedSinceApply(Context& ctx) {
  const nlohmann::json& memory = ctx.prior.memory;
  if (!memory.is_object() || !memory.contains("workspaceUrl") ||
      !memory["workspaceUrl"].is_string() || !memory.contains("notebooks") ||
      !memory["notebooks"].is_object()) {
    return absl::FailedPreconditionError("no workspace URL or notebook times recorded yet");
  }
  DatabricksClient client(transport_, memory["workspaceUrl"].get<std::string>());
  WorkspaceApi api(client);
  std::map<std::string, ObjectInfo> live;
  RETURN_IF_ERROR(
      ListRecursive(api, TargetFolder(ctx.resource.databricks_notebooks()), &live, nullptr));
  size_t notebooks = 0;
  for (const auto& [path, info] : live) {
    if (info.object_type != "NOTEBOOK") continue;
    ++notebooks;
    const nlohmann::json& recorded = Recorded(ctx.prior, path);
    if (!recorded.is_object() || recorded.value("modified_at", int64_t{-1}) != info.modified_at)
      return true;
  }
  return notebooks != memory["notebooks"].size();
}

absl::Status DatabricksNotebooksReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_notebooks();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  WorkspaceApi api(client);
  absl::Status s = api.Delete(TargetFolder(spec), /*recursive=*/true);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting folder ", TargetFolder(spec)));
}

}  // namespace envctl::reconcilers
