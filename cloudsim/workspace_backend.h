// WorkspaceBackend: cloudsim's seam to the simulated Databricks workspace (the
// databricks module in cloudsim/databricks/). The router serves a workspace's origin
// through Handle(); Data Factory submits notebook runs through SubmitNotebookRun. While
// the databricks module is absent from the build, MakeWorkspaceBackend returns a stub
// answering 501. Implementations are thread-safe.
#ifndef ENVCTL_CLOUDSIM_WORKSPACE_BACKEND_H_
#define ENVCTL_CLOUDSIM_WORKSPACE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloudsim/arm/storage_access.h"
#include "cloudsim/core/world.h"
#include "cloudsim/http/http_types.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

class WorkspaceBackend {
 public:
  virtual ~WorkspaceBackend() = default;
  virtual Response Handle(const Request& request) = 0;
  // PermissionDenied "Invalid access token." for a token the workspace rejects.
  virtual absl::StatusOr<int64_t> SubmitNotebookRun(
      const std::string& bearer, const std::string& notebook_path,
      const std::map<std::string, std::string>& params, absl::Duration timeout) = 0;
  virtual absl::StatusOr<NotebookRunView> GetRun(int64_t run_id) = 0;
  virtual absl::Status Cancel(int64_t run_id) = 0;
  virtual nlohmann::json Save() const = 0;
  virtual absl::Status Load(const nlohmann::json& state) = 0;
};

struct WorkspaceBackendEnv {
  Clock* clock = nullptr;
  double speed = 1.0;
  // True when `bearer` is a valid Entra token for the Databricks resource.
  std::function<bool(const std::string& bearer)> accept_aad_token;
  // Reads secret `key` of the Key Vault at `dns_name` (an AKV-backed secret scope).
  std::function<absl::StatusOr<std::string>(const std::string& dns_name, const std::string& key)>
      read_key_vault_secret;
  // Whether a notebook run may read (or write) container `container` of storage account
  // `account` with `credential` (StorageAccess codes of arm/storage_access.h).
  std::function<absl::Status(const std::string& account, const std::string& container, bool write,
                             const StorageCredential& credential)>
      authorize_storage;
  // Called after each state change of the workspace (never with its lock held).
  std::function<void()> on_mutation;
};

std::unique_ptr<WorkspaceBackend> MakeWorkspaceBackend(const std::string& workspace_id,
                                                       const std::string& workspace_url,
                                                       WorkspaceBackendEnv env);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_WORKSPACE_BACKEND_H_
