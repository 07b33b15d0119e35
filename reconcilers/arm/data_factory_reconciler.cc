#include "reconcilers/arm/data_factory_reconciler.h"

#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/datafactory/data_factory_client.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/pass_reads.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using cloud::datafactory::DataFactoryClient;
using nlohmann::json;

constexpr char kSystemAssigned[] = "SystemAssigned";

std::string What(const envctl::v1::DataFactorySpec& spec) {
  return absl::StrCat("data factory \"", spec.factory_name(), "\"");
}

void Publish(Context& ctx, const json& live) {
  OutputValue id;
  id.value = live.value("id", "");
  ctx.outputs.Set(ctx.resource.name(), "id", id);
  OutputValue principal;
  principal.value = DataFactoryClient::PrincipalId(live);
  ctx.outputs.Set(ctx.resource.name(), "principalId", principal);
}

std::string IdentityType(const json& live) {
  auto it = live.find("identity");
  if (it == live.end() || !it->is_object()) return "";
  return it->value("type", "");
}

// "SystemAssigned" and "SystemAssigned,UserAssigned" both give the factory its identity.
bool HasSystemIdentity(const json& live) {
  return absl::StrContains(absl::AsciiStrToLower(IdentityType(live)), "systemassigned");
}

// The identity block the spec asks for: the system identity plus the user-assigned
// identities named (by their `id` outputs). KnownAfterApply while one does not exist.
absl::StatusOr<json> DesiredIdentity(const Context& ctx) {
  const auto& spec = ctx.resource.data_factory();
  if (spec.user_assigned_identities().empty()) return json{{"type", kSystemAssigned}};
  json uais = json::object();
  for (const std::string& name : spec.user_assigned_identities()) {
    std::optional<OutputValue> id = ctx.outputs.Get(name, "id");
    if (!id.has_value() || id->value.empty()) {
      return KnownAfterApplyError(absl::StrCat("dataFactory.userAssignedIdentities: the id of ",
                                               name, " is not known yet (known after apply)"));
    }
    uais[id->value] = json::object();
  }
  return json{{"type", "SystemAssigned,UserAssigned"}, {"userAssignedIdentities", uais}};
}

// Lower-cased ids of the user-assigned identities of an identity block.
std::set<std::string> UaiIds(const json& identity) {
  std::set<std::string> out;
  if (!identity.is_object() || !identity.contains("userAssignedIdentities") ||
      !identity["userAssignedIdentities"].is_object()) {
    return out;
  }
  for (const auto& [id, v] : identity["userAssignedIdentities"].items())
    out.insert(absl::AsciiStrToLower(id));
  return out;
}

// properties.repoConfiguration as the service stores it, or null when the spec sets none.
json DesiredRepo(const envctl::v1::Environment& env, const envctl::v1::DataFactorySpec& spec) {
  if (!spec.has_repo_configuration()) return nullptr;
  const auto& r = spec.repo_configuration();
  if (r.has_enabled() && !r.enabled().value()) return nullptr;
  const bool github = r.provider() == "github";
  json repo = {
      {"type", github ? "FactoryGitHubConfiguration" : "FactoryVSTSConfiguration"},
      {"accountName", r.account_name()},
      {"repositoryName", r.repository_name()},
      {"collaborationBranch", r.collaboration_branch().empty() ? "main" : r.collaboration_branch()},
      {"rootFolder", r.root_folder().empty() ? "/" : r.root_folder()},
      {"disablePublish", r.disable_publish()}};
  if (!github) {
    repo["projectName"] = r.project_name();
    std::string tenant = r.tenant_id().empty() ? env.azure().tenant_id() : r.tenant_id();
    if (!tenant.empty()) repo["tenantId"] = tenant;
  }
  if (github && !r.host_name().empty()) repo["hostName"] = r.host_name();
  return repo;
}

std::string Location(const json& live) { return live.value("location", ""); }

}  // namespace

DataFactoryReconciler::DataFactoryReconciler(std::shared_ptr<const cloud::arm::ArmClient> factories,
                                             std::string default_subscription)
    : arm_(std::move(factories)), default_subscription_(std::move(default_subscription)) {}

