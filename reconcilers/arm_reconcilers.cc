#include "reconcilers/arm_reconcilers.h"

namespace envctl::reconcilers {

void RegisterArmReconcilers(ReconcilerRegistry& registry, cloud::CloudSession& session,
                             Clock& clock, const CloudReconcilerOptions& options) {
  (void)registry;
  (void)session;
  (void)clock;
  (void)options;
}

}  // namespace envctl::reconcilers
