// Promotion across replicas, on a fake etcd (FakeKv) and a fake clock: two controllers
// share the store, one owns DEV and the other TEST (promoted from dev). TEST's owner hears
// of DEV's verified revision from the store's watch at once, or, when the watch missed it,
// at its next periodic look; a failing DEV test holds TEST and TEST's status says why.
#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "controller/controller.h"
#include "controller/etcd_state_store.h"
#include "controller/replica_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/controller/fake_run_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kv.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeKv;
using ::envctl::testing::FakeReconciler;
using ::envctl::testing::FakeRunReconciler;
using ::testing::HasSubstr;

constexpr char kPrefix[] = "/envctl/cross";

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

// A resource group; DEV also has an IntegrationTest `smoke` over `test_hash`.
envctl::v1::Environment MakeEnv(const std::string& name, const std::string& location,
                                const std::string& test_hash, const std::string& from) {
  envctl::v1::Environment env;
  env.set_name(name);
  env.mutable_sync()->mutable_resync_interval()->set_seconds(600);
  env.mutable_promotion()->set_from(from);
  auto* r = env.add_resources();
  r->set_name(name + "-rg");
  r->mutable_resource_group()->set_group_name(name + "-rg");
  r->mutable_resource_group()->set_location(location);
  auto* c = env.add_contents();
  c->set_resource(name + "-rg");
  c->set_content_hash("h-" + name + "-" + location);
  if (!test_hash.empty()) {
    auto* t = env.add_resources();
    t->set_name("smoke");
    t->mutable_integration_test()->set_notebook_path("/tests/smoke");
    t->add_depends_on(name + "-rg");
    auto* tc = env.add_contents();
    tc->set_resource("smoke");
    tc->set_content_hash(test_hash);
  }
  return env;
}

// One replica: membership, its view of the shared store, its engine and controller.
struct Replica {
  std::unique_ptr<ReplicaSet> replicas;
  std::unique_ptr<EtcdStateStore> store;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Controller> controller;
};

