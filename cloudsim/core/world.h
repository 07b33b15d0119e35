// World: cloudsim's whole mutable state (every resource, operation, secret and run) as
// one JSON document guarded by one mutex, plus the immutable configuration and the
// hooks into process-level machinery (listeners, Databricks workspaces, Event Grid).
// Handlers lock `mu`, read/modify `db`, call MarkDirty(); the caller of a handler calls
// PersistIfDirty() before unlocking, so each mutation reaches disk (tmp+fsync+rename)
// before its response is sent. One mutex keeps cross-service operations (an ADF run
// reading a vault secret, an RG delete soft-deleting vaults) trivially consistent.
#ifndef ENVCTL_CLOUDSIM_CORE_WORLD_H_
#define ENVCTL_CLOUDSIM_CORE_WORLD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloudsim/aad/tokens.h"
#include "cloudsim/core/identity.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

// What ADF needs from a simulated Databricks workspace (mirrors the databricks module).
struct NotebookRunView {
  std::string
      life_cycle_state;      // PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED, INTERNAL_ERROR
  std::string result_state;  // SUCCESS, FAILED, TIMEDOUT, CANCELED (when terminated)
  std::string state_message;
  std::string notebook_output;
  std::string error;
  std::string run_page_url;
};

// Process-level side effects the state machine asks for. Implemented by Cloudsim.
// Called with World::mu held; implementations must not call back into World.
class Platform {
 public:
  virtual ~Platform() = default;
  // Opens the data-plane origin for `key` ("vault:<name>" or "workspace:<id>"), reusing
  // the persisted port/address when possible. Returns the origin "https://host[:port]".
  virtual absl::StatusOr<std::string> OpenOrigin(const std::string& key) = 0;
  // Closes it (asynchronously; safe to call from a request on that origin).
  virtual void CloseOrigin(const std::string& key) = 0;
  virtual absl::Status CreateWorkspace(const std::string& workspace_id,
                                       const std::string& workspace_url) = 0;
  virtual void DeleteWorkspace(const std::string& workspace_id) = 0;
  virtual absl::StatusOr<int64_t> SubmitNotebookRun(
      const std::string& workspace_id, const std::string& bearer, const std::string& path,
      const std::map<std::string, std::string>& params, absl::Duration timeout) = 0;
  virtual absl::StatusOr<NotebookRunView> GetNotebookRun(const std::string& workspace_id,
                                                         int64_t run_id) = 0;
  virtual absl::Status CancelNotebookRun(const std::string& workspace_id, int64_t run_id) = 0;
  // Queues an Event Grid resource event (delivered asynchronously).
  virtual void EmitResourceEvent(const nlohmann::json& event) = 0;
};

struct WorldConfig {
  Clock* clock = nullptr;
  double speed = 1.0;
  int page_size = 100;
  std::string state_dir;
};

class World {
 public:
  World(WorldConfig config, Identity identity, const TokenService* tokens, Platform* platform);

  // Loads <state_dir>/state.json if present. DataLoss when it is corrupt.
  absl::Status Load();
  void MarkDirty() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { dirty_ = true; }
  // Writes state.json when something changed since the last write.
  absl::Status PersistIfDirty() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  absl::Time Now() const { return config_.clock->Now(); }
  // A simulated duration: `base` divided by the speed factor.
  absl::Duration Scaled(absl::Duration base) const { return base / config_.speed; }
  const WorldConfig& config() const { return config_; }
  const Identity& identity() const { return identity_; }
  const TokenService& tokens() const { return *tokens_; }
  // "https://127.0.0.1:P" — set once at start-up, before any data-plane origin opens.
  const std::string& authority_host() const { return authority_host_; }
  void set_authority_host(std::string host) { authority_host_ = std::move(host); }
  Platform& platform() { return *platform_; }

  // Convenience accessors into db (created on first use).
  nlohmann::json& Section(const char* name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  absl::Mutex mu;
  nlohmann::json db ABSL_GUARDED_BY(mu);

  // A copy of every live vault's latest enabled secret values, keyed by vault origin
  // ("host:port") and lower-case secret name, refreshed on each persist. Readers that
  // must not take `mu` (Databricks runs reading AKV-backed scopes while ADF holds `mu`
  // and waits on the workspace) read this instead.
  absl::StatusOr<std::string> ReadMirroredSecret(const std::string& vault_host_port,
                                                 const std::string& name)
      ABSL_LOCKS_EXCLUDED(mirror_mu_);
  void ReplaceSecretMirror(std::map<std::string, std::map<std::string, std::string>> mirror)
      ABSL_LOCKS_EXCLUDED(mirror_mu_);
  // What Databricks runs need to authorize ABFS access to a storage account without
  // taking `mu` (same reason as the secret mirror): arm/storage_access.h builds it.
  nlohmann::json StorageAccessMirror() ABSL_LOCKS_EXCLUDED(mirror_mu_);
  void ReplaceStorageAccessMirror(nlohmann::json mirror) ABSL_LOCKS_EXCLUDED(mirror_mu_);
  // Run before each write of state.json (set once at start-up).
  std::function<void(World&)> before_persist;

 private:
  const WorldConfig config_;
  const Identity identity_;
  const TokenService* const tokens_;
  Platform* const platform_;
  bool dirty_ ABSL_GUARDED_BY(mu) = false;
  std::string authority_host_;
  absl::Mutex mirror_mu_;
  std::map<std::string, std::map<std::string, std::string>> mirror_ ABSL_GUARDED_BY(mirror_mu_);
  nlohmann::json storage_access_mirror_ ABSL_GUARDED_BY(mirror_mu_) = nlohmann::json::object();
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_CORE_WORLD_H_
