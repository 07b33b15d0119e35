// Helpers shared by the ARM-side reconcilers (resource group, storage, Key Vault, Data
// Factory, Databricks workspace): which subscription an environment targets, the exact
// tag diff, immutable-field and location checks that fail with a clear "recreate it"
// error, the managed-by guard in front of every delete, and the "+ field" list of a
// create. Pure functions; safe from any thread.
#ifndef ENVCTL_RECONCILERS_ARM_ARM_SUPPORT_H_
#define ENVCTL_RECONCILERS_ARM_ARM_SUPPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cloud/arm/arm_client.h"
#include "envctl/v1/spec.pb.h"
#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

// The environment's azure.subscriptionId, else `fallback` (the session's subscription).
std::string SubscriptionFor(const envctl::v1::Environment& env, const std::string& fallback);

// The tags object of an ARM body ({} when absent or null).
nlohmann::json LiveTags(const nlohmann::json& body);

// Appends one change per tag that differs, is missing or is extra ("tags.<key>"): tags
// are compared exactly (a tag added in the portal is drift). True when any differs.
bool DiffTags(const nlohmann::json& desired, const nlohmann::json& live,
              std::vector<FieldChange>* out);

// InvalidArgument "<what>: <field> is <live> in Azure but the spec says <desired>; <field>
// cannot be changed on an existing resource: <how>" when `differs`. InvalidArgument (not
// FailedPrecondition) so a plan never mistakes it for a pending dependency.
absl::Status ImmutableFieldError(const std::string& what, const std::string& field,
                                 const std::string& live, const std::string& desired,
                                 const std::string& how);

// Location check: OK when equal after NormalizeLocation ("West Europe" == "westeurope").
absl::Status CheckLocation(const std::string& what, const std::string& live,
                           const std::string& desired);

// Refuses (FailedPrecondition) to delete a live resource that does not carry envctl's
// managed-by marker for this environment: envctl never deletes what it did not create.
absl::Status CheckDeletable(const std::string& what, const nlohmann::json& live_body,
                            const envctl::v1::Environment& env);

// The Azure resource group of a resource being deleted (prune): the group recorded in
// its memory ("resourceGroup") at the last apply, else the group the ResourceGroup
// resource `group_ref` names in the current environment (it may have left the spec too).
absl::StatusOr<std::string> GroupForDelete(const Context& ctx, const std::string& group_ref);

// One FieldChange per top-level key of `desired` (old "(none)"): what a create sets.
std::vector<FieldChange> CreateFields(const nlohmann::json& desired);

// The object id a PrincipalRef names: the literal object id, `deployer` (envctl's own
// principal), the system identity of a DataFactory resource or the principal of a
// UserAssignedIdentity resource (both from their `principalId` output). `where` prefixes
// errors. KnownAfterApplyError while the producing resource does not exist yet.
absl::StatusOr<std::string> PrincipalObjectId(const Context& ctx, const envctl::v1::PrincipalRef& p,
                                              const std::string& deployer,
                                              const std::string& where);

// LRO bounds for an ArmClient from the reconciler options' poll interval bounds.
cloud::arm::ArmClientOptions ArmOptions(absl::Duration poll_initial, absl::Duration poll_max);

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_ARM_SUPPORT_H_
