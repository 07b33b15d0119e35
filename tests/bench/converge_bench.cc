// `envctl_bench converge`: how fast envctl converges bikeshare-shaped environments on
// cloudsim with latency injected on every request, against a sequential baseline measured
// in the same run. Prints figures; asserts none (machines are shared and noisy).
//
//   1. bikeshare TEST from empty: `envctl apply` (the real binary, a child process) — wall
//      time, the critical-path bound from the run's own per-resource durations (the
//      summary's "critical path"), their ratio, requests per service; and the baseline:
//      the same resources applied one at a time (each waits for the previous one, runs
//      polled until they end), i.e. what the seed's release pipeline does.
//   2. N environments at once (unique names): T(N), T(N)/T(1), the bound ARM's write budget
//      sets and T(N) against it, requests per resource, 429s seen, peak RSS of the envctl
//      process (--repeat K: medians of K runs).
//   3. A no-op resync of the largest N: reads per resource (and per kind of call), writes
//      (must be 0), time.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloud/transport/cpprest_transport.h"
#include "cloudsim/cloudsim.h"
#include "common/child_process.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "controller/engine.h"
#include "controller/graph.h"
#include "controller/state_store.h"
#include "metrics/metrics.h"
#include "nlohmann/json.hpp"
#include "reconcilers/cloud_reconcilers.h"
#include "spec/kinds.h"
#include "spec/loader.h"
#include "spec/references.h"

namespace envctl::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

struct Flags {
  int latency_ms = 100;
  double speed = 10;
  std::vector<int> envs = {1, 10, 50};
  int repeat = 1;  // runs of each N (medians)
  // Fault storm: this share of every request answered 429 or 503 (half each) with
  // Retry-After 1 s, then 5 s; 0 skips it.
  double storm_rate = 0.3;
  std::string envctl;  // the envctl binary; default: beside envctl_bench
};

// cloudsim's admin API (loopback, no auth).
class Admin {
 public:
  explicit Admin(const cloud::CloudEndpoints& endpoints)
      : endpoint_(endpoints.admin_endpoint), transport_({endpoints.ca_cert_file}) {}
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    cloud::HttpRequest r;
    r.method = method;
    r.url = endpoint_ + path;
    r.body = body;
    if (!body.empty()) r.headers["Content-Type"] = "application/json";
    auto resp = transport_.Send(r);
    if (!resp.ok() || resp->body.empty()) return nullptr;
    return nlohmann::json::parse(resp->body, nullptr, false);
  }

 private:
  std::string endpoint_;
  cloud::CpprestTransport transport_;
};

struct Requests {
  std::map<std::string, std::pair<int, int>> by_service;  // reads, writes
  int throttled = 0;                                      // 429 answers
  std::map<std::string, int> reads_by_call;               // "arm GET /subscriptions/*/..." -> n
  int reads() const {
    int n = 0;
    for (const auto& [s, rw] : by_service) n += s == "aad" ? 0 : rw.first;
    return n;
  }
  int writes() const {
    int n = 0;
    for (const auto& [s, rw] : by_service) n += rw.second;
    return n;
  }
  std::string Render() const {
    std::vector<std::string> parts;
    for (const auto& [s, rw] : by_service) {
      if (rw.first + rw.second)
        parts.push_back(absl::StrCat(s, " ", rw.first, "r/", rw.second, "w"));
    }
    return absl::StrJoin(parts, ", ");
  }
};

// Starts a phase: cloudsim's counters and request log both begin at zero.
void ResetRequests(Admin& admin) {
  admin.Call("DELETE", "/stats");
  admin.Call("DELETE", "/requests");
}

// A request path with its names and ids as `*` (a segment holding a digit: generated
// names, GUIDs, run ids), API versions kept: one line per kind of call.
std::string CallShape(const std::string& path) {
  static const std::regex kVersion(R"(^\d+\.\d+$)");
  std::vector<std::string> out;
  for (absl::string_view seg : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    const std::string s(seg);
    const bool named = std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    out.push_back(named && !std::regex_match(s, kVersion) ? "*" : s);
  }
  return "/" + absl::StrJoin(out, "/");
}

