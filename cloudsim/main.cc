// `cloudsim`: the local Azure/Databricks emulator as its own binary (beside `envctl`, which
// links none of its code; `envctl cloudsim` and `envctl up` run this binary). Serves until
// SIGINT/SIGTERM.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "cloudsim/cloudsim.h"

namespace {

constexpr char kHelp[] = R"(cloudsim - local emulator of the Azure and Databricks APIs envctl uses

Usage:
  cloudsim --port P --state-dir D [--data-plane ports|loopback-443] [--speed X]
           [--token-lifetime 1h] [--page-size N]
  (also as `envctl cloudsim ...`, which runs this binary)

Flags:
  --port P            HTTPS port on 127.0.0.1 for ARM, the Entra ID authority and the
                      admin API (0 = pick a free port)
  --state-dir D       where endpoints.json, ca.pem and the persisted state live (created)
  --data-plane MODE   ports (default): each vault/workspace on its own 127.0.0.1 port;
                      loopback-443: each on its own 127.0.0.N:443 (needs root or a netns)
  --speed X           time scale for long-running operations and runs: 1 = Azure's pace,
                      100 = 100x faster (default 10: an apply from empty takes seconds)
  --token-lifetime D  lifetime of issued access tokens, e.g. 1h, 90s (default 1h)
  --page-size N       page size of ARM lists (small values exercise nextLink; default 100)
  --exit-with-parent  stop when the process that started it dies (`envctl up` sets it, so
                      a killed envctl leaves no emulator behind)

Prints the endpoints.json path; point envctl at it with --cloud FILE.
)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "cloudsim: %s\n", message.c_str());
  return 1;
}

// `--name value` / `--name=value` flags; `--help`. Unknown flags are errors.
struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;
  bool Has(const std::string& k) const { return values.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& fallback = "") const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  bool GetBool(const std::string& k) const { return Has(k); }
};

bool ParseFlags(int argc, char** argv, Flags* out, std::string* error) {
  const std::set<std::string> known = {"port",           "state-dir", "data-plane",      "speed",
                                       "token-lifetime", "page-size", "exit-with-parent"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      out->positional.push_back(a);
      continue;
    }
    a = a.substr(2);
    if (a == "help" || a == "exit-with-parent") {
      out->values[a] = "true";
      continue;
    }
    std::string value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (known.count(a) && i + 1 < argc) {
      value = argv[++i];
    }
    if (!known.count(a)) {
      *error = "unknown flag --" + a;
      return false;
    }
    out->values[a] = value;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) return Fail(error + " (see --help)");
  const Flags* args = &flags;
  if (args->GetBool("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!args->positional.empty()) return Fail("unexpected argument \"" + args->positional[0] + "\"");
  envctl::cloudsim::Options options;
  if (!args->Has("state-dir")) return Fail("--state-dir is required (see --help)");
  options.state_dir = args->Get("state-dir");
  if (args->Has("port") && !absl::SimpleAtoi(args->Get("port"), &options.port)) {
    return Fail("--port must be a number, got \"" + args->Get("port") + "\"");
  }
  options.data_plane = args->Get("data-plane", "ports");
  options.speed = 10;
  if (args->Has("speed") &&
      (!absl::SimpleAtod(args->Get("speed"), &options.speed) || options.speed <= 0)) {
    return Fail("--speed must be a positive number, got \"" + args->Get("speed") + "\"");
  }
  if (args->Has("token-lifetime") &&
      (!absl::ParseDuration(args->Get("token-lifetime"), &options.token_lifetime) ||
       options.token_lifetime <= absl::ZeroDuration())) {
    return Fail("--token-lifetime must be a positive duration like 1h or 90s, got \"" +
                args->Get("token-lifetime") + "\"");
  }
  if (args->Has("page-size") && !absl::SimpleAtoi(args->Get("page-size"), &options.page_size)) {
    return Fail("--page-size must be a number, got \"" + args->Get("page-size") + "\"");
  }

  // Block the signals before any thread starts so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (args->GetBool("exit-with-parent")) {
    // Delivered as SIGTERM, which the sigwait below handles like Ctrl-C.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == 1) return Fail("the parent process is already gone");
  }

  absl::Time started = absl::Now();
  auto sim = envctl::cloudsim::Cloudsim::Start(options);
  if (!sim.ok()) return Fail(std::string(sim.status().message()));
  std::printf("%s\n", (*sim)->endpoints_file().c_str());
  std::printf(
      "cloudsim: serving https://127.0.0.1:%d (data plane %s, speed %gx) in %lld ms; "
      "Ctrl-C to stop\n",
      (*sim)->port(), options.data_plane.c_str(), options.speed,
      static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - started)));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  sim->reset();
  std::fprintf(stderr, "cloudsim: stopped\n");
  return 0;
}
