#include "reconcilers/cloud_reconcilers.h"

#include "reconcilers/arm_reconcilers.h"
#include "reconcilers/data_plane_reconcilers.h"

namespace envctl::reconcilers {

std::unique_ptr<ReconcilerRegistry> BuildCloudReconcilers(cloud::CloudSession& session,
                                                          Clock& clock,
                                                          const CloudReconcilerOptions& options) {
  auto registry = std::make_unique<ReconcilerRegistry>();
  RegisterArmReconcilers(*registry, session, clock, options);
  RegisterDataPlaneReconcilers(*registry, session, clock, options);
  return registry;
}

}  // namespace envctl::reconcilers
