#include "reconcilers/arm/data_factory_reconciler.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/datafactory/data_factory_client.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using nlohmann::json;
using cloud::datafactory::DataFactoryClient;

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
  absl::StatusOr<json> live = factories.GetFactory({group, spec.factory_name()});
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.fields = CreateFields(
        {{"location", location}, {"identity", {{"type", kSystemAssigned}}}, {"tags", tags}});
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  Publish(ctx, *live);
  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), location));
  const bool identity_ok = HasSystemIdentity(*live);
  if (!identity_ok) {
    change.fields.push_back({"identity.type", RenderValue(IdentityType(*live)),
                             RenderValue(kSystemAssigned), false});
  }
  DiffTags(tags, LiveTags(*live), &change.fields);
  if (!change.fields.empty()) change.action = Action::kUpdate;
  change.observed = {{"identity_ok", identity_ok}};
  return change;
}

absl::StatusOr<ApplyResult> DataFactoryReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.data_factory();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  DataFactoryClient factories(*arm_, SubscriptionFor(ctx.environment, default_subscription_));
  const json tags = ManagedTags(ctx.environment, ctx.resource);
  absl::StatusOr<json> live;
  if (!change.exists) {
    live = factories.PutFactory({group, spec.factory_name()},
                                {{"location", LocationOr(ctx.environment, spec.location())},
                                 {"identity", {{"type", kSystemAssigned}}},
                                 {"tags", tags},
                                 {"properties", json::object()}});
  } else {
    json patch = {{"tags", tags}};
    if (!change.observed.value("identity_ok", true)) patch["identity"] = {{"type", kSystemAssigned}};
    live = factories.PatchFactory({group, spec.factory_name()}, patch);
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
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
