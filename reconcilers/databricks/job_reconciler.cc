#include "reconcilers/databricks/job_reconciler.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/create_once.h"
#include "reconcilers/databricks/jobs_listing.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using nlohmann::json;

const cloud::databricks::PostOptions kIdempotent{/*idempotent=*/true, /*secret_body=*/false};

std::string JobIdOf(const PriorState& prior) {
  if (!prior.memory.is_object() || !prior.memory.contains("jobId")) return "";
  const json& id = prior.memory["jobId"];
  return id.is_string() ? id.get<std::string>() : id.dump();
}

}  // namespace

absl::StatusOr<Change> DatabricksJobReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_job();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  Change change;
  // A workspace created in this pass has no jobs: nothing to read or adopt.
  const bool new_workspace = ctx.outputs.reads().CreatedInThisPass(spec.workspace());
  std::string id = new_workspace ? "" : JobIdOf(ctx.prior);
  if (id.empty() && !new_workspace) {
    // Adopt a job of that name (state lost) rather than create a second one.
    ASSIGN_OR_RETURN(
        json list,
        WithContext(client.Get("/api/2.2/jobs/list", {{"name", spec.job_name()}}), "listing jobs"));
    const json& jobs = cloud::databricks::JsonArray(list, "jobs");
    if (jobs.size() == 1) id = cloud::databricks::JsonString(jobs[0], "job_id");
    // Not ours to adopt (several share the name): a create whose answer is lost then
    // looks only for a job that is not among these.
    for (const json& j : jobs)
      change.observed["sameName"].push_back(cloud::databricks::JsonString(j, "job_id"));
  }
  absl::StatusOr<json> live = id.empty() ? absl::NotFoundError("never created")
                                         : client.Get("/api/2.2/jobs/get", {{"job_id", id}});
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.reason = id.empty() ? "job does not exist" : "job was deleted outside envctl";
    change.fields.push_back({"name", "(none)", RenderValue(spec.job_name())});
    return change;
  }
  RETURN_IF_ERROR(Annotate(live.status(), absl::StrCat("reading job ", spec.job_name())));
  change.exists = true;
  change.observed = {{"jobId", id}, {"settings", (*live)["settings"]}};
  // The change poll's baseline when nothing is written (in sync, or only ignored paths differ).
  const std::string hash = JobSettingsHash((*live)["settings"]);
  change.memory = {{"jobId", id}, {"workspaceUrl", url}, {"settingsHash", hash}};
  ctx.outputs.reads().Remember(JobHashKey(url, id), hash);  // the permissions' hint
  ctx.outputs.Set(ctx.resource.name(), "jobId", IdOutput(id));
  ASSIGN_OR_RETURN(json desired, JobSettingsJson(ctx.environment, ctx.outputs, spec));
  DiffOptions options;
  options.exact = true;
  if (DiffJson(CanonicalJobSettings(desired), CanonicalJobSettings((*live)["settings"]),
               &change.fields, options)) {
    change.action = Action::kUpdate;
    change.reason = "job settings differ";
  }
  return change;
}

absl::StatusOr<ApplyResult> DatabricksJobReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.databricks_job();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  ASSIGN_OR_RETURN(json settings, JobSettingsJson(ctx.environment, ctx.outputs, spec));
  std::string id = change.exists ? change.observed.value("jobId", "") : "";
  if (id.empty()) {
    std::set<std::string> known;
    for (const json& j : change.observed.value("sameName", json::array()))
      known.insert(j.get<std::string>());
    CreateOnceCalls calls;
    calls.create = [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(json created, client.Post("/api/2.2/jobs/create", settings));
      return cloud::databricks::JsonString(created, "job_id");
    };
    calls.find = [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(json list, client.Get("/api/2.2/jobs/list", {{"name", spec.job_name()}}));
      std::vector<std::string> made;
      for (const json& j : cloud::databricks::JsonArray(list, "jobs")) {
        const std::string job_id = cloud::databricks::JsonString(j, "job_id");
        if (!known.count(job_id)) made.push_back(job_id);
      }
      if (made.size() > 1) {
        return absl::FailedPreconditionError(
            absl::StrCat(made.size(), " new jobs named ", spec.job_name()));
      }
      return made.empty() ? "" : made[0];
    };
    ASSIGN_OR_RETURN(
        id, WithContext(CreateOnce(clock_, calls), absl::StrCat("creating job ", spec.job_name())));
  } else {
    if (!change.ignored_paths.empty()) {
      // jobs/reset replaces every setting: ignored paths keep their live values. Plan's
      // paths index tasks and job clusters sorted by key, so the body is sorted the same.
      settings = CanonicalJobSettings(settings);
      KeepIgnoredLiveValues(change.ignored_paths,
                            CanonicalJobSettings(change.observed.value("settings", json::object())),
                            &settings);
    }
    ctx.outputs.reads().Forget(JobHashKey(url, id));  // Plan's hash goes stale now
    json body = {{"job_id", std::stoll(id)}, {"new_settings", settings}};
    RETURN_IF_ERROR(Annotate(client.Post("/api/2.2/jobs/reset", body, kIdempotent).status(),
                             absl::StrCat("resetting job ", spec.job_name())));
  }
  ctx.outputs.Set(ctx.resource.name(), "jobId", IdOutput(id));
  ctx.outputs.reads().Forget(JobsListingKey(url));  // written: a later listing reads again
  ApplyResult result;
  result.external_id = id;
  result.memory = {{"jobId", id}, {"workspaceUrl", url}};
  // What the service keeps (with its defaults) is the change poll's baseline; without it
  // (the read failed) the job is simply not polled until its next plan records one. So
  // it is one attempt: a throttled service does not hold the job's dependents for it.
  cloud::SingleAttemptTransport once(transport_);
  absl::StatusOr<json> written =
      DatabricksClient(once, url).Get("/api/2.2/jobs/get", {{"job_id", id}});
  if (written.ok()) {
    result.memory["settingsHash"] = JobSettingsHash((*written)["settings"]);
    ctx.outputs.reads().Remember(JobHashKey(url, id), result.memory["settingsHash"]);
  } else {
    ctx.outputs.reads().Forget(JobHashKey(url, id));
  }
  return result;
}

absl::StatusOr<bool> DatabricksJobReconciler::ChangedSinceApply(Context& ctx) {
  const std::string id = JobIdOf(ctx.prior);
  const std::string url = cloud::databricks::JsonString(ctx.prior.memory, "workspaceUrl");
  const std::string recorded = cloud::databricks::JsonString(ctx.prior.memory, "settingsHash");
  if (id.empty() || url.empty() || recorded.empty()) {
    return absl::FailedPreconditionError("no workspace URL or settings hash recorded yet");
  }
  ASSIGN_OR_RETURN(json hashes, ListedJobHashes(transport_, ctx.outputs.reads(), url));
  // Deleted, or its settings edited (a schedule paused, a task changed) by hand.
  return !hashes.contains(id) || hashes[id] != recorded;
}

absl::Status DatabricksJobReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_job();
  const std::string id = JobIdOf(ctx.prior);
  if (id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  absl::Status s =
      client.Post("/api/2.2/jobs/delete", {{"job_id", std::stoll(id)}}, kIdempotent).status();
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting job ", spec.job_name()));
}

}  // namespace envctl::reconcilers
