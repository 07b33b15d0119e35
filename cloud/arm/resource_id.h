// ResourceId: an Azure Resource Manager id taken apart and put back together.
//   /subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}]...
// ARM ids are case-insensitive and ARM echoes whatever casing the resource was created
// with, so comparisons here ignore case (azure-rest.md §2.1). Plain value type; the free
// functions are pure and thread-safe.
#ifndef ENVCTL_CLOUD_ARM_RESOURCE_ID_H_
#define ENVCTL_CLOUD_ARM_RESOURCE_ID_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace envctl::cloud::arm {

struct ResourceId {
  std::string subscription;
  std::string resource_group;  // "" for subscription-scoped ids
  std::string provider;        // "Microsoft.Storage"; "" for a resource group id
  // (type, name) pairs below the provider, outermost first:
  // {{"storageAccounts","sa1"},{"blobServices","default"},{"containers","raw"}}.
  std::vector<std::pair<std::string, std::string>> types;

  // Parses an id. InvalidArgument naming the id and the offending segment when it does
  // not start with /subscriptions/{sub}, when a provider has no type/name pairs, or when a
  // type has no name. Trailing slashes are ignored.
  static absl::StatusOr<ResourceId> Parse(absl::string_view id);

  static ResourceId ResourceGroup(std::string subscription, std::string group);
  static ResourceId Resource(std::string subscription, std::string group, std::string provider,
                             std::string type, std::string name);
  // This id with one more (type, name) level, e.g. Child("blobServices", "default").
  ResourceId Child(std::string type, std::string name) const;

  // "Microsoft.Storage/storageAccounts/blobServices/containers";
  // "Microsoft.Resources/resourceGroups" for a group id.
  std::string FullType() const;
  // The last name: the resource's own name (the group's for a group id).
  std::string Name() const;
  // The canonical string form (casing as stored in this value).
  std::string ToString() const;

  // Case-insensitive equality of the whole id.
  bool Matches(const ResourceId& other) const;
};

// Case-insensitive comparison of two id strings (ignores trailing slashes).
bool SameResourceId(absl::string_view a, absl::string_view b);

}  // namespace envctl::cloud::arm

#endif  // ENVCTL_CLOUD_ARM_RESOURCE_ID_H_
