// The etcd client and ReplicaSet against real etcd members (tests/fakes/etcd_cluster.h):
// the API subset round-trips, guarded writes and leases behave as the HA logic assumes,
// calls fail over when a member dies, have deadlines, a watch sees every change under its
// prefix (also across the death of the member it streamed from), and replicas keep their
// leases and environments through the loss of etcd's leader.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "controller/etcd_client.h"
#include "controller/etcd_state_store.h"
#include "controller/replica_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/etcd_cluster.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using envctl::testing::EtcdCluster;
using ::testing::HasSubstr;

class EtcdIntegrationTest : public ::testing::Test {
 protected:
  void StartCluster(int members) {
    if (!envctl::testing::EtcdInstalled()) {
      GTEST_SKIP() << "etcd is not installed (" << envctl::testing::kEtcdBinary
                   << "); deploy/install-deps.sh installs etcd-server";
    }
    auto cluster = EtcdCluster::Start(members);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    EtcdOptions o;
    o.endpoints = cluster_->Endpoints();
    o.request_timeout = absl::Seconds(2);
    auto kv = EtcdKvStore::Create(o);
    ASSERT_TRUE(kv.ok()) << kv.status();
    kv_ = std::move(*kv);
  }
  std::unique_ptr<EtcdCluster> cluster_;
  std::unique_ptr<EtcdKvStore> kv_;
};

