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
#include "absl/strings/str_format.h"
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
  // Fault storm: this share of every request answered 429 or 503 (half each) with each
  // Retry-After of `storm_retry_after` ({lo, hi}: uniform in [lo, hi] s per fault); 0 skips it.
  double storm_rate = 0.3;
  std::vector<std::pair<int, int>> storm_retry_after = {{1, 1}, {5, 5}, {1, 5}};
  // Fault placement seed of the storm's first repeat (repeat k uses seed + k, the same for
  // every Retry-After, so their figures differ by the wait, not by where faults landed).
  uint64_t seed = 1;
  bool storm_only = false;    // only the fault storm (and its own fault-free runs)
  bool storm_detail = false;  // per run: the critical path's resources, faults and waits
  std::string envctl;         // the envctl binary; default: beside envctl_bench
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
                         const std::string& endpoints_file, const fs::path& log,
                         const std::vector<std::string>& extra_args = {}) {
  std::vector<std::string> args = {flags.envctl,   "apply",       repo.string(),
                                   "--once",       "--quiet",     "--cloud",
                                   endpoints_file, "--state-dir", state.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
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

// --- Fault storm -------------------------------------------------------------------------

// What one storm run's envctl log (`--log-level debug --log-format json`) says about the
// resources on its critical path: per resource, its cloud requests, how many were faulted
// (429/503) and the retry waits it slept (the RetryingTransport's `cloud_retry` lines).
struct ResourceWaits {
  int requests = 0;
  int faulted = 0;
  double waited_s = 0;
  double duration_s = 0;  // from the resource's own log line (cloud_write, test run)
};

std::map<std::string, ResourceWaits> WaitsByResource(const fs::path& log) {
  std::map<std::string, ResourceWaits> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    const std::string event = j.value("event", "");
    ResourceWaits& w = out[j.value("resource", "(no resource)")];
    if (event == "cloud_request") {
      ++w.requests;
      const int status = j.value("status", 0);
      w.faulted += status == 429 || status == 503 ? 1 : 0;
    } else if (event == "cloud_retry") {
      w.waited_s += j.value("duration_ms", 0) / 1000.0;
    } else if (j.contains("duration_ms")) {
      w.duration_s = std::max(w.duration_s, j.value("duration_ms", 0) / 1000.0);
    }
  }
  return out;
}

// "rg 6.1s (3 req, 1 fault, 5.0s waited) -> ..." and the sum of waits on the path.
std::string RenderCriticalPath(const std::string& path,
                               const std::map<std::string, ResourceWaits>& waits,
                               double* waited_on_path) {
  std::vector<std::string> parts;
  *waited_on_path = 0;
  for (absl::string_view name : absl::StrSplit(path, " -> ", absl::SkipEmpty())) {
    auto it = waits.find(std::string(name));
    if (it == waits.end()) {
      parts.push_back(std::string(name));
      continue;
    }
    const ResourceWaits& w = it->second;
    *waited_on_path += w.waited_s;
    parts.push_back(absl::StrFormat("%s %.1fs (%d req, %d faulted, %.0fs waited)", name,
                                    w.duration_s, w.requests, w.faulted, w.waited_s));
  }
  return absl::StrJoin(parts, "\n        -> ");
}

struct StormRun {
  double seconds = 0;
  int faults = 0;
  int requests = 0;
  bool ok = false;
  double waited_on_path = 0;  // retry waits of the critical path's resources
  double waited_total = 0;    // retry waits of every resource
  std::string detail;
};

// One apply of a fresh TEST-shaped environment named `tag` with the storm's faults
// (seeded) in place; retry_after {0, 0} = fault-free (latency only).
absl::StatusOr<StormRun> RunStormOnce(const Flags& flags, Admin& admin,
                                      const std::string& endpoints_file, const std::string& work,
                                      const std::string& tag, std::pair<int, int> retry_after,
                                      uint64_t seed) {
  const fs::path repo = fs::path(work) / ("repo-" + tag);
  RETURN_IF_ERROR(MakeRepo(repo, {tag}));
  admin.Call("DELETE", "/faults");
  if (retry_after.first > 0) {
    // The first matching fault wins: the storm's two come before the plain latency, and
    // the second fires only when the first did not (rate r/2 each overall).
    const double first = flags.storm_rate / 2;
    const double second = first / (1 - first);
    for (const auto& [status, rate] : {std::pair<int, double>{429, first}, {503, second}}) {
      admin.Call("POST", "/faults",
                 nlohmann::json{{"status", status},
                                {"rate", rate},
                                {"retry_after_s", retry_after.first},
                                {"retry_after_max_s", retry_after.second},
                                {"seed", seed},
                                {"latency_ms", flags.latency_ms}}
                     .dump());
    }
  }
  if (flags.latency_ms > 0) {
    admin.Call("POST", "/faults", nlohmann::json{{"latency_ms", flags.latency_ms}}.dump());
  }
  ResetRequests(admin);
  const fs::path log = fs::path(work) / (tag + ".log");
  EnvctlRun run = RunEnvctlApply(flags, repo, fs::path(work) / ("state-" + tag), endpoints_file,
                                 log, {"--log-level", "debug", "--log-format", "json"});
  nlohmann::json entries = admin.Call("GET", "/requests");
  if (!entries.is_array()) entries = entries.value("requests", nlohmann::json::array());
  // Back to the plain latency.
  admin.Call("DELETE", "/faults");
  if (flags.latency_ms > 0) {
    admin.Call("POST", "/faults", nlohmann::json{{"latency_ms", flags.latency_ms}}.dump());
  }
  StormRun out;
  out.seconds = run.seconds;
  out.ok = run.ok;
  out.requests = static_cast<int>(entries.size());
  for (const auto& e : entries) {
    const int status = e.value("status", 0);
    out.faults += status == 429 || status == 503 ? 1 : 0;
  }
  const std::map<std::string, ResourceWaits> waits = WaitsByResource(log);
  for (const auto& [name, w] : waits) out.waited_total += w.waited_s;
  const std::string path = RenderCriticalPath(run.critical_path, waits, &out.waited_on_path);
  out.detail = absl::StrFormat("critical path %.1f s, %.0f s of it retry waits:\n        %s",
                               run.critical_path_s, out.waited_on_path, path);
  if (!run.ok) out.detail += "\n" + run.output_tail;
  return out;
}

std::string RetryAfterLabel(std::pair<int, int> ra) {
  if (ra.first == 0) return "fault-free";
  if (ra.first == ra.second) return absl::StrCat("Retry-After ", ra.first, " s");
  return absl::StrCat("Retry-After uniform ", ra.first, "-", ra.second, " s");
}

// The storm: for each repeat k (seed + k), a fault-free apply and one per Retry-After,
// interleaved so machine load falls on all of them alike; medians side by side.
absl::Status RunStorm(const Flags& flags, Admin& admin, const std::string& endpoints_file,
                      const std::string& work) {
  std::vector<std::pair<int, int>> configs = {{0, 0}};
  configs.insert(configs.end(), flags.storm_retry_after.begin(), flags.storm_retry_after.end());
  std::printf(
      "fault storm: %.0f%% of requests 429/503 (half each), every service, %d ms latency; "
      "seeds %llu..%llu (one per repeat, the same for every Retry-After)\n",
      flags.storm_rate * 100, flags.latency_ms, static_cast<unsigned long long>(flags.seed),
      static_cast<unsigned long long>(flags.seed + flags.repeat - 1));
  std::vector<std::vector<StormRun>> runs(configs.size());
  for (int k = 0; k < flags.repeat; ++k) {
    const uint64_t seed = flags.seed + k;
    for (size_t c = 0; c < configs.size(); ++c) {
      const std::string tag = absl::StrCat("s", seed, "c", c, "r", k);
      ASSIGN_OR_RETURN(StormRun r,
                       RunStormOnce(flags, admin, endpoints_file, work, tag, configs[c], seed));
      if (flags.storm_detail || !r.ok) {
        std::printf(
            "  seed %llu %-28s %6.1f s %s  %d of %d requests faulted, %.0f s waited "
            "in all; %s\n",
            static_cast<unsigned long long>(seed), RetryAfterLabel(configs[c]).c_str(), r.seconds,
            r.ok ? "converged" : "FAILED", r.faults, r.requests, r.waited_total, r.detail.c_str());
        std::fflush(stdout);
      }
      runs[c].push_back(std::move(r));
    }
  }
  auto seconds_of = [](const std::vector<StormRun>& v) {
    std::vector<double> s;
    for (const auto& r : v) s.push_back(r.seconds);
    return s;
  };
  const double fault_free = Median(seconds_of(runs[0]));
  std::printf("  %-28s %8s %11s %11s %9s %13s %9s\n", "", "median s", "min-max", "x fault-free",
              "goal 3x", "path waits s", "faulted");
  for (size_t c = 0; c < configs.size(); ++c) {
    const std::vector<double> s = seconds_of(runs[c]);
    std::vector<double> waits, faults;
    bool all_ok = true;
    for (const auto& r : runs[c]) {
      waits.push_back(r.waited_on_path);
      faults.push_back(r.faults);
      all_ok = all_ok && r.ok;
    }
    const double ratio = fault_free > 0 ? Median(s) / fault_free : 0;
    std::printf("  %-28s %8.1f %5.1f-%-5.1f %10.2fx %9s %13.0f %9.0f%s\n",
                RetryAfterLabel(configs[c]).c_str(), Median(s),
                *std::min_element(s.begin(), s.end()), *std::max_element(s.begin(), s.end()), ratio,
                c == 0 ? "" : (ratio <= 3 ? "met" : "NOT met"), Median(waits), Median(faults),
                all_ok ? "" : "  (a run FAILED)");
  }
  std::printf(
      "  (medians of %d runs; path waits: Retry-After/backoff seconds slept by the "
      "critical path's resources; requests in flight together each count)\n\n",
      flags.repeat);
  std::fflush(stdout);
  return absl::OkStatus();
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
      flags.repeat = std::clamp(std::atoi(argv[++i]), 1, 50);
    } else if (a == "--storm" && has_value) {
      flags.storm_rate = std::clamp(std::atof(argv[++i]), 0.0, 0.9);
    } else if (a == "--storm-retry-after" && has_value) {
      flags.storm_retry_after.clear();
      for (absl::string_view v : absl::StrSplit(argv[++i], ',', absl::SkipEmpty())) {
        std::pair<absl::string_view, absl::string_view> lh = absl::StrSplit(v, '-');
        const int lo = std::atoi(std::string(lh.first).c_str());
        const int hi = lh.second.empty() ? lo : std::atoi(std::string(lh.second).c_str());
        if (lo < 1 || hi < lo || hi > 60) return Fail("--storm-retry-after: e.g. 1,5,1-5");
        flags.storm_retry_after.push_back({lo, hi});
      }
      if (flags.storm_retry_after.empty()) return Fail("--storm-retry-after: e.g. 1,5,1-5");
    } else if (a == "--seed" && has_value) {
      flags.seed = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--storm-only") {
      flags.storm_only = true;
    } else if (a == "--storm-detail") {
      flags.storm_detail = true;
    } else if (a == "--envctl" && has_value) {
      flags.envctl = argv[++i];
    } else {
      return Fail(absl::StrCat(
          "unknown flag ", a,
          " (flags: --latency-ms MS --speed X --envs 1,10,50 --repeat K --storm RATE --quick"
          " --storm-retry-after 1,5,1-5 --seed S --storm-only --storm-detail --envctl PATH)"));
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
  if (flags.storm_only) {
    absl::Status st = flags.storm_rate > 0
                          ? RunStorm(flags, admin, (*sim)->endpoints_file(), work)
                          : absl::InvalidArgumentError("--storm-only needs --storm > 0");
    sim->reset();
    std::error_code ec;
    if (flags.storm_detail) {
      std::printf("envctl logs (debug, JSON) kept in %s/*.log\n", work.c_str());
    } else {
      fs::remove_all(work, ec);
    }
    return st.ok() ? 0 : Fail(std::string(st.message()));
  }

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

  // 1b. The fault storm (its own fault-free runs beside it).
  if (flags.storm_rate > 0) {
    if (auto st = RunStorm(flags, admin, (*sim)->endpoints_file(), work); !st.ok())
      return Fail(std::string(st.message()));
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
