// CreateOnce: a Databricks create call without an idempotency key (jobs/create,
// policies/clusters/create, clusters/create) made safe to repeat within one pass. The
// transport never repeats such a POST: after a 5xx, a reset or a timeout the service may
// have created the object already. Here, after such a failure, `find` looks the object up
// first (by the name it was created with) and adopts it; only when it is not there is the
// create sent again, after the wait the service asked for (Retry-After) or 1 s, 2 s.
// A fault storm then slows the pass instead of failing it. Thread-safe (no state).
#ifndef ENVCTL_RECONCILERS_DATABRICKS_CREATE_ONCE_H_
#define ENVCTL_RECONCILERS_DATABRICKS_CREATE_ONCE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"

namespace envctl::reconcilers {

struct CreateOnceCalls {
  // Sends the create; the new object's id.
  std::function<absl::StatusOr<std::string>()> create;
  // The id of the object an earlier create of this call made, "" when there is none.
  std::function<absl::StatusOr<std::string>()> find;
};

// The id of the created (or found) object. The create's own error when it failed in a
// way that says nothing was done (4xx), when `attempts` creates failed, or when the
// look-up failed too (then the message says so).
absl::StatusOr<std::string> CreateOnce(Clock& clock, const CreateOnceCalls& calls,
                                       int attempts = 3);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_CREATE_ONCE_H_
