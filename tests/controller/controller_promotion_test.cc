// Promotion through the controller with fake reconcilers: TEST adopts only what DEV
// converged and tested, a failing DEV test holds it (and says which run), approvals,
// rollback pins, and the state surviving a restart.
#include <filesystem>

#include "absl/strings/match.h"
#include "controller/controller.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/controller/fake_run_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeReconciler;
using ::envctl::testing::FakeRunReconciler;
using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

// Two resource groups; `test_hash` non-empty adds an IntegrationTest covering that content.
envctl::v1::Environment MakeEnv(const std::string& name, const std::string& location,
                                const std::string& test_hash = "", const std::string& from = "",
                                bool approval = false) {
  envctl::v1::Environment env;
  env.set_name(name);
  env.mutable_sync()->mutable_resync_interval()->set_seconds(600);
  env.mutable_promotion()->set_from(from);
  env.mutable_promotion()->set_require_approval(approval);
  for (const std::string& rg : {name + "-rg1", name + "-rg2"}) {
    auto* r = env.add_resources();
    r->set_name(rg);
    r->mutable_resource_group()->set_group_name(rg);
    r->mutable_resource_group()->set_location(location);
    auto* c = env.add_contents();
    c->set_resource(rg);
    c->set_content_hash("h-" + rg + "-" + location);
  }
  if (!test_hash.empty()) {
    auto* t = env.add_resources();
    t->set_name("smoke");
    t->mutable_integration_test()->set_notebook_path("/tests/smoke");
    t->add_depends_on(name + "-rg2");
    auto* c = env.add_contents();
    c->set_resource("smoke");
    c->set_content_hash(test_hash);
  }
  return env;
}

