// envctl controller --config FILE: the long-running GitOps controller (see
// cmd/envctl/controller_host.h); runs until SIGINT or SIGTERM.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/controller_config.h"
#include "cmd/envctl/controller_host.h"
#include "cmd/envctl/ha_backend.h"
#include "cmd/envctl/log_flags.h"
#include "cmd/envctl/shutdown_signal.h"
#include "common/log.h"
#include "controller/etcd_state_store.h"
#include "controller/state_store.h"

namespace envctl::cli {

namespace {

constexpr char kControllerUsage[] =
    R"(Usage: envctl controller --config FILE [--cloud FILE] [--state-dir D]
                         [--grpc-listen ADDR] [--http-listen ADDR] [--replica-id ID]
                         [--log-format text|json] [--log-level L]

Runs the GitOps controller until SIGINT/SIGTERM: polls the source named in the config (a
Git repository or a folder) and converges every environment it declares, resyncs each
one on its sync.resyncInterval, repairs drift per policy and reruns integration tests
when what they cover changes. Serves:
  gRPC  envctl.v1.EnvironmentService, health, reflection   (default 127.0.0.1:50051)
  HTTP  /metrics /healthz /webhooks/git /webhooks/eventgrid (default 127.0.0.1:9464)

Flags override the config file:
  --config FILE       controller configuration (example: deploy/controller.example.yaml)
  --cloud FILE        endpoints.json of the target cloud (cloudsim writes one)
  --state-dir D       where state, run records and the Git checkout live
  --grpc-listen ADDR  e.g. 127.0.0.1:50051 (port 0 picks a free one)
  --http-listen ADDR  e.g. 127.0.0.1:9464
  --replica-id ID     this replica's name with the etcd state backend (config
                      state.etcd; default HOST:PID); replicas share the environments
  --log-format F      log lines on stderr: text (default) or json (config log.format)
  --log-level L       debug, info (default), warn, error or off (config log.level)

Exit status: 0 after a clean shutdown, 1 when it cannot start (bad config, unreadable
source, spec errors, address in use).
)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "envctl controller: %s\n", message.c_str());
  return 1;
}

}  // namespace

int RunController(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1,
                        {"config", "cloud", "state-dir", "grpc-listen", "http-listen", "replica-id",
                         kLogFormatFlag, kLogLevelFlag},
                        {"help"});
  if (!args.ok()) return Fail(std::string(args.status().message()) + " (see --help)");
  if (args->GetBool("help")) {
    std::fputs(kControllerUsage, stdout);
    return 0;
  }
  if (!args->Has("config")) return Fail("--config FILE is required (see --help)");
  auto config = LoadControllerConfig(args->Get("config"));
  if (!config.ok()) return Fail(std::string(config.status().message()));
  if (args->Has("cloud")) config->cloud_file = args->Get("cloud");
  if (args->Has("state-dir")) config->state_dir = args->Get("state-dir");
  if (args->Has("grpc-listen")) config->grpc_listen = args->Get("grpc-listen");
  if (args->Has("http-listen")) config->http_listen = args->Get("http-listen");
  if (absl::Status s = ConfigureLogging(*args, config->log_format, config->log_level); !s.ok()) {
    return Fail(std::string(s.message()));
  }

  const std::string state_root =
      config->state_dir.empty() ? controller::DefaultStateDir("controller") : config->state_dir;
  auto source = MakeSource(*config, (std::filesystem::path(state_root) / "source").string());
  if (!source.ok()) return Fail(std::string(source.status().message()));
  // Fail fast on a source or spec that cannot work; later failures are retried.
  auto first = MakeLoader(**source)();
  if (!first.ok()) {
    log::Error("source_error").Error(first.status());
    return Fail(std::string(first.status().message()));
  }
  if (first->environments.empty()) return Fail((*source)->Describe() + " declares no environment");
  std::set<std::string> declared;
  for (const auto& env : first->environments) declared.insert(env.name());
  for (const std::string& wanted : config->environments) {
    if (!declared.count(wanted)) {
      return Fail(absl::StrCat("environments: ", wanted, " is not declared by ",
                               (*source)->Describe(), " (it declares ",
                               absl::StrJoin(declared, ", "), ")"));
    }
  }

  RunnerOptions runner_options;
  runner_options.cloud_file = config->cloud_file;
  runner_options.state_dir = (std::filesystem::path(state_root) / "state").string();
  const std::string project = first->environments.front().project();
  std::unique_ptr<HaBackend> ha;
  std::string state_description = runner_options.state_dir;
  if (!config->etcd_endpoints.empty()) {
    if (args->Has("replica-id") && args->Get("replica-id").empty())
      return Fail("--replica-id must not be empty");
    ha = std::make_unique<HaBackend>();
    controller::ReplicaSetOptions replica;
    replica.replica_id = args->Get("replica-id", DefaultReplicaId());
    replica.prefix = EtcdPrefix(*config, project);
    replica.lease_ttl = config->etcd_lease_ttl;
    // Cloud requests say which replica sent them (cloudsim's request log shows it).
    runner_options.user_agent_comment = absl::StrCat("(replica ", replica.replica_id, ")");
    state_description = absl::StrCat("etcd ", absl::StrJoin(config->etcd_endpoints, ","), " ",
                                     replica.prefix, " as replica ", replica.replica_id);
    HaBackend* backend = ha.get();
    const ControllerConfig& cfg = *config;
    runner_options.store_factory =
        [backend, replica, &cfg](
            metrics::Metrics& metrics) -> absl::StatusOr<std::unique_ptr<controller::StateStore>> {
      auto kv = ConnectEtcd(cfg, &metrics.etcd_request_duration_seconds());
      if (!kv.ok()) return kv.status();
      backend->kv = std::move(*kv);
      backend->replicas = std::make_unique<controller::ReplicaSet>(*backend->kv, RealClock::Get(),
                                                                   metrics, replica);
      return std::unique_ptr<controller::StateStore>(
          new controller::EtcdStateStore(*backend->kv, replica.prefix, backend->replicas.get()));
    };
  } else if (args->Has("replica-id")) {
    return Fail("--replica-id needs the etcd state backend (state.etcd in the config)");
  }
  auto runner = EnvironmentRunner::Create(runner_options, project);
  if (!runner.ok()) return Fail(std::string(runner.status().message()));

  if (absl::Status s = InstallShutdownSignalHandler(); !s.ok())
    return Fail(std::string(s.message()));
  auto host = ControllerHost::Start(*config, **source, **runner, ha.get());
  if (!host.ok()) return Fail(std::string(host.status().message()));
  std::cout << "envctl controller: " << (*source)->Describe() << " at " << first->revision << "\n"
            << "  gRPC  " << (*host)->grpc_address() << "  (envctl.v1.EnvironmentService)\n"
            << "  HTTP  " << (config->http_tls_cert_file.empty() ? "http://" : "https://")
            << (*host)->http_address()
            << "  (/metrics /healthz /webhooks/git /webhooks/eventgrid)\n"
            << "  state " << state_description << "\nCtrl-C to stop\n"
            << std::flush;
  log::Info("controller_started")
      .Str("source", (*source)->Describe())
      .Str("revision", first->revision)
      .Str("grpc", (*host)->grpc_address())
      .Str("http", (*host)->http_address());
  WaitForShutdownSignal();
  log::Info("controller_stopping");
  // On stdout with the banner: stderr holds only log lines (JSON lines stay parseable).
  std::cout << "envctl controller: stopping (finishing syncs in flight)" << std::endl;
  (*host)->Stop();
  return 0;
}

}  // namespace envctl::cli
