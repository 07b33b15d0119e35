// The auth keys of a self-hosted integration runtime from a factory's Git folder, as the
// sensitive outputs `<runtime>-authKey1` and `<runtime>-authKey2` of the
// DataFactoryDefinitions resource that deploys it (a Key Vault secret or a secret scope
// takes one with `value: {output: <definitions>.<runtime>-authKey1}`).
//
// A key is regenerated in place (`POST .../regenerateAuthKey`) without changing the
// runtime's etag, so when a resource of the environment reads a key, the keys are listed
// (`POST .../listAuthKeys`, a read) whenever the runtime is observed and each key's
// fingerprint is a hash of its value: a regenerated key gets a new fingerprint and its
// readers rewrite it in the same pass. When nothing reads them, nothing is listed.
// Values are only ever held in sensitive outputs; neither they nor the listing's answer are
// logged. Thread-safe (Outputs is; the ArmClient is).
#ifndef ENVCTL_RECONCILERS_DATAFACTORY_INTEGRATION_RUNTIME_H_
#define ENVCTL_RECONCILERS_DATAFACTORY_INTEGRATION_RUNTIME_H_

#include <string>

#include "absl/status/status.h"
#include "cloud/arm/arm_client.h"
#include "envctl/v1/spec.pb.h"
#include "reconcilers/datafactory/definition_order.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

// True for an integrationRuntime/ entity of type SelfHosted.
bool IsSelfHostedRuntime(const datafactory::Entity& entity);

// True when an enabled resource of `env` other than `producer` takes the output
// `<runtime>-authKey1` or `<runtime>-authKey2` of `producer` (a ValueSource output or a
// `${producer.<runtime>-authKeyN}` placeholder).
bool RuntimeKeysRead(const envctl::v1::Environment& env, const std::string& producer,
                     const std::string& runtime);

// Publishes the two key outputs of the existing self-hosted runtime `name` (ARM id
// `runtime_id`, current `etag`) under ctx.resource. When RuntimeKeysRead, lists the keys
// now and fingerprints each by its value; the listing's error is returned, naming the
// runtime. Otherwise publishes them lazily (listed only when a consumer must write one),
// fingerprinted by the runtime's id and etag.
absl::Status PublishRuntimeKeys(Context& ctx, const cloud::arm::ArmClient& arm,
                                const std::string& runtime_id, const std::string& name,
                                const std::string& etag);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_INTEGRATION_RUNTIME_H_
