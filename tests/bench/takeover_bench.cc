// `envctl_bench takeover`: high availability figures on loopback — a 3-member etcd cluster
// (Debian's etcd-server), an in-process cloudsim and 3 `envctl controller` replicas
// (the real binary) sharing a fleet of small environments (a resource group and a storage
// account each). Prints figures; asserts none (machines are shared and noisy).
//
//   1. Balance: environments per replica once all are owned (min, max, stddev).
//   2. etcd requests per no-op resync per environment: every environment's sync triggered
//      on its owner (`envctl sync`), the replicas' envctl_etcd_request_duration_seconds
//      counts (per method) before and after, minus the background traffic (lease renewals,
//      membership and ownership looks, forwarded-call scans) measured over an idle window
//      just before.
//   3. Take-over after kill -9 (--kills N, default 10): the owner of one environment is
//      killed (the replicas take turns); how long until the owner key names another replica, until
//      every environment of the victim has a new owner, and until the new owner finished a sync of
//      it; the victim is restarted and the ownership left to settle before the next kill.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cloud/cloud_endpoints.h"
#include "cloudsim/cloudsim.h"
#include "cloudsim/http/client.h"
#include "common/child_process.h"
#include "controller/etcd_client.h"
#include "controller/replica_set.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/etcd_cluster.h"

namespace envctl::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using testing::ControllerProcess;
using testing::EtcdCluster;

constexpr char kPrefix[] = "/envctl/fleet";
const std::vector<std::string> kReplicas = {"r0", "r1", "r2"};

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string EnvName(int i) { return absl::StrFormat("e%02d", i); }

