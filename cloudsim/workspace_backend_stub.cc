// Stand-in used while cloudsim/databricks/ is not part of the build.
#include "cloudsim/workspace_backend.h"

namespace envctl::cloudsim {
namespace {

class StubWorkspace : public WorkspaceBackend {
 public:
  Response Handle(const Request&) override {
    Response r;
    r.status = 501;
    r.headers["Content-Type"] = "application/json";
    r.body =
        R"({"error_code":"NOT_IMPLEMENTED","message":"The Databricks workspace simulation is not part of this cloudsim build."})";
    return r;
  }
  absl::StatusOr<int64_t> SubmitNotebookRun(const std::string&, const std::string&,
                                            const std::map<std::string, std::string>&,
                                            absl::Duration) override {
    return absl::UnimplementedError(
        "The Databricks workspace simulation is not part of this cloudsim build.");
  }
  absl::StatusOr<NotebookRunView> GetRun(int64_t) override {
    return absl::UnimplementedError("no Databricks simulation");
  }
  absl::Status Cancel(int64_t) override { return absl::OkStatus(); }
  nlohmann::json Save() const override { return nlohmann::json::object(); }
  absl::Status Load(const nlohmann::json&) override { return absl::OkStatus(); }
};

}  // namespace

std::unique_ptr<WorkspaceBackend> MakeWorkspaceBackend(const std::string&, const std::string&,
                                                       WorkspaceBackendEnv) {
  return std::make_unique<StubWorkspace>();
}

}  // namespace envctl::cloudsim
