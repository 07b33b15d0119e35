// RunParallel: a reconciler's independent requests (notebook imports, Data Factory reads
// and writes of one wave) issued at once, so their latencies and retry waits overlap
// instead of adding up. Bounded threads, joined before returning; each helper thread
// carries the calling thread's log context (resource, sync id: its requests keep the
// sync's x-ms-client-request-id). Safe from any thread; `work` must be safe to call
// concurrently for different indexes.
#ifndef ENVCTL_RECONCILERS_PARALLEL_H_
#define ENVCTL_RECONCILERS_PARALLEL_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/status.h"

namespace envctl::reconcilers {

// Runs `work(i)` for every i in [0, n) on up to `parallelism` threads (the caller's among
// them). Every index runs even after a failure; the first error in index order is returned.
absl::Status RunParallel(size_t n, size_t parallelism,
                         const std::function<absl::Status(size_t)>& work);

// Runs `work(i)` for every i in [0, n) as soon as every index in `after[i]` has run OK
// (a dependency graph instead of waves: one slow or throttled item delays only what
// needs it), on up to `parallelism` threads (the caller's among them). An index whose
// prerequisite failed is not run. Returns the first error in index order; Internal when
// `after` has a cycle (its indexes never run). Indexes outside [0, n) and self
// references in `after` are ignored.
absl::Status RunAfter(size_t n, const std::vector<std::vector<size_t>>& after, size_t parallelism,
                      const std::function<absl::Status(size_t)>& work);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_PARALLEL_H_
