// Helpers every reconciler needs: finding referenced resources in the environment,
// defaulting locations, and the managed-by marker tags envctl puts on ARM resources.
// Pure functions; safe from any thread.
#ifndef ENVCTL_RECONCILERS_SUPPORT_H_
#define ENVCTL_RECONCILERS_SUPPORT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "envctl/v1/spec.pb.h"
#include "nlohmann/json.hpp"

namespace envctl::reconcilers {

// Marker tags on every ARM resource envctl manages.
inline constexpr char kManagedByTag[] = "envctl-managed-by";
inline constexpr char kManagedByValue[] = "envctl";
inline constexpr char kEnvironmentTag[] = "envctl-environment";

// The resource named `name`, or nullptr.
const envctl::v1::Resource* FindResource(const envctl::v1::Environment& env,
                                         const std::string& name);

// How many enabled resources of `env` (other than `producer`) read an output of `producer`
// whose name `output` accepts (ValueSource outputs and `${producer.output}` placeholders).
int ReadersOfOutput(const envctl::v1::Environment& env, const std::string& producer,
                    const std::function<bool(const std::string& output)>& output);

// The Azure name of the ResourceGroup resource `name` (its group_name). FailedPrecondition
// naming both resources when it is missing or not a resource group.
absl::StatusOr<std::string> ResourceGroupName(const envctl::v1::Environment& env,
                                              const std::string& name);

// `location` when set, else the environment's azure.location.
std::string LocationOr(const envctl::v1::Environment& env, const std::string& location);

// The resource's tags plus the managed-by markers, as a JSON object.
nlohmann::json ManagedTags(const envctl::v1::Environment& env,
                           const envctl::v1::Resource& resource);

// True when live tags carry envctl's marker for this environment.
bool IsManagedBy(const nlohmann::json& live_tags, const envctl::v1::Environment& env);

// ARM id prefix of a resource group: /subscriptions/{sub}/resourceGroups/{rg}.
std::string ResourceGroupId(const std::string& subscription, const std::string& group);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_SUPPORT_H_