class CrossReplicaPromotionTest : public ::testing::Test {
 protected:
  CrossReplicaPromotionTest() : kv_(clock_), runs_(clock_), reader_(kv_, kPrefix, nullptr) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &cloud_);
    registry_.Register(envctl::v1::Resource::kIntegrationTest, &runs_);
    // Two replica ids that rendezvous hashing gives one environment each.
    for (int i = 0; dev_owner_.empty(); ++i) {
      const std::vector<std::string> ids = {"replica-" + std::to_string(i),
                                            "replica-" + std::to_string(i + 1)};
      const std::string dev = RendezvousOwner("dev", ids), test = RendezvousOwner("test", ids);
      if (dev != test) {
        dev_owner_ = dev;
        test_owner_ = test;
      }
    }
  }
  ~CrossReplicaPromotionTest() override {
    for (auto& [id, r] : replicas_) r.controller->Stop();
  }

  void SetSource(const std::string& revision) {
    absl::MutexLock lock(&mu_);
    source_.revision = revision;
    source_.environments = {MakeEnv("dev", location_, "t-" + revision, ""),
                            MakeEnv("test", location_, "", "dev")};
    for (auto& env : source_.environments) {
      env.set_revision(revision);
      revisions_[revision].push_back(env);
    }
  }

  // Starts both replicas and settles ownership: DEV on one, TEST on the other.
  void StartReplicas(absl::Duration upstream_look_interval) {
    for (const std::string& id : {dev_owner_, test_owner_}) {
      Replica& r = replicas_[id];
      ReplicaSetOptions o;
      o.replica_id = id;
      o.prefix = kPrefix;
      r.replicas = std::make_unique<ReplicaSet>(kv_, clock_, metrics_[id], o);
      r.store = std::make_unique<EtcdStateStore>(kv_, kPrefix, r.replicas.get());
      r.engine = std::make_unique<Engine>(registry_, *r.store, clock_, ExplicitDeps);
      ControllerOptions options;
      options.queue.base_backoff = absl::Seconds(5);
      options.queue.max_real_wait = absl::Milliseconds(20);
      options.ownership = r.replicas.get();
      options.upstream_look_interval = upstream_look_interval;
      options.change_poll_interval = absl::ZeroDuration();
      options.revision_loader =
          [this](
              const std::string& revision) -> absl::StatusOr<std::vector<envctl::v1::Environment>> {
        absl::MutexLock lock(&mu_);
        auto it = revisions_.find(revision);
        if (it == revisions_.end()) return absl::NotFoundError("unknown revision " + revision);
        return it->second;
      };
      r.controller = std::make_unique<Controller>(
          *r.engine, *r.store, clock_, metrics_[id],
          [this]() -> absl::StatusOr<SourceState> {
            absl::MutexLock lock(&mu_);
            return source_;
          },
          options);
      ASSERT_OK(r.replicas->RenewLease());
    }
    for (auto& [id, r] : replicas_) r.controller->Start();
    Round();
    ASSERT_EQ(reader_.Owner("dev").value_or(""), dev_owner_);
    ASSERT_EQ(reader_.Owner("test").value_or(""), test_owner_);
  }

  // Leases renewed, ownership balanced (twice: a release is picked up by the other).
  void Round() {
    for (auto& [id, r] : replicas_) EXPECT_OK(r.replicas->RenewLease());
    for (int pass = 0; pass < 2; ++pass) {
      for (auto& [id, r] : replicas_) EXPECT_OK(r.replicas->Balance());
    }
  }

  // Until every replica's workers took and finished what is due (bounded). A save by one
  // may queue work in another (the store's watch), so until a pass finds all idle.
  void AwaitIdle() {
    for (int pass = 0; pass < 10; ++pass) {
      bool all_idle = true;
      for (auto& [id, r] : replicas_) {
        // Already idle at a zero timeout: nothing changed since the last pass.
        if (r.controller->WaitIdleForTest(absl::ZeroDuration())) continue;
        all_idle = false;
        r.controller->WaitIdleForTest(absl::Seconds(10));
      }
      if (all_idle) return;
    }
  }

  envctl::v1::PromotionStatus PromotionOf(const std::string& env) {
    auto state = reader_.Load(env);
    return state.ok() ? state->status().promotion() : envctl::v1::PromotionStatus();
  }

  // Moves the fake clock a second at a time (leases renewed) until `done` holds for
  // `env`'s promotion status; the fake seconds it took, or -1 after `limit` of them.
  int AwaitPromotion(const std::string& env,
                     const std::function<bool(const envctl::v1::PromotionStatus&)>& done,
                     int limit = 300) {
    for (int second = 0; second <= limit; ++second) {
      AwaitIdle();
      if (done(PromotionOf(env))) return second;
      clock_.Advance(absl::Seconds(1));
      Round();
      for (auto& [id, r] : replicas_) r.controller->WakeForTest();
    }
    return -1;
  }

  FakeClock clock_;
  FakeKv kv_;
  std::map<std::string, metrics::Metrics> metrics_;
  FakeReconciler cloud_;  // one cloud, shared by both replicas
  FakeRunReconciler runs_;
  ReconcilerRegistry registry_;
  EtcdStateStore reader_;  // reads only, as `envctl status` does
  std::string dev_owner_, test_owner_;
  std::string location_ = "westeurope";
  absl::Mutex mu_;
  SourceState source_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<envctl::v1::Environment>> revisions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Replica> replicas_;
};

bool Verified(const envctl::v1::PromotionStatus& p, const std::string& revision) {
  return p.verified_revision() == revision;
}

