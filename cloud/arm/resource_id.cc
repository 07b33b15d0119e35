#include "cloud/arm/resource_id.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace envctl::cloud::arm {
namespace {

absl::Status Invalid(absl::string_view id, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid Azure resource id \"", id, "\": ", why));
}

absl::string_view TrimSlashes(absl::string_view s) {
  while (absl::ConsumeSuffix(&s, "/")) {
  }
  return s;
}

}  // namespace

absl::StatusOr<ResourceId> ResourceId::Parse(absl::string_view id) {
  absl::string_view trimmed = TrimSlashes(id);
  if (!absl::ConsumePrefix(&trimmed, "/")) {
    return Invalid(id, "it must start with /subscriptions/{subscription}");
  }
  std::vector<std::string> parts = absl::StrSplit(trimmed, '/');
  for (const auto& p : parts) {
    if (p.empty()) return Invalid(id, "it contains an empty segment (\"//\")");
  }
  if (parts.size() < 2 || !absl::EqualsIgnoreCase(parts[0], "subscriptions")) {
    return Invalid(id, "it must start with /subscriptions/{subscription}");
  }
  ResourceId out;
  out.subscription = parts[1];
  size_t i = 2;
  if (i < parts.size() && absl::EqualsIgnoreCase(parts[i], "resourceGroups")) {
    if (i + 1 >= parts.size()) return Invalid(id, "resourceGroups has no name");
    out.resource_group = parts[i + 1];
    i += 2;
  }
  if (i == parts.size()) return out;
  if (!absl::EqualsIgnoreCase(parts[i], "providers")) {
    return Invalid(id, absl::StrCat("expected \"providers\" but found \"", parts[i], "\""));
  }
  if (i + 1 >= parts.size()) return Invalid(id, "providers has no namespace");
  out.provider = parts[i + 1];
  i += 2;
  if (i == parts.size()) return Invalid(id, absl::StrCat(out.provider, " has no resource type"));
  for (; i < parts.size(); i += 2) {
    if (i + 1 >= parts.size()) {
      return Invalid(id, absl::StrCat("resource type \"", parts[i], "\" has no name"));
    }
    out.types.emplace_back(parts[i], parts[i + 1]);
  }
  return out;
}

ResourceId ResourceId::ResourceGroup(std::string subscription, std::string group) {
  ResourceId id;
  id.subscription = std::move(subscription);
  id.resource_group = std::move(group);
  return id;
}

ResourceId ResourceId::Resource(std::string subscription, std::string group, std::string provider,
                                std::string type, std::string name) {
  ResourceId id = ResourceGroup(std::move(subscription), std::move(group));
  id.provider = std::move(provider);
  id.types.emplace_back(std::move(type), std::move(name));
  return id;
}

ResourceId ResourceId::Child(std::string type, std::string name) const {
  ResourceId id = *this;
  id.types.emplace_back(std::move(type), std::move(name));
  return id;
}

std::string ResourceId::FullType() const {
  if (provider.empty()) {
    return resource_group.empty() ? "Microsoft.Resources/subscriptions"
                                  : "Microsoft.Resources/resourceGroups";
  }
  std::string out = provider;
  for (const auto& [type, name] : types) absl::StrAppend(&out, "/", type);
  return out;
}

std::string ResourceId::Name() const {
  if (!types.empty()) return types.back().second;
  if (!resource_group.empty()) return resource_group;
  return subscription;
}

std::string ResourceId::ToString() const {
  std::string out = absl::StrCat("/subscriptions/", subscription);
  if (!resource_group.empty()) absl::StrAppend(&out, "/resourceGroups/", resource_group);
  if (!provider.empty()) {
    absl::StrAppend(&out, "/providers/", provider);
    for (const auto& [type, name] : types) absl::StrAppend(&out, "/", type, "/", name);
  }
  return out;
}

bool ResourceId::Matches(const ResourceId& other) const {
  return absl::EqualsIgnoreCase(ToString(), other.ToString());
}

bool SameResourceId(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(TrimSlashes(a), TrimSlashes(b));
}

}  // namespace envctl::cloud::arm
