// envctl up: the quickstart. Starts cloudsim (its own binary, a child process), applies
// examples/bikeshare's DEV and TEST with live progress, shows that a plan afterwards is empty, and
// prints a summary table. With --once it exits (0 only when both converged); otherwise the
// controller takes over (folder source on the repo, resync, drift repair) and serves gRPC
// and HTTP (/metrics, /healthz, webhooks) next to cloudsim until Ctrl-C.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/cloudsim_process.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/controller_host.h"
#include "cmd/envctl/environment_runner.h"
#include "cmd/envctl/log_flags.h"
#include "cmd/envctl/plan_render.h"
#include "cmd/envctl/shutdown_signal.h"
#include "common/log.h"
#include "controller/engine_log.h"
#include "nlohmann/json.hpp"
#include "spec/kinds.h"

namespace envctl::cli {

namespace {

namespace fs = std::filesystem;

constexpr char kUpUsage[] =
    R"(Usage: envctl up [--once] [--repo DIR] [--state-dir D] [--speed X] [--port P] [--fresh]
                 [--grpc-listen ADDR] [--http-listen ADDR] [--log-format F] [--log-level L]

Quickstart on cloudsim (no Azure account needed):
  1. starts the cloudsim binary as a child process (HTTPS on 127.0.0.1, state and
     cloudsim.log in D/cloudsim),
  2. applies every environment of the repo (default examples/bikeshare: dev and test)
     with live progress, integration notebooks included,
  3. plans again to show nothing is left to change, and prints a summary table,
  4. unless --once: runs the controller on the repo folder until Ctrl-C — edits to the
     repo are applied, drift is repaired per policy, each environment resyncs on its
     sync.resyncInterval — serving gRPC (envctl.v1.EnvironmentService) and HTTP
     (/metrics, /healthz, /webhooks/git, /webhooks/eventgrid).

Flags:
  --once        exit after convergence (0 only when every environment converged)
  --repo DIR    repo to apply (default examples/bikeshare)
  --state-dir D where cloudsim and envctl keep state (default .envctl/up); reused by the
                next run, which then has nothing to change
  --fresh       wipe the state dir first
  --speed X     cloudsim time scale (default 100: LROs and runs 100x faster than Azure)
  --port P      cloudsim port (default 0: any free port)
  --grpc-listen ADDR  controller gRPC address (default 127.0.0.1:50051; port 0: any)
  --http-listen ADDR  controller HTTP address (default 127.0.0.1:9464; port 0: any)
  --log-format F      structured log lines on stderr: text (default) or json
  --log-level L       debug, info, warn (default), error or off
)";

std::string DefaultRepo() {
  if (fs::exists("examples/bikeshare/envctl.yaml")) return "examples/bikeshare";
  return (fs::path(ENVCTL_SOURCE_DIR) / "examples/bikeshare").string();
}

struct Row {
  std::string environment;
  int resources = 0, created = 0, updated = 0, in_sync = 0, tests = 0, failed = 0;
  absl::Duration duration;
  bool converged = false;
  bool plan_empty = false;
};

// Points cloudsim's Event Grid at `endpoint` (its admin API, POST /_cloudsim/eventgrid):
// out-of-band ARM changes then reach the controller at once, as Event Grid would.
absl::Status SubscribeEventGrid(cloud::CloudSession& session, const std::string& admin_endpoint,
                                const std::string& endpoint) {
  if (admin_endpoint.empty())
    return absl::FailedPreconditionError("endpoints.json has no admin_endpoint");
  cloud::HttpRequest request;
  request.method = "POST";
  request.url = admin_endpoint + "/eventgrid";
  request.headers["Content-Type"] = "application/json";
  request.body = nlohmann::json({{"endpoint", endpoint}}).dump();
  request.idempotent = true;
  absl::StatusOr<cloud::HttpResponse> response = session.Unauthenticated().Send(request);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("cloudsim answered ", response->status, ": ", response->body));
  }
  return absl::OkStatus();
}

}  // namespace

