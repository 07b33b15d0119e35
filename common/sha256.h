// SHA-256 helpers for content hashes (specs, notebooks, secret-value fingerprints).
#ifndef ENVCTL_COMMON_SHA256_H_
#define ENVCTL_COMMON_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace envctl {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace envctl

#endif  // ENVCTL_COMMON_SHA256_H_
