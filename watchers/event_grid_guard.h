// EventGridGuard: what stands between the internet-facing /webhooks/eventgrid endpoint
// and the cloud. A delivery must carry the shared secret in its URL's query string
// (`?code=SECRET` or `?key=SECRET`, set in the event subscription's endpoint URL, as
// Event Grid's own docs recommend for webhooks), compared in constant time. Of an
// authenticated delivery, a change (a resource id with what caused it: the client
// request id of an ARM event, the version of a Key Vault one) is passed on at most once
// per dedup window, and
// each event source (topic) at most `per_source_per_minute` times a minute, all sources
// together at most `total_per_minute`: a flood of deliveries costs a bounded number of
// cloud reads. Thread-safe.
#ifndef ENVCTL_WATCHERS_EVENT_GRID_GUARD_H_
#define ENVCTL_WATCHERS_EVENT_GRID_GUARD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "watchers/event_grid.h"

namespace envctl::watchers {

struct EventGridGuardOptions {
  // Empty: deliveries are not authenticated (local use with cloudsim only; the dedup and
  // rate limits still apply).
  std::string secret;
  absl::Duration dedup_window = absl::Seconds(5);
  int per_source_per_minute = 60;
  int total_per_minute = 600;
};

class EventGridGuard {
 public:
  EventGridGuard(EventGridGuardOptions options, Clock& clock);

  // OK when no secret is configured or the raw query string (`a=b&code=...`, not
  // decoded) holds `code` or `key` equal to the secret; PermissionDenied otherwise.
  absl::Status Authenticate(absl::string_view query) const;

  // The changes of `delivery` to pass on now, in order; the others were seen within the
  // dedup window or are over a rate limit. Changes to one id with different client
  // request ids (or secret versions) are different changes: the echo of envctl's own
  // write never hides a person's change made a moment later.
  std::vector<ResourceChange> Admit(const EventGridDelivery& delivery);

  struct Counters {
    int64_t admitted = 0;
    int64_t deduplicated = 0;
    int64_t rate_limited = 0;
  };
  Counters counters() const;

 private:
  struct Bucket {
    absl::Time window_start;
    int count = 0;
  };
  bool Take(Bucket& bucket, int limit, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Prune(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const EventGridGuardOptions options_;
  const std::string secret_digest_;  // sha256 hex: compared at a fixed length
  Clock& clock_;
  mutable absl::Mutex mu_;
  // Lower-cased id + client request id + version -> when admitted.
  std::map<std::string, absl::Time> last_admitted_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Bucket> per_source_ ABSL_GUARDED_BY(mu_);
  Bucket total_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_EVENT_GRID_GUARD_H_
