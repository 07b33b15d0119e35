// ReplicaSet and EtcdStateStore on a fake KV and clock: one owner per environment, an
// even spread by rendezvous hashing, take-over after a dead replica's TTL, fencing of a
// paused replica, rebalancing on join, no release while a sync runs, and no writes
// without quorum.
#include "controller/replica_set.h"

#include <map>
#include <memory>
#include <set>

#include "controller/etcd_state_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kv.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using envctl::testing::FakeKv;
using ::testing::HasSubstr;

constexpr char kPrefix[] = "/envctl/test";

class ReplicaSetTest : public ::testing::Test {
 protected:
  ReplicaSetTest() : kv_(clock_) {
    for (int i = 0; i < 20; ++i) envs_.push_back("env" + std::to_string(i));
  }
  ReplicaSet& Add(const std::string& id) {
    ReplicaSetOptions o;
    o.replica_id = id;
    o.prefix = kPrefix;
    auto r = std::make_unique<ReplicaSet>(kv_, clock_, metrics_, o);
    r->SetEnvironments(envs_);
    r->SetOnAcquired([this, id](const std::string& env) { acquired_[id].push_back(env); });
    ReplicaSet& ref = *r;
    replicas_[id] = std::move(r);
    return ref;
  }
  // One round: each replica in `alive` renews, then each balances (twice, so releases
  // done in the first pass are picked up in the second).
  void Round(const std::vector<std::string>& alive) {
    for (const auto& id : alive) EXPECT_OK(replicas_[id]->RenewLease());
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& id : alive) EXPECT_OK(replicas_[id]->Balance());
    }
  }
  // environment -> replicas that believe they own it.
  std::map<std::string, std::vector<std::string>> Believed(const std::vector<std::string>& ids) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& id : ids) {
      for (const auto& env : replicas_[id]->OwnedForTest()) out[env].push_back(id);
    }
    return out;
  }
  void ExpectExactlyOneOwnerEach(const std::vector<std::string>& ids) {
    auto believed = Believed(ids);
    for (const auto& env : envs_) {
      ASSERT_EQ(believed[env].size(), 1u) << env;
      auto key = kv_.Get(std::string(kPrefix) + "/owners/" + env);
      ASSERT_TRUE(key.ok() && key->has_value()) << env;
      EXPECT_EQ((*key)->value, believed[env][0]) << env;
    }
  }

  FakeClock clock_;
  FakeKv kv_;
  metrics::Metrics metrics_;
  std::vector<std::string> envs_;
  std::map<std::string, std::unique_ptr<ReplicaSet>> replicas_;
  std::map<std::string, std::vector<std::string>> acquired_;
};

TEST(RendezvousOwnerTest, IsDeterministicAndMovesOnlyWhatALeavingMemberHeld) {
  const std::vector<std::string> three = {"a", "b", "c"};
  const std::vector<std::string> two = {"a", "c"};
  EXPECT_EQ(RendezvousOwner("dev", {}), "");
  int moved = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string env = "env" + std::to_string(i);
    const std::string before = RendezvousOwner(env, three);
    EXPECT_EQ(before, RendezvousOwner(env, {"c", "b", "a"})) << "order of members does not matter";
    const std::string after = RendezvousOwner(env, two);
    if (before != "b") {
      EXPECT_EQ(after, before) << env << " moved though its owner stayed";
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 30);  // b held about a third
  EXPECT_LT(moved, 110);
}

TEST_F(ReplicaSetTest, ThreeReplicasOwnEachOfTwentyEnvironmentsExactlyOnce) {
  Add("a");
  Add("b");
  Add("c");
  Round({"a", "b", "c"});
  Round({"a", "b", "c"});
  ExpectExactlyOneOwnerEach({"a", "b", "c"});
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_GE(replicas_[id]->OwnedForTest().size(), 3u) << id << " got a fair share";
    EXPECT_EQ(replicas_[id]->OwnerOf("env0"), RendezvousOwner("env0", {"a", "b", "c"}));
  }
}

TEST_F(ReplicaSetTest, DeadReplicasEnvironmentsAreTakenOverAfterItsLeaseExpires) {
  Add("a");
  Add("b");
  Add("c");
  Round({"a", "b", "c"});
  Round({"a", "b", "c"});
  const std::set<std::string> of_a = replicas_["a"]->OwnedForTest();
  ASSERT_FALSE(of_a.empty());
  // "a" dies (kill -9): it renews nothing more. Before the TTL nobody takes its work.
  clock_.Advance(absl::Seconds(5));
  Round({"b", "c"});
  for (const auto& env : of_a) EXPECT_EQ(replicas_["b"]->OwnerOf(env), "a");
  clock_.Advance(absl::Seconds(6));  // past a's 10 s TTL
  Round({"b", "c"});
  ExpectExactlyOneOwnerEach({"b", "c"});
  for (const auto& env : of_a) {
    const std::string now = replicas_["b"]->OwnerOf(env);
    EXPECT_TRUE(now == "b" || now == "c") << env;
    auto& list = acquired_[now];
    EXPECT_NE(std::find(list.begin(), list.end(), env), list.end()) << "the new owner was told";
  }
}