Requests Collect(Admin& admin) {
  Requests out;
  nlohmann::json stats = admin.Call("GET", "/stats");
  if (stats.is_object() && stats.contains("requests")) {
    for (const auto& [service, counts] : stats["requests"].items()) {
      out.by_service[service] = {counts.value("read", 0), counts.value("write", 0)};
    }
  }
  nlohmann::json log = admin.Call("GET", "/requests");
  const nlohmann::json entries =
      log.is_array() ? log : log.value("requests", nlohmann::json::array());
  for (const auto& e : entries) {
    out.throttled += e.value("status", 0) == 429 ? 1 : 0;
    const std::string method = e.value("method", "");
    const std::string service = e.value("service", "");
    if ((method == "GET" || method == "HEAD") && service != "aad") {
      const int status = e.value("status", 0);
      ++out.reads_by_call[absl::StrCat(service, " ", method, " ", CallShape(e.value("path", "")),
                                       status >= 300 ? absl::StrCat(" (", status, ")") : "")];
    }
  }
  return out;
}

// TEST's parameters (the `parameters:` block of examples/bikeshare/environments/test.yaml)
// with its cloud names (bikeshare-test-*, bikesharetest*) made unique for `tag`, so every
// generated environment has the whole TEST shape (identity, role assignments, the training
// job and its run, the published factory) under its own names. TEST's other settings
// (promotion from DEV) are dropped: the benchmark has no DEV and `apply` ignores them.
absl::StatusOr<std::string> TestParametersFor(const std::string& test_yaml,
                                              const std::string& tag) {
  std::istringstream in(test_yaml);
  std::string line, out;
  bool in_parameters = false;
  int renamed = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      in_parameters = line.rfind("parameters:", 0) == 0;
      if (in_parameters) out += line + "\n";
      continue;
    }
    if (!in_parameters) continue;
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"bikeshare-test", "bench-" + tag},
          {"bikesharetest", "bench" + tag}}) {
      for (size_t pos; (pos = line.find(from)) != std::string::npos; ++renamed) {
        line.replace(pos, from.size(), to);
      }
    }
    out += line + "\n";
  }
  if (out.empty() || renamed == 0) {
    return absl::InternalError("environments/test.yaml: no parameters with TEST's names");
  }
  return out;
}

