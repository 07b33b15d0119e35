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
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": ", field, " is \"", live, "\" in Azure but the spec says \"", desired,
                   "\"; ", field, " cannot be changed on an existing resource: ", how));
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

absl::StatusOr<std::string> PrincipalObjectId(const Context& ctx, const envctl::v1::PrincipalRef& p,
                                              const std::string& deployer,
                                              const std::string& where) {
  auto from_output = [&](const std::string& resource,
                         const char* what) -> absl::StatusOr<std::string> {
    std::optional<OutputValue> v = ctx.outputs.Get(resource, "principalId");
    if (!v.has_value()) {
      return KnownAfterApplyError(absl::StrCat(
          where, ": output ", resource, ".principalId is not known yet (known after apply)"));
    }
    if (v->value.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": ", what, " ", resource, " has no identity yet"));
    }
    return v->value;
  };
  switch (p.principal_case()) {
    case envctl::v1::PrincipalRef::kObjectId:
      if (p.object_id().empty())
        return absl::InvalidArgumentError(absl::StrCat(where, ".objectId is empty"));
      return p.object_id();
    case envctl::v1::PrincipalRef::kDeployer:
      if (deployer.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where,
                         " is the deployer, but envctl does not know its own object id: set "
                         "AZURE_OBJECT_ID (or object_id in the endpoints file)"));
      }
      return deployer;
    case envctl::v1::PrincipalRef::kDataFactory:
      return from_output(p.data_factory(), "data factory");
    case envctl::v1::PrincipalRef::kUserAssignedIdentity:
      return from_output(p.user_assigned_identity(), "user-assigned identity");
    case envctl::v1::PrincipalRef::PRINCIPAL_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, " sets none of objectId, dataFactory, userAssignedIdentity, deployer"));
}

cloud::arm::ArmClientOptions ArmOptions(absl::Duration poll_initial, absl::Duration poll_max) {
  cloud::arm::ArmClientOptions options;
  options.lro.min_poll_interval = poll_initial;
  options.lro.max_poll_interval = poll_max;
  return options;
}

}  // namespace envctl::reconcilers::arm
