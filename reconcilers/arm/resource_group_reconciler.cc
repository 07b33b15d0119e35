#include "reconcilers/arm/resource_group_reconciler.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/arm/resource_groups.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

std::string What(const envctl::v1::ResourceGroupSpec& spec) {
  return absl::StrCat("resource group \"", spec.group_name(), "\"");
}

void Publish(Context& ctx, const nlohmann::json& live) {
  OutputValue id;
  id.value = live.value("id", "");
  ctx.outputs.Set(ctx.resource.name(), "id", id);
}

}  // namespace

ResourceGroupReconciler::ResourceGroupReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                                 std::string default_subscription)
    : arm_(std::move(arm)), default_subscription_(std::move(default_subscription)) {}

absl::StatusOr<Change> ResourceGroupReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.resource_group();
  cloud::arm::ResourceGroupsClient groups(*arm_,
                                          SubscriptionFor(ctx.environment, default_subscription_));
  const std::string location = LocationOr(ctx.environment, spec.location());
  const nlohmann::json tags = ManagedTags(ctx.environment, ctx.resource);
  Change change;
  absl::StatusOr<nlohmann::json> live = groups.Get(spec.group_name());
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.fields = CreateFields({{"location", location}, {"tags", tags}});
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  change.external_id = live->value("id", "");
  change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
  change.observed = *live;
  Publish(ctx, *live);
  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), location));
  if (DiffTags(tags, LiveTags(*live), &change.fields)) change.action = Action::kUpdate;
  return change;
}

absl::StatusOr<ApplyResult> ResourceGroupReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.resource_group();
  cloud::arm::ResourceGroupsClient groups(*arm_,
                                          SubscriptionFor(ctx.environment, default_subscription_));
  const nlohmann::json tags = ManagedTags(ctx.environment, ctx.resource);
  absl::StatusOr<nlohmann::json> live;
  if (change.exists) {
    // Only tags can differ (a location change is refused in Plan): PATCH replaces the map,
    // so ignored tags go back with their live values.
    nlohmann::json body = {{"tags", tags}};
    KeepIgnoredLiveValues(change.ignored_paths, change.observed, &body);
    live = groups.UpdateTags(spec.group_name(), body.value("tags", nlohmann::json::object()));
  } else {
    live = groups.CreateOrUpdate(spec.group_name(), LocationOr(ctx.environment, spec.location()),
                                 tags);
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  // A new group holds nothing: the plans of what goes in it need not read.
  if (!change.exists) ctx.outputs.reads().MarkCreated(ctx.resource.name());
  Publish(ctx, *live);
  ApplyResult result;
  result.external_id = live->value("id", groups.Id(spec.group_name()));
  return result;
}

absl::Status ResourceGroupReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.resource_group();
  cloud::arm::ResourceGroupsClient groups(*arm_,
                                          SubscriptionFor(ctx.environment, default_subscription_));
  absl::StatusOr<nlohmann::json> live = groups.Get(spec.group_name());
  if (absl::IsNotFound(live.status())) return absl::OkStatus();
  if (!live.ok()) return Annotate(live.status(), What(spec));
  RETURN_IF_ERROR(CheckDeletable(What(spec), *live, ctx.environment));
  // Deleting a group deletes everything in it. Managed resources are deleted before their
  // group (reverse dependency order), so anything left that envctl does not manage was put
  // there by someone else: refuse rather than destroy it.
  absl::StatusOr<std::vector<nlohmann::json>> inside = groups.ListResources(spec.group_name());
  if (!inside.ok()) return Annotate(inside.status(), What(spec));
  std::vector<std::string> foreign;
  for (const nlohmann::json& r : *inside) {
    if (!IsManagedBy(LiveTags(r), ctx.environment))
      foreign.push_back(r.value("id", r.value("name", "?")));
  }
  if (!foreign.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        What(spec), " still holds ", foreign.size(),
        " resource(s) envctl does not manage: ", absl::StrJoin(foreign, ", "),
        "; envctl never deletes what it did not create: move or delete them, then rerun"));
  }
  return Annotate(groups.Delete(spec.group_name()), What(spec));
}

}  // namespace envctl::reconcilers::arm
