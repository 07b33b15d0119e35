// envctl status: environment status (conditions, per-resource state, drift, recent runs)
// either from a running controller over gRPC (the default) or from a state directory
// written by apply / up / the controller (--state-dir).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

#include "absl/strings/str_format.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "cmd/envctl/controller_config.h"
#include "cmd/envctl/ha_backend.h"
#include "controller/etcd_state_store.h"
#include "controller/state_store.h"
#include "envctl/v1/service.grpc.pb.h"
#include "envctl/v1/status.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "reconcilers/runs/run_support.h"

namespace envctl::cli {

namespace {

namespace fs = std::filesystem;

constexpr char kStatusUsage[] =
    R"(Usage: envctl status [--server ADDR] [--token-env VAR] [--env E] [--json]
       envctl status --state-dir D [--env E] [--json]
       envctl status --config FILE [--env E] [--json]

Shows each environment's conditions, every resource's state and drift, and recent
integration runs.
  --server ADDR    ask a running controller over gRPC (default 127.0.0.1:50051, the
                   address `envctl controller` and `envctl up` listen on)
  --token-env VAR  environment variable holding the controller's API token
                   (default ENVCTL_API_TOKEN; sent only when set)
  --state-dir D    read what apply / up / the controller recorded in state directory D
                   instead (the --state-dir given to apply, or .envctl/up/state for up)
  --config FILE    read the state backend a controller config names: its etcd
                   (state.etcd, shared by replicas) or its state dir; every
                   environment shows its owner (the replica id, or the pid holding
                   the state dir)
  --env E          only environment E
  --json           one JSON document {"environments": [EnvironmentStatus, ...]}
                   (protobuf JSON mapping), even for one environment

Exit status: 0 shown, 1 error (no controller at ADDR, unknown environment, no state).
)";

const char* StateName(envctl::v1::ResourceState s) {
  switch (s) {
    case envctl::v1::RESOURCE_STATE_IN_SYNC:
      return "in_sync";
    case envctl::v1::RESOURCE_STATE_DRIFTED:
      return "drifted";
    case envctl::v1::RESOURCE_STATE_PENDING:
      return "pending";
    case envctl::v1::RESOURCE_STATE_ERROR:
      return "error";
    default:
      return "unknown";
  }
}

void Print(const std::string& environment, const envctl::v1::EnvironmentStatus& st) {
  std::cout << "Environment " << environment << (st.suspended() ? "  (suspended)" : "")
            << "  revision " << (st.synced_revision().empty() ? "-" : st.synced_revision())
            << (st.owner().empty() ? "" : "  owner " + st.owner()) << "\n  conditions:";
  for (const auto& c : st.conditions()) {
    std::cout << " " << c.type() << "="
              << (c.status() == envctl::v1::CONDITION_STATUS_TRUE ? "True" : "False");
  }
  std::cout << "\n";
  const auto& p = st.promotion();
  if (!p.revision().empty() && p.revision() != st.synced_revision())
    std::cout << "  running revision " << p.revision() << "\n";
  if (!p.pinned_revision().empty()) std::cout << "  pinned by " << p.pinned_by() << "\n";
  if (!p.pending_revision().empty())
    std::cout << "  pending revision " << p.pending_revision() << "\n";
  if (!p.waiting_for().empty()) std::cout << "  waiting for " << p.waiting_for() << "\n";
  for (const auto& r : st.resources()) {
    std::cout << absl::StrFormat("  %-24s %-24s %s", r.name(), r.kind(), StateName(r.state()));
    if (!r.last_error().empty()) std::cout << "  " << r.last_error();
    if (!r.blocked_by().empty()) std::cout << "  blocked by " << r.blocked_by();
    std::cout << "\n";
    for (const auto& d : r.drift()) {
      std::cout << "      drift " << d.path() << ": live " << d.old_value() << ", repo "
                << d.new_value() << "\n";
    }
  }
  for (const auto& run : st.runs()) {
    std::cout << "  run " << run.test() << " " << reconcilers::RunResultText(run.result()) << " "
              << run.external_run_id() << (run.message().empty() ? "" : "  " + run.message())
              << "\n";
  }
}

// Prints text at once; with --json collects the statuses and prints them as one document,
// {"environments": [EnvironmentStatus, ...]}, whatever their number (Finish).
class StatusPrinter {
 public:
  explicit StatusPrinter(bool json) : json_(json) {}

