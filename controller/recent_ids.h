// RecentIds: the correlation ids envctl itself sent lately. Every cloud request of a sync
// carries the sync id as x-ms-client-request-id, and ARM repeats it in the Event Grid
// event of the write it caused (data.httpRequest.clientRequestId); an event naming an id
// in this set is therefore the echo of envctl's own write, whatever time it arrives. An
// id is kept while its sync runs and for `ttl` after it ended; past `capacity` ids the
// oldest ended ones are forgotten first (a forgotten id only costs one extra read when
// its echo comes late: the repair finds nothing to write). Time comes from the injected
// clock. Thread-safe.
#ifndef ENVCTL_CONTROLLER_RECENT_IDS_H_
#define ENVCTL_CONTROLLER_RECENT_IDS_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace envctl::controller {

class RecentIds {
 public:
  explicit RecentIds(Clock& clock, absl::Duration ttl = absl::Hours(1), size_t capacity = 4096);

  // `id` is in use from now until the matching End() ("" is ignored). Calls nest.
  void Begin(const std::string& id);
  // The use begun by Begin(id) ended now; the id is remembered for `ttl` more.
  void End(const std::string& id);
  // True while `id` is in use or less than `ttl` after its last use ended; never for "".
  bool Contains(const std::string& id);
  size_t size();

 private:
  struct Use {
    int active = 0;
    absl::Time ended;  // of the last use
  };
  // Drops expired ids, then (over capacity) the oldest ended ones.
  void TrimLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  const absl::Duration ttl_;
  const size_t capacity_;
  absl::Mutex mu_;
  std::map<std::string, Use> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_RECENT_IDS_H_
