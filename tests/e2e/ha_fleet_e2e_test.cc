// 20 environments, 3 replicas, 3 etcd members: every environment is owned by exactly one
// replica, the work is spread, no two replicas ever sync one environment at the same time
// (from their logs), and killing etcd's leader stops nobody. Losing etcd's quorum (2 of 3
// members down) makes every replica report unhealthy and stop writing; when the members
// come back the replicas recover and repair what drifted meanwhile.
#include <signal.h>

#include <chrono>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "tests/e2e/ha_fixture.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using Clock = std::chrono::steady_clock;
std::string EnvName(int i) { return absl::StrFormat("e%02d", i); }

class HaFleetE2ETest : public HaE2ETest {
 protected:
  void SetUp() override {
    HaE2ETest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // A small fleet: each environment is a resource group and a storage account.
    fleet_ = work_ / "fleet";
    fs::create_directories(fleet_ / "resources");
    fs::create_directories(fleet_ / "environments");
    std::string names;
    for (int i = 0; i < environments_; ++i) names += (i ? ", " : "") + EnvName(i);
    WriteFile(fleet_ / "envctl.yaml",
              "project: fleet\n"
              "environments: [" +
                  names +
                  "]\n"
                  "resources:\n  - resources/\n"
                  "parameters:\n  location: westeurope\n"
                  "azure:\n  location: ${location}\n"
                  "sync:\n  resyncInterval: 3s\n  prune: true\n");
    WriteFile(fleet_ / "resources" / "azure.yaml",
              "name: rg\n"
              "resourceGroup:\n  groupName: ${resource_group}\n"
              "---\n"
              "name: lake\n"
              "storageAccount:\n"
              "  accountName: ${storage_account}\n"
              "  resourceGroup: rg\n"
              "  sku: Standard_LRS\n"
              "  kind: StorageV2\n");
    for (int i = 0; i < environments_; ++i) {
      WriteFile(fleet_ / "environments" / (EnvName(i) + ".yaml"),
                "parameters:\n  resource_group: fleet-" + EnvName(i) +
                    "-rg\n  storage_account: fleet" + EnvName(i) + "lake\n");
    }
    repo_ = fleet_;  // the replicas' configs point at it
    prefix_ = "/envctl/fleet";
  }

