#include "reconcilers/data_plane_reconcilers.h"

namespace envctl::reconcilers {

void RegisterDataPlaneReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                             Clock& clock, const CloudReconcilerOptions& options) {
  (void)registry;
  (void)session;
  (void)clock;
  (void)options;
}

}  // namespace envctl::reconcilers
