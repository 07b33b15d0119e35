// Registers the reconcilers of: KeyVaultSecret, DataFactoryDefinitions, DatabricksNotebooks,
// DatabricksSecretScope, DatabricksLibrary, DatabricksClusterPolicy, DatabricksCluster,
// DatabricksJob, DatabricksPermissions, IntegrationTest, JobRunTest, PipelineRunTest.
#ifndef ENVCTL_RECONCILERS_DATA_PLANE_RECONCILERS_H_
#define ENVCTL_RECONCILERS_DATA_PLANE_RECONCILERS_H_

#include "cloud/cloud_session.h"
#include "common/clock.h"
#include "reconcilers/cloud_reconcilers.h"
#include "reconcilers/registry.h"

namespace envctl::reconcilers {

void RegisterDataPlaneReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                                  Clock& clock, const CloudReconcilerOptions& options);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATA_PLANE_RECONCILERS_H_
