// Identity: the per-state-dir tenant, subscription and service principal cloudsim
// serves (the one principal whose client id/secret endpoints.json publishes), plus the
// token signing key. Created once and persisted to <state_dir>/identity.json (0600) so
// restarts keep every id and the secret. Plain value type.
#ifndef ENVCTL_CLOUDSIM_CORE_IDENTITY_H_
#define ENVCTL_CLOUDSIM_CORE_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"

namespace envctl::cloudsim {

struct Identity {
  std::string tenant_id;
  std::string subscription_id;
  std::string client_id;
  std::string client_secret;
  std::string object_id;
  std::string signing_key;  // hex
};

// Errors: the file exists but is corrupt (DataLoss), or cannot be written.
absl::StatusOr<Identity> LoadOrCreateIdentity(const std::string& state_dir);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_CORE_IDENTITY_H_
