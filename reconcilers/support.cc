#include "reconcilers/support.h"

#include "absl/strings/str_cat.h"
#include "spec/kinds.h"
#include "spec/references.h"

namespace envctl::reconcilers {

const envctl::v1::Resource* FindResource(const envctl::v1::Environment& env,
                                         const std::string& name) {
  for (const auto& r : env.resources()) {
    if (r.name() == name) return &r;
  }
  return nullptr;
}

int ReadersOfOutput(const envctl::v1::Environment& env, const std::string& producer,
                    const std::function<bool(const std::string& output)>& output) {
  int readers = 0;
  for (const envctl::v1::Resource& r : env.resources()) {
    if (r.name() == producer || !spec::IsEnabled(r)) continue;
    for (const spec::Reference& ref : spec::References(r)) {
      if (ref.target == producer && !ref.output.empty() && output(ref.output)) {
        ++readers;
        break;
      }
    }
  }
  return readers;
}

absl::StatusOr<std::string> ResourceGroupName(const envctl::v1::Environment& env,
                                              const std::string& name) {
  const envctl::v1::Resource* r = FindResource(env, name);
  if (r == nullptr || !r->has_resource_group()) {
    return absl::FailedPreconditionError(
        absl::StrCat("resourceGroup \"", name, "\" does not name a ResourceGroup resource"));
  }
  return r->resource_group().group_name();
}

std::string LocationOr(const envctl::v1::Environment& env, const std::string& location) {
  return location.empty() ? env.azure().location() : location;
}

namespace {
std::string EnvironmentMarker(const envctl::v1::Environment& env) {
  return env.project().empty() ? env.name() : absl::StrCat(env.project(), "/", env.name());
}
}  // namespace

nlohmann::json ManagedTags(const envctl::v1::Environment& env,
                           const envctl::v1::Resource& resource) {
  nlohmann::json tags = nlohmann::json::object();
  for (const auto& [k, v] : resource.tags()) tags[k] = v;
  tags[kManagedByTag] = kManagedByValue;
  tags[kEnvironmentTag] = EnvironmentMarker(env);
  return tags;
}

bool IsManagedBy(const nlohmann::json& live_tags, const envctl::v1::Environment& env) {
  return live_tags.is_object() && live_tags.value(kManagedByTag, "") == kManagedByValue &&
         live_tags.value(kEnvironmentTag, "") == EnvironmentMarker(env);
}

std::string ResourceGroupId(const std::string& subscription, const std::string& group) {
  return absl::StrCat("/subscriptions/", subscription, "/resourceGroups/", group);
}

}  // namespace envctl::reconcilers