// A copy of examples/bikeshare declaring one TEST-shaped environment per tag, each with
// its own cloud names.
absl::Status MakeRepo(const fs::path& dir, const std::vector<std::string>& tags) {
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  fs::copy(fs::path(ENVCTL_SOURCE_DIR) / "examples/bikeshare", dir, fs::copy_options::recursive,
           ec);
  if (ec) return absl::InternalError(absl::StrCat("copy bikeshare: ", ec.message()));
  std::stringstream test_yaml;
  test_yaml << std::ifstream(dir / "environments/test.yaml").rdbuf();
  fs::remove(dir / "environments/dev.yaml");
  fs::remove(dir / "environments/test.yaml");
  for (const std::string& t : tags) {
    ASSIGN_OR_RETURN(std::string parameters, TestParametersFor(test_yaml.str(), t));
    std::ofstream(dir / "environments" / (t + ".yaml")) << parameters;
  }
  std::ifstream in(dir / "envctl.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string config = ss.str();
  const std::string from = "environments: [dev, test]";
  auto pos = config.find(from);
  if (pos == std::string::npos) return absl::InternalError("envctl.yaml: no environments line");
  config.replace(pos, from.size(), "environments: [" + absl::StrJoin(tags, ", ") + "]");
  std::ofstream(dir / "envctl.yaml") << config;
  return absl::OkStatus();
}

// The cloud objects the enabled resources declare, each with its own id: one per
// resource, plus a storage account's containers, and a Data Factory definitions resource
// counts one per definition file of its folder (linked services, datasets, pipelines,
// triggers, data flows, the factory file's global parameters) instead of one.
int CloudObjects(const fs::path& repo, const std::vector<envctl::v1::Environment>& envs) {
  int objects = 0;
  for (const auto& env : envs) {
    for (const auto& r : env.resources()) {
      if (!spec::IsEnabled(r)) continue;
      objects += 1;
      if (r.has_storage_account()) objects += r.storage_account().containers_size();
      if (!r.has_data_factory_definitions()) continue;
      int files = 0;
      std::error_code ec;
      for (fs::recursive_directory_iterator it(repo / r.data_factory_definitions().folder(), ec),
           end;
           !ec && it != end; it.increment(ec)) {
        files += it->is_regular_file() && it->path().extension() == ".json" ? 1 : 0;
      }
      objects += std::max(0, files - 1);
    }
  }
  return objects;
}

std::vector<std::string> Tags(const std::string& prefix, int n) {
  std::vector<std::string> tags;
  for (int i = 0; i < n; ++i) tags.push_back(absl::StrCat(prefix, i));
  return tags;
}

struct EnvctlRun {
  bool ok = false;
  double seconds = 0;
  double rss_mib = 0;
  double critical_path_s = 0;  // the longest of the environments' critical paths
  std::string critical_path;
  std::string output_tail;
};

// VmHWM of a live process in KiB (0 once it exited).
int64_t VmHwmKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Runs `envctl apply REPO --once --quiet` as a child process: wall time and its peak RSS.
EnvctlRun RunEnvctlApply(const Flags& flags, const fs::path& repo, const fs::path& state,
                         const std::string& endpoints_file, const fs::path& log) {
  std::vector<std::string> args = {flags.envctl,   "apply",       repo.string(),
                                   "--once",       "--quiet",     "--cloud",
                                   endpoints_file, "--state-dir", state.string()};
  EnvctlRun run;
  const auto start = SteadyClock::now();
  absl::StatusOr<pid_t> spawned = SpawnWithLog(args, log.string());
  if (!spawned.ok()) {
    run.output_tail = std::string(spawned.status().message());
    return run;
  }
  const pid_t pid = *spawned;
  int status = 0;
  // Peak RSS is the child's own VmHWM, sampled until it exits. Not wait4's ru_maxrss: a
  // child started with posix_spawn (vfork) inherits the benchmark's own high-water mark at
  // exec, and by the last runs the benchmark holds every request log it collected.
  int64_t hwm_kib = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    hwm_kib = std::max(hwm_kib, VmHwmKib(pid));
    ::usleep(20 * 1000);
  }
  run.seconds = SecondsSince(start);
  run.rss_mib = hwm_kib / 1024.0;
  run.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::ifstream in(log);
  std::string line;
  static const std::regex kCritical(R"(critical path \(([0-9.]+)s\): (.*))");
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    lines.push_back(line);
    std::smatch m;
    if (std::regex_search(line, m, kCritical) && std::stod(m[1]) > run.critical_path_s) {
      run.critical_path_s = std::stod(m[1]);
      run.critical_path = m[2];
    }
  }
  for (size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); ++i) {
    run.output_tail += lines[i] + "\n";
  }
  return run;
}

// The baseline: the same resources applied one at a time. Each resource also depends on
// the one before it in a topological order, so nothing overlaps (a test run is waited
// for before the next resource starts, polled on the engine's schedule: every second for
// the first ten seconds of a run, like the seed's pipeline).
absl::StatusOr<double> RunSequentialBaseline(const cloud::CloudEndpoints& endpoints,
                                             const fs::path& repo, const std::string& env_name,
                                             const fs::path& state) {
  metrics::Metrics metrics("bench");
  ASSIGN_OR_RETURN(auto session, cloud::CloudSession::Create(endpoints, RealClock::Get(), metrics));
  auto registry = reconcilers::BuildCloudReconcilers(*session, RealClock::Get());
  ASSIGN_OR_RETURN(envctl::v1::Environment env, spec::LoadEnvironment(repo.string(), env_name));
  // One topological order: the dependency graph's waves, one after another.
  ASSIGN_OR_RETURN(controller::DependencyGraph graph,
                   controller::DependencyGraph::Build(spec::DependencyMap(env)));
  std::vector<std::string> order;
  for (const auto& wave : graph.waves()) order.insert(order.end(), wave.begin(), wave.end());
  auto chained = [order](const envctl::v1::Resource& r) {
    std::set<std::string> d = spec::ResourceDependencies(r);
    auto it = std::find(order.begin(), order.end(), r.name());
    if (it != order.begin() && it != order.end()) d.insert(*std::prev(it));
    return d;
  };
  controller::FileStateStore store(state.string());
  controller::Engine engine(*registry, store, RealClock::Get(), chained);
  const auto start = SteadyClock::now();
  ASSIGN_OR_RETURN(controller::EngineResult result, engine.Apply(env));
  if (!result.ok()) return absl::AbortedError("the baseline did not converge");
  return SecondsSince(start);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "envctl_bench converge: %s\n", what.c_str());
  return 1;
}

}  // namespace