  // Bounded wait until every environment is owned and synced; returns how many are.
  int WaitForFleetSynced(std::chrono::seconds timeout) {
    controller::EtcdStateStore store(*kv_, prefix_, nullptr);
    const auto deadline = Clock::now() + timeout;
    int synced = 0;
    while (Clock::now() < deadline) {
      synced = 0;
      for (int i = 0; i < environments_; ++i) {
        auto state = store.Load(EnvName(i));
        auto owner = store.Owner(EnvName(i));
        synced += state.ok() && !state->status().synced_revision().empty() && owner.ok() &&
                  !owner->empty();
      }
      if (synced == environments_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return synced;
  }

  struct Span {
    std::string replica;
    absl::Time start, end;
  };
  // sync_start..sync_end spans per environment, from every replica's log.
  std::map<std::string, std::vector<Span>> SyncSpans() {
    std::map<std::string, std::vector<Span>> out;
    for (auto& [id, p] : replicas_) {
      std::map<std::string, absl::Time> open;  // sync id -> start
      for (const auto& line : p->LogLines()) {
        if (!line.is_object()) continue;
        const std::string event = line.value("event", "");
        if (event != "sync_start" && event != "sync_end") continue;
        absl::Time t;
        std::string err;
        if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", line.value("ts", ""), &t, &err)) continue;
        const std::string sync = line.value("sync_id", "");
        if (event == "sync_start") {
          open[sync] = t;
        } else if (open.count(sync)) {
          out[line.value("environment", "")].push_back(Span{id, open[sync], t});
        }
      }
    }
    return out;
  }

  int environments_ = 20;
  fs::path fleet_;
};

TEST_F(HaFleetE2ETest, EachEnvironmentHasOneOwnerAtATimeAndAnEtcdLeaderKillStopsNobody) {
  for (const char* id : {"r0", "r1", "r2"}) StartReplica(id);
  // Bounded wait: every environment owned and synced.
  controller::EtcdStateStore store(*kv_, prefix_, nullptr);
  ASSERT_EQ(WaitForFleetSynced(std::chrono::seconds(180)), environments_)
      << replicas_["r0"]->Stderr().substr(0, 3000);

  std::map<std::string, int> per_replica;
  for (int i = 0; i < environments_; ++i) ++per_replica[*store.Owner(EnvName(i))];
  std::cout << "environments per replica:";
  for (const auto& [id, n] : per_replica) std::cout << " " << id << "=" << n;
  std::cout << std::endl;
  ASSERT_EQ(per_replica.size(), 3u) << "every replica owns some";
  for (const auto& [id, n] : per_replica) EXPECT_GE(n, 3) << id;

  // Kill etcd's leader; the two other members elect a new one.
  const int leader = etcd_->Leader();
  ASSERT_GE(leader, 0);
  std::map<std::string, size_t> marks;
  for (auto& [id, p] : replicas_) marks[id] = p->LogLines().size();
  etcd_->Kill(leader);
  // Every replica keeps syncing what it owns (resync every 3 s), nobody loses anything.
  for (auto& [id, p] : replicas_) {
    bool synced_after = false;
    const auto until = Clock::now() + std::chrono::seconds(30);
    while (!synced_after && Clock::now() < until) {
      const auto lines = p->LogLines();
      for (size_t i = marks[id]; i < lines.size() && !synced_after; ++i) {
        synced_after = lines[i].is_object() && lines[i].value("event", "") == "sync_end" &&
                       lines[i].value("outcome", "") == "converged";
      }
      if (!synced_after) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(synced_after) << id << " synced after the etcd leader died\n"
                              << p->Stderr().substr(0, 3000);
    EXPECT_TRUE(p->Running()) << id;
    const auto lines = p->LogLines();
    for (size_t i = marks[id]; i < lines.size(); ++i) {
      EXPECT_NE(lines[i].value("event", ""), "ha_ownership_lost") << id << ": " << lines[i].dump();
    }
  }

  // No environment was synced by two replicas in overlapping intervals, ever.
  for (const auto& [env, spans] : SyncSpans()) {
    for (size_t i = 0; i < spans.size(); ++i) {
      for (size_t j = i + 1; j < spans.size(); ++j) {
        if (spans[i].replica == spans[j].replica) continue;
        const bool overlap = spans[i].start < spans[j].end && spans[j].start < spans[i].end;
        EXPECT_FALSE(overlap) << env << ": " << spans[i].replica << " and " << spans[j].replica
                              << " synced it at the same time";
      }
    }
  }
}

// Six environments are enough to see every replica stop and recover.
class HaQuorumE2ETest : public HaFleetE2ETest {
 protected:
  HaQuorumE2ETest() { environments_ = 6; }

  std::string AccountPath(int i) {
    return portal_->RgPath("fleet-" + EnvName(i) + "-rg") +
           "/providers/Microsoft.Storage/storageAccounts/fleet" + EnvName(i) + "lake";
  }
  // Failed lease renewals replica `id` logged at log-line index >= `from`.
  int LeaseErrorsAfter(const std::string& id, size_t from) {
    const auto lines = replicas_[id]->LogLines();
    int n = 0;
    for (size_t i = from; i < lines.size(); ++i) {
      n += lines[i].is_object() && lines[i].value("event", "") == "ha_lease_error";
    }
    return n;
  }
};

TEST_F(HaQuorumE2ETest, WithoutEtcdQuorumReplicasReportUnhealthyAndStopWritingThenRecover) {
  for (const char* id : {"r0", "r1", "r2"}) StartReplica(id);
  ASSERT_EQ(WaitForFleetSynced(std::chrono::seconds(180)), environments_)
      << replicas_["r0"]->Stderr().substr(0, 3000);
  for (auto& [id, p] : replicas_) {
    std::pair<int, std::string> health;
    for (const auto until = Clock::now() + std::chrono::seconds(30); Clock::now() < until;) {
      if ((health = Healthz(id)).first == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(health.first, 200) << id << ": " << health.second;
  }

  // Two of three members down: the third has no quorum, so no renewal, read or write succeeds.
  etcd_->Kill(0);
  etcd_->Kill(1);
  // Every replica reports unhealthy at once (renewals fail), and once its lease deadline
  // has passed it says it acts on no environment (bounded wait: TTL 10 s + renewal period).
  for (auto& [id, p] : replicas_) {
    std::pair<int, std::string> health;
    for (const auto until = Clock::now() + std::chrono::seconds(40); Clock::now() < until;) {
      health = Healthz(id);
      if (health.first == 503 &&
          health.second.find("acting on no environment") != std::string::npos)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(health.first, 503) << id << ": " << health.second;
    EXPECT_THAT(health.second, ::testing::HasSubstr("acting on no environment until it is renewed"))
        << id;
    EXPECT_TRUE(p->Running()) << id;
  }
  if (HasFailure()) return;

  // Drift a live replica would repair at its next resync (every 3 s): every
  // environment's storage account deleted out of band.
  const size_t fenced_from = RequestLogSize();
  std::map<std::string, size_t> log_marks;
  for (auto& [id, p] : replicas_) log_marks[id] = p->LogLines().size();
  for (int i = 0; i < environments_; ++i) {
    auto deleted = portal_->Arm("DELETE", AccountPath(i), "2023-01-01");
    ASSERT_TRUE(deleted.ok()) << deleted.status();
  }
  // The window: two more failed renewals on every replica (each ~3 s apart, so more
  // than two resync intervals).
  for (auto& [id, p] : replicas_) {
    for (const auto until = Clock::now() + std::chrono::seconds(40); Clock::now() < until;) {
      if (LeaseErrorsAfter(id, log_marks[id]) >= 2) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_GE(LeaseErrorsAfter(id, log_marks[id]), 2) << id;
  }
  const size_t fenced_until = RequestLogSize();
  for (auto& [id, p] : replicas_) {
    for (const nlohmann::json& w : WritesFrom(id, fenced_from, fenced_until)) {
      ADD_FAILURE() << "replica " << id << " wrote to cloudsim without etcd quorum: " << w.dump();
    }
  }
  for (int i = 0; i < environments_; ++i) {
    EXPECT_FALSE(portal_->Arm("GET", AccountPath(i), "2023-01-01").ok())
        << EnvName(i) << " repaired without quorum";
  }

  // Quorum returns: the replicas renew (etcd's new leader extends the leases it inherits,
  // or a replica takes a new one), report healthy and repair the drift.
  ASSERT_TRUE(etcd_->Restart(0).ok());
  ASSERT_TRUE(etcd_->Restart(1).ok());
  ASSERT_TRUE(etcd_->WaitHealthy(std::chrono::seconds(30)).ok());
  for (auto& [id, p] : replicas_) {
    std::pair<int, std::string> health;
    for (const auto until = Clock::now() + std::chrono::seconds(40); Clock::now() < until;) {
      if ((health = Healthz(id)).first == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(health.first, 200) << id << ": " << health.second;
  }
  for (int i = 0; i < environments_; ++i) {
    bool repaired = false;
    for (const auto until = Clock::now() + std::chrono::seconds(60);
         !repaired && Clock::now() < until;) {
      repaired = portal_->Arm("GET", AccountPath(i), "2023-01-01").ok();
      if (!repaired) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_TRUE(repaired) << EnvName(i) << " not repaired after quorum returned";
  }
  // Each repair was written by a replica (its User-Agent names it), and every
  // environment has an owner again.
  int repaired_by_replicas = 0;
  for (auto& [id, p] : replicas_) {
    for (const nlohmann::json& w : WritesFrom(id, fenced_until, RequestLogSize())) {
      repaired_by_replicas += w.value("method", "") == "PUT" &&
                              w.value("path", "").find("/storageAccounts/") != std::string::npos;
    }
  }
  EXPECT_GE(repaired_by_replicas, environments_);
  EXPECT_EQ(WaitForFleetSynced(std::chrono::seconds(30)), environments_);
  for (auto& [id, p] : replicas_) EXPECT_TRUE(p->Running()) << id;
}

}  // namespace
}  // namespace envctl::testing