TEST_F(CrossReplicaPromotionTest, TestAdoptsWhatDevVerifiedOnAnotherReplicaAsSoonAsTheStoreSaysSo) {
  runs_.Finish(1, envctl::v1::RUN_RESULT_SUCCEEDED);
  SetSource("r1");
  // No periodic look within the test: only the store's watch can tell TEST's owner.
  StartReplicas(absl::Hours(1));
  ASSERT_GE(AwaitPromotion("dev", [](const auto& p) { return Verified(p, "r1"); }), 0)
      << PromotionOf("dev").DebugString();
  const int took = AwaitPromotion(
      "test", [](const auto& p) { return p.revision() == "r1"; }, 30);
  ASSERT_GE(took, 0)
      << "TEST did not adopt r1 within 30 fake seconds of DEV verifying it (its resync is 600 s)\n"
      << PromotionOf("test").DebugString();
  EXPECT_EQ(PromotionOf("test").history(0).reason(), "promoted from dev");
  EXPECT_TRUE(cloud_.Exists("test-rg"));
  // Each replica acted only on what it owns.
  EXPECT_FALSE(replicas_[dev_owner_].replicas->Owns("test"));
  EXPECT_FALSE(replicas_[test_owner_].replicas->Owns("dev"));

  // The next revision: TEST follows again once DEV verified it.
  location_ = "northeurope";
  SetSource("r2");
  for (auto& [id, r] : replicas_) r.controller->OnSourceChanged("push");
  ASSERT_GE(AwaitPromotion("dev", [](const auto& p) { return Verified(p, "r2"); }), 0)
      << PromotionOf("dev").DebugString();
  ASSERT_GE(AwaitPromotion(
                "test", [](const auto& p) { return p.revision() == "r2"; }, 30),
            0)
      << PromotionOf("test").DebugString();
  EXPECT_EQ((*cloud_.Live("test-rg"))["location"], "northeurope");
}

TEST_F(CrossReplicaPromotionTest, WhenTheWatchMissedItThePeriodicLookAdoptsWithinItsInterval) {
  runs_.Finish(1, envctl::v1::RUN_RESULT_SUCCEEDED);
  SetSource("r1");
  kv_.SetWatchesMuted(true);  // a broken watch stream: nothing is delivered
  StartReplicas(absl::Seconds(10));
  ASSERT_GE(AwaitPromotion("dev", [](const auto& p) { return Verified(p, "r1"); }), 0)
      << PromotionOf("dev").DebugString();
  const int took = AwaitPromotion(
      "test", [](const auto& p) { return p.revision() == "r1"; }, 60);
  ASSERT_GE(took, 0)
      << "TEST did not adopt r1 within 60 fake seconds (look every 10 s, resync 600 s)\n"
      << PromotionOf("test").DebugString();
  EXPECT_LE(took, 12) << "the look comes every 10 s";
  EXPECT_EQ(PromotionOf("test").history(0).reason(), "promoted from dev");
}

TEST_F(CrossReplicaPromotionTest, ADevTestFailingOnAnotherReplicaHoldsTestAndSaysWhichRun) {
  runs_.Finish(1, envctl::v1::RUN_RESULT_SUCCEEDED);
  SetSource("r1");
  StartReplicas(absl::Hours(1));
  ASSERT_GE(AwaitPromotion("test", [](const auto& p) { return p.revision() == "r1"; }), 0)
      << PromotionOf("test").DebugString();

  runs_.Finish(1, envctl::v1::RUN_RESULT_FAILED);
  location_ = "northeurope";
  SetSource("r2");
  for (auto& [id, r] : replicas_) r.controller->OnSourceChanged("push");
  ASSERT_GE(AwaitPromotion(
                "test",
                [](const auto& p) {
                  return absl::StrContains(p.waiting_for(), "dev: test smoke failed on r2");
                },
                60),
            0)
      << PromotionOf("test").DebugString();
  EXPECT_EQ(PromotionOf("test").revision(), "r1");
  EXPECT_EQ(PromotionOf("test").pending_revision(), "r2");
  EXPECT_EQ((*cloud_.Live("test-rg"))["location"], "westeurope") << "TEST still runs r1";
}

}  // namespace
}  // namespace envctl::controller
