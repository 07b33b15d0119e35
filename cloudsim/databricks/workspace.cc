#include "cloudsim/databricks/workspace.h"

#include <utility>

#include "absl/synchronization/mutex.h"

namespace envctl::cloudsim::databricks {

class Workspace::Impl {
 public:
  Impl(std::string id, std::string url, WorkspaceEnv env)
      : id_(std::move(id)), url_(std::move(url)), env_(std::move(env)) {}

  std::string id_;
  std::string url_;
  WorkspaceEnv env_;
  mutable absl::Mutex mu_;
  std::function<void()> on_mutation_;
};

Workspace::Workspace(std::string workspace_id, std::string workspace_url, WorkspaceEnv env)
    : impl_(std::make_unique<Impl>(std::move(workspace_id), std::move(workspace_url),
                                   std::move(env))) {}
Workspace::~Workspace() = default;

Response Workspace::Handle(const Request&) {
  Response r;
  r.status = 501;
  r.headers["Content-Type"] = "application/json";
  r.body = R"({"error_code":"NOT_IMPLEMENTED","message":"not implemented yet"})";
  return r;
}

absl::StatusOr<int64_t> Workspace::SubmitNotebookRun(const std::string&, const std::string&,
                                                     const std::map<std::string, std::string>&,
                                                     absl::Duration) {
  return absl::UnimplementedError("not implemented yet");
}
absl::StatusOr<Workspace::RunView> Workspace::GetRun(int64_t run_id) {
  return absl::NotFoundError("Run " + std::to_string(run_id) + " does not exist.");
}
absl::Status Workspace::Cancel(int64_t run_id) {
  return absl::NotFoundError("Run " + std::to_string(run_id) + " does not exist.");
}
nlohmann::json Workspace::Save() const { return nlohmann::json::object(); }
absl::Status Workspace::Load(const nlohmann::json&) { return absl::OkStatus(); }
void Workspace::SetMutationCallback(std::function<void()> cb) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->on_mutation_ = std::move(cb);
}

}  // namespace envctl::cloudsim::databricks
