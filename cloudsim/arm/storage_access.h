// What a Databricks run needs to authorize ABFS (abfss://) access to a storage account,
// kept outside World::mu: runs execute while Data Factory may hold World::mu and wait on
// the workspace. RebuildStorageAccessMirror (World::mu held, before each persist) copies
// each account's keys, its containers and which principals hold blob data roles on it;
// AuthorizeStorageAccess reads that copy.
#ifndef ENVCTL_CLOUDSIM_ARM_STORAGE_ACCESS_H_
#define ENVCTL_CLOUDSIM_ARM_STORAGE_ACCESS_H_

#include <string>

#include "absl/status/status.h"
#include "cloudsim/core/world.h"

namespace envctl::cloudsim {

// How the caller authenticates to the account (hadoop-azure's ABFS settings).
struct StorageCredential {
  enum Kind { kNone, kSharedKey, kManagedIdentity, kClientSecret };
  Kind kind = kNone;
  std::string account_key;    // kSharedKey
  std::string client_id;      // kManagedIdentity (a user-assigned identity), kClientSecret
  std::string client_secret;  // kClientSecret
};

void RebuildStorageAccessMirror(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// OK when `credential` may read (or, with `write`, write) container `container` of
// account `account`. Otherwise: NotFound (no such account: "UnknownHost" / container:
// FilesystemNotFound), Unauthenticated (bad key, unknown identity or secret) or
// PermissionDenied (the principal holds no blob data role allowing it), each with the
// message ABFS would surface. Does not take World::mu.
absl::Status AuthorizeStorageAccess(World& world, const std::string& account,
                                    const std::string& container, bool write,
                                    const StorageCredential& credential);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_STORAGE_ACCESS_H_