int RunConvergeBench(int argc, char** argv) {
  Flags flags;
  flags.envctl = (fs::read_symlink("/proc/self/exe").parent_path() / "envctl").string();
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--quick") {
      flags.latency_ms = 10;
      flags.speed = 200;
      flags.envs = {1, 3};
    } else if (a == "--latency-ms" && has_value) {
      flags.latency_ms = std::max(0, std::atoi(argv[++i]));
    } else if (a == "--speed" && has_value) {
      flags.speed = std::max(1.0, std::atof(argv[++i]));
    } else if (a == "--envs" && has_value) {
      flags.envs.clear();
      for (absl::string_view n : absl::StrSplit(argv[++i], ',')) {
        int v = std::atoi(std::string(n).c_str());
        if (v > 0 && v <= 200) flags.envs.push_back(v);
      }
      if (flags.envs.empty()) return Fail("--envs: a comma-separated list of counts 1..200");
    } else if (a == "--repeat" && has_value) {
      flags.repeat = std::clamp(std::atoi(argv[++i]), 1, 9);
    } else if (a == "--storm" && has_value) {
      flags.storm_rate = std::clamp(std::atof(argv[++i]), 0.0, 0.9);
    } else if (a == "--envctl" && has_value) {
      flags.envctl = argv[++i];
    } else {
      return Fail(absl::StrCat(
          "unknown flag ", a,
          " (flags: --latency-ms MS --speed X --envs 1,10,50 --repeat K --storm RATE --quick"
          " --envctl PATH)"));
    }
  }
  if (!fs::exists(flags.envctl))
    return Fail(absl::StrCat(flags.envctl, " not found (build envctl)"));

  std::string work = (fs::temp_directory_path() / "envctl-converge-bench-XXXXXX").string();
  if (::mkdtemp(work.data()) == nullptr) return Fail("mkdtemp failed");
  cloudsim::Options options;
  options.state_dir = work + "/cloudsim";
  options.speed = flags.speed;
  auto sim = cloudsim::Cloudsim::Start(options);
  if (!sim.ok()) return Fail(absl::StrCat("cloudsim: ", sim.status().message()));
  auto endpoints = cloud::LoadEndpointsFile((*sim)->endpoints_file());
  if (!endpoints.ok()) return Fail(std::string(endpoints.status().message()));
  Admin admin(*endpoints);
  if (flags.latency_ms > 0) {
    admin.Call("POST", "/faults", nlohmann::json{{"latency_ms", flags.latency_ms}}.dump());
  }
  std::printf("converge benchmark: cloudsim speed %gx, %d ms latency on every request\n\n",
              flags.speed, flags.latency_ms);

  // 1. One TEST-shaped environment from empty: envctl against the sequential baseline.
  const fs::path one_repo = fs::path(work) / "repo-one";
  if (auto s = MakeRepo(one_repo, {"one", "seq"}); !s.ok()) return Fail(std::string(s.message()));
  ResetRequests(admin);
  auto baseline = RunSequentialBaseline(*endpoints, one_repo, "seq", fs::path(work) / "state-seq");
  Requests baseline_requests = Collect(admin);
  if (!baseline.ok()) return Fail(absl::StrCat("baseline: ", baseline.status().message()));

  const fs::path solo_repo = fs::path(work) / "repo-solo";
  if (auto s = MakeRepo(solo_repo, {"solo"}); !s.ok()) return Fail(std::string(s.message()));
  ResetRequests(admin);
  EnvctlRun one = RunEnvctlApply(flags, solo_repo, fs::path(work) / "state-solo",
                                 (*sim)->endpoints_file(), fs::path(work) / "solo.log");
  Requests one_requests = Collect(admin);
  if (!one.ok) return Fail("envctl apply of one environment failed:\n" + one.output_tail);
  std::printf("bikeshare TEST from empty\n");
  std::printf("  %-34s %7.1f s   %s\n", "sequential baseline", *baseline,
              baseline_requests.Render().c_str());
  std::printf("  %-34s %7.1f s   %s\n", "envctl apply", one.seconds, one_requests.Render().c_str());
  std::printf("  %-34s %7.1f s   %s\n", "critical-path bound", one.critical_path_s,
              one.critical_path.c_str());
  std::printf("  %-34s %7.2fx  (goal <= 1.15x)\n", "envctl / critical path",
              one.critical_path_s > 0 ? one.seconds / one.critical_path_s : 0.0);
  std::printf("  %-34s %7.2fx  (goal >= 1.5x at 100 ms)\n\n", "speed-up over the baseline",
              *baseline / one.seconds);

  // 1b. The same environment (new names) under a fault storm: a share of every request
  // answered 429 or 503 with Retry-After. The retries wait what the service asks, so the
  // storm slows the apply; it must not fail it (goal: within 3x the fault-free time).
  if (flags.storm_rate > 0) {
    std::printf("fault storm: %.0f%% of requests 429/503 (half each), every service\n",
                flags.storm_rate * 100);
    for (int retry_after : {1, 5}) {
      const std::string tag = absl::StrCat("storm", retry_after);
      const fs::path repo = fs::path(work) / ("repo-" + tag);
      if (auto s = MakeRepo(repo, {tag}); !s.ok()) return Fail(std::string(s.message()));
      // The first matching fault wins: the storm's two come before the plain latency, and
      // the second fires only when the first did not (rate r/2 each overall).
      const double first = flags.storm_rate / 2;
      const double second = first / (1 - first);
      admin.Call("DELETE", "/faults");
      for (const auto& [status, rate] : {std::pair<int, double>{429, first}, {503, second}}) {
        admin.Call("POST", "/faults",
                   nlohmann::json{{"status", status},
                                  {"rate", rate},
                                  {"retry_after_s", retry_after},
                                  {"latency_ms", flags.latency_ms}}
                       .dump());
      }
      if (flags.latency_ms > 0) {
        admin.Call("POST", "/faults", nlohmann::json{{"latency_ms", flags.latency_ms}}.dump());
      }
      ResetRequests(admin);
      EnvctlRun storm = RunEnvctlApply(flags, repo, fs::path(work) / ("state-" + tag),
                                       (*sim)->endpoints_file(), fs::path(work) / (tag + ".log"));
      nlohmann::json log = admin.Call("GET", "/requests");
      const nlohmann::json entries =
          log.is_array() ? log : log.value("requests", nlohmann::json::array());
      int faults = 0;
      for (const auto& e : entries) {
        const int status = e.value("status", 0);
        faults += status == 429 || status == 503 ? 1 : 0;
      }
      // Back to the plain latency.
      admin.Call("DELETE", "/faults");
      if (flags.latency_ms > 0) {
        admin.Call("POST", "/faults", nlohmann::json{{"latency_ms", flags.latency_ms}}.dump());
      }
      std::printf(
          "  Retry-After %d s: %7.1f s  %5.2fx fault-free  (goal <= 3x)  %d of %zu requests "
          "faulted  %s\n",
          retry_after, storm.seconds, one.seconds > 0 ? storm.seconds / one.seconds : 0.0, faults,
          entries.size(), storm.ok ? "converged" : "FAILED");
      if (!storm.ok) std::printf("%s\n", storm.output_tail.c_str());
      std::fflush(stdout);
    }
    std::printf("\n");
  }

  // 2. N environments at once.
  // T(N) against T(1) and against what ARM's write budget allows (200 burst, then 10/s,
  // shared by every environment of the subscription): max(T(1), (writes - 200) / 10).
  // With --repeat K each N runs K times (new names each time) and the medians are shown.
  std::printf("%5s %9s %11s %9s %9s %9s %10s %7s %6s %8s\n", "N", "T(N) s", "min-max", "T(N)/T1",
              "bound s", "T/bound", "req/res", "writes", "429s", "RSS MiB");
  double t1 = 0;
  fs::path last_repo, last_state;
  int last_resources = 0, last_objects = 0;
  for (int n : flags.envs) {
    std::vector<double> seconds, rss, per_resource, critical;
    int writes = 0, throttled = 0;
    double budget = 0;
    for (int k = 0; k < flags.repeat; ++k) {
      const std::string prefix =
          flags.repeat > 1 ? absl::StrCat("n", n, "r", k, "x") : absl::StrCat("n", n, "x");
      const fs::path repo = fs::path(work) / absl::StrCat("repo-", n, "-", k);
      if (auto s = MakeRepo(repo, Tags(prefix, n)); !s.ok()) return Fail(std::string(s.message()));
      int resources = 0;
      auto loaded = spec::LoadRepo(repo.string());
      // Enabled resources only: a disabled one (TEST's secret scope) is neither read nor
      // written, and counting it made every per-resource figure look better than it was.
      for (const auto& env : loaded.environments) {
        for (const auto& r : env.resources()) resources += spec::IsEnabled(r) ? 1 : 0;
      }
      const int objects = CloudObjects(repo, loaded.environments);
      ResetRequests(admin);
      const fs::path state = fs::path(work) / absl::StrCat("state-", n, "-", k);
      EnvctlRun run = RunEnvctlApply(flags, repo, state, (*sim)->endpoints_file(),
                                     fs::path(work) / absl::StrCat("n", n, "-", k, ".log"));
      Requests req = Collect(admin);
      if (!run.ok)
        return Fail(
            absl::StrCat("envctl apply of ", n, " environments failed:\n", run.output_tail));
      seconds.push_back(run.seconds);
      critical.push_back(run.critical_path_s);
      rss.push_back(run.rss_mib);
      per_resource.push_back(resources ? static_cast<double>(req.reads() + req.writes()) / resources
                                       : 0.0);
      writes = req.writes();
      throttled += req.throttled;
      const int arm_writes = req.by_service["arm"].second + req.by_service["datafactory"].second;
      budget = (arm_writes - 200) / 10.0;
      last_repo = repo;
      last_state = state;
      last_resources = resources;
      last_objects = objects;
    }
    const double median = Median(seconds);
    if (t1 == 0) t1 = n == 1 ? median : one.seconds;
    const double bound = std::max(t1, budget);
    std::printf("%5d %9.1f %5.1f-%-5.1f %9.2f %9.1f %9.2f %10.2f %7d %6d %8.1f\n", n, median,
                *std::min_element(seconds.begin(), seconds.end()),
                *std::max_element(seconds.begin(), seconds.end()), median / t1, bound,
                median / bound, Median(per_resource), writes, throttled,
                *std::max_element(rss.begin(), rss.end()));
    if (n > 1) {
      std::printf("      the longest environment's own critical path: %.1f s (median)\n",
                  Median(critical));
    }
    std::fflush(stdout);
  }
  std::printf("  (goals: T(10)/T1 <= 1.5; T(N) <= 1.3x bound; no 429s)\n");

  // 3. No-op resync of the largest N.
  ResetRequests(admin);
  EnvctlRun noop = RunEnvctlApply(flags, last_repo, last_state, (*sim)->endpoints_file(),
                                  fs::path(work) / "noop.log");
  Requests noop_requests = Collect(admin);
  std::printf(
      "\nno-op resync of N=%d (%d resources): %.1f s, %.2f reads/resource, %d writes, "
      "RSS %.1f MiB%s\n",
      flags.envs.back(), last_resources, noop.seconds,
      last_resources ? static_cast<double>(noop_requests.reads()) / last_resources : 0.0,
      noop_requests.writes(), noop.rss_mib, noop.ok ? "" : " (FAILED)");
  std::printf(
      "  %.2f reads per cloud object (%d objects: a storage account's containers and "
      "each Data Factory definition count apart; the goal is judged per resource)\n",
      last_objects ? static_cast<double>(noop_requests.reads()) / last_objects : 0.0, last_objects);
  std::printf("  %s\n", noop_requests.Render().c_str());
  if (!noop.ok) std::printf("%s\n", noop.output_tail.c_str());
  std::printf("  reads per environment, by call:\n");
  const int envs = flags.envs.back();
  for (const auto& [call, n] : noop_requests.reads_by_call) {
    std::printf("  %6.1f  %s\n", static_cast<double>(n) / envs, call.c_str());
  }
  sim->reset();
  std::error_code ec;
  fs::remove_all(work, ec);
  return noop.ok ? 0 : 1;
}

}  // namespace envctl::bench
