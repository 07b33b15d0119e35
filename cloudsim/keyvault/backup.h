// Secret backup blobs for the Key Vault data plane (POST /secrets/{name}/backup and
// POST /secrets/restore). Azure's blobs are opaque and encrypted so that only Key Vault can
// read them; cloudsim's are sealed with AES-256-GCM (OpenSSL) under a key derived from the
// state dir's signing key, with a random 12-byte IV per blob and the 16-byte tag checked on
// restore: a backup never shows a secret value to whoever holds the blob, and a blob that
// was altered or made by another state dir is refused. Pure functions; safe from any thread.
#ifndef ENVCTL_CLOUDSIM_KEYVAULT_BACKUP_H_
#define ENVCTL_CLOUDSIM_KEYVAULT_BACKUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

// Seals a stored secret ({"name", "versions": [...]}) into a backup blob (raw bytes; the
// wire form is base64url). `key` is the state dir's signing key. Internal only when
// OpenSSL fails (no randomness).
absl::StatusOr<std::string> SealSecretBackup(absl::string_view key, const nlohmann::json& secret);

// Opens a blob made by SealSecretBackup with the same key. InvalidArgument, with a
// message that says which, when the blob is not a cloudsim backup (wrong format or
// version) or fails its integrity check (altered, truncated, or another state dir's).
absl::StatusOr<nlohmann::json> OpenSecretBackup(absl::string_view key, absl::string_view blob);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_KEYVAULT_BACKUP_H_
