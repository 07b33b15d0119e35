#include "reconcilers/databricks/permissions_reconciler.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/jobs_listing.h"
#include "reconcilers/databricks/workspace_ref.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using nlohmann::json;

// "group:data-engineers" <-> the API's principal field.
const std::map<std::string, std::string>& PrincipalFields() {
  static const auto* fields =
      new std::map<std::string, std::string>{{"user", "user_name"},
                                             {"group", "group_name"},
                                             {"servicePrincipal", "service_principal_name"}};
  return *fields;
}

std::string KeyOf(const envctl::v1::DatabricksPermissionEntry& e) {
  if (!e.user().empty()) return "user:" + e.user();
  if (!e.group().empty()) return "group:" + e.group();
  return "servicePrincipal:" + e.service_principal();
}

json EntryJson(const std::string& key, const std::string& level) {
  const size_t colon = key.find(':');
  return {{PrincipalFields().at(key.substr(0, colon)), key.substr(colon + 1)},
          {"permission_level", level}};
}

// Direct (not inherited) levels per principal key, from a GET answer.
std::map<std::string, std::set<std::string>> DirectLevels(const json& acl) {
  std::map<std::string, std::set<std::string>> out;
  for (const json& entry : cloud::databricks::JsonArray(acl, "access_control_list")) {
    std::string key;
    for (const auto& [kind, field] : PrincipalFields()) {
      if (entry.contains(field) && entry[field].is_string())
        key = kind + ":" + entry[field].get<std::string>();
    }
    if (key.empty()) continue;
    for (const json& p : cloud::databricks::JsonArray(entry, "all_permissions")) {
      if (p.value("inherited", false)) continue;
      out[key].insert(p.value("permission_level", ""));
    }
  }
  return out;
}

std::string Levels(const std::set<std::string>& levels) {
  return levels.empty() ? "(none)" : absl::StrJoin(levels, ",");
}

// "/api/2.0/permissions/<type>/<id>" of the object the spec names.
absl::StatusOr<std::string> ObjectPath(const Context& ctx, const DatabricksClient& client) {
  const auto& s = ctx.resource.databricks_permissions();
  if (!s.job().empty()) {
    ASSIGN_OR_RETURN(std::string id, RequireOutput(ctx.outputs, s.job(), "jobId"));
    return absl::StrCat("/api/2.0/permissions/jobs/", id);
  }
  if (!s.cluster().empty()) {
    ASSIGN_OR_RETURN(std::string id, RequireOutput(ctx.outputs, s.cluster(), "clusterId"));
    return absl::StrCat("/api/2.0/permissions/clusters/", id);
  }
  if (!s.cluster_policy().empty()) {
    ASSIGN_OR_RETURN(std::string id, RequireOutput(ctx.outputs, s.cluster_policy(), "policyId"));
    return absl::StrCat("/api/2.0/permissions/cluster-policies/", id);
  }
  std::string path;
  const char* type = "notebooks";
  if (s.has_notebook()) {
    ASSIGN_OR_RETURN(path, NotebookPathOf(ctx.environment, s.notebook()));
  } else {
    const envctl::v1::Resource* r = FindResource(ctx.environment, s.directory());
    if (r == nullptr || !r->has_databricks_notebooks()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", s.directory(), "\" is not a DatabricksNotebooks resource"));
    }
    path = r->databricks_notebooks().target_folder();
    type = "directories";
  }
  absl::StatusOr<json> status = client.Get("/api/2.0/workspace/get-status", {{"path", path}});
  if (absl::IsNotFound(status.status())) {
    return KnownAfterApplyError(absl::StrCat(path, " is not deployed yet (known after apply)"));
  }
  RETURN_IF_ERROR(Annotate(status.status(), absl::StrCat("reading ", path)));
  return absl::StrCat("/api/2.0/permissions/", type, "/",
                      cloud::databricks::JsonInt(*status, "object_id"));
}