  void Show(const std::string& environment, envctl::v1::EnvironmentStatus status) {
    if (!json_) return Print(environment, status);
    if (status.name().empty()) status.set_name(environment);
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(status, &text, options);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    documents_.push_back(std::move(text));
  }

  void Finish() {
    if (!json_) return;
    std::cout << "{\"environments\": [";
    for (size_t i = 0; i < documents_.size(); ++i) std::cout << (i ? ",\n" : "\n") << documents_[i];
    std::cout << "\n]}\n";
  }

 private:
  const bool json_;
  std::vector<std::string> documents_;
};

int StatusFromServer(const Args& args) {
  const std::string server = args.Get("server", "127.0.0.1:50051");
  const std::string token_env = args.Get("token-env", "ENVCTL_API_TOKEN");
  const char* token = std::getenv(token_env.c_str());
  auto stub = envctl::v1::EnvironmentService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  auto context = [&]() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    if (token != nullptr && *token != '\0')
      c->AddMetadata("authorization", std::string("Bearer ") + token);
    return c;
  };
  auto fail = [&](const grpc::Status& st) {
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
        st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(
          stderr,
          "envctl status: no controller answers at %s (%s); start one with `envctl controller` or "
          "`envctl up`, pass --server, or read a state dir with --state-dir\n",
          server.c_str(), st.error_message().c_str());
    } else if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      std::fprintf(
          stderr,
          "envctl status: %s: %s (export the token in $%s or name its variable with --token-env)\n",
          server.c_str(), st.error_message().c_str(), token_env.c_str());
    } else {
      std::fprintf(stderr, "envctl status: %s: %s\n", server.c_str(), st.error_message().c_str());
    }
    return 1;
  };
  std::vector<std::string> names;
  if (args.Has("env")) {
    names.push_back(args.Get("env"));
  } else {
    envctl::v1::ListEnvironmentsResponse list;
    grpc::Status st = stub->ListEnvironments(context().get(), {}, &list);
    if (!st.ok()) return fail(st);
    for (const auto& e : list.environments()) names.push_back(e.name());
    if (names.empty()) {
      std::fprintf(stderr, "envctl status: the controller at %s manages no environment yet\n",
                   server.c_str());
      return 1;
    }
  }
  StatusPrinter printer(args.GetBool("json"));
  for (const std::string& name : names) {
    envctl::v1::GetEnvironmentRequest request;
    request.set_name(name);
    envctl::v1::GetEnvironmentResponse response;
    grpc::Status st = stub->GetEnvironment(context().get(), request, &response);
    if (!st.ok()) return fail(st);
    printer.Show(name, response.status());
  }
  printer.Finish();
  return 0;
}

}  // namespace

namespace {

// Every environment with state in `dir`; the owner is the pid holding the dir, if any.
int StatusFromDir(const Args& args, const std::string& dir) {
  controller::FileStateStore store(dir);
  const int holder = controller::StateDirLock::HolderPid(dir);
  int shown = 0;
  StatusPrinter printer(args.GetBool("json"));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // environments in a stable order
  for (const fs::path& path : files) {
    const std::string file = path.filename().string();
    const std::string suffix = ".state.json";
    if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix)
      continue;
    const std::string env = file.substr(0, file.size() - suffix.size());
    if (args.Has("env") && env != args.Get("env")) continue;
    auto state = store.Load(env);
    if (!state.ok()) {
      std::fprintf(stderr, "envctl status: %s\n", std::string(state.status().message()).c_str());
      return 1;
    }
    if (holder > 0) state->mutable_status()->set_owner("pid " + std::to_string(holder));
    printer.Show(env, state->status());
    ++shown;
  }
  if (shown == 0) {
    std::fprintf(stderr, "envctl status: no environment state in %s\n", dir.c_str());
    return 1;
  }
  printer.Finish();
  return 0;
}