int Fail(const std::string& what) {
  std::fprintf(stderr, "envctl_bench takeover: %s\n", what.c_str());
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

// A repo of `n` environments, each a resource group and a storage account. Resync only
// when asked (1h): the benchmark triggers the syncs it measures.
void WriteFleet(const fs::path& dir, int n) {
  fs::create_directories(dir / "resources");
  fs::create_directories(dir / "environments");
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(EnvName(i));
  std::ofstream(dir / "envctl.yaml") << "project: fleet\n"
                                        "environments: ["
                                     << absl::StrJoin(names, ", ")
                                     << "]\n"
                                        "resources:\n  - resources/\n"
                                        "parameters:\n  location: westeurope\n"
                                        "azure:\n  location: ${location}\n"
                                        "sync:\n  resyncInterval: 1h\n  prune: true\n";
  std::ofstream(dir / "resources" / "azure.yaml")
      << "name: rg\n"
         "resourceGroup:\n  groupName: ${resource_group}\n"
         "---\n"
         "name: lake\n"
         "storageAccount:\n"
         "  accountName: ${storage_account}\n"
         "  resourceGroup: rg\n"
         "  sku: Standard_LRS\n"
         "  kind: StorageV2\n";
  for (const std::string& e : names) {
    std::ofstream(dir / "environments" / (e + ".yaml"))
        << "parameters:\n  resource_group: fleet-" << e << "-rg\n  storage_account: fleet" << e
        << "lake\n";
  }
}

class Fleet {
 public:
  Fleet(const fs::path& work, EtcdCluster& etcd, controller::KvStore& kv,
        std::string endpoints_file, int envs)
      : work_(work),
        etcd_(etcd),
        kv_(kv),
        endpoints_file_(std::move(endpoints_file)),
        envs_(envs) {}

  bool Start(const std::string& id) {
    const fs::path config = work_ / (id + ".yaml");
    std::ofstream(config) << "source:\n  folder: " << (work_ / "fleet").string()
                          << "\n  pollInterval: 1h\n"
                          << "cloud: " << endpoints_file_ << "\n"
                          << "stateDir: " << (work_ / id).string() << "\n"
                          << "state:\n  etcd:\n    endpoints: ["
                          << absl::StrJoin(etcd_.Endpoints(), ", ") << "]\n    prefix: " << kPrefix
                          << "\n"
                          << "workers: 4\n"
                          << "grpc:\n  listen: 127.0.0.1:0\n"
                          << "http:\n  listen: 127.0.0.1:0\n";
    const fs::path dir = work_ / absl::StrCat("proc-", id, "-", ++starts_);
    fs::create_directories(dir);
    auto& p = replicas_[id];
    p = std::make_unique<ControllerProcess>();
    return p->Start(dir, {"controller", "--config", config.string(), "--replica-id", id,
                          "--log-format", "json"});
  }
  ControllerProcess& replica(const std::string& id) { return *replicas_.at(id); }

  // "HTTP" or "gRPC" address the replica printed ("" when none within 10 s).
  std::string Address(const std::string& id, const std::string& which) {
    const std::regex re(which + "  (?:https?://)?([0-9.:]+)");
    for (const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
         SteadyClock::now() < deadline;) {
      std::smatch m;
      const std::string out = replica(id).Stdout();
      if (std::regex_search(out, m, re)) return m[1];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  // environment -> owner replica id, from etcd.
  std::map<std::string, std::string> Owners() {
    std::map<std::string, std::string> out;
    const std::string prefix = absl::StrCat(kPrefix, "/owners/");
    auto keys = kv_.List(prefix);
    if (!keys.ok()) return out;
    for (const auto& k : *keys) out[k.key.substr(prefix.size())] = k.value;
    return out;
  }
  std::set<std::string> Members() {
    std::set<std::string> out;
    auto keys = kv_.List(absl::StrCat(kPrefix, "/members/"));
    if (keys.ok()) {
      for (const auto& k : *keys) out.insert(k.value);
    }
    return out;
  }

  // Bounded wait until every environment is owned by the replica rendezvous hashing over
  // all of them names (the settled state) and has been synced once.
  bool WaitSettled(std::chrono::seconds timeout) {
    for (const auto deadline = SteadyClock::now() + timeout; SteadyClock::now() < deadline;) {
      const auto owners = Owners();
      bool settled =
          Members().size() == kReplicas.size() && static_cast<int>(owners.size()) == envs_;
      for (int i = 0; settled && i < envs_; ++i) {
        auto it = owners.find(EnvName(i));
        settled =
            it != owners.end() && it->second == controller::RendezvousOwner(EnvName(i), kReplicas);
      }
      if (settled) {
        std::set<std::string> synced;
        for (const auto& [id, p] : replicas_) {
          for (const auto& line : p->LogLines()) {
            if (line.is_object() && line.value("event", "") == "sync_end")
              synced.insert(line.value("environment", ""));
          }
        }
        if (static_cast<int>(synced.size()) >= envs_) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Sum over the replicas of envctl_etcd_request_duration_seconds_count, per method.
  std::map<std::string, double> EtcdRequests() {
    static const std::regex kLine(
        R"re(^envctl_etcd_request_duration_seconds_count\{[^}]*method="([^"]+)"[^}]*\} ([0-9.eE+]+))re");
    std::map<std::string, double> out;
    for (const std::string& id : kReplicas) {
      auto r = cloudsim::Fetch("GET", "http://" + Address(id, "HTTP") + "/metrics", {}, "");
      if (!r.ok()) continue;
      std::istringstream in(r->body);
      for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, kLine)) out[m[1]] += std::stod(m[2]);
      }
    }
    return out;
  }

  // Log-line index of each replica now.
  std::map<std::string, size_t> Marks() {
    std::map<std::string, size_t> out;
    for (const auto& [id, p] : replicas_) out[id] = p->LogLines().size();
    return out;
  }
  // Whether replica `id` logged a sync_end of `env` at index >= `from`.
  bool SyncedAfter(const std::string& id, const std::string& env, size_t from) {
    const auto lines = replica(id).LogLines();
    for (size_t i = from; i < lines.size(); ++i) {
      if (lines[i].is_object() && lines[i].value("event", "") == "sync_end" &&
          lines[i].value("environment", "") == env) {
        return true;
      }
    }
    return false;
  }

  std::string Tail(const std::string& id) {
    const std::string err = replica(id).Stderr();
    return err.size() > 3000 ? err.substr(err.size() - 3000) : err;
  }

 private:
  fs::path work_;
  EtcdCluster& etcd_;
  controller::KvStore& kv_;
  std::string endpoints_file_;
  int envs_;
  int starts_ = 0;
  std::map<std::string, std::unique_ptr<ControllerProcess>> replicas_;
};

}  // namespace

int RunTakeoverBench(int argc, char** argv) {
  int kills = 10;
  int envs = 20;
  bool keep = false;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--kills" && i + 1 < argc) {
      kills = std::clamp(std::atoi(argv[++i]), 0, 50);
    } else if (a == "--envs" && i + 1 < argc) {
      envs = std::clamp(std::atoi(argv[++i]), 3, 200);
    } else if (a == "--keep") {
      keep = true;
    } else {
      return Fail(absl::StrCat("unknown flag ", a,
                               " (flags: --kills N (default 10) --envs N (default 20) --keep)"));
    }
  }
  if (!testing::EtcdInstalled()) {
    return Fail(absl::StrCat(testing::kEtcdBinary,
                             " missing: deploy/install-deps.sh installs etcd-server"));
  }
  if (!fs::exists(fs::path(ENVCTL_BINARY_DIR) / "envctl")) return Fail("build envctl first");

  std::string work_template = (fs::temp_directory_path() / "envctl-takeover-bench-XXXXXX").string();
  if (::mkdtemp(work_template.data()) == nullptr) return Fail("mkdtemp failed");
  const fs::path work = work_template;
  WriteFleet(work / "fleet", envs);

  auto etcd = EtcdCluster::Start(3);
  if (!etcd.ok()) return Fail(absl::StrCat("etcd: ", etcd.status().message()));
  controller::EtcdOptions etcd_options;
  etcd_options.endpoints = (*etcd)->Endpoints();
  auto kv = controller::EtcdKvStore::Create(etcd_options);
  if (!kv.ok()) return Fail(std::string(kv.status().message()));
  cloudsim::Options sim_options;
  sim_options.state_dir = (work / "cloudsim").string();
  sim_options.speed = 100;
  auto sim = cloudsim::Cloudsim::Start(sim_options);
  if (!sim.ok()) return Fail(absl::StrCat("cloudsim: ", sim.status().message()));

  Fleet fleet(work, **etcd, **kv, (*sim)->endpoints_file(), envs);
  std::printf(
      "takeover benchmark: 3 etcd members, 3 replicas (lease TTL 10 s), %d environments "
      "(a resource group and a storage account each), cloudsim speed 100x\n\n",
      envs);
  const auto started = SteadyClock::now();
  for (const std::string& id : kReplicas) {
    if (!fleet.Start(id)) return Fail("cannot start envctl controller " + id);
  }
  if (!fleet.WaitSettled(std::chrono::seconds(240))) {
    return Fail("the fleet did not converge within 240 s\n" + fleet.Tail("r0"));
  }
  std::printf("all %d environments owned and synced %.1f s after the replicas started\n\n", envs,
              SecondsSince(started));

  // 1. Balance.
  {
    std::map<std::string, int> per;
    for (const std::string& id : kReplicas) per[id] = 0;
    for (const auto& [env, owner] : fleet.Owners()) ++per[owner];
    std::vector<double> counts;
    std::vector<std::string> parts;
    for (const auto& [id, n] : per) {
      counts.push_back(n);
      parts.push_back(absl::StrCat(id, "=", n));
    }
    double mean = 0, var = 0;
    for (double c : counts) mean += c / counts.size();
    for (double c : counts) var += (c - mean) * (c - mean) / counts.size();
    std::printf(
        "balance (rendezvous hashing): %s; min %d, max %d, stddev %.2f (even: %.2f each)\n\n",
        absl::StrJoin(parts, " ").c_str(),
        static_cast<int>(*std::min_element(counts.begin(), counts.end())),
        static_cast<int>(*std::max_element(counts.begin(), counts.end())), std::sqrt(var), mean);
  }
  std::fflush(stdout);

  // 2. etcd requests per no-op resync per environment.
  {
    const auto idle_start = SteadyClock::now();
    const auto before_idle = fleet.EtcdRequests();
    std::this_thread::sleep_for(std::chrono::seconds(10));  // the idle window being measured
    const auto after_idle = fleet.EtcdRequests();
    const double idle_s = SecondsSince(idle_start);
    std::map<std::string, std::string> grpc;
    for (const std::string& id : kReplicas) grpc[id] = fleet.Address(id, "gRPC");
    const auto owners = fleet.Owners();
    const auto marks = fleet.Marks();
    const auto resync_start = SteadyClock::now();
    std::vector<pid_t> pids;
    for (int i = 0; i < envs; ++i) {
      const std::string env = EnvName(i);
      auto pid = SpawnWithLog({(fs::path(ENVCTL_BINARY_DIR) / "envctl").string(), "sync", "--env",
                               env, "--server", grpc[owners.at(env)]},
                              (work / ("sync-" + env + ".log")).string());
      if (pid.ok()) pids.push_back(*pid);
    }
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
    int synced = 0;
    for (const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
         SteadyClock::now() < deadline;) {
      synced = 0;
      for (int i = 0; i < envs; ++i) {
        const std::string& owner = owners.at(EnvName(i));
        synced += fleet.SyncedAfter(owner, EnvName(i), marks.at(owner));
      }
      if (synced == envs) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double resync_s = SecondsSince(resync_start);
    const auto after = fleet.EtcdRequests();
    std::set<std::string> methods;
    for (const auto& [m, n] : after) methods.insert(m);
    double total = 0, background_total = 0;
    std::vector<std::string> parts;
    for (const std::string& m : methods) {
      const double rate = (after_idle.count(m) ? after_idle.at(m) : 0) -
                          (before_idle.count(m) ? before_idle.at(m) : 0);
      const double background = rate / idle_s * resync_s;
      const double during = after.at(m) - (after_idle.count(m) ? after_idle.at(m) : 0);
      total += during;
      background_total += background;
      const double per_env = (during - background) / envs;
      if (std::abs(per_env) >= 0.05) parts.push_back(absl::StrFormat("%s %.2f", m, per_env));
    }
    std::printf(
        "no-op resync of %d environments (%d synced, triggered with `envctl sync` on each owner): "
        "%.1f s, %.0f etcd requests in all, %.0f of them background (%.1f/s, measured over %.0f s "
        "idle)\n",
        envs, synced, resync_s, total, background_total, background_total / resync_s, idle_s);
    std::printf("  etcd requests per no-op resync per environment: %.2f (%s)\n\n",
                (total - background_total) / envs, absl::StrJoin(parts, ", ").c_str());
  }
  std::fflush(stdout);

  // 3. Take-over after kill -9.
  std::vector<double> moved_s, all_s, synced_s;
  if (kills > 0) {
    std::printf(
        "take-over after kill -9 of the owner (%d kills; each victim restarted and ownership "
        "settled "
        "before the next)\n",
        kills);
  }
  for (int k = 0; k < kills; ++k) {
    // The victims take turns: the k-th kill is of replica k mod 3, through the first
    // environment it owns.
    const auto owners = fleet.Owners();
    const std::string victim = kReplicas[k % kReplicas.size()];
    std::string env;
    for (const auto& [e, o] : owners) {
      if (o == victim && env.empty()) env = e;
    }
    if (env.empty()) return Fail(victim + " owns no environment");
    std::set<std::string> victims_envs;
    for (const auto& [e, o] : owners) {
      if (o == victim) victims_envs.insert(e);
    }
    const auto marks = fleet.Marks();
    const auto killed_at = SteadyClock::now();
    fleet.replica(victim).Signal(SIGKILL);
    fleet.replica(victim).Stop();  // reaps it
    double moved = -1, all = -1, synced = -1;
    std::string successor;
    for (const auto deadline = killed_at + std::chrono::seconds(60);
         SteadyClock::now() < deadline && (moved < 0 || all < 0 || synced < 0);) {
      const auto now = fleet.Owners();
      if (moved < 0 && now.count(env) && now.at(env) != victim) {
        moved = SecondsSince(killed_at);
        successor = now.at(env);
      }
      if (all < 0) {
        bool every = true;
        for (const std::string& e : victims_envs)
          every = every && now.count(e) && now.at(e) != victim;
        if (every) all = SecondsSince(killed_at);
      }
      if (moved >= 0 && synced < 0 && fleet.SyncedAfter(successor, env, marks.at(successor))) {
        synced = SecondsSince(killed_at);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (moved < 0 || all < 0 || synced < 0) {
      return Fail(absl::StrCat("kill ", k + 1, ": ", env,
                               " not taken over and synced within 60 s\n",
                               successor.empty() ? "" : fleet.Tail(successor)));
    }
    moved_s.push_back(moved);
    all_s.push_back(all);
    synced_s.push_back(synced);
    std::printf(
        "  kill %2d: %s (owned %zu) -> %s owns %s after %.2f s, synced it after %.2f s; all %zu "
        "re-owned "
        "after %.2f s\n",
        k + 1, victim.c_str(), victims_envs.size(), successor.c_str(), env.c_str(), moved, synced,
        victims_envs.size(), all);
    std::fflush(stdout);
    if (!fleet.Start(victim)) return Fail("cannot restart " + victim);
    if (!fleet.WaitSettled(std::chrono::seconds(120)))
      return Fail("ownership did not settle after restarting " + victim);
  }
  if (kills > 0) {
    std::printf("  owner key moved:          p50 %.2f s  max %.2f s  (min %.2f s)\n",
                Percentile(moved_s, 0.5), Percentile(moved_s, 1), Percentile(moved_s, 0));
    std::printf("  all victim's envs moved:  p50 %.2f s  max %.2f s\n", Percentile(all_s, 0.5),
                Percentile(all_s, 1));
    std::printf("  new owner synced it:      p50 %.2f s  max %.2f s\n", Percentile(synced_s, 0.5),
                Percentile(synced_s, 1));
  }
  for (const std::string& id : kReplicas) fleet.replica(id).Stop();
  sim->reset();
  std::error_code ec;
  if (keep) {
    std::printf("\nlogs kept in %s\n", work.c_str());
  } else {
    fs::remove_all(work, ec);
  }
  return 0;
}

}  // namespace envctl::bench
