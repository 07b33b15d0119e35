// DatabricksSecretScopeReconciler: a Databricks secret scope, either
//   - Databricks-backed: its secrets come from ValueSources. Values can never be read
//     back, so memory keeps, per key, the source's non-secret fingerprint and the
//     scope's last_updated_timestamp right after envctl wrote it. A key is rewritten when
//     it is missing, its source's fingerprint changed (a rotated storage key), or the
//     service's last_updated_timestamp is newer than envctl's write (someone overwrote
//     it). Keys envctl wrote before that left the spec are deleted; others are left.
//   - Key Vault-backed (`key_vault` names a KeyVault resource): resource id and DNS name
//     come from that resource's outputs `id` and `vaultUri`; it holds no secrets here.
// A scope whose backend differs from the spec is an error (recreating it would lose its
// secrets; envctl never does that silently).
// ACLs in the spec are compared and repaired; ACLs envctl set before that left the spec
// are deleted; ACLs nobody declared (e.g. the creator's MANAGE) are left alone.
// Field paths: `secrets[storagekey]`, `acls[data-eng]`. Scope names compare
// case-insensitively. Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_SECRET_SCOPE_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATABRICKS_SECRET_SCOPE_RECONCILER_H_

#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DatabricksSecretScopeReconciler : public Reconciler {
 public:
  // `databricks`: CloudSession::Databricks().
  explicit DatabricksSecretScopeReconciler(cloud::HttpTransport& databricks)
      : transport_(databricks) {}

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  // Deletes the scope (and with it its secrets and ACLs).
  absl::Status Delete(Context& ctx) override;

 private:
  cloud::HttpTransport& transport_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_SECRET_SCOPE_RECONCILER_H_
