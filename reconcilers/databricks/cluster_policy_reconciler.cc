#include "reconcilers/databricks/cluster_policy_reconciler.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "reconcilers/databricks/compute_json.h"
#include "reconcilers/databricks/create_once.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/json_diff.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using nlohmann::json;

const cloud::databricks::PostOptions kIdempotent{/*idempotent=*/true, /*secret_body=*/false};

absl::StatusOr<json> Desired(const envctl::v1::DatabricksClusterPolicySpec& spec) {
  std::string definition;
  auto st = google::protobuf::util::MessageToJsonString(spec.definition(), &definition);
  if (!st.ok())
    return absl::InvalidArgumentError(absl::StrCat("policy definition: ", st.ToString()));
  json d = {{"name", spec.policy_name()},
            {"definition", json::parse(definition.empty() ? "{}" : definition)},
            {"description", spec.description()}};
  if (spec.max_clusters_per_user() > 0) d["max_clusters_per_user"] = spec.max_clusters_per_user();
  return d;
}

// The live policy in the shape of Desired (the definition string parsed).
json Live(const json& policy) {
  json definition = json::parse(policy.value("definition", "{}"), nullptr, false);
  json l = {
      {"name", policy.value("name", "")},
      {"definition", definition.is_discarded() ? json(policy.value("definition", "")) : definition},
      {"description", policy.value("description", "")}};
  if (policy.contains("max_clusters_per_user"))
    l["max_clusters_per_user"] = policy["max_clusters_per_user"];
  return l;
}

json RequestBody(const json& desired) {
  json body = desired;
  body["definition"] = desired["definition"].dump();
  return body;
}

std::string PolicyIdOf(const PriorState& prior) {
  return prior.memory.is_object() ? prior.memory.value("policyId", "") : "";
}

}  // namespace

absl::StatusOr<Change> DatabricksClusterPolicyReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_cluster_policy();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(json desired, Desired(spec));
  DatabricksClient client(transport_, url);
  Change change;
  // A workspace created in this pass has only its built-in policies (Personal Compute,
  // ...): nothing to read; a name that clashes with one is adopted by Apply instead.
  const bool new_workspace = ctx.outputs.reads().CreatedInThisPass(spec.workspace());
  std::string id = new_workspace ? "" : PolicyIdOf(ctx.prior);
  if (id.empty() && !new_workspace) {
    // Names are unique: adopt the policy of that name (state lost, or made by hand).
    ASSIGN_OR_RETURN(json list, WithContext(client.Get("/api/2.0/policies/clusters/list"),
                                            "listing cluster policies"));
    for (const json& p : cloud::databricks::JsonArray(list, "policies")) {
      if (p.value("name", "") == spec.policy_name())
        id = cloud::databricks::JsonString(p, "policy_id");
    }
  }
  absl::StatusOr<json> live =
      id.empty() ? absl::NotFoundError("never created")
                 : client.Get("/api/2.0/policies/clusters/get", {{"policy_id", id}});
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.reason = id.empty() ? "policy does not exist" : "policy was deleted outside envctl";
    change.fields.push_back({"name", "(none)", RenderValue(spec.policy_name())});
    return change;
  }
  RETURN_IF_ERROR(
      Annotate(live.status(), absl::StrCat("reading cluster policy ", spec.policy_name())));
  change.exists = true;
  change.observed = {{"policyId", id}};
  ctx.outputs.Set(ctx.resource.name(), "policyId", IdOutput(id));
  DiffOptions options;
  options.exact = true;
  if (DiffJson(desired, Live(*live), &change.fields, options)) {
    change.action = Action::kUpdate;
    change.reason = "policy differs";
  }
  return change;
}

absl::StatusOr<ApplyResult> DatabricksClusterPolicyReconciler::Apply(Context& ctx,
                                                                     const Change& change) {
  const auto& spec = ctx.resource.databricks_cluster_policy();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(json desired, Desired(spec));
  DatabricksClient client(transport_, url);
  std::string id = change.exists ? change.observed.value("policyId", "") : "";
  bool edit = !id.empty();
  if (id.empty()) {
    CreateOnceCalls calls;
    calls.create = [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(json created,
                       client.Post("/api/2.0/policies/clusters/create", RequestBody(desired)));
      return cloud::databricks::JsonString(created, "policy_id");
    };
    calls.find = [&]() -> absl::StatusOr<std::string> {  // names are unique
      ASSIGN_OR_RETURN(json list, client.Get("/api/2.0/policies/clusters/list"));
      for (const json& p : cloud::databricks::JsonArray(list, "policies")) {
        if (p.value("name", "") == spec.policy_name())
          return cloud::databricks::JsonString(p, "policy_id");
      }
      return std::string();
    };
    absl::StatusOr<std::string> created = CreateOnce(clock_, calls);
    // The service says INVALID_PARAMETER_VALUE "Cluster policy with name X already exists."
    if (absl::IsAlreadyExists(created.status()) ||
        (absl::IsInvalidArgument(created.status()) &&
         absl::StrContains(created.status().message(), "already exists"))) {
      // Plan did not list (a new workspace): the name is a built-in policy's. Adopt it.
      absl::StatusOr<std::string> found = calls.find();
      if (found.ok() && !found->empty()) {
        created = *found;
        edit = true;
      }
    }
    ASSIGN_OR_RETURN(id, WithContext(std::move(created),
                                     absl::StrCat("creating cluster policy ", spec.policy_name())));
  }
  if (edit) {
    json body = RequestBody(desired);
    body["policy_id"] = id;
    RETURN_IF_ERROR(
        Annotate(client.Post("/api/2.0/policies/clusters/edit", body, kIdempotent).status(),
                 absl::StrCat("editing cluster policy ", spec.policy_name())));
  }
  ctx.outputs.Set(ctx.resource.name(), "policyId", IdOutput(id));
  ApplyResult result;
  result.external_id = id;
  result.memory = {{"policyId", id}};
  return result;
}

absl::Status DatabricksClusterPolicyReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_cluster_policy();
  const std::string id = PolicyIdOf(ctx.prior);
  if (id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  absl::Status s =
      client.Post("/api/2.0/policies/clusters/delete", {{"policy_id", id}}, kIdempotent).status();
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting cluster policy ", spec.policy_name()));
}

}  // namespace envctl::reconcilers