class ControllerPromotionTest : public ::testing::Test {
 protected:
  ControllerPromotionTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("controller_promotion_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(dir_.string()),
        engine_(registry_, store_, clock_, ExplicitDeps),
        runs_(clock_) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &fake_);
    registry_.Register(envctl::v1::Resource::kIntegrationTest, &runs_);
  }
  ~ControllerPromotionTest() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }

  void SetSource(const std::string& revision, std::vector<envctl::v1::Environment> envs) {
    absl::MutexLock lock(&mu_);
    source_ = SourceState{revision, std::move(envs)};
    for (auto& env : source_.environments) {
      env.set_revision(revision);
      revisions_[revision].push_back(env);
    }
  }
  Controller& Make() {
    ControllerOptions options;
    options.queue.base_backoff = absl::Seconds(5);
    options.queue.max_real_wait = absl::Milliseconds(20);
    options.revision_loader =
        [this](
            const std::string& revision) -> absl::StatusOr<std::vector<envctl::v1::Environment>> {
      absl::MutexLock lock(&mu_);
      auto it = revisions_.find(revision);
      if (it == revisions_.end()) return absl::NotFoundError("unknown revision " + revision);
      return it->second;
    };
    controller_ = std::make_unique<Controller>(
        engine_, store_, clock_, metrics_,
        [this]() -> absl::StatusOr<SourceState> {
          absl::MutexLock lock(&mu_);
          return source_;
        },
        options);
    return *controller_;
  }
  envctl::v1::PromotionStatus PromotionOf(const std::string& env) {
    auto state = store_.Load(env);
    return state.ok() ? state->status().promotion() : envctl::v1::PromotionStatus();
  }
  // Moves the fake clock a second at a time (run polls are scheduled on it) until `done`
  // holds for `env`'s promotion status; bounded.
  bool AwaitPromotion(const std::string& env,
                      const std::function<bool(const envctl::v1::PromotionStatus&)>& done) {
    for (int i = 0; i < 300; ++i) {
      if (done(PromotionOf(env))) return true;
      clock_.Advance(absl::Seconds(1));
      controller_->WakeForTest();
      controller_->WaitIdleForTest(absl::Seconds(10));  // the workers took what became due
    }
    return done(PromotionOf(env));
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  metrics::Metrics metrics_;
  FakeReconciler fake_;
  ReconcilerRegistry registry_;
  FileStateStore store_;
  Engine engine_;
  FakeRunReconciler runs_;
  absl::Mutex mu_;
  SourceState source_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<envctl::v1::Environment>> revisions_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerPromotionTest, TestFollowsOnlyRevisionsWhoseDevTestsPassed) {
  runs_.Finish(1, envctl::v1::RUN_RESULT_SUCCEEDED);
  SetSource("r1", {MakeEnv("dev", "westeurope", "t1"), MakeEnv("test", "westeurope", "", "dev")});
  Controller& c = Make();
  c.Start();
  ASSERT_TRUE(AwaitPromotion("test", [](const auto& p) {
    return p.revision() == "r1" && p.history(0).outcome() == "passed";
  })) << PromotionOf("test").DebugString();
  EXPECT_EQ(PromotionOf("dev").verified_revision(), "r1");
  EXPECT_TRUE(fake_.Exists("test-rg1"));

  // A commit whose DEV test fails: DEV runs it, TEST stays and says which run failed.
  runs_.Finish(1, envctl::v1::RUN_RESULT_FAILED);
  SetSource("r2", {MakeEnv("dev", "northeurope", "t2"), MakeEnv("test", "northeurope", "", "dev")});
  c.OnSourceChanged("push");
  ASSERT_TRUE(AwaitPromotion("test", [](const auto& p) {
    return absl::StrContains(p.waiting_for(), "dev: test smoke failed on r2");
  })) << PromotionOf("test").DebugString();
  EXPECT_EQ(PromotionOf("test").revision(), "r1");
  EXPECT_EQ(PromotionOf("test").pending_revision(), "r2");
  EXPECT_EQ(PromotionOf("dev").revision(), "r2");
  EXPECT_THAT(PromotionOf("dev").history(0).outcome(), HasSubstr("failed: smoke (run "));
  EXPECT_THAT(
      metrics_.Serialize(),
      AllOf(HasSubstr(
                "envctl_promotion_pending_revision_info{environment=\"test\",revision=\"r2\"} 1"),
            HasSubstr("envctl_promotion_waiting{environment=\"test\",reason=\"upstream\"} 1"),
            HasSubstr("envctl_promotion_waiting{environment=\"test\",reason=\"approval\"} 0")));
  auto live = fake_.Live("test-rg1");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ((*live)["location"], "westeurope") << "TEST still runs r1";
  absl::StatusOr<envctl::v1::GetEnvironmentResponse> got = c.GetEnvironment("test");
  ASSERT_OK(got.status());
  EXPECT_EQ(got->status().promotion().pending_revision(), "r2");
  EXPECT_EQ(got->spec().revision(), "r1");

  // The fixing commit passes on DEV: TEST moves to it.
  runs_.Finish(1, envctl::v1::RUN_RESULT_SUCCEEDED);
  SetSource("r3", {MakeEnv("dev", "northeurope", "t3"), MakeEnv("test", "northeurope", "", "dev")});
  c.OnSourceChanged("push");
  ASSERT_TRUE(AwaitPromotion("test", [](const auto& p) {
    return p.revision() == "r3" && p.history(0).outcome() == "passed";
  })) << PromotionOf("test").DebugString();
  EXPECT_THAT(
      metrics_.Serialize(),
      AllOf(Not(HasSubstr("envctl_promotion_pending_revision_info{environment=\"test\"")),
            HasSubstr("envctl_promotion_waiting{environment=\"test\",reason=\"upstream\"} 0")));
  EXPECT_EQ((*fake_.Live("test-rg1"))["location"], "northeurope");

  absl::StatusOr<envctl::v1::HistoryResponse> history = c.History([] {
    envctl::v1::HistoryRequest r;
    r.set_environment("dev");
    return r;
  }());
  ASSERT_OK(history.status());
  ASSERT_EQ(history->revisions_size(), 3);
  EXPECT_EQ(history->revisions(0).revision(), "r3");
  EXPECT_EQ(history->revisions(1).tests(0).result(), envctl::v1::RUN_RESULT_FAILED);
}

