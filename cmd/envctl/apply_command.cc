// envctl apply DIR [--env E] [--once]: converges live state to the repo, printing
// progress per resource and a summary. Without --once it keeps resyncing at each
// environment's sync.resyncInterval until interrupted.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_session.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/environment_runner.h"
#include "cmd/envctl/log_flags.h"
#include "cmd/envctl/plan_render.h"
#include "cmd/envctl/shutdown_signal.h"
#include "common/log.h"
#include "controller/engine_log.h"
#include "google/protobuf/util/time_util.h"
#include "spec/kinds.h"

namespace envctl::cli {

namespace {

constexpr char kApplyUsage[] =
    R"(Usage: envctl apply DIR [--env E] [--once] [--cloud FILE] [--state-dir D] [--allow-mass-prune]
                          [--log-format text|json] [--log-level L]

Converges live state to the repo: every environment at once, each resource as soon as
its own dependencies are done, printing each resource's action and duration, then a
summary naming the critical path (the dependency chain that bounded the apply). A second apply with nothing changed makes no writes.

Flags:
  --env E              only this environment (default: all in envctl.yaml)
  --once               apply once and exit (exit 0 only when every environment converged)
  --cloud FILE         endpoints.json of the target cloud (or ENVCTL_CLOUD); default public Azure
  --state-dir D        where envctl keeps its inventory
  --allow-mass-prune   let prune exceed sync.maxPrune or delete a resource group
  --quiet              only the summary
  --log-format F       structured log lines on stderr: text (default) or json
  --log-level L        debug, info, warn (default), error or off
)";

// Applies one environment; returns true when it converged.
bool ApplyOne(EnvironmentRunner& runner, const envctl::v1::Environment& env, bool allow_mass_prune,
              bool quiet, std::mutex& out_mu) {
  controller::EngineOptions options;
  options.allow_mass_prune = allow_mass_prune;
  options.sync_id = NewSyncId(env.name());
  if (!quiet) {
    options.on_progress = [&out_mu, &env](controller::Phase phase,
                                          const controller::ResourceOutcome& o) {
      if (phase == controller::Phase::kStarted) return;
      std::lock_guard<std::mutex> lock(out_mu);
      std::cout << env.name() << " " << RenderProgressLine(phase, o) << std::endl;
    };
    options.on_detail = [&out_mu, &env](const std::string& resource, const std::string& message) {
      std::lock_guard<std::mutex> lock(out_mu);
      std::cout << env.name() << "   " << resource << ": " << message << std::endl;
    };
  }
  log::Info("sync_start")
      .Str("environment", env.name())
      .Str("sync_id", options.sync_id)
      .Str("revision", env.revision());
  const absl::Time start = absl::Now();
  auto result = runner.engine().Apply(env, options);
  controller::LogSyncEnd(env.name(), options.sync_id, env.revision(), absl::Now() - start, result);
  std::lock_guard<std::mutex> lock(out_mu);
  if (!result.ok()) {
    std::cerr << "envctl apply: environment " << env.name() << ": " << result.status().message()
              << "\n";
    return false;
  }
  std::cout << RenderApplySummary(*result, absl::Now() - start) << std::endl;
  for (const auto& o : result->resources) {
    if (!o.status.ok()) std::cerr << "  error: " << o.status.message() << "\n";
  }
  return result->ok();
}

// Applies every environment once, all at once (they share the engine's executor, which
// bounds cloud concurrency per service and keeps environments fair); returns true when
// all converged.
bool ApplyAll(EnvironmentRunner& runner, const std::vector<envctl::v1::Environment>& envs,
              bool allow_mass_prune, bool quiet) {
  std::mutex out_mu;
  std::vector<std::thread> threads;
  std::vector<char> converged(envs.size(), 1);
  // The Databricks and Key Vault tokens are first needed deep in the graph (after the
  // workspace or vault exists): fetch them now, beside the first ARM requests.
  bool databricks = false, keyvault = false;
  for (const auto& env : envs) {
    for (const auto& r : env.resources()) {
      if (!spec::IsEnabled(r)) continue;
      databricks |= r.has_databricks_workspace() || controller::ServiceOf(r) == "databricks";
      keyvault |= controller::ServiceOf(r) == "keyvault";
    }
  }
  std::vector<std::string> scopes;
  if (databricks) scopes.push_back(cloud::kDatabricksScope);
  if (keyvault) scopes.push_back(cloud::kKeyVaultScope);
  if (!scopes.empty()) runner.session().PrefetchTokens(scopes);
  for (size_t i = 0; i < envs.size(); ++i) {
    if (envs[i].sync().suspended()) {
      std::cout << "Environment " << envs[i].name() << " is suspended (sync.suspended); skipped\n";
      continue;
    }
    threads.emplace_back([&, i] {
      converged[i] = ApplyOne(runner, envs[i], allow_mass_prune, quiet, out_mu) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  return std::all_of(converged.begin(), converged.end(), [](char c) { return c != 0; });
}

absl::Duration ResyncInterval(const std::vector<envctl::v1::Environment>& envs) {
  absl::Duration interval = absl::Minutes(10);
  for (const auto& env : envs) {
    if (env.sync().has_resync_interval()) {
      absl::Duration d = absl::Seconds(
          google::protobuf::util::TimeUtil::DurationToSeconds(env.sync().resync_interval()));
      if (d > absl::ZeroDuration() && d < interval) interval = d;
    }
  }
  return interval;
}

}  // namespace

int RunApply(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1, {"env", "cloud", "state-dir", kLogFormatFlag, kLogLevelFlag},
                        {"once", "allow-mass-prune", "quiet", "help"});
  if (!args.ok()) {
    std::fprintf(stderr, "envctl apply: %s\n\n%s", std::string(args.status().message()).c_str(),
                 kApplyUsage);
    return 1;
  }
  if (args->GetBool("help")) {
    std::fputs(kApplyUsage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "envctl apply: expected one repo DIR\n\n%s", kApplyUsage);
    return 1;
  }
  if (absl::Status s = ConfigureLogging(*args, "text", "warn"); !s.ok()) {
    std::fprintf(stderr, "envctl apply: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const std::string dir = args->positional[0];
  auto envs = LoadEnvironments(dir, args->Get("env"));
  if (!envs.ok()) {
    std::fprintf(stderr, "envctl apply: %s\n", std::string(envs.status().message()).c_str());
    return 1;
  }
  auto runner = EnvironmentRunner::Create({args->Get("cloud"), args->Get("state-dir")},
                                          envs->empty() ? "" : envs->front().project());
  if (!runner.ok()) {
    std::fprintf(stderr, "envctl apply: %s\n", std::string(runner.status().message()).c_str());
    return 1;
  }
  const bool allow = args->GetBool("allow-mass-prune");
  const bool quiet = args->GetBool("quiet");
  if (args->GetBool("once")) return ApplyAll(**runner, *envs, allow, quiet) ? 0 : 1;

  if (absl::Status s = InstallShutdownSignalHandler(); !s.ok()) {
    std::fprintf(stderr, "envctl apply: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  while (true) {
    ApplyAll(**runner, *envs, allow, quiet);
    absl::Duration interval = ResyncInterval(*envs);
    std::cout << "next resync in " << absl::FormatDuration(interval) << " (Ctrl-C to stop)"
              << std::endl;
    if (WaitForShutdownSignalFor(interval)) break;
    auto reloaded = LoadEnvironments(dir, args->Get("env"));
    if (reloaded.ok()) *envs = *std::move(reloaded);  // keep the last good spec on errors
  }
  return 0;
}

}  // namespace envctl::cli
