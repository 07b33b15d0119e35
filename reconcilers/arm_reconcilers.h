// Registers the reconcilers of: ResourceGroup, StorageAccount, KeyVault, DataFactory,
// DatabricksWorkspace.
#ifndef ENVCTL_RECONCILERS_ARM_RECONCILERS_H_
#define ENVCTL_RECONCILERS_ARM_RECONCILERS_H_

#include "cloud/cloud_session.h"
#include "common/clock.h"
#include "reconcilers/cloud_reconcilers.h"
#include "reconcilers/registry.h"

namespace envctl::reconcilers {

void RegisterArmReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                            Clock& clock, const CloudReconcilerOptions& options);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_ARM_RECONCILERS_H_
