#include "reconcilers/arm/user_assigned_identity_reconciler.h"

#include "absl/strings/str_cat.h"
#include "cloud/arm/authorization.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using nlohmann::json;

std::string What(const envctl::v1::UserAssignedIdentitySpec& spec) {
  return absl::StrCat("user-assigned identity \"", spec.identity_name(), "\"");
}

void Publish(Context& ctx, const json& live) {
  const json props = live.value("properties", json::object());
  for (const auto& [output, value] : std::vector<std::pair<std::string, std::string>>{
           {"id", live.value("id", "")},
           {"principalId", props.value("principalId", "")},
           {"clientId", props.value("clientId", "")}}) {
    OutputValue v;
    v.value = value;
    ctx.outputs.Set(ctx.resource.name(), output, v);
  }
}

}  // namespace

UserAssignedIdentityReconciler::UserAssignedIdentityReconciler(
    std::shared_ptr<const cloud::arm::ArmClient> arm, std::string default_subscription)
    : arm_(std::move(arm)), default_subscription_(std::move(default_subscription)) {}

absl::StatusOr<Change> UserAssignedIdentityReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.user_assigned_identity();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  cloud::arm::ManagedIdentitiesClient identities(
      *arm_, SubscriptionFor(ctx.environment, default_subscription_));
  const std::string location = LocationOr(ctx.environment, spec.location());
  const json tags = ManagedTags(ctx.environment, ctx.resource);
  Change change;
  absl::StatusOr<json> live = ctx.outputs.reads().ReadInside(
      spec.resource_group(), [&] { return identities.Get(group, spec.identity_name()); });
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.fields = CreateFields({{"location", location}, {"tags", tags}});
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  change.external_id = live->value("id", "");
  change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
  change.observed = {{"tags", LiveTags(*live)}};
  Publish(ctx, *live);
  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), location));
  if (DiffTags(tags, LiveTags(*live), &change.fields)) change.action = Action::kUpdate;
  return change;
}

absl::StatusOr<ApplyResult> UserAssignedIdentityReconciler::Apply(Context& ctx,
                                                                  const Change& change) {
  const auto& spec = ctx.resource.user_assigned_identity();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  cloud::arm::ManagedIdentitiesClient identities(
      *arm_, SubscriptionFor(ctx.environment, default_subscription_));
  json body = {{"tags", ManagedTags(ctx.environment, ctx.resource)}};
  // PATCH replaces the tags map: ignored tags keep their live values.
  if (change.exists) KeepIgnoredLiveValues(change.ignored_paths, change.observed, &body);
  const json tags = body.value("tags", json::object());
  absl::StatusOr<json> live =
      change.exists ? identities.UpdateTags(group, spec.identity_name(), tags)
                    : identities.CreateOrUpdate(group, spec.identity_name(),
                                                LocationOr(ctx.environment, spec.location()), tags);
  if (!live.ok()) return Annotate(live.status(), What(spec));
  Publish(ctx, *live);
  ApplyResult result;
  result.external_id = live->value("id", identities.Id(group, spec.identity_name()));
  result.memory = {{"resourceGroup", group}};
  return result;
}

absl::Status UserAssignedIdentityReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.user_assigned_identity();
  ASSIGN_OR_RETURN(std::string group, GroupForDelete(ctx, spec.resource_group()));
  cloud::arm::ManagedIdentitiesClient identities(
      *arm_, SubscriptionFor(ctx.environment, default_subscription_));
  absl::StatusOr<json> live = identities.Get(group, spec.identity_name());
  if (absl::IsNotFound(live.status())) return absl::OkStatus();
  if (!live.ok()) return Annotate(live.status(), What(spec));
  RETURN_IF_ERROR(CheckDeletable(What(spec), *live, ctx.environment));
  return Annotate(identities.Delete(group, spec.identity_name()), What(spec));
}

}  // namespace envctl::reconcilers::arm
