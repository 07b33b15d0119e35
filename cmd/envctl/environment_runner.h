// What plan, apply and up share: load a repo, connect to the target cloud, and build the
// engine with every kind's reconciler and the state store. One runner per command run.
#ifndef ENVCTL_CMD_ENVCTL_ENVIRONMENT_RUNNER_H_
#define ENVCTL_CMD_ENVCTL_ENVIRONMENT_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "common/clock.h"
#include "controller/engine.h"
#include "controller/state_store.h"
#include "envctl/v1/spec.pb.h"
#include "metrics/metrics.h"
#include "reconcilers/registry.h"

namespace envctl::cli {

// Makes the state store from the runner's metrics (the etcd backend's replica set reports
// there); unset: the file store in the state dir.
using StoreFactory =
    std::function<absl::StatusOr<std::unique_ptr<controller::StateStore>>(metrics::Metrics&)>;

struct RunnerOptions {
  RunnerOptions() = default;
  RunnerOptions(std::string cloud, std::string state)
      : cloud_file(std::move(cloud)), state_dir(std::move(state)) {}

  // --cloud value ("" = ENVCTL_CLOUD or public Azure).
  std::string cloud_file;
  // --state-dir value ("" = DefaultStateDir(project)/<subscription>).
  std::string state_dir;
  // Take the state dir's exclusive lock (StateDirLock) for the runner's life. Off only
  // for read-only commands (plan), which must work next to a running apply or controller.
  bool lock_state_dir = true;
  StoreFactory store_factory;
  // Appended to the User-Agent of cloud requests (CloudSessionOptions::user_agent_comment).
  std::string user_agent_comment;
};

class EnvironmentRunner {
 public:
  // Connects to the cloud named by the options. Errors name the endpoints source.
  static absl::StatusOr<std::unique_ptr<EnvironmentRunner>> Create(const RunnerOptions& options,
                                                                   const std::string& project);
  // Same, for endpoints already loaded (envctl up's embedded cloudsim).
  static absl::StatusOr<std::unique_ptr<EnvironmentRunner>> Create(
      cloud::CloudEndpoints endpoints, const std::string& state_dir, const std::string& project,
      bool lock_state_dir = true, StoreFactory store_factory = nullptr,
      const std::string& user_agent_comment = "");

  controller::Engine& engine() { return *engine_; }
  controller::StateStore& store() { return *store_; }
  cloud::CloudSession& session() { return *session_; }
  metrics::Metrics& metrics() { return metrics_; }
  const std::string& state_dir() const { return state_dir_; }

 private:
  EnvironmentRunner() = default;

  metrics::Metrics metrics_;
  std::unique_ptr<cloud::CloudSession> session_;
  std::unique_ptr<reconcilers::ReconcilerRegistry> registry_;
  std::unique_ptr<controller::StateDirLock> lock_;
  std::unique_ptr<controller::StateStore> store_;
  std::unique_ptr<controller::Engine> engine_;
  std::string state_dir_;
};

// Loads the repo (all environments or only `env`). On errors prints every diagnostic to
// stderr and returns InvalidArgument.
absl::StatusOr<std::vector<envctl::v1::Environment>> LoadEnvironments(const std::string& dir,
                                                                      const std::string& env);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_ENVIRONMENT_RUNNER_H_
