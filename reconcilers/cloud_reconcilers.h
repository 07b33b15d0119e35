// Wires every resource kind's reconciler to a cloud session: the registry plan/apply use
// against Azure or cloudsim. Kinds without a reconciler yet are simply not registered
// (the engine reports "no reconciler for kind X" for them).
#ifndef ENVCTL_RECONCILERS_CLOUD_RECONCILERS_H_
#define ENVCTL_RECONCILERS_CLOUD_RECONCILERS_H_

#include <memory>

#include "cloud/cloud_session.h"
#include "common/clock.h"
#include "reconcilers/registry.h"

namespace envctl::reconcilers {

struct CloudReconcilerOptions {
  // Polling of long operations (LROs, runs): first interval and cap.
  absl::Duration poll_initial = absl::Milliseconds(200);
  absl::Duration poll_max = absl::Seconds(10);
};

// The session and clock must outlive the registry.
std::unique_ptr<ReconcilerRegistry> BuildCloudReconcilers(
    cloud::CloudSession& session, Clock& clock, const CloudReconcilerOptions& options = {});

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_CLOUD_RECONCILERS_H_
