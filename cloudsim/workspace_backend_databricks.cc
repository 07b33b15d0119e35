// WorkspaceBackend over the simulated Databricks workspace (cloudsim/databricks/).
#include <memory>
#include <utility>

#include "cloudsim/databricks/workspace.h"
#include "cloudsim/workspace_backend.h"

namespace envctl::cloudsim {
namespace {

class DatabricksWorkspace : public WorkspaceBackend {
 public:
  DatabricksWorkspace(const std::string& id, const std::string& url, databricks::WorkspaceEnv env)
      : ws_(id, url, std::move(env)) {}
  void SetMutationCallback(std::function<void()> cb) { ws_.SetMutationCallback(std::move(cb)); }

  Response Handle(const Request& request) override { return ws_.Handle(request); }
  absl::StatusOr<int64_t> SubmitNotebookRun(const std::string& bearer,
                                            const std::string& notebook_path,
                                            const std::map<std::string, std::string>& params,
                                            absl::Duration timeout) override {
    return ws_.SubmitNotebookRun(bearer, notebook_path, params, timeout);
  }
  absl::StatusOr<NotebookRunView> GetRun(int64_t run_id) override {
    auto run = ws_.GetRun(run_id);
    if (!run.ok()) return run.status();
    NotebookRunView v;
    v.life_cycle_state = run->life_cycle_state;
    v.result_state = run->result_state;
    v.state_message = run->state_message;
    v.notebook_output = run->notebook_output;
    v.error = run->error;
    v.run_page_url = run->run_page_url;
    return v;
  }
  absl::Status Cancel(int64_t run_id) override { return ws_.Cancel(run_id); }
  nlohmann::json Save() const override { return ws_.Save(); }
  absl::Status Load(const nlohmann::json& state) override { return ws_.Load(state); }

 private:
  databricks::Workspace ws_;
};

}  // namespace

std::unique_ptr<WorkspaceBackend> MakeWorkspaceBackend(const std::string& workspace_id,
                                                       const std::string& workspace_url,
                                                       WorkspaceBackendEnv env) {
  databricks::WorkspaceEnv ws_env;
  ws_env.clock = env.clock;
  ws_env.speed = env.speed;
  ws_env.accept_aad_token = std::move(env.accept_aad_token);
  ws_env.read_key_vault_secret = std::move(env.read_key_vault_secret);
  if (env.authorize_storage) {
    ws_env.authorize_storage = [authorize = std::move(env.authorize_storage)](
                                   const databricks::StorageAccess& a) {
      StorageCredential credential;
      credential.kind =
          a.auth == databricks::StorageAccess::kSharedKey ? StorageCredential::kSharedKey
          : a.auth == databricks::StorageAccess::kManagedIdentity
              ? StorageCredential::kManagedIdentity
          : a.auth == databricks::StorageAccess::kClientSecret ? StorageCredential::kClientSecret
                                                               : StorageCredential::kNone;
      credential.account_key = a.account_key;
      credential.client_id = a.client_id;
      credential.client_secret = a.client_secret;
      return authorize(a.account, a.container, a.write, credential);
    };
  }
  auto ws = std::make_unique<DatabricksWorkspace>(workspace_id, workspace_url, std::move(ws_env));
  if (env.on_mutation) ws->SetMutationCallback(std::move(env.on_mutation));
  return ws;
}

}  // namespace envctl::cloudsim