// The environments in the etcd backend of `config` (every project prefix under /envctl
// when state.etcd.prefix is unset), each with its owner key's replica id.
int StatusFromEtcd(const Args& args, const ControllerConfig& config) {
  auto kv = ConnectEtcd(config);
  if (!kv.ok()) {
    std::fprintf(stderr, "envctl status: %s\n", std::string(kv.status().message()).c_str());
    return 1;
  }
  std::vector<std::string> prefixes;
  if (!config.etcd_prefix.empty()) {
    prefixes.push_back(config.etcd_prefix);
  } else {
    auto all = (*kv)->List("/envctl/");
    if (!all.ok()) {
      std::fprintf(stderr, "envctl status: %s\n", std::string(all.status().message()).c_str());
      return 1;
    }
    std::set<std::string> found;
    for (const auto& k : *all) {
      const size_t at = k.key.find("/state/", 8);
      if (at != std::string::npos) found.insert(k.key.substr(0, at));
    }
    prefixes.assign(found.begin(), found.end());
  }
  StatusPrinter printer(args.GetBool("json"));
  int shown = 0;
  for (const std::string& prefix : prefixes) {
    controller::EtcdStateStore store(**kv, prefix, nullptr);
    auto envs = store.Environments();
    if (!envs.ok()) {
      std::fprintf(stderr, "envctl status: %s\n", std::string(envs.status().message()).c_str());
      return 1;
    }
    for (const std::string& env : *envs) {
      if (args.Has("env") && env != args.Get("env")) continue;
      auto state = store.Load(env);
      auto owner = store.Owner(env);
      if (!state.ok() || !owner.ok()) {
        const absl::Status& s = !state.ok() ? state.status() : owner.status();
        std::fprintf(stderr, "envctl status: %s\n", std::string(s.message()).c_str());
        return 1;
      }
      state->mutable_status()->set_owner(*owner);
      printer.Show(env, state->status());
      ++shown;
    }
  }
  if (shown == 0) {
    std::fprintf(stderr, "envctl status: no environment state in etcd %s\n",
                 config.etcd_endpoints.front().c_str());
    return 1;
  }
  printer.Finish();
  return 0;
}

int StatusFromConfig(const Args& args) {
  auto config = LoadControllerConfig(args.Get("config"));
  if (!config.ok()) {
    std::fprintf(stderr, "envctl status: %s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  if (!config->etcd_endpoints.empty()) return StatusFromEtcd(args, *config);
  const std::string root =
      config->state_dir.empty() ? controller::DefaultStateDir("controller") : config->state_dir;
  const std::string dir = (fs::path(root) / "state").string();
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr,
                 "envctl status: state directory %s not found (no controller ran with %s)\n",
                 dir.c_str(), args.Get("config").c_str());
    return 1;
  }
  return StatusFromDir(args, dir);
}

}  // namespace

int RunStatus(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1, {"state-dir", "env", "server", "token-env", "config"},
                        {"json", "help"});
  if (!args.ok() || args->GetBool("help")) {
    if (!args.ok())
      std::fprintf(stderr, "envctl status: %s\n\n", std::string(args.status().message()).c_str());
    std::fputs(kStatusUsage, args.ok() ? stdout : stderr);
    return args.ok() ? 0 : 1;
  }
  if (args->Has("config")) {
    if (args->Has("state-dir") || args->Has("server")) {
      std::fprintf(stderr, "envctl status: pass one of --config, --state-dir or --server\n");
      return 1;
    }
    return StatusFromConfig(*args);
  }
  if (!args->Has("state-dir")) return StatusFromServer(*args);
  if (args->Has("server")) {
    std::fprintf(stderr, "envctl status: pass --server or --state-dir, not both\n");
    return 1;
  }
  const std::string dir = args->Get("state-dir");
  if (dir.empty() || !fs::is_directory(dir)) {
    std::fprintf(stderr, "envctl status: state directory %s not found; pass --state-dir\n\n%s",
                 dir.empty() ? "(none)" : dir.c_str(), kStatusUsage);
    return 1;
  }
  return StatusFromDir(*args, dir);
}

}  // namespace envctl::cli