int RunUp(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1,
                        {"repo", "state-dir", "speed", "port", "grpc-listen", "http-listen",
                         kLogFormatFlag, kLogLevelFlag},
                        {"once", "fresh", "help"});
  if (!args.ok()) {
    std::fprintf(stderr, "envctl up: %s\n\n%s", std::string(args.status().message()).c_str(),
                 kUpUsage);
    return 1;
  }
  if (args->GetBool("help")) {
    std::fputs(kUpUsage, stdout);
    return 0;
  }
  if (absl::Status s = ConfigureLogging(*args, "text", "warn"); !s.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const std::string repo = args->Get("repo", DefaultRepo());
  const fs::path state_dir = fs::absolute(args->Get("state-dir", ".envctl/up"));
  if (args->GetBool("fresh")) fs::remove_all(state_dir);

  auto envs = LoadEnvironments(repo, "");
  if (!envs.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(envs.status().message()).c_str());
    return 1;
  }

  const std::string sim_dir = (state_dir / "cloudsim").string();
  double speed = 100;
  if (!absl::SimpleAtod(args->Get("speed", "100"), &speed) || !(speed > 0)) {
    std::fprintf(stderr, "envctl up: --speed must be a positive number, got \"%s\"\n",
                 args->Get("speed").c_str());
    return 1;
  }
  int port = 0;
  if (!absl::SimpleAtoi(args->Get("port", "0"), &port) || port < 0 || port > 65535) {
    std::fprintf(stderr, "envctl up: --port must be 0..65535, got \"%s\"\n",
                 args->Get("port").c_str());
    return 1;
  }
  // cloudsim is its own binary: a child process for as long as `up` runs.
  const absl::Time sim_start = absl::Now();
  auto cloud = CloudsimProcess::Start(sim_dir, port, speed);
  if (!cloud.ok()) {
    std::fprintf(stderr, "envctl up: cannot start cloudsim: %s\n",
                 std::string(cloud.status().message()).c_str());
    return 1;
  }
  auto endpoints = cloud::LoadEndpointsFile((*cloud)->endpoints_file());
  if (!endpoints.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(endpoints.status().message()).c_str());
    return 1;
  }
  std::cout << absl::StrFormat(
      "cloudsim: %s (started in %.0f ms, endpoints %s)\n", endpoints->arm_endpoint,
      absl::ToDoubleMilliseconds(absl::Now() - sim_start), (*cloud)->endpoints_file());
  auto runner = EnvironmentRunner::Create(*endpoints, (state_dir / "state").string(),
                                          envs->front().project());
  if (!runner.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(runner.status().message()).c_str());
    return 1;
  }

  std::vector<Row> rows;
  std::mutex out_mu;
  for (const auto& env : *envs) {
    const int enabled =
        static_cast<int>(std::count_if(env.resources().begin(), env.resources().end(),
                                       [](const auto& r) { return spec::IsEnabled(r); }));
    std::cout << "\n== " << env.name() << ": applying " << enabled << " resources";
    if (enabled < env.resources_size())
      std::cout << " (" << env.resources_size() - enabled << " disabled)";
    std::cout << " from " << repo << "\n" << std::flush;
    controller::EngineOptions options;
    options.sync_id = NewSyncId(env.name());
    options.on_progress = [&](controller::Phase phase, const controller::ResourceOutcome& o) {
      if (phase == controller::Phase::kStarted) return;
      std::lock_guard<std::mutex> lock(out_mu);
      std::cout << "  " << RenderProgressLine(phase, o) << std::endl;
    };
    options.on_detail = [&](const std::string& resource, const std::string& message) {
      std::lock_guard<std::mutex> lock(out_mu);
      std::cout << "      " << resource << ": " << message << std::endl;
    };
    Row row;
    row.environment = env.name();
    log::Info("sync_start").Str("environment", env.name()).Str("sync_id", options.sync_id);
    const absl::Time start = absl::Now();
    auto applied = (*runner)->engine().Apply(env, options);
    row.duration = absl::Now() - start;
    controller::LogSyncEnd(env.name(), options.sync_id, env.revision(), row.duration, applied);
    if (!applied.ok()) {
      std::cerr << "envctl up: " << env.name() << ": " << applied.status().message() << "\n";
      rows.push_back(row);
      continue;
    }
    for (const auto& o : applied->resources) {
      ++row.resources;
      if (!o.status.ok() || !o.blocked_by.empty())
        ++row.failed;
      else if (!o.applied)
        ++row.in_sync;
      else if (o.action == reconcilers::Action::kCreate)
        ++row.created;
      else if (o.action == reconcilers::Action::kUpdate)
        ++row.updated;
      if (o.action == reconcilers::Action::kRun) ++row.tests;
    }
    std::cout << "  " << RenderApplySummary(*applied, row.duration) << "\n";
    for (const auto& o : applied->resources) {
      if (!o.status.ok()) std::cout << "  error: " << o.status.message() << "\n";
    }
    row.converged = applied->ok();
    auto plan = (*runner)->engine().Plan(env);
    if (plan.ok()) {
      row.plan_empty = plan->InSync();
      std::cout << "  plan after apply: "
                << (row.plan_empty ? "no changes\n" : "\n" + RenderPlanText(*plan));
    } else {
      std::cout << "  plan after apply failed: " << plan.status().message() << "\n";
    }
    rows.push_back(row);
  }

  std::cout << "\n"
            << absl::StrFormat("%-12s %9s %8s %8s %8s %6s %7s %9s  %s\n", "ENVIRONMENT",
                               "RESOURCES", "CREATED", "UPDATED", "IN SYNC", "TESTS", "FAILED",
                               "DURATION", "PLAN");
  bool all_good = !rows.empty();
  for (const Row& r : rows) {
    std::cout << absl::StrFormat("%-12s %9d %8d %8d %8d %6d %7d %8.1fs  %s\n", r.environment,
                                 r.resources, r.created, r.updated, r.in_sync, r.tests, r.failed,
                                 absl::ToDoubleSeconds(r.duration),
                                 r.plan_empty ? "empty" : "CHANGES PENDING");
    all_good = all_good && r.converged && r.plan_empty;
  }
  std::cout << (all_good ? "\nAll environments converged.\n"
                         : "\nNot every environment converged; see errors above.\n");

  if (args->GetBool("once")) return all_good ? 0 : 1;

  // The controller takes over: same runner (state, metrics), the repo folder as source.
  ControllerConfig config;
  config.folder = fs::absolute(repo).string();
  config.poll_interval = absl::Seconds(10);
  config.grpc_listen = args->Get("grpc-listen", config.grpc_listen);
  config.http_listen = args->Get("http-listen", config.http_listen);
  auto source = MakeSource(config, "");
  if (!source.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(source.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = InstallShutdownSignalHandler(); !s.ok()) {
    std::fprintf(stderr, "envctl up: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto host = ControllerHost::Start(config, **source, **runner);
  if (!host.ok()) {
    std::fprintf(stderr,
                 "envctl up: cannot start the controller: %s\n(use --grpc-listen/--http-listen "
                 "with port 0, or --once)\n",
                 std::string(host.status().message()).c_str());
    return 1;
  }
  // Out-of-band changes in cloudsim reach the controller at once, as Event Grid would.
  if (absl::Status s =
          SubscribeEventGrid((*runner)->session(), endpoints->admin_endpoint,
                             "http://" + (*host)->http_address() + "/webhooks/eventgrid");
      !s.ok()) {
    std::cerr << "envctl up: Event Grid subscription failed (drift is still found on resync): "
              << s.message() << "\n";
  }
  std::cout << "\nController running on " << config.folder
            << " (edits are applied; drift is repaired per policy)\n"
            << "  gRPC     " << (*host)->grpc_address() << "  envctl.v1.EnvironmentService\n"
            << "  metrics  http://" << (*host)->http_address() << "/metrics\n"
            << "  health   http://" << (*host)->http_address() << "/healthz\n"
            << "  cloudsim " << (*cloud)->endpoints_file() << "\n"
            << "Try:\n"
            << "  ./build/envctl plan " << repo << " --cloud " << (*cloud)->endpoints_file()
            << " --state-dir " << (state_dir / "state").string() << "\n"
            << "  curl -s http://" << (*host)->http_address()
            << "/metrics | grep envctl_resources\n"
            << "Ctrl-C to stop.\n"
            << std::flush;
  WaitForShutdownSignal();
  std::cerr << "envctl up: stopping (finishing syncs in flight)\n";
  (*host)->Stop();
  return all_good ? 0 : 1;
}

}  // namespace envctl::cli
