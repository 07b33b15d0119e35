// KeyVaultSecretReconciler: a Key Vault secret whose value comes from a ValueSource (an
// output such as a storage key or a Databricks token, or an environment variable).
//
// The secret's value is never read for comparison and never rendered: the secret carries
// the tag `envctl-source` = the source's non-secret Fingerprint() (plus the managed-by
// markers), and Plan compares that tag and the content type with the spec. Only Apply,
// when a write is due, materializes (reads or mints) the value and sends it in the one
// place it may appear: the body of `PUT /secrets/{name}`. A soft-deleted secret of the
// same name is recovered first (a PUT would fail with ObjectIsDeletedButRecoverable).
// Delete soft-deletes, then purges so the name can be reused.
//
// Normalization: tags are compared exactly (a tag added in the portal is drift), the
// content type as a string ("" = none). Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_KEYVAULT_SECRET_RECONCILER_H_
#define ENVCTL_RECONCILERS_KEYVAULT_SECRET_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

// The tag that records which source value the secret holds.
inline constexpr char kSourceTag[] = "envctl-source";

class KeyVaultSecretReconciler : public Reconciler {
 public:
  // `keyvault`: CloudSession::KeyVault() (answers the 401 challenge itself).
  KeyVaultSecretReconciler(cloud::HttpTransport& keyvault, Clock& clock)
      : transport_(keyvault), clock_(clock) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
  Clock& clock_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_KEYVAULT_SECRET_RECONCILER_H_
