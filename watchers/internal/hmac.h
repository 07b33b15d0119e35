// HMAC-SHA256 and constant-time comparison for webhook signatures. Stateless; thread-safe.
#ifndef ENVCTL_WATCHERS_INTERNAL_HMAC_H_
#define ENVCTL_WATCHERS_INTERNAL_HMAC_H_

#include <string>

#include "absl/strings/string_view.h"

namespace envctl::watchers::internal {

// Lowercase hex HMAC-SHA256 of `data` keyed with `key`.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// True when `a` equals `b`; the time taken depends only on the lengths, never on where the
// strings first differ (so a forger cannot learn a signature byte by byte).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace envctl::watchers::internal

#endif  // ENVCTL_WATCHERS_INTERNAL_HMAC_H_
