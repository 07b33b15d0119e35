// Says why a TLS handshake failed, in words an operator can act on: the server's
// certificate is not trusted (its issuer is not a trusted CA), names another host, or has
// expired / is not yet valid. cpprest only reports "Error in SSL handshake"; this opens
// one separate connection with OpenSSL, completes the handshake without enforcing
// verification, and reads the verification result. Thread-safe (no shared state).
#ifndef ENVCTL_CLOUD_TRANSPORT_TLS_DIAGNOSIS_H_
#define ENVCTL_CLOUD_TRANSPORT_TLS_DIAGNOSIS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace envctl::cloud {

// Connects to host:port, trusting the system store plus `ca_cert_file` (may be empty).
// The diagnosis ("certificate not trusted: unable to get local issuer certificate
// (issuer CN=...)", "certificate name mismatch: ...", "certificate expired on ..."), or
// nullopt when the certificate verifies or the server cannot be reached within `timeout`.
std::optional<std::string> DiagnoseTlsFailure(const std::string& host, int port,
                                              const std::string& ca_cert_file,
                                              absl::Duration timeout);

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_TLS_DIAGNOSIS_H_
