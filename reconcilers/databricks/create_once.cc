#include "reconcilers/databricks/create_once.h"

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"

namespace envctl::reconcilers {
namespace {

// Failures after which the service may have acted (the answer was lost or the service
// failed midway), and 429s the transport gave up on (nothing was done; looking costs one read).
bool MayHaveActed(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status) || absl::IsResourceExhausted(status);
}

}  // namespace

absl::StatusOr<std::string> CreateOnce(Clock& clock, const CreateOnceCalls& calls, int attempts) {
  absl::Duration backoff = absl::Seconds(1);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::string> created = calls.create();
    if (created.ok() || !MayHaveActed(created.status())) return created;
    absl::StatusOr<std::string> found = calls.find();
    if (!found.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat(created.status().message(),
                                       "; looking for what it may have created failed too (",
                                       found.status().message(), "); the next pass looks again"));
    }
    if (!found->empty()) return *found;
    if (attempt >= attempts) return created;
    const absl::Duration asked = cloud::RetryAfter(created.status());
    clock.SleepFor(asked > absl::ZeroDuration() ? asked : backoff);
    backoff *= 2;
  }
}

}  // namespace envctl::reconcilers
