#include "reconcilers/databricks/cluster_reconciler.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/create_once.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using nlohmann::json;

const cloud::databricks::PostOptions kIdempotent{/*idempotent=*/true, /*secret_body=*/false};
constexpr int kDefaultAutoterminationMinutes = 120;

absl::StatusOr<json> Desired(const Context& ctx) {
  const auto& spec = ctx.resource.databricks_cluster();
  ASSIGN_OR_RETURN(json c, ClusterConfigJson(ctx.outputs, spec.spec()));
  c["cluster_name"] = spec.cluster_name();
  c["autotermination_minutes"] = spec.autotermination_minutes() > 0
                                     ? spec.autotermination_minutes()
                                     : kDefaultAutoterminationMinutes;
  return c;
}

// What Desired is compared with: the fields envctl manages; the other sizing form is
// null so that switching between fixed size and autoscale shows.
json Comparable(const json& desired, const json& live) {
  json out = json::object();
  for (const auto& [k, v] : desired.items()) out[k] = live.contains(k) ? live[k] : json();
  return out;
}

std::string ClusterIdOf(const PriorState& prior) {
  return prior.memory.is_object() ? prior.memory.value("clusterId", "") : "";
}

// The ids of the clusters named `name` (clusters/list, every page). Cluster names are not
// unique in Databricks, so this is a set.
absl::StatusOr<std::set<std::string>> ClustersNamed(const DatabricksClient& client,
                                                    const std::string& name) {
  std::set<std::string> ids;
  std::string token;
  for (int page = 0; page < 100; ++page) {
    cloud::databricks::Query query;
    if (!token.empty()) query.push_back({"page_token", token});
    ASSIGN_OR_RETURN(json list, client.Get("/api/2.1/clusters/list", query));
    for (const json& c : cloud::databricks::JsonArray(list, "clusters")) {
      if (cloud::databricks::JsonString(c, "cluster_name") == name)
        ids.insert(cloud::databricks::JsonString(c, "cluster_id"));
    }
    token = cloud::databricks::JsonString(list, "next_page_token");
    if (token.empty()) break;
  }
  return ids;
}

}  // namespace

absl::StatusOr<Change> DatabricksClusterReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_cluster();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  Change change;
  const std::string id = ClusterIdOf(ctx.prior);
  absl::StatusOr<json> live = id.empty()
                                  ? absl::NotFoundError("never created")
                                  : client.Get("/api/2.1/clusters/get", {{"cluster_id", id}});
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.reason = id.empty() ? "cluster does not exist" : "cluster was deleted outside envctl";
    change.fields.push_back({"cluster_name", "(none)", RenderValue(spec.cluster_name())});
    if (!spec.running()) change.reason += "; created, then terminated (running: false)";
    return change;
  }
  RETURN_IF_ERROR(Annotate(live.status(), absl::StrCat("reading cluster ", spec.cluster_name())));
  change.exists = true;
  const std::string state = cloud::databricks::JsonString(*live, "state");
  change.observed = {{"clusterId", id}, {"state", state}};
  ctx.outputs.Set(ctx.resource.name(), "clusterId", IdOutput(id));
  ASSIGN_OR_RETURN(json desired, Desired(ctx));
  // A policy attached by hand is drift too.
  json compared = desired;
  if (!compared.contains("policy_id")) compared["policy_id"] = nullptr;
  const bool edit = DiffJson(compared, Comparable(compared, *live), &change.fields);
  const bool start = spec.running() && state == "TERMINATED";
  if (start) change.fields.push_back({"state", RenderValue(state), RenderValue("RUNNING")});
  if (!edit && !start) return change;
  change.action = Action::kUpdate;
  change.observed["edit"] = edit;
  change.observed["live"] = *live;
  if (edit && (state == "RUNNING" || state == "RESIZING")) {
    change.reason = "cluster differs; the cluster is RUNNING, so the edit restarts it";
  } else if (edit) {
    change.reason = absl::StrCat("cluster differs (", state, ")");
  } else {
    change.reason = "cluster is TERMINATED but declared running: start it";
  }
  return change;
}