std::set<std::string> PreviouslyManaged(const PriorState& prior) {
  std::set<std::string> out;
  if (!prior.memory.is_object() || !prior.memory.contains("managed")) return out;
  for (const json& k : prior.memory["managed"]) {
    if (k.is_string()) out.insert(k.get<std::string>());
  }
  return out;
}

constexpr char kJobsPrefix[] = "/api/2.0/permissions/jobs/";

// The job id of a "/api/2.0/permissions/jobs/<id>" object, "" for other objects.
std::string JobOf(const std::string& object) {
  return absl::StartsWith(object, kJobsPrefix) ? object.substr(sizeof(kJobsPrefix) - 1) : "";
}

// The change poll's hint for a job's permissions: the job's settings hash as its reconciler
// read or wrote it in this pass (a plan: the job goes first, it is a dependency), else from
// this pass's listing ("" when the job is not listed). Not a job: "" without a read.
absl::StatusOr<std::string> HintOf(cloud::HttpTransport& transport, Context& ctx,
                                   const std::string& url, const std::string& object) {
  const std::string job = JobOf(object);
  if (job.empty()) return std::string();
  if (std::optional<json> known = ctx.outputs.reads().Recall(JobHashKey(url, job));
      known && known->is_string()) {
    return known->get<std::string>();
  }
  ASSIGN_OR_RETURN(json hashes, ListedJobHashes(transport, ctx.outputs.reads(), url));
  return hashes.contains(job) ? hashes[job].get<std::string>() : std::string();
}

json Memory(const json& managed, const std::string& object, const std::string& url,
            const std::string& hint) {
  json memory = {{"managed", managed}, {"object", object}, {"workspaceUrl", url}};
  if (!hint.empty()) memory["hint"] = hint;
  return memory;
}

}  // namespace

absl::StatusOr<Change> DatabricksPermissionsReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_permissions();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  Change change;
  absl::StatusOr<std::string> object = ObjectPath(ctx, client);
  if (IsKnownAfterApply(object.status())) {
    // The object itself is created in this apply: every entry is new.
    change.action = Action::kCreate;
    change.reason = "object does not exist yet";
    for (const auto& e : spec.access())
      change.fields.push_back({KeyOf(e), "(none)", RenderValue(e.level())});
    return change;
  }
  RETURN_IF_ERROR(object.status());
  absl::StatusOr<json> acl = client.Get(*object);
  RETURN_IF_ERROR(Annotate(acl.status(), absl::StrCat("reading permissions of ", *object)));
  change.exists = true;
  const auto live = DirectLevels(*acl);
  std::map<std::string, std::string> desired;
  for (const auto& e : spec.access()) desired[KeyOf(e)] = e.level();
  std::set<std::string> managed = PreviouslyManaged(ctx.prior);
  for (const auto& [k, level] : desired) managed.insert(k);
  for (const std::string& key : managed) {
    auto want = desired.find(key);
    std::set<std::string> want_levels;
    if (want != desired.end()) want_levels.insert(want->second);
    auto have = live.find(key);
    std::set<std::string> have_levels = have == live.end() ? std::set<std::string>() : have->second;
    if (want_levels != have_levels) {
      change.fields.push_back({absl::StrCat("access.", key), RenderValue(Levels(have_levels)),
                               RenderValue(Levels(want_levels))});
    }
  }
  std::vector<std::string> unmanaged;
  for (const auto& [key, levels] : live) {
    if (!managed.count(key)) unmanaged.push_back(absl::StrCat(key, "=", Levels(levels)));
  }
  ASSIGN_OR_RETURN(std::string hint, HintOf(transport_, ctx, url, *object));
  change.observed = {{"object", *object}, {"hint", hint}};
  if (change.fields.empty()) {
    json keys = json::array();
    for (const auto& [k, level] : desired) keys.push_back(k);
    change.memory = Memory(keys, *object, url, hint);
    return change;
  }
  change.action = Action::kUpdate;
  change.reason = "managed permissions differ";
  if (!unmanaged.empty()) {
    absl::StrAppend(&change.reason,
                    "; kept as they are (not managed by envctl): ", absl::StrJoin(unmanaged, ", "));
  }
  return change;
}

