// Resource kinds: their display names ("StorageAccount"), the spec field that selects them
// ("storageAccount") and the outputs each kind produces for `${resource.output}` and
// ValueSource.output references (the list documented on OutputRef in spec.proto).
// Pure functions over constant tables; safe from any thread.
#ifndef ENVCTL_SPEC_KINDS_H_
#define ENVCTL_SPEC_KINDS_H_

#include <string>
#include <vector>

#include "envctl/v1/spec.pb.h"

namespace envctl::spec {

using Kind = envctl::v1::Resource::KindCase;

// "StorageAccount" for storage_account, ... ; "" when no kind is set.
std::string KindName(const envctl::v1::Resource& resource);
std::string KindName(Kind kind);

// The JSON name of the kind's field in a resource document: "storageAccount".
std::string KindField(Kind kind);

// Every kind, in field-number order.
const std::vector<Kind>& AllKinds();

// Output names of a kind, e.g. {"vaultUri", "id"} for KeyVault; empty when it has none.
const std::vector<std::string>& OutputsOf(Kind kind);
bool HasOutput(Kind kind, const std::string& output);

// False only for a resource whose `enabled` resolved to false (it is then neither
// applied nor pruned).
inline bool IsEnabled(const envctl::v1::Resource& resource) {
  return !resource.has_enabled() || resource.enabled().value();
}

// The resource `resource` lives inside, when deleting that one removes it too: notebooks,
// libraries, secret scopes and integration tests live in a Databricks workspace; a secret
// in a Key Vault; Data Factory definitions and pipeline tests in a factory. "" otherwise.
std::string ContainerOf(const envctl::v1::Resource& resource);

// Whether deleting `container` removes what lives inside it. False for a workspace envctl
// only uses (`existing`): deleting it from the inventory leaves the workspace alone.
bool DeletionRemovesContents(const envctl::v1::Resource& container);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_KINDS_H_