absl::StatusOr<ApplyResult> DatabricksClusterReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.databricks_cluster();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  ASSIGN_OR_RETURN(json desired, Desired(ctx));
  std::string id = change.exists ? change.observed.value("clusterId", "") : "";
  const std::string what = absl::StrCat("cluster ", spec.cluster_name());
  if (id.empty()) {
    // clusters/create has no idempotency key: after a lost answer (a 5xx, a reset) the
    // cluster may exist already. The clusters of this name before the create tell ours
    // apart from others of the same name (names are not unique), so CreateOnce adopts the
    // one the lost create made instead of creating a second.
    ASSIGN_OR_RETURN(std::set<std::string> known,
                     WithContext(ClustersNamed(client, spec.cluster_name()),
                                 absl::StrCat("listing clusters before creating ", what)));
    CreateOnceCalls calls;
    calls.create = [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(json created, client.Post("/api/2.1/clusters/create", desired));
      return cloud::databricks::JsonString(created, "cluster_id");
    };
    calls.find = [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(std::set<std::string> now, ClustersNamed(client, spec.cluster_name()));
      std::vector<std::string> made;
      for (const std::string& c : now) {
        if (!known.count(c)) made.push_back(c);
      }
      if (made.size() > 1) {
        return absl::FailedPreconditionError(
            absl::StrCat(made.size(), " new clusters named ", spec.cluster_name()));
      }
      return made.empty() ? "" : made[0];
    };
    ASSIGN_OR_RETURN(id, WithContext(CreateOnce(clock_, calls), absl::StrCat("creating ", what)));
    if (!spec.running()) {
      // Databricks starts every new cluster; terminate it so it costs nothing until used.
      RETURN_IF_ERROR(Annotate(
          client.Post("/api/2.1/clusters/delete", {{"cluster_id", id}}, kIdempotent).status(),
          absl::StrCat("terminating new ", what)));
    }
  } else {
    const std::string state = change.observed.value("state", "");
    // What is left after ignoreDifferences decides the edit; clusters/edit replaces every
    // attribute, so ignored ones keep their live values.
    const bool edit = change.observed.value("edit", false) &&
                      std::any_of(change.fields.begin(), change.fields.end(),
                                  [](const FieldChange& f) { return f.path != "state"; });
    if (edit) {
      if (state != "RUNNING" && state != "TERMINATED" && state != "RESIZING") {
        return absl::FailedPreconditionError(absl::StrCat(
            what, " is ", state,
            " and cannot be edited until it is RUNNING or TERMINATED; the next sync retries"));
      }
      json body = desired;
      KeepIgnoredLiveValues(change.ignored_paths, change.observed.value("live", json::object()),
                            &body);
      body["cluster_id"] = id;
      RETURN_IF_ERROR(Annotate(client.Post("/api/2.1/clusters/edit", body, kIdempotent).status(),
                               absl::StrCat("editing ", what)));
    } else if (spec.running() && state == "TERMINATED") {
      RETURN_IF_ERROR(Annotate(
          client.Post("/api/2.1/clusters/start", {{"cluster_id", id}}, kIdempotent).status(),
          absl::StrCat("starting ", what)));
    }
  }
  ctx.outputs.Set(ctx.resource.name(), "clusterId", IdOutput(id));
  ApplyResult result;
  result.external_id = id;
  result.memory = {{"clusterId", id}};
  return result;
}

absl::Status DatabricksClusterReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_cluster();
  const std::string id = ClusterIdOf(ctx.prior);
  if (id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  absl::Status s =
      client.Post("/api/2.1/clusters/permanent-delete", {{"cluster_id", id}}, kIdempotent).status();
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting cluster ", spec.cluster_name()));
}

}  // namespace envctl::reconcilers
