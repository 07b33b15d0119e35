#include "reconcilers/data_plane_reconcilers.h"

#include <memory>

#include "reconcilers/databricks/cluster_policy_reconciler.h"
#include "reconcilers/databricks/cluster_reconciler.h"
#include "reconcilers/databricks/job_reconciler.h"
#include "reconcilers/databricks/library_reconciler.h"
#include "reconcilers/databricks/notebooks_reconciler.h"
#include "reconcilers/databricks/permissions_reconciler.h"
#include "reconcilers/databricks/secret_scope_reconciler.h"
#include "reconcilers/datafactory/definitions_reconciler.h"
#include "reconcilers/keyvault/secret_reconciler.h"
#include "reconcilers/runs/integration_test_reconciler.h"
#include "reconcilers/runs/job_run_test_reconciler.h"
#include "reconcilers/runs/pipeline_run_test_reconciler.h"

namespace envctl::reconcilers {

void RegisterDataPlaneReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                                  Clock& clock, const CloudReconcilerOptions& options) {
  using envctl::v1::Resource;
  cloud::arm::LroOptions lro;
  lro.min_poll_interval = options.poll_initial;
  lro.max_poll_interval = options.poll_max;

  registry.Register(Resource::kKeyVaultSecret,
                    std::make_unique<KeyVaultSecretReconciler>(session.KeyVault(), clock));
  registry.Register(
      Resource::kDataFactoryDefinitions,
      std::make_unique<DataFactoryDefinitionsReconciler>(
          session.DataFactory(), clock, session.arm_endpoint(), session.subscription_id(), lro));
  registry.Register(Resource::kDatabricksNotebooks,
                    std::make_unique<DatabricksNotebooksReconciler>(session.Databricks()));
  registry.Register(Resource::kDatabricksSecretScope,
                    std::make_unique<DatabricksSecretScopeReconciler>(session.Databricks()));
  registry.Register(Resource::kDatabricksLibrary,
                    std::make_unique<DatabricksLibraryReconciler>(session.Databricks()));
  registry.Register(Resource::kIntegrationTest,
                    std::make_unique<IntegrationTestReconciler>(session.Databricks(), clock));
  registry.Register(
      Resource::kDatabricksClusterPolicy,
      std::make_unique<DatabricksClusterPolicyReconciler>(session.Databricks(), clock));
  registry.Register(Resource::kDatabricksCluster,
                    std::make_unique<DatabricksClusterReconciler>(session.Databricks(), clock));
  registry.Register(Resource::kDatabricksJob,
                    std::make_unique<DatabricksJobReconciler>(session.Databricks(), clock));
  registry.Register(Resource::kDatabricksPermissions,
                    std::make_unique<DatabricksPermissionsReconciler>(session.Databricks()));
  registry.Register(Resource::kJobRunTest,
                    std::make_unique<JobRunTestReconciler>(session.Databricks(), clock));
  registry.Register(
      Resource::kPipelineRunTest,
      std::make_unique<PipelineRunTestReconciler>(
          session.DataFactory(), clock, session.arm_endpoint(), session.subscription_id(), lro));
}

}  // namespace envctl::reconcilers