TEST_F(ReplicaSetTest, PausedReplicaIsFencedTheMomentItResumes) {
  ReplicaSet& a = Add("a");
  Add("b");
  Round({"a", "b"});
  Round({"a", "b"});
  const std::string env = *a.OwnedForTest().begin();
  EtcdStateStore store_a(kv_, kPrefix, &a);
  EtcdStateStore store_b(kv_, kPrefix, replicas_["b"].get());
  envctl::v1::EnvironmentState state;
  state.set_environment(env);
  state.mutable_status()->set_synced_revision("by-a");
  ASSERT_OK(store_a.Save(state));

  // SIGSTOP past the TTL: b (renewing all along) takes over and writes.
  clock_.Advance(absl::Seconds(6));
  Round({"b"});
  clock_.Advance(absl::Seconds(5));
  Round({"b"});
  ASSERT_EQ(replicas_["b"]->OwnerOf(env), "b");
  state.mutable_status()->set_synced_revision("by-b");
  ASSERT_OK(store_b.Save(state));

  // SIGCONT: before any I/O, a knows its lease is past its deadline.
  EXPECT_FALSE(a.Owns(env));
  EXPECT_THAT(a.CheckOwnership(env).message(), HasSubstr("fenced"));
  state.mutable_status()->set_synced_revision("stale");
  absl::Status stale = store_a.Save(state);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  auto loaded = store_b.Load(env);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->status().synced_revision(), "by-b");
  // Its next renewal learns the lease is gone and drops everything.
  EXPECT_FALSE(a.RenewLease().ok());
  EXPECT_TRUE(a.OwnedForTest().empty());
}

TEST_F(ReplicaSetTest, WriteIsRefusedByTheStoreWhenTheOwnerKeyMovedUnnoticed) {
  ReplicaSet& a = Add("a");
  Round({"a"});
  ASSERT_TRUE(a.Owns("env3"));
  // Someone else holds the key now (a has not balanced since): the guard refuses.
  ASSERT_OK(kv_.Delete(a.OwnerKey("env3")));
  ASSERT_OK(kv_.Put(a.OwnerKey("env3"), "b", 0));
  EtcdStateStore store(kv_, kPrefix, &a);
  envctl::v1::EnvironmentState state;
  state.set_environment("env3");
  absl::Status s = store.Save(state);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("fenced: replica a no longer owns environment env3"));
  EXPECT_EQ(kv_.RefusedWrites(), 1);
  EXPECT_FALSE(a.Owns("env3")) << "marked lost at once";
}

TEST_F(ReplicaSetTest, AJoiningReplicaGetsItsShareAndNoEnvironmentHasTwoOwners) {
  Add("a");
  Add("b");
  Round({"a", "b"});
  ExpectExactlyOneOwnerEach({"a", "b"});
  Add("c");
  Round({"a", "b", "c"});
  Round({"a", "b", "c"});
  ExpectExactlyOneOwnerEach({"a", "b", "c"});
  for (const auto& env : envs_) {
    EXPECT_EQ(replicas_["a"]->OwnerOf(env), RendezvousOwner(env, {"a", "b", "c"})) << env;
  }
  EXPECT_FALSE(replicas_["c"]->OwnedForTest().empty());
}

TEST_F(ReplicaSetTest, EnvironmentIsNotHandedOverWhileItsSyncRuns) {
  ReplicaSet& a = Add("a");
  std::set<std::string> busy = {"env0", "env1", "env2", "env3", "env4"};
  a.SetBusy([&busy](const std::string& env) { return busy.count(env) > 0; });
  Round({"a"});
  ASSERT_EQ(a.OwnedForTest().size(), 20u);
  Add("b");
  Round({"a", "b"});
  for (const auto& env : busy) {
    EXPECT_TRUE(a.Owns(env)) << env << " is kept while busy";
  }
  busy.clear();
  Round({"a", "b"});
  ExpectExactlyOneOwnerEach({"a", "b"});
}

TEST_F(ReplicaSetTest, WithoutQuorumAReplicaStopsActingAndReportsUnhealthyThenRecovers) {
  ReplicaSet& a = Add("a");
  Round({"a"});
  std::string why;
  EXPECT_TRUE(a.Healthy(&why)) << why;
  kv_.SetDown(true);
  clock_.Advance(absl::Seconds(4));
  EXPECT_FALSE(a.RenewLease().ok());
  EXPECT_FALSE(a.Healthy(&why));
  EXPECT_THAT(why, HasSubstr("etcd"));
  EXPECT_THAT(why, HasSubstr("lease valid for another"));
  EXPECT_TRUE(a.Owns("env0")) << "still inside the lease";
  clock_.Advance(absl::Seconds(7));  // past the lease deadline without a renewal
  EXPECT_FALSE(a.Owns("env0"));
  EXPECT_THAT(a.CheckOwnership("env0").message(), HasSubstr("past its deadline"));
  EXPECT_FALSE(a.Healthy(&why));
  EXPECT_THAT(why, HasSubstr("acting on no environment until it is renewed"));
  // Quorum returns (etcd keeps leases alive across its own elections; here the fake
  // expired it): a new lease, and the environments come back to the only replica.
  kv_.SetDown(false);
  EXPECT_EQ(a.RenewLease().code(), absl::StatusCode::kUnavailable);  // learns it expired
  EXPECT_TRUE(a.OwnedForTest().empty());
  Round({"a"});
  Round({"a"});
  EXPECT_TRUE(a.Healthy(&why)) << why;
  EXPECT_EQ(a.OwnedForTest().size(), 20u);
}

TEST_F(ReplicaSetTest, StopHandsEnvironmentsOverWithoutWaitingForTheTtl) {
  ReplicaSet& a = Add("a");
  Add("b");
  Round({"a", "b"});
  Round({"a", "b"});
  a.Start();  // Stop() only revokes a lease a started replica holds
  a.Stop();
  Round({"b"});
  EXPECT_EQ(replicas_["b"]->OwnedForTest().size(), 20u);
}

}  // namespace
}  // namespace envctl::controller
