// StorageAccountReconciler: a Microsoft.Storage account (ADLS Gen2 when hierarchical
// namespace is on) and the blob containers the spec declares.
// Compared: sku, kind, isHnsEnabled, accessTier, minimumTlsVersion, allowBlobPublicAccess
// (on only when a container asks for public access), tags (exactly); per container
// publicAccess and metadata. Enum-like values compare case-insensitively, locations via
// NormalizeLocation; server defaults and read-only fields are never compared.
// Immutable: location, kind, isHnsEnabled -> a clear error (envctl never recreates data).
// Writes: create = PUT (LRO), update = PATCH of the account-level fields; containers PUT /
// PATCH; containers envctl created earlier (PriorState memory "containers") and no longer
// declared are deleted; other containers are never touched.
// Outputs: `id`, `dfsEndpoint`, and the lazy secrets `primaryKey`, `secondaryKey`,
// `connectionString`: Plan publishes only fingerprints `key1@<keyCreationTime.key1>`
// (`key2@...` for the secondary key) read from the account GET, so rotating a key
// out-of-band changes the fingerprint and dependents rewrite; the value is fetched with
// listKeys only when a dependent mints it during Apply.
// Stateless besides the injected client: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_STORAGE_ACCOUNT_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_STORAGE_ACCOUNT_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

class StorageAccountReconciler : public Reconciler {
 public:
  StorageAccountReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                           std::string default_subscription);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

  // The key fingerprint of an account body: "key1@<properties.keyCreationTime.key1>"
  // (falls back to the account's creationTime when the service omits key times).
  static std::string KeyFingerprint(const nlohmann::json& account, const std::string& key_name);
  // "DefaultEndpointsProtocol=https;AccountName=..;AccountKey=..;EndpointSuffix=.." for
  // the account's public blob endpoint, or with an explicit BlobEndpoint/DfsEndpoint
  // when the endpoint is not of the form https://<account>.blob.<suffix>/.
  static std::string ConnectionString(const nlohmann::json& account, const std::string& key);

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_STORAGE_ACCOUNT_RECONCILER_H_