absl::StatusOr<Change> DataFactoryReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.data_factory();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  DataFactoryClient factories(*arm_, SubscriptionFor(ctx.environment, default_subscription_));
  const std::string location = LocationOr(ctx.environment, spec.location());
  const json tags = ManagedTags(ctx.environment, ctx.resource);
  Change change;
  const json repo = DesiredRepo(ctx.environment, spec);
  absl::StatusOr<json> live = ctx.outputs.reads().ReadInside(spec.resource_group(), [&] {
    return factories.GetFactory({group, spec.factory_name()});
  });
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    absl::StatusOr<json> identity = DesiredIdentity(ctx);
    json create = {{"location", location},
                   {"identity", identity.ok() ? *identity : json("(known after apply)")},
                   {"tags", tags}};
    if (!repo.is_null()) create["properties.repoConfiguration"] = repo;
    change.fields = CreateFields(create);
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  change.external_id = live->value("id", "");
  change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
  Publish(ctx, *live);
  // Its global parameters are the definitions resource's: this body serves them there.
  ctx.outputs.reads().Remember(
      FactoryBodyKey(live->value("id", factories.FactoryId({group, spec.factory_name()}))), *live);
  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), location));
  ASSIGN_OR_RETURN(json identity, DesiredIdentity(ctx));
  const std::string want_type = identity.value("type", kSystemAssigned);
  const bool identity_ok = HasSystemIdentity(*live) &&
                           absl::EqualsIgnoreCase(IdentityType(*live), want_type) &&
                           UaiIds(live->value("identity", json::object())) == UaiIds(identity);
  if (!identity_ok) {
    if (!absl::EqualsIgnoreCase(IdentityType(*live), want_type)) {
      change.fields.push_back(
          {"identity.type", RenderValue(IdentityType(*live)), RenderValue(want_type), false});
    }
    json live_uais = json::array(), want_uais = json::array();
    for (const auto& id : UaiIds(live->value("identity", json::object()))) live_uais.push_back(id);
    for (const auto& id : UaiIds(identity)) want_uais.push_back(id);
    if (live_uais != want_uais) {
      change.fields.push_back({"identity.userAssignedIdentities", RenderValue(live_uais),
                               RenderValue(want_uais), false});
    }
  }
  DiffTags(tags, LiveTags(*live), &change.fields);
  bool repo_ok = true;
  if (!repo.is_null()) {
    const json live_repo =
        live->value("properties", json::object()).value("repoConfiguration", json::object());
    repo_ok = !DiffJson(repo, live_repo, &change.fields, {}, "properties.repoConfiguration");
  }
  if (!change.fields.empty()) change.action = Action::kUpdate;
  change.observed = {
      {"identity_ok", identity_ok},
      {"identity", identity},
      {"repo_ok", repo_ok},
      {"location", Location(*live)},
      {"tags", LiveTags(*live)},
      {"repo",
       live->value("properties", json::object()).value("repoConfiguration", json::object())}};
  return change;
}

absl::StatusOr<ApplyResult> DataFactoryReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.data_factory();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  DataFactoryClient factories(*arm_, SubscriptionFor(ctx.environment, default_subscription_));
  const json tags = ManagedTags(ctx.environment, ctx.resource);
  const json repo = DesiredRepo(ctx.environment, spec);
  // The body Plan kept for this pass no longer describes the factory once it is written.
  ctx.outputs.reads().Forget(FactoryBodyKey(factories.FactoryId({group, spec.factory_name()})));
  absl::StatusOr<json> live;
  if (!change.exists) {
    ASSIGN_OR_RETURN(json identity, DesiredIdentity(ctx));
    json properties = json::object();
    if (!repo.is_null()) properties["repoConfiguration"] = repo;
    live = factories.PutFactory({group, spec.factory_name()},
                                {{"location", LocationOr(ctx.environment, spec.location())},
                                 {"identity", identity},
                                 {"tags", tags},
                                 {"properties", properties}});
  } else {
    // What is left after ignoreDifferences decides the writes; the PATCH replaces the tags
    // map, so ignored tags (and ignored Git link fields) keep their live values.
    json patch = {{"tags", tags}};
    KeepIgnoredLiveValues(change.ignored_paths,
                          {{"tags", change.observed.value("tags", json::object())}}, &patch);
    if (!change.observed.value("identity_ok", true) && AnyFieldUnder(change.fields, "identity")) {
      patch["identity"] = change.observed["identity"];
    }
    json repo_body = repo;
    KeepIgnoredLiveValues(change.ignored_paths, change.observed.value("repo", json::object()),
                          &repo_body, "properties.repoConfiguration");
    live = factories.PatchFactory({group, spec.factory_name()}, patch);
    if (live.ok() && !change.observed.value("repo_ok", true) &&
        AnyFieldUnder(change.fields, "properties.repoConfiguration")) {
      // PATCH cannot change the Git link; configureFactoryRepo (per location) can.
      live = arm_->Post(
          absl::StrCat("/subscriptions/", SubscriptionFor(ctx.environment, default_subscription_),
                       "/providers/Microsoft.DataFactory/locations/",
                       NormalizeLocation(change.observed.value(
                           "location", LocationOr(ctx.environment, spec.location()))),
                       "/configureFactoryRepo"),
          cloud::datafactory::kDataFactoryApiVersion,
          {{"factoryResourceId",
            live->value("id", factories.FactoryId({group, spec.factory_name()}))},
           {"repoConfiguration", repo_body}});
    }
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  // A new factory holds no definitions: its definitions' plan need not read them.
  if (!change.exists) ctx.outputs.reads().MarkCreated(ctx.resource.name());
  Publish(ctx, *live);
  ApplyResult result;
  result.external_id = live->value("id", factories.FactoryId({group, spec.factory_name()}));
  result.memory = {{"resourceGroup", group}};
  return result;
}

absl::Status DataFactoryReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.data_factory();
  ASSIGN_OR_RETURN(std::string group, GroupForDelete(ctx, spec.resource_group()));
  DataFactoryClient factories(*arm_, SubscriptionFor(ctx.environment, default_subscription_));
  absl::StatusOr<json> live = factories.GetFactory({group, spec.factory_name()});
  if (absl::IsNotFound(live.status())) return absl::OkStatus();
  if (!live.ok()) return Annotate(live.status(), What(spec));
  RETURN_IF_ERROR(CheckDeletable(What(spec), *live, ctx.environment));
  return Annotate(factories.DeleteFactory({group, spec.factory_name()}), What(spec));
}

}  // namespace envctl::reconcilers::arm
