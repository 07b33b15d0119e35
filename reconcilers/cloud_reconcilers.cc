#include "reconcilers/cloud_reconcilers.h"

namespace envctl::reconcilers {

std::unique_ptr<ReconcilerRegistry> BuildCloudReconcilers(cloud::CloudSession& session,
                                                          Clock& clock,
                                                          const CloudReconcilerOptions& options) {
  auto registry = std::make_unique<ReconcilerRegistry>();
  (void)session;
  (void)clock;
  (void)options;
  return registry;
}

}  // namespace envctl::reconcilers
