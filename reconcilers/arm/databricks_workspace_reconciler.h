// DatabricksWorkspaceReconciler: an Azure Databricks workspace, either `existing` (a
// given URL and ARM id; envctl never changes or deletes it) or `provisioned` through ARM
// (PUT is an Azure-AsyncOperation LRO), plus the personal access token envctl keeps for
// dependents (Key Vault secret read by Data Factory, secret scopes).
// Compared (provisioned): location, managed resource group (both immutable: clear
// errors), sku (case-insensitive), tags (exactly). Writes: create/sku change = PUT;
// tag-only change = PATCH.
// Token: Plan lists the caller's tokens (token/list) and sorts envctl's own (comment
// "envctl <project>/<environment>/<resource>") into usable and due (expiring within the
// renewal window, a third of token_lifetime, default lifetime 90 days). The workspace
// itself never mints: it publishes the lazy `token` output with fingerprint = the newest
// usable token's id (or "new-token" when none is usable), the N newest usable ids as still
// valid (N = the resources that read the token: each holds one), and a mint. A dependent
// holding one of those writes nothing; one that must write mints (once per pass for all
// dependents, see Outputs::Materialize). So a workspace whose token nobody consumes has
// none, and rotation is the dependents' write when the newest token falls due. Minting =
// token/create, then token/delete of every envctl token but the N - 1 newest usable ones
// (and of the orphan of a create whose answer was lost): at most N tokens stay, and an
// orphan left by a crash between a mint and its write goes with the next mint.
// Outputs: `id`, `workspaceUrl` (https://..., no trailing slash), `token` (sensitive).
// Stateless besides the injected clients: safe for concurrent use.
#ifndef ENVCTL_RECONCILERS_ARM_DATABRICKS_WORKSPACE_RECONCILER_H_
#define ENVCTL_RECONCILERS_ARM_DATABRICKS_WORKSPACE_RECONCILER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "cloud/arm/arm_client.h"
#include "cloud/transport/http_transport.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers::arm {

inline constexpr absl::Duration kDefaultTokenLifetime = absl::Hours(24 * 90);

class DatabricksWorkspaceReconciler : public Reconciler {
 public:
  // `databricks`: the AAD-authenticated Databricks pipeline (CloudSession::Databricks());
  // it must outlive the reconciler and every output it publishes.
  DatabricksWorkspaceReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                std::string default_subscription, cloud::HttpTransport& databricks,
                                Clock& clock);

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  absl::Status Delete(Context& ctx) override;

  // "envctl <project>/<environment>/<resource>" (no "<project>/" when the project is unnamed).
  static std::string TokenComment(const envctl::v1::Environment& env,
                                  const envctl::v1::Resource& resource);

 private:
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  const std::string default_subscription_;
  cloud::HttpTransport& databricks_;
  Clock& clock_;
};

}  // namespace envctl::reconcilers::arm

#endif  // ENVCTL_RECONCILERS_ARM_DATABRICKS_WORKSPACE_RECONCILER_H_
