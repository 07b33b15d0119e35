// TLS material for cloudsim: a per-state-dir certificate authority (EC P-256, kept as
// <state_dir>/ca.pem + ca-key.pem and reused on restart, so clients that trust ca.pem
// keep working) and a fresh leaf certificate per start whose SANs cover every address
// cloudsim serves. Owns the server SSL_CTX; immutable after creation, so the context may
// be shared by all listeners and threads.
#ifndef ENVCTL_CLOUDSIM_TLS_CERTS_H_
#define ENVCTL_CLOUDSIM_TLS_CERTS_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace envctl::cloudsim {

class TlsMaterial {
 public:
  // Loads or creates the CA in `state_dir`, issues a leaf for `ip_sans` + `dns_sans`.
  // Errors: the directory is not writable, or existing CA files are unreadable/corrupt.
  static absl::StatusOr<std::unique_ptr<TlsMaterial>> LoadOrCreate(
      const std::string& state_dir, const std::vector<std::string>& ip_sans,
      const std::vector<std::string>& dns_sans);
  ~TlsMaterial();

  SSL_CTX* server_context() const { return ctx_; }
  const std::string& ca_file() const { return ca_file_; }

 private:
  TlsMaterial() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string ca_file_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_TLS_CERTS_H_
