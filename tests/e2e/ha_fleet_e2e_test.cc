// 20 environments, 3 replicas, 3 etcd members: every environment is owned by exactly one
// replica, the work is spread, no two replicas ever sync one environment at the same time
// (from their logs), and killing etcd's leader stops nobody.
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
constexpr int kEnvironments = 20;

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
    for (int i = 0; i < kEnvironments; ++i) names += (i ? ", " : "") + EnvName(i);
    WriteFile(fleet_ / "envctl.yaml", "project: fleet\n"
                                      "environments: [" + names + "]\n"
                                      "resources:\n  - resources/\n"
                                      "parameters:\n  location: westeurope\n"
                                      "azure:\n  location: ${location}\n"
                                      "sync:\n  resyncInterval: 3s\n  prune: true\n");
    WriteFile(fleet_ / "resources" / "azure.yaml", "name: rg\n"
                                                   "resourceGroup:\n  groupName: ${resource_group}\n"
                                                   "---\n"
                                                   "name: lake\n"
                                                   "storageAccount:\n"
                                                   "  accountName: ${storage_account}\n"
                                                   "  resourceGroup: rg\n"
                                                   "  sku: Standard_LRS\n"
                                                   "  kind: StorageV2\n");
    for (int i = 0; i < kEnvironments; ++i) {
      WriteFile(fleet_ / "environments" / (EnvName(i) + ".yaml"),
                "parameters:\n  resource_group: fleet-" + EnvName(i) + "-rg\n  storage_account: fleet" +
                    EnvName(i) + "lake\n");
    }
    repo_ = fleet_;  // the replicas' configs point at it
    prefix_ = "/envctl/fleet";
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

  fs::path fleet_;
};

TEST_F(HaFleetE2ETest, EachEnvironmentHasOneOwnerAtATimeAndAnEtcdLeaderKillStopsNobody) {
  for (const char* id : {"r0", "r1", "r2"}) StartReplica(id);
  // Bounded wait: every environment owned and synced.
  controller::EtcdStateStore store(*kv_, prefix_, nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(180);
  int synced = 0;
  while (Clock::now() < deadline) {
    synced = 0;
    for (int i = 0; i < kEnvironments; ++i) {
      auto state = store.Load(EnvName(i));
      auto owner = store.Owner(EnvName(i));
      synced += state.ok() && !state->status().synced_revision().empty() && owner.ok() && !owner->empty();
    }
    if (synced == kEnvironments) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(synced, kEnvironments) << replicas_["r0"]->Stderr().substr(0, 3000);

  std::map<std::string, int> per_replica;
  for (int i = 0; i < kEnvironments; ++i) ++per_replica[*store.Owner(EnvName(i))];
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
    EXPECT_TRUE(synced_after) << id << " synced after the etcd leader died\n" << p->Stderr().substr(0, 3000);
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

}  // namespace
}  // namespace envctl::testing
