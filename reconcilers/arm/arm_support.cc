#include "reconcilers/arm/arm_support.h"

#include "absl/strings/str_cat.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {

std::string SubscriptionFor(const envctl::v1::Environment& env, const std::string& fallback) {
  return env.azure().subscription_id().empty() ? fallback : env.azure().subscription_id();
}

nlohmann::json LiveTags(const nlohmann::json& body) {
  auto it = body.find("tags");
  if (it == body.end() || !it->is_object()) return nlohmann::json::object();
  return *it;
}

bool DiffTags(const nlohmann::json& desired, const nlohmann::json& live,
              std::vector<FieldChange>* out) {
  DiffOptions options;
  options.exact = true;
  return DiffJson(desired, live.is_object() ? live : nlohmann::json::object(), out, options,
                  "tags");
}

absl::Status ImmutableFieldError(const std::string& what, const std::string& field,
                                 const std::string& live, const std::string& desired,
                                 const std::string& how) {
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": ", field, " is \"", live, "\" in Azure but the spec says \"", desired, "\"; ",
      field, " cannot be changed on an existing resource: ", how));
}

absl::Status CheckLocation(const std::string& what, const std::string& live,
                           const std::string& desired) {
  if (live.empty() || NormalizeLocation(live) == NormalizeLocation(desired)) {
    return absl::OkStatus();
  }
  return ImmutableFieldError(what, "location", live, desired,
                             "set the location back, or delete the resource and let envctl "
                             "recreate it (envctl never deletes data on its own)");
}

absl::Status CheckDeletable(const std::string& what, const nlohmann::json& live_body,
                            const envctl::v1::Environment& env) {
  if (IsManagedBy(LiveTags(live_body), env)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      what, " exists but does not carry the tag ", kManagedByTag, "=", kManagedByValue,
      " for environment ", env.name(),
      "; envctl does not delete resources it did not create: delete it yourself if intended"));
}

absl::StatusOr<std::string> GroupForDelete(const Context& ctx, const std::string& group_ref) {
  if (ctx.prior.memory.is_object()) {
    auto it = ctx.prior.memory.find("resourceGroup");
    if (it != ctx.prior.memory.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return ResourceGroupName(ctx.environment, group_ref);
}

std::vector<FieldChange> CreateFields(const nlohmann::json& desired) {
  std::vector<FieldChange> out;
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    out.push_back({it.key(), RenderValue(nullptr), RenderValue(it.value()), false});
  }
  return out;
}

cloud::arm::ArmClientOptions ArmOptions(absl::Duration poll_initial, absl::Duration poll_max) {
  cloud::arm::ArmClientOptions options;
  options.lro.min_poll_interval = poll_initial;
  options.lro.max_poll_interval = poll_max;
  return options;
}

}  // namespace envctl::reconcilers::arm
