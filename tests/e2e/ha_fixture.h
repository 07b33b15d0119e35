// Shared fixture of the high-availability end-to-end tests: cloudsim and a copy of
// examples/bikeshare (BikeshareE2ETest), a local etcd cluster (tests/fakes/etcd_cluster.h)
// and N `envctl controller` replicas sharing it (state.etcd), each with its own local
// state dir, ports picked free and JSON logs. Helpers find who owns an environment (from
// etcd, the way `envctl status --config` does) and count cloudsim's notebook run submits.
// TEST is promoted from dev, as in the example.
#ifndef ENVCTL_TESTS_E2E_HA_FIXTURE_H_
#define ENVCTL_TESTS_E2E_HA_FIXTURE_H_

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cloudsim/http/client.h"
#include "controller/etcd_client.h"
#include "controller/etcd_state_store.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/etcd_cluster.h"

namespace envctl::testing {

inline constexpr char kHaPrefix[] = "/envctl/bikeshare";

class HaE2ETest : public BikeshareE2ETest {
 protected:
  void SetUp() override {
    if (!EtcdInstalled()) {
      GTEST_SKIP() << "etcd is not installed (" << kEtcdBinary
                   << "); deploy/install-deps.sh installs etcd-server";
    }
    BikeshareE2ETest::SetUp();
    auto cluster = EtcdCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    etcd_ = std::move(*cluster);
    controller::EtcdOptions o;
    o.endpoints = etcd_->Endpoints();
    auto kv = controller::EtcdKvStore::Create(o);
    ASSERT_TRUE(kv.ok()) << kv.status();
    kv_ = std::move(*kv);
  }

  // The controller config of replica `id` (environments: all the repo declares).
  fs::path WriteConfig(const std::string& id, const std::string& extra = "") {
    std::string endpoints;
    for (const auto& e : etcd_->Endpoints()) endpoints += (endpoints.empty() ? "" : ", ") + e;
    const fs::path config = work_ / (id + ".yaml");
    WriteFile(config,
              "source:\n"
              "  folder: " +
                  repo_.string() +
                  "\n"
                  "  pollInterval: 1h\n"
                  "cloud: " +
                  sim_->endpoints_file +
                  "\n"
                  "stateDir: " +
                  (work_ / id).string() +
                  "\n"
                  "state:\n"
                  "  etcd:\n"
                  "    endpoints: [" +
                  endpoints +
                  "]\n"
                  "    prefix: " +
                  prefix_ + "\n" + extra +
                  "workers: 4\n"
                  "grpc:\n  listen: 127.0.0.1:0\n"
                  "http:\n  listen: 127.0.0.1:0\n");
    return config;
  }

  ControllerProcess& StartReplica(const std::string& id, const std::string& extra = "") {
    const fs::path config = WriteConfig(id, extra);
    const fs::path dir = work_ / ("proc-" + id);
    fs::create_directories(dir);
    auto& p = replicas_[id];
    p = std::make_unique<ControllerProcess>();
    EXPECT_TRUE(p->Start(dir, {"controller", "--config", config.string(), "--replica-id", id,
                               "--log-format", "json"}));
    return *p;
  }

  // The replica id in the environment's owner key ("" when none or etcd is unreachable).
  std::string OwnerOf(const std::string& env) {
    controller::EtcdStateStore store(*kv_, prefix_, nullptr);
    auto owner = store.Owner(env);
    return owner.ok() ? *owner : "";
  }

  // Bounded wait until `env` is owned by a replica for which `accept` holds.
  std::string WaitForOwner(const std::string& env,
                           const std::function<bool(const std::string&)>& accept,
                           std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string owner = OwnerOf(env);
      if (!owner.empty() && accept(owner)) return owner;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }

  // Writes (not GET/HEAD, not token requests) cloudsim logged from replica `id` (its
  // User-Agent names it) at request-log indexes [from, to).
  std::vector<nlohmann::json> WritesFrom(const std::string& id, size_t from, size_t to) {
    std::vector<nlohmann::json> out;
    auto log = portal_->Admin("GET", "/requests");
    if (!log.ok()) return out;
    const nlohmann::json entries = log->value("requests", nlohmann::json::array());
    for (size_t i = from; i < std::min(to, entries.size()); ++i) {
      const std::string method = entries[i].value("method", "");
      if (method == "GET" || method == "HEAD" || entries[i].value("service", "") == "aad") continue;
      if (entries[i].value("client", "").find("(replica " + id + ")") != std::string::npos)
        out.push_back(entries[i]);
    }
    return out;
  }
  // Entries in cloudsim's request log so far.
  size_t RequestLogSize() {
    auto log = portal_->Admin("GET", "/requests");
    return log.ok() ? log->value("requests", nlohmann::json::array()).size() : 0;
  }

  // POSTs of notebook runs cloudsim received (the integration tests' submits).
  int RunSubmits() {
    auto log = portal_->Admin("GET", "/requests");
    if (!log.ok()) return -1;
    return static_cast<int>(Indexes(*log, "POST", "/jobs/runs/submit").size());
  }

  // The HTTP listen address replica `id` printed ("" when it printed none within 10 s).
  std::string HttpAddress(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      const std::string out = replicas_[id]->Stdout();
      if (std::regex_search(out, m, std::regex("HTTP  https?://([0-9.:]+)"))) return m[1];
      if (!replicas_[id]->Running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  // GET /healthz of replica `id`: the status code (0 when it did not answer) and body.
  std::pair<int, std::string> Healthz(const std::string& id) {
    const std::string address = HttpAddress(id);
    if (address.empty()) return {0, ""};
    auto r = cloudsim::Fetch("GET", "http://" + address + "/healthz", {}, "");
    return r.ok() ? std::make_pair(r->status, r->body)
                  : std::make_pair(0, std::string(r.status().message()));
  }

  std::string prefix_ = kHaPrefix;  // state.etcd.prefix of the replicas
  std::unique_ptr<EtcdCluster> etcd_;
  std::unique_ptr<controller::EtcdKvStore> kv_;
  std::map<std::string, std::unique_ptr<ControllerProcess>> replicas_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_E2E_HA_FIXTURE_H_
