#include "common/secret_equals.h"

#include <openssl/crypto.h>

namespace envctl {

bool SecretEquals(absl::string_view presented, absl::string_view secret) {
  if (presented.size() != secret.size()) return false;
  return CRYPTO_memcmp(presented.data(), secret.data(), secret.size()) == 0;
}

}  // namespace envctl