absl::StatusOr<ApplyResult> DatabricksPermissionsReconciler::Apply(Context& ctx,
                                                                   const Change& change) {
  const auto& spec = ctx.resource.databricks_permissions();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  ASSIGN_OR_RETURN(std::string object, ObjectPath(ctx, client));
  ASSIGN_OR_RETURN(
      json acl, WithContext(client.Get(object), absl::StrCat("reading permissions of ", object)));
  std::set<std::string> managed = PreviouslyManaged(ctx.prior);
  json list = json::array();
  std::set<std::string> now_managed;  // sorted, as an in-sync plan records it
  for (const auto& e : spec.access()) {
    managed.insert(KeyOf(e));
    now_managed.insert(KeyOf(e));
    list.push_back(EntryJson(KeyOf(e), e.level()));
  }
  for (const auto& [key, levels] : DirectLevels(acl)) {
    if (managed.count(key)) continue;
    for (const std::string& level : levels) list.push_back(EntryJson(key, level));
  }
  RETURN_IF_ERROR(Annotate(client.Send("PUT", object, {{"access_control_list", list}}).status(),
                           absl::StrCat("setting permissions of ", object)));
  ApplyResult result;
  result.external_id = object;
  // Writing an ACL leaves the job's settings alone: the hint Plan read still holds. A job
  // created in this pass had none when planned: read it now.
  std::string hint = change.observed.value("hint", "");
  if (hint.empty()) {
    if (absl::StatusOr<std::string> h = HintOf(transport_, ctx, url, object); h.ok()) hint = *h;
  }
  result.memory = Memory(json(now_managed), object, url, hint);
  return result;
}

absl::StatusOr<bool> DatabricksPermissionsReconciler::ChangedSinceApply(Context& ctx) {
  const json& memory = ctx.prior.memory;
  const std::string object = cloud::databricks::JsonString(memory, "object");
  if (!object.empty() && JobOf(object).empty()) {
    return absl::UnimplementedError("only a job's permissions have a change hint");
  }
  const std::string url = cloud::databricks::JsonString(memory, "workspaceUrl");
  const std::string recorded = cloud::databricks::JsonString(memory, "hint");
  if (object.empty() || url.empty() || recorded.empty()) {
    return absl::FailedPreconditionError("no job or hint recorded yet");
  }
  ASSIGN_OR_RETURN(std::string hint, HintOf(transport_, ctx, url, object));
  // The job was edited, recreated or deleted since the permissions were last looked at:
  // plan them now (one permissions read). Otherwise nothing is read.
  return hint != recorded;
}

absl::Status DatabricksPermissionsReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_permissions();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  absl::StatusOr<std::string> object = ObjectPath(ctx, client);
  // The object is gone (pruned with it, or never deployed): nothing to revoke.
  if (IsKnownAfterApply(object.status()) || absl::IsNotFound(object.status()))
    return absl::OkStatus();
  RETURN_IF_ERROR(object.status());
  absl::StatusOr<json> acl = client.Get(*object);
  if (absl::IsNotFound(acl.status())) return absl::OkStatus();
  RETURN_IF_ERROR(Annotate(acl.status(), absl::StrCat("reading permissions of ", *object)));
  std::set<std::string> managed = PreviouslyManaged(ctx.prior);
  for (const auto& e : spec.access()) managed.insert(KeyOf(e));
  json list = json::array();
  for (const auto& [key, levels] : DirectLevels(*acl)) {
    if (managed.count(key)) continue;
    for (const std::string& level : levels) list.push_back(EntryJson(key, level));
  }
  return Annotate(client.Send("PUT", *object, {{"access_control_list", list}}).status(),
                  absl::StrCat("revoking managed permissions of ", *object));
}

}  // namespace envctl::reconcilers
