// HaBackend: what `envctl controller` and `envctl status` need for the etcd state backend
// (config `state.etcd`): the etcd client, and for a controller its ReplicaSet
// membership. Not thread-safe itself (its parts are).
#ifndef ENVCTL_CMD_ENVCTL_HA_BACKEND_H_
#define ENVCTL_CMD_ENVCTL_HA_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cmd/envctl/controller_config.h"
#include "controller/etcd_client.h"
#include "controller/replica_set.h"
#include "metrics/metrics.h"

namespace envctl::cli {

// "<hostname>:<pid>", the default --replica-id.
std::string DefaultReplicaId();

// The key prefix: state.etcd.prefix, else /envctl/<project>.
std::string EtcdPrefix(const ControllerConfig& config, const std::string& project);

// The etcd client of `config.etcd_*` (InvalidArgument for unreadable TLS files).
absl::StatusOr<std::unique_ptr<controller::EtcdKvStore>> ConnectEtcd(
    const ControllerConfig& config,
    prometheus::Family<prometheus::Histogram>* request_duration = nullptr);

struct HaBackend {
  std::unique_ptr<controller::EtcdKvStore> kv;
  std::unique_ptr<controller::ReplicaSet> replicas;
};

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_HA_BACKEND_H_
