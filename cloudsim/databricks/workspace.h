// Workspace: one simulated Azure Databricks workspace, served on its own origin. It
// answers the workspace REST API (workspace, secrets, DBFS, token, jobs runs; see
// shared/reference/databricks-rest.md) from in-memory state, and simulates notebook runs:
// a run's state is derived lazily from the injected clock (PENDING -> RUNNING ->
// TERMINATING -> TERMINATED, durations divided by `speed`), and when a run starts
// executing the notebook source is interpreted for what a deployment can break
// (dbutils.notebook.run children, secrets, widgets, libraries) plus `# cloudsim:`
// directives (cloudsim/README.md, "Notebook directives").
//
// Thread-safe: every public method may be called from any thread. The mutation callback
// is invoked after the internal lock is released, so it may call Save().
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_WORKSPACE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_WORKSPACE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/http/http_types.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim::databricks {

// A Spark read or write of an ABFS path and the credential the notebook's session
// configured for it (internal/abfs.h resolves hadoop-azure's settings).
struct StorageAccess {
  enum Auth { kNone, kSharedKey, kManagedIdentity, kClientSecret };
  std::string account;
  std::string container;
  bool write = false;
  Auth auth = kNone;
  std::string account_key;     // kSharedKey
  std::string client_id;       // kManagedIdentity (may be empty), kClientSecret
  std::string client_secret;   // kClientSecret
  std::string token_endpoint;  // kClientSecret
};

struct WorkspaceEnv {
  Clock* clock = nullptr;  // nullptr = RealClock; tests use FakeClock
  double speed = 1.0;      // time scale: 100 = runs progress 100x faster
  // Validates an Entra ID token for the Databricks audience. Null = no AAD token is valid.
  std::function<bool(const std::string& bearer)> accept_aad_token;
  // Reads secret `key` from the Key Vault at `dns_name` (the vault URI of an
  // AZURE_KEYVAULT-backed scope) for dbutils.secrets.get in a run. NotFound (or a null
  // callback) makes the notebook fail with "Secret does not exist ...".
  std::function<absl::StatusOr<std::string>(const std::string& dns_name, const std::string& key)>
      read_key_vault_secret;
  // Decides whether a run may read or write an ABFS path: OK, or the storage service's
  // refusal (see cloudsim/arm/storage_access.h for the codes). Null = every access works.
  std::function<absl::Status(const StorageAccess&)> authorize_storage;
};

class Workspace {
 public:
  // `workspace_url` is the host (Azure's properties.workspaceUrl, e.g.
  // "adb-1.2.azuredatabricks.net" or "127.0.0.1:8443"); an "https://" prefix is tolerated.
  Workspace(std::string workspace_id, std::string workspace_url, WorkspaceEnv env);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // Every /api/... request on this workspace's origin. Always answers (errors are JSON
  // bodies with Databricks' error_code/message and status).
  Response Handle(const Request& request);

  // For Data Factory's DatabricksNotebook activity: submits a one-task notebook run.
  // PermissionDenied "Invalid access token." for a token the workspace rejects;
  // InvalidArgument for an empty notebook path.
  absl::StatusOr<int64_t> SubmitNotebookRun(const std::string& bearer,
                                            const std::string& notebook_path,
                                            const std::map<std::string, std::string>& params,
                                            absl::Duration timeout);

  struct RunView {
    std::string life_cycle_state;  // PENDING, RUNNING, TERMINATING, TERMINATED
    std::string result_state;      // SUCCESS, FAILED, TIMEDOUT, CANCELED; empty until terminal
    std::string state_message;
    std::string notebook_output;  // dbutils.notebook.exit value
    std::string error;            // the notebook's error, when FAILED
    std::string run_page_url;
  };
  // NotFound "Run <id> does not exist." for an unknown id.
  absl::StatusOr<RunView> GetRun(int64_t run_id);
  // Asynchronous like runs/cancel; a terminal run is left as it is. NotFound when unknown.
  absl::Status Cancel(int64_t run_id);

  // Full state for persistence (secret values included: the state dir is private; PATs
  // are kept as hashes only). Run states are derived from timestamps, so a Workspace
  // loaded later continues its runs where the clock says they are.
  nlohmann::json Save() const;
  // Replaces the state with `state` from Save(). InvalidArgument/DataLoss on a bad document.
  absl::Status Load(const nlohmann::json& state);
  // Called (without the internal lock held) after each state change.
  void SetMutationCallback(std::function<void()> cb);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_WORKSPACE_H_