TEST_F(EtcdIntegrationTest, KeyValueGuardsAndLeasesBehaveAsHaAssumes) {
  StartCluster(1);
  if (IsSkipped() || HasFatalFailure()) return;
  ASSERT_OK(kv_->Put("/t/a", "1", 0));
  ASSERT_OK(kv_->Put("/t/b", "2", 0));
  ASSERT_OK(kv_->Put("/u/c", "3", 0));
  auto a = kv_->Get("/t/a");
  ASSERT_TRUE(a.ok() && a->has_value()) << a.status();
  EXPECT_EQ((*a)->value, "1");
  auto listed = kv_->List("/t/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].key, "/t/b");
  ASSERT_OK(kv_->Delete("/t/a"));
  EXPECT_FALSE(kv_->Get("/t/a")->has_value());

  auto lease = kv_->GrantLease(absl::Seconds(5));
  ASSERT_TRUE(lease.ok()) << lease.status();
  const KvGuard absent{KvGuard::Kind::kAbsent, "/t/owner", "", 0};
  auto first = kv_->PutIf({absent}, "/t/owner", "r1", *lease);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  auto second = kv_->PutIf({absent}, "/t/owner", "r2", *lease);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second) << "a present key fails the absent guard";
  const KvGuard mine{KvGuard::Kind::kValueAndLease, "/t/owner", "r1", *lease};
  const KvGuard wrong_lease{KvGuard::Kind::kValueAndLease, "/t/owner", "r1", *lease + 1};
  EXPECT_TRUE(*kv_->PutIf({mine}, "/t/state", "s1", 0));
  EXPECT_FALSE(*kv_->PutIf({wrong_lease}, "/t/state", "s2", 0));
  EXPECT_EQ((*kv_->Get("/t/state"))->value, "s1");

  auto ttl = kv_->KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(*ttl, absl::Seconds(5));
  ASSERT_OK(kv_->RevokeLease(*lease));
  EXPECT_FALSE(kv_->Get("/t/owner")->has_value()) << "keys bound to a revoked lease are gone";
  EXPECT_EQ(kv_->KeepAlive(*lease).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EtcdIntegrationTest, CallsFailOverToALiveMemberAndHaveDeadlines) {
  StartCluster(3);
  if (IsSkipped() || HasFatalFailure()) return;
  ASSERT_OK(kv_->Put("/t/x", "1", 0));
  const std::string first = kv_->CurrentEndpoint();
  int index = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (cluster_->Endpoint(i) == first) index = i;
  }
  cluster_->Kill(index);
  // The two others keep quorum: the next calls go to one of them.
  auto got = kv_->Get("/t/x");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->value, "1");
  EXPECT_NE(kv_->CurrentEndpoint(), first);
  ASSERT_OK(kv_->Put("/t/x", "2", 0));

  // Nothing listens there: each attempt ends by its deadline, never hangs.
  EtcdOptions dead;
  dead.endpoints = {cluster_->Endpoint(index)};
  dead.request_timeout = absl::Milliseconds(500);
  auto lone = EtcdKvStore::Create(dead);
  ASSERT_TRUE(lone.ok());
  const auto started = std::chrono::steady_clock::now();
  absl::Status s = (*lone)->Get("/t/x").status();
  EXPECT_TRUE(absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(EtcdIntegrationTest, AWatchSeesEveryChangeUnderItsPrefixAlsoAfterItsMemberDies) {
  StartCluster(3);
  if (IsSkipped() || HasFatalFailure()) return;
  absl::Mutex mu;
  std::vector<std::string> seen;
  const std::string first = kv_->CurrentEndpoint();
  auto watch = kv_->WatchPrefix("/w/", [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    seen.push_back(key);
  });
  ASSERT_TRUE(watch.ok()) << watch.status();
  // Bounded wait until the watch has seen `key`; what it saw.
  auto await = [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    auto saw = [&]() { return std::find(seen.begin(), seen.end(), key) != seen.end(); };
    mu.AwaitWithTimeout(absl::Condition(&saw), absl::Seconds(20));
    return seen;
  };
  // The stream may still be opening: write until a change is seen.
  bool open = false;
  for (int i = 0; i < 100 && !open; ++i) {
    ASSERT_OK(kv_->Put("/w/warm", std::to_string(i), 0));
    absl::MutexLock lock(&mu);
    auto any = [&]() { return !seen.empty(); };
    open = mu.AwaitWithTimeout(absl::Condition(&any), absl::Milliseconds(200));
  }
  ASSERT_TRUE(open) << "the watch saw no change";
  ASSERT_OK(kv_->Put("/other/x", "1", 0));  // outside the prefix
  ASSERT_OK(kv_->Put("/w/a", "1", 0));
  ASSERT_OK(kv_->Delete("/w/a"));
  ASSERT_OK(kv_->Put("/w/b", "2", 0));
  std::vector<std::string> got = await("/w/b");
  const auto last_warm = std::find(got.rbegin(), got.rend(), "/w/warm").base();
  EXPECT_EQ(std::vector<std::string>(last_warm, got.end()),
            (std::vector<std::string>{"/w/a", "/w/a", "/w/b"}));

  // The member the watch streamed from dies; the watch reopens on another one and
  // delivers what was written meanwhile.
  for (int i = 0; i < cluster_->size(); ++i) {
    if (cluster_->Endpoint(i) == first) cluster_->Kill(i);
  }
  ASSERT_OK(kv_->Put("/w/c", "3", 0));
  got = await("/w/c");
  EXPECT_EQ(got.back(), "/w/c");
}

TEST_F(EtcdIntegrationTest, ReplicasKeepTheirLeasesAndEnvironmentsWhenTheEtcdLeaderDies) {
  StartCluster(3);
  if (IsSkipped() || HasFatalFailure()) return;
  metrics::Metrics metrics;
  ReplicaSetOptions o;
  o.prefix = "/envctl/it";
  o.lease_ttl = absl::Seconds(5);
  o.replica_id = "a";
  ReplicaSet a(*kv_, RealClock::Get(), metrics, o);
  o.replica_id = "b";
  ReplicaSet b(*kv_, RealClock::Get(), metrics, o);
  const std::vector<std::string> envs = {"dev", "test", "prod", "qa", "stage", "perf"};
  a.SetEnvironments(envs);
  b.SetEnvironments(envs);
  for (ReplicaSet* r : {&a, &b}) ASSERT_OK(r->RenewLease());
  for (int pass = 0; pass < 2; ++pass) {
    for (ReplicaSet* r : {&a, &b}) ASSERT_OK(r->Balance());
  }
  const auto owned_a = a.OwnedForTest();
  const auto owned_b = b.OwnedForTest();
  ASSERT_EQ(owned_a.size() + owned_b.size(), envs.size());

  const int leader = cluster_->Leader();
  ASSERT_GE(leader, 0) << "etcdctl endpoint status names a leader";
  cluster_->Kill(leader);
  // After etcd's own election (bounded wait), renewals and fenced writes work again and
  // nobody lost anything.
  bool renewed = false;
  for (int i = 0; i < 100 && !renewed; ++i) {
    renewed = a.RenewLease().ok() && b.RenewLease().ok();
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(renewed);
  for (ReplicaSet* r : {&a, &b}) ASSERT_OK(r->Balance());
  EXPECT_EQ(a.OwnedForTest(), owned_a);
  EXPECT_EQ(b.OwnedForTest(), owned_b);
  ReplicaSet& owner = owned_a.empty() ? b : a;
  ReplicaSet& not_owner = owned_a.empty() ? a : b;
  EtcdStateStore store(*kv_, o.prefix, &owner);
  envctl::v1::EnvironmentState state;
  state.set_environment(*owner.OwnedForTest().begin());
  EXPECT_OK(store.Save(state));
  EtcdStateStore other(*kv_, o.prefix, &not_owner);
  absl::Status fenced = other.Save(state);
  EXPECT_THAT(fenced.message(), HasSubstr("fenced"));
}

}  // namespace
}  // namespace envctl::controller
