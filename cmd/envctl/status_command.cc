// envctl status: environment status as recorded by the last apply (conditions,
// per-resource state, drift, recent runs), read from the state directory. The running
// controller's gRPC status joins this command when the controller lands.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cmd/envctl/args.h"
#include "cmd/envctl/commands.h"
#include "controller/state_store.h"
#include "envctl/v1/status.pb.h"
#include "google/protobuf/util/json_util.h"

namespace envctl::cli {

namespace {

namespace fs = std::filesystem;

constexpr char kStatusUsage[] = R"(Usage: envctl status --state-dir D [--env E] [--json]

Shows what the last apply recorded for each environment in the state directory D (the
--state-dir given to apply, or .envctl/up/state for `envctl up`): conditions, every
resource's state and drift, and recent integration runs.
)";

const char* StateName(envctl::v1::ResourceState s) {
  switch (s) {
    case envctl::v1::RESOURCE_STATE_IN_SYNC: return "in_sync";
    case envctl::v1::RESOURCE_STATE_DRIFTED: return "drifted";
    case envctl::v1::RESOURCE_STATE_PENDING: return "pending";
    case envctl::v1::RESOURCE_STATE_ERROR: return "error";
    default: return "unknown";
  }
}

void Print(const envctl::v1::EnvironmentState& state) {
  const auto& st = state.status();
  std::cout << "Environment " << state.environment() << "  revision "
            << (st.synced_revision().empty() ? "-" : st.synced_revision()) << "\n  conditions:";
  for (const auto& c : st.conditions()) {
    std::cout << " " << c.type() << "="
              << (c.status() == envctl::v1::CONDITION_STATUS_TRUE ? "True" : "False");
  }
  std::cout << "\n";
  for (const auto& r : st.resources()) {
    std::cout << absl::StrFormat("  %-24s %-24s %-8s", r.name(), r.kind(), StateName(r.state()));
    if (!r.last_error().empty()) std::cout << "  " << r.last_error();
    if (!r.blocked_by().empty()) std::cout << "  blocked by " << r.blocked_by();
    std::cout << "\n";
    for (const auto& d : r.drift()) {
      std::cout << "      drift " << d.path() << ": " << d.new_value() << " -> " << d.old_value() << "\n";
    }
  }
  for (const auto& run : st.runs()) {
    std::cout << "  run " << run.test() << " " << envctl::v1::RunResult_Name(run.result()) << " "
              << run.external_run_id() << (run.message().empty() ? "" : "  " + run.message()) << "\n";
  }
}

}  // namespace

int RunStatus(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, 1, {"state-dir", "env"}, {"json", "help"});
  if (!args.ok() || args->GetBool("help")) {
    if (!args.ok()) std::fprintf(stderr, "envctl status: %s\n\n", std::string(args.status().message()).c_str());
    std::fputs(kStatusUsage, args.ok() ? stdout : stderr);
    return args.ok() ? 0 : 1;
  }
  const std::string dir = args->Get("state-dir");
  if (dir.empty() || !fs::is_directory(dir)) {
    std::fprintf(stderr, "envctl status: state directory %s not found; pass --state-dir\n\n%s",
                 dir.empty() ? "(none)" : dir.c_str(), kStatusUsage);
    return 1;
  }
  controller::FileStateStore store(dir);
  int shown = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    const std::string suffix = ".state.json";
    if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix) continue;
    const std::string env = file.substr(0, file.size() - suffix.size());
    if (args->Has("env") && env != args->Get("env")) continue;
    auto state = store.Load(env);
    if (!state.ok()) {
      std::fprintf(stderr, "envctl status: %s\n", std::string(state.status().message()).c_str());
      return 1;
    }
    if (args->GetBool("json")) {
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      (void)google::protobuf::util::MessageToJsonString(state->status(), &json, options);
      std::cout << json;
    } else {
      Print(*state);
    }
    ++shown;
  }
  if (shown == 0) {
    std::fprintf(stderr, "envctl status: no environment state in %s\n", dir.c_str());
    return 1;
  }
  return 0;
}

}  // namespace envctl::cli