TEST_F(ControllerPromotionTest, ApprovalRollbackAndUnpinAreRecordedAndSurviveARestart) {
  SetSource("r1", {MakeEnv("dev", "westeurope"), MakeEnv("prod", "westeurope", "", "dev", true)});
  Controller& c = Make();
  c.Start();
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) {
    return p.waiting_for() == "approval of r1 (envctl promote --env prod)";
  })) << PromotionOf("prod").DebugString();
  EXPECT_FALSE(fake_.Exists("prod-rg1")) << "nothing written before the approval";
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr("envctl_promotion_waiting{environment=\"prod\",reason=\"approval\"} 1"));

  envctl::v1::PromoteRequest promote;
  promote.set_environment("prod");
  promote.set_requested_by("alice");
  ASSERT_OK(c.Promote(promote).status());
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) {
    return p.revision() == "r1" && p.history(0).outcome() == "passed";
  }));
  EXPECT_EQ(PromotionOf("prod").history(0).approved_by(), "alice");
  EXPECT_TRUE(fake_.Exists("prod-rg1"));
  EXPECT_THAT(c.Promote(promote).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));

  // r2 approved and adopted, then rolled back to r1 (pinned), then unpinned.
  SetSource("r2", {MakeEnv("dev", "northeurope"), MakeEnv("prod", "northeurope", "", "dev", true)});
  c.OnSourceChanged("push");
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) { return p.pending_revision() == "r2"; }));
  promote.set_revision("r2");
  ASSERT_OK(c.Promote(promote).status());
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) {
    return p.revision() == "r2" && p.history(0).outcome() == "passed";
  }));

  envctl::v1::RollbackRequest rollback;
  rollback.set_environment("prod");
  rollback.set_to_revision("r9");
  rollback.set_requested_by("bob");
  EXPECT_THAT(c.Rollback(rollback).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  rollback.set_to_revision("r1");
  ASSERT_OK(c.Rollback(rollback).status());
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) {
    return p.revision() == "r1" && p.history(0).outcome() == "passed";
  }));
  EXPECT_EQ(PromotionOf("prod").history(0).reason(), "rollback by bob");
  EXPECT_EQ((*fake_.Live("prod-rg1"))["location"], "westeurope");

  // A restart keeps the pin, the history and the approvals.
  controller_.reset();
  Controller& again = Make();
  again.Start();
  absl::StatusOr<envctl::v1::HistoryResponse> history = again.History([] {
    envctl::v1::HistoryRequest r;
    r.set_environment("prod");
    return r;
  }());
  ASSERT_OK(history.status());
  EXPECT_EQ(history->promotion().pinned_revision(), "r1");
  ASSERT_EQ(history->revisions_size(), 3);
  EXPECT_EQ(history->revisions(1).approved_by(), "alice");

  envctl::v1::UnpinRequest unpin;
  unpin.set_environment("prod");
  unpin.set_requested_by("bob");
  ASSERT_OK(again.Unpin(unpin).status());
  // r2 was approved before: its approval was used, so it waits for a new one.
  ASSERT_TRUE(AwaitPromotion("prod", [](const auto& p) {
    return p.pinned_revision().empty() && p.pending_revision() == "r2";
  })) << PromotionOf("prod").DebugString();
}

TEST_F(ControllerPromotionTest, ADenyWindowOnlyPlansAndAManualSyncCanOverrideIt) {
  SetSource("r1", {MakeEnv("dev", "westeurope")});
  Controller& c = Make();
  auto events = c.Subscribe("dev");
  c.Start();
  ASSERT_TRUE(AwaitPromotion("dev", [](const auto& p) {
    return p.revision() == "r1" && p.history(0).outcome() == "passed";
  }));

  // r2 changes the location and opens a deny window (a start every minute, 1 minute long).
  envctl::v1::Environment dev = MakeEnv("dev", "northeurope");
  auto* deny = dev.mutable_sync()->add_windows();
  deny->set_kind("deny");
  deny->set_schedule("* * * * *");
  deny->mutable_duration()->set_seconds(60);
  SetSource("r2", {dev});
  c.OnSourceChanged("push");
  envctl::v1::Event e;
  bool planned = false;
  for (int i = 0; i < 100 && !planned; ++i) {
    if (events->Next(&e, absl::Milliseconds(100))) {
      planned = e.type() == envctl::v1::EVENT_TYPE_SYNC_FINISHED &&
                absl::StrContains(e.message(), "plan only: sync window closed: deny");
    }
  }
  ASSERT_TRUE(planned);
  EXPECT_EQ((*fake_.Live("dev-rg1"))["location"], "westeurope") << "nothing written";
  EXPECT_EQ(PromotionOf("dev").revision(), "r1");
  EXPECT_EQ(PromotionOf("dev").pending_revision(), "r2");
  EXPECT_THAT(PromotionOf("dev").waiting_for(), HasSubstr("sync window closed: deny"));
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr("envctl_promotion_waiting{environment=\"dev\",reason=\"sync_window\"} 1"));

  envctl::v1::SyncRequest sync;
  sync.set_environment("dev");
  sync.set_wait(true);
  sync.set_override_windows(true);
  absl::StatusOr<envctl::v1::SyncResponse> synced = c.Sync(sync);
  ASSERT_OK(synced.status());
  EXPECT_TRUE(synced->converged());
  EXPECT_EQ((*fake_.Live("dev-rg1"))["location"], "northeurope");
  EXPECT_EQ(PromotionOf("dev").revision(), "r2");
}

}  // namespace
}  // namespace envctl::controller
