// Status propagation helpers. Our Abseil (20220623) predates status_macros.h, so these
// are the small versions every module uses. Header-only, thread-compatible.
#ifndef ENVCTL_COMMON_STATUS_MACROS_H_
#define ENVCTL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ENVCTL_CONCAT_INNER_(a, b) a##b
#define ENVCTL_CONCAT_(a, b) ENVCTL_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status envctl_status_ = (expr);          \
    if (!envctl_status_.ok()) return envctl_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Foo()); assigns the value or returns the error status.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ENVCTL_ASSIGN_OR_RETURN_IMPL_(ENVCTL_CONCAT_(envctl_statusor_, __LINE__), lhs, rexpr)

#define ENVCTL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

namespace envctl {

// Prefixes a status message with context, keeping the code:
// Annotate(s, "storage account sa1") -> "storage account sa1: <message>".
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), std::string(context) + ": " + std::string(status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace envctl

#endif  // ENVCTL_COMMON_STATUS_MACROS_H_
