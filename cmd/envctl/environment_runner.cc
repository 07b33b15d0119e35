#include "cmd/envctl/environment_runner.h"

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "reconcilers/cloud_reconcilers.h"
#include "spec/loader.h"
#include "spec/references.h"

namespace envctl::cli {

absl::StatusOr<std::unique_ptr<EnvironmentRunner>> EnvironmentRunner::Create(
    const RunnerOptions& options, const std::string& project) {
  ASSIGN_OR_RETURN(cloud::CloudEndpoints endpoints, cloud::ResolveEndpoints(options.cloud_file));
  std::string state_dir = options.state_dir;
  if (state_dir.empty()) {
    // Keyed by subscription so state of one cloud (or one cloudsim) never leaks into another.
    state_dir = (std::filesystem::path(controller::DefaultStateDir(project)) /
                 (endpoints.subscription_id.empty() ? "default" : endpoints.subscription_id))
                    .string();
  }
  return Create(std::move(endpoints), state_dir, project, options.lock_state_dir,
                options.store_factory, options.user_agent_comment);
}

absl::StatusOr<std::unique_ptr<EnvironmentRunner>> EnvironmentRunner::Create(
    cloud::CloudEndpoints endpoints, const std::string& state_dir, const std::string&,
    bool lock_state_dir, StoreFactory store_factory, const std::string& user_agent_comment) {
  std::unique_ptr<EnvironmentRunner> runner(new EnvironmentRunner());
  // Before anything reads the state: a second apply or controller on this dir fails here.
  if (lock_state_dir) {
    ASSIGN_OR_RETURN(runner->lock_, controller::StateDirLock::Acquire(state_dir));
  }
  Clock& clock = RealClock::Get();
  cloud::CloudSessionOptions session_options;
  session_options.user_agent_comment = user_agent_comment;
  ASSIGN_OR_RETURN(runner->session_,
                   cloud::CloudSession::Create(std::move(endpoints), clock, runner->metrics_,
                                               std::move(session_options)));
  runner->registry_ = reconcilers::BuildCloudReconcilers(*runner->session_, clock);
  runner->state_dir_ = state_dir;
  if (store_factory) {
    ASSIGN_OR_RETURN(runner->store_, store_factory(runner->metrics_));
  } else {
    runner->store_ = std::make_unique<controller::FileStateStore>(state_dir);
  }
  runner->engine_ = std::make_unique<controller::Engine>(*runner->registry_, *runner->store_, clock,
                                                         spec::ResourceDependencies);
  return runner;
}

absl::StatusOr<std::vector<envctl::v1::Environment>> LoadEnvironments(const std::string& dir,
                                                                      const std::string& env) {
  if (!std::filesystem::is_directory(dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": not a directory (expected a repo with envctl.yaml)"));
  }
  spec::LoadResult loaded = spec::LoadRepo(dir, env);
  if (!loaded.ok()) {
    std::fputs(spec::FormatDiagnostics(loaded.errors).c_str(), stderr);
    return absl::InvalidArgumentError(
        absl::StrCat(loaded.errors.size(), " error(s) in ", dir, "; run envctl validate ", dir));
  }
  return loaded.environments;
}

}  // namespace envctl::cli
