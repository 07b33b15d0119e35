// HMAC-SHA256 for webhook signatures (compare them with common/secret_equals.h).
// Stateless; thread-safe.
#ifndef ENVCTL_WATCHERS_INTERNAL_HMAC_H_
#define ENVCTL_WATCHERS_INTERNAL_HMAC_H_

#include <string>

#include "absl/strings/string_view.h"

namespace envctl::watchers::internal {

// Lowercase hex HMAC-SHA256 of `data` keyed with `key`.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

}  // namespace envctl::watchers::internal

#endif  // ENVCTL_WATCHERS_INTERNAL_HMAC_H_
