// DataFactoryDefinitionsReconciler: the linked services, datasets, pipelines and triggers
// of a factory, from a repo folder in ADF Git-mode layout (ctx.content.files: paths like
// `linkedService/AzureKeyVault.json`, content the canonical {"name","properties"} JSON
// with ${param}s already substituted by the loader). `${resource.output}` references in
// string values are expanded at plan/apply time (Outputs::Expand).
//
// Plan GETs every entity and diffs its `properties` against the desired ones. Field paths
// read `pipeline/ApplyModel.activities[0].typeProperties.notebookPath`.
// Normalization rules:
//   - only what the file declares is compared: server-added fields (`runtimeState`,
//     `encryptedCredential`, etags) never show as drift;
//   - a secure string the service masks ("**********") is not compared;
//   - a definition whose file changed since envctl deployed it (sha in memory) is
//     rewritten even when the live diff cannot see the change (e.g. a removed field);
//   - triggers named in `started_triggers` must be Started; others are left as they are.
// Apply PUTs only what differs, in reference order (definition_order.h); a changed
// trigger that is Started is stopped, updated and started again. Definitions envctl
// deployed before (memory "deployed") that left the folder are deleted in reverse order
// (triggers, pipelines, datasets, linked services; a started trigger is stopped first)
// unless `prune: false`. Memory: {"deployed": {"pipeline/X": "<sha256 of properties>"}},
// checkpointed after every write so a crash never forgets what was deployed.
// Thread-safe: no mutable state.
#ifndef ENVCTL_RECONCILERS_DATAFACTORY_DEFINITIONS_RECONCILER_H_
#define ENVCTL_RECONCILERS_DATAFACTORY_DEFINITIONS_RECONCILER_H_

#include <memory>
#include <string>

#include "cloud/arm/arm_client.h"
#include "cloud/datafactory/data_factory_client.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class DataFactoryDefinitionsReconciler : public Reconciler {
 public:
  // `datafactory`: CloudSession::DataFactory(); `arm_endpoint` and `subscription_id` from
  // the session.
  DataFactoryDefinitionsReconciler(cloud::HttpTransport& datafactory, Clock& clock,
                                   const std::string& arm_endpoint,
                                   const std::string& subscription_id,
                                   const cloud::arm::LroOptions& lro = {});

  absl::StatusOr<Change> Plan(Context& ctx) override;
  absl::StatusOr<ApplyResult> Apply(Context& ctx, const Change& change) override;
  // Deletes every definition envctl deployed (memory), in reverse order.
  absl::Status Delete(Context& ctx) override;

 private:
  std::unique_ptr<cloud::arm::ArmClient> arm_;
  std::unique_ptr<cloud::datafactory::DataFactoryClient> client_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATAFACTORY_DEFINITIONS_RECONCILER_H_
