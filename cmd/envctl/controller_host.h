// ControllerHost: the long-running half of envctl — the Controller loop over a source
// (Git or folder), served over gRPC (EnvironmentService, health, reflection) and HTTP
// (/metrics, /healthz, /webhooks/git, /webhooks/eventgrid). Used by `envctl controller`
// and by `envctl up` after its first convergence. Stop() (or the destructor) shuts the
// servers down, then the loop.
#ifndef ENVCTL_CMD_ENVCTL_CONTROLLER_HOST_H_
#define ENVCTL_CMD_ENVCTL_CONTROLLER_HOST_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api/grpc_server.h"
#include "api/http_server.h"
#include "cmd/envctl/controller_config.h"
#include "cmd/envctl/environment_runner.h"
#include "cmd/envctl/ha_backend.h"
#include "controller/controller.h"
#include "controller/replicated_api.h"
#include "watchers/event_grid_guard.h"
#include "watchers/snapshot_store.h"
#include "watchers/source.h"

namespace envctl::cli {

// The source `config` names; a Git clone lives under `checkout_dir`.
absl::StatusOr<std::unique_ptr<watchers::Source>> MakeSource(const ControllerConfig& config,
                                                             const std::string& checkout_dir);

// Fetches `source` and loads every environment it declares. Spec errors come back as
// InvalidArgument listing each "file:line:col: field: message" and the revision.
// With `snapshots`, each fetched revision's content is kept there too (promotion loads
// older revisions from it, see MakeRevisionLoader).
controller::SourceLoader MakeLoader(watchers::Source& source,
                                    std::shared_ptr<watchers::SnapshotStore> snapshots = nullptr);

// Loads the environments of a revision kept in `snapshots`.
controller::RevisionLoader MakeRevisionLoader(std::shared_ptr<watchers::SnapshotStore> snapshots);

// 127.0.0.0/8, ::1 or localhost.
bool IsLoopbackHost(const std::string& host);

class ControllerHost {
 public:
  // Starts the loop for `runner`'s cloud and the servers. Unavailable naming the address
  // when a listen address is taken. `source`, `runner` and `ha` must outlive the host.
  // With `ha` (etcd backend) the replica shares the environments with the others: it
  // syncs only those it owns, and its API forwards mutating calls to their owners.
  static absl::StatusOr<std::unique_ptr<ControllerHost>> Start(const ControllerConfig& config,
                                                               watchers::Source& source,
                                                               EnvironmentRunner& runner,
                                                               HaBackend* ha = nullptr);
  ~ControllerHost();

  controller::Controller& controller() { return *controller_; }
  int grpc_port() const { return grpc_->port(); }
  int http_port() const { return http_->port(); }
  // "host:port" actually bound (port 0 in the config resolved), for printing and clients.
  std::string grpc_address() const;
  std::string http_address() const;
  void Stop();

 private:
  ControllerHost() = default;
  void AddWebhooks(const ControllerConfig& config);

  std::unique_ptr<watchers::EventGridGuard> event_grid_guard_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<controller::ReplicatedApi> replicated_;
  controller::ReplicaSet* replicas_ = nullptr;
  // What the servers and webhooks talk to: the controller, or its replicated front.
  controller::ControllerApi* api_ = nullptr;
  std::unique_ptr<api::GrpcServer> grpc_;
  std::unique_ptr<api::HttpServer> http_;
  std::string grpc_host_;
  std::string http_host_;
};

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_CONTROLLER_HOST_H_
