#include "cmd/envctl/ha_backend.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace envctl::cli {

std::string DefaultReplicaId() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] ? host : "localhost", ":", ::getpid());
}

std::string EtcdPrefix(const ControllerConfig& config, const std::string& project) {
  if (!config.etcd_prefix.empty()) return config.etcd_prefix;
  return absl::StrCat("/envctl/", project.empty() ? "default" : project);
}

absl::StatusOr<std::unique_ptr<controller::EtcdKvStore>> ConnectEtcd(
    const ControllerConfig& config, prometheus::Family<prometheus::Histogram>* request_duration) {
  controller::EtcdOptions options;
  options.endpoints = config.etcd_endpoints;
  options.ca_file = config.etcd_tls_ca;
  options.cert_file = config.etcd_tls_cert;
  options.key_file = config.etcd_tls_key;
  options.request_duration = request_duration;
  return controller::EtcdKvStore::Create(options);
}

}  // namespace envctl::cli
