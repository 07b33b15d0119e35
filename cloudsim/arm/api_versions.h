// The api-versions cloudsim accepts per resource provider namespace: those in the
// reference examples plus those the current official SDKs send (reference §13).
#ifndef ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_
#define ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_

#include <string>

namespace envctl::cloudsim {

// `ns` is a lower-case provider namespace ("microsoft.storage"); unknown namespaces
// accept nothing. On false, `*supported` lists the accepted versions.
bool IsSupportedApiVersion(const std::string& ns, const std::string& version,
                           std::string* supported);

// Key Vault data plane ("7.4", "2025-07-01", ...).
bool IsSupportedVaultApiVersion(const std::string& version, std::string* supported);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_API_VERSIONS_H_
