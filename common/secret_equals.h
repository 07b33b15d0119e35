// SecretEquals: the one comparison the product uses for secrets a client presents (API
// tokens, webhook signatures and secrets), built on OpenSSL's CRYPTO_memcmp. Stateless;
// thread-safe.
#ifndef ENVCTL_COMMON_SECRET_EQUALS_H_
#define ENVCTL_COMMON_SECRET_EQUALS_H_

#include "absl/strings/string_view.h"

namespace envctl {

// True when `presented` equals `secret`. Its running time depends only on the lengths,
// never on where the strings first differ, so a caller cannot learn a secret byte by byte.
bool SecretEquals(absl::string_view presented, absl::string_view secret);

}  // namespace envctl

#endif  // ENVCTL_COMMON_SECRET_EQUALS_H_
