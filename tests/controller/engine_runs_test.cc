// Engine behaviour around test runs (submitted, polled without holding the sync), the
// reconciler boundary (exceptions, the explicit known-after-apply signal) and the
// critical path of an apply.
#include <filesystem>
#include <stdexcept>

#include "controller/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcilers/runs/run_support.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/controller/fake_run_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeReconciler;
using ::envctl::testing::FakeRunReconciler;
using reconcilers::Action;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Throws from Plan: a bug in one reconciler must fail that resource, not the process.
class ThrowingReconciler : public FakeReconciler {
 public:
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context&) override {
    throw std::runtime_error("[json.exception.type_error.302] type must be string, but is null");
  }
};

// Plan fails with a real FailedPrecondition (an Azure 409), not the known-after-apply signal.
class ConflictReconciler : public FakeReconciler {
 public:
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context&) override {
    return absl::FailedPreconditionError("Conflict: the vault is being deleted");
  }
};

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

class EngineRunsTest : public ::testing::Test {
 protected:
  EngineRunsTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("engine_runs_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(dir_.string()),
        runs_(clock_),
        engine_(registry_, store_, clock_, ExplicitDeps) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &fake_);
    registry_.Register(envctl::v1::Resource::kIntegrationTest, &runs_);
    env_.set_name("dev");
    auto* rg = env_.add_resources();
    rg->set_name("rg");
    rg->mutable_resource_group()->set_group_name("rg");
    rg->mutable_resource_group()->set_location("westeurope");
    env_.add_contents()->set_resource("rg");
    env_.mutable_contents(0)->set_content_hash("h-rg");
    auto* t = env_.add_resources();
    t->set_name("smoke");
    t->mutable_integration_test()->set_notebook_path("/tests/smoke");
    t->add_depends_on("rg");
    env_.add_contents()->set_resource("smoke");
    env_.mutable_contents(1)->set_content_hash("h-smoke-1");
  }
  ~EngineRunsTest() override { std::filesystem::remove_all(dir_); }

  const ResourceOutcome& Outcome(const EngineResult& r, const std::string& name) {
    for (const auto& o : r.resources) {
      if (o.name == name) return o;
    }
    ADD_FAILURE() << "no outcome for " << name;
    return r.resources.front();
  }
  const envctl::v1::Condition* Condition(const std::string& type) {
    auto state = store_.Load("dev");
    EXPECT_TRUE(state.ok());
    for (const auto& c : state->status().conditions()) {
      if (c.type() == type) {
        condition_ = c;
        return &condition_;
      }
    }
    return nullptr;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  FakeReconciler fake_;
  ReconcilerRegistry registry_;
  FileStateStore store_;
  FakeRunReconciler runs_;
  Engine engine_;
  envctl::v1::Environment env_;
  envctl::v1::Condition condition_;
};

TEST(RunPollDelayTest, IsATenthOfTheElapsedTimeBetweenOneSecondAndTwoMinutes) {
  EXPECT_EQ(reconcilers::RunPollDelay(absl::ZeroDuration()), absl::Seconds(1));
  EXPECT_EQ(reconcilers::RunPollDelay(absl::Seconds(5)), absl::Seconds(1));
  EXPECT_EQ(reconcilers::RunPollDelay(absl::Seconds(95)), absl::Seconds(9.5));
  EXPECT_EQ(reconcilers::RunPollDelay(absl::Hours(1)), absl::Minutes(2));
}

TEST_F(EngineRunsTest, ControllerModeSubmitsTheRunAndFinishesTheSyncWithoutWaiting) {
  runs_.Finish(/*polls=*/3, envctl::v1::RUN_RESULT_SUCCEEDED);
  EngineOptions options;
  options.wait_for_runs = false;
  auto result = engine_.Apply(env_, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok());
  const ResourceOutcome& smoke = Outcome(*result, "smoke");
  EXPECT_TRUE(smoke.run_in_progress);
  EXPECT_EQ(smoke.run_external_id, "run-1");
  EXPECT_EQ(runs_.polls(), 0);  // nobody waited
  EXPECT_EQ(result->next_run_poll, clock_.Now() + absl::Seconds(1));
  ASSERT_NE(Condition("Testing"), nullptr);
  EXPECT_EQ(Condition("Testing")->status(), envctl::v1::CONDITION_STATUS_TRUE);

  // A resync meanwhile resumes the same run: no second submission, no wait.
  result = engine_.Apply(env_, options);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(Outcome(*result, "smoke").run_in_progress);
  EXPECT_EQ(runs_.submits(), 1);
  // A plan meanwhile: nothing to write, so in sync while the run goes on.
  auto plan = engine_.Plan(env_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Outcome(*plan, "smoke").action, Action::kRun);
  EXPECT_TRUE(Outcome(*plan, "smoke").run_in_progress);
  EXPECT_TRUE(plan->InSync());

  // The controller's polls finish it.
  clock_.Advance(absl::Seconds(1));
  auto polled = engine_.PollRuns(env_);
  ASSERT_TRUE(polled.ok()) << polled.status();
  ASSERT_EQ(polled->resources.size(), 1u);
  EXPECT_TRUE(polled->resources[0].run_in_progress);
  EXPECT_NE(polled->next_run_poll, absl::InfiniteFuture());
  polled = engine_.PollRuns(env_);
  polled = engine_.PollRuns(env_);
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->resources.size(), 1u);
  EXPECT_FALSE(polled->resources[0].run_in_progress);
  EXPECT_EQ(polled->resources[0].run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_EQ(polled->next_run_poll, absl::InfiniteFuture());
  EXPECT_EQ(Condition("Testing")->status(), envctl::v1::CONDITION_STATUS_FALSE);
  EXPECT_EQ(Condition("Tested")->status(), envctl::v1::CONDITION_STATUS_TRUE);
  auto state = store_.Load("dev");
  ASSERT_EQ(state->status().runs_size(), 1);
  EXPECT_EQ(state->status().runs(0).external_run_id(), "run-1");

  // Nothing pending any more, and the tested content is not run again.
  polled = engine_.PollRuns(env_);
  EXPECT_TRUE(polled->resources.empty());
  result = engine_.Apply(env_, options);
  EXPECT_EQ(Outcome(*result, "smoke").action, Action::kNone);
  EXPECT_EQ(runs_.submits(), 1);
}

TEST_F(EngineRunsTest, AFailedRunIsRecordedWithItsMessage) {
  runs_.Finish(/*polls=*/1, envctl::v1::RUN_RESULT_FAILED);
  EngineOptions options;
  options.wait_for_runs = false;
  ASSERT_TRUE(engine_.Apply(env_, options).ok());
  auto polled = engine_.PollRuns(env_);
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->resources.size(), 1u);
  EXPECT_THAT(polled->resources[0].status.message(), HasSubstr("assertion failed in cell 3"));
  EXPECT_EQ(Condition("Tested")->status(), envctl::v1::CONDITION_STATUS_FALSE);
}

TEST_F(EngineRunsTest, NewContentCancelsTheOutdatedRunAndSubmitsAnother) {
  runs_.Finish(/*polls=*/100, envctl::v1::RUN_RESULT_SUCCEEDED);
  EngineOptions options;
  options.wait_for_runs = false;
  ASSERT_TRUE(engine_.Apply(env_, options).ok());
  env_.mutable_contents(1)->set_content_hash("h-smoke-2");
  auto result = engine_.Apply(env_, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(runs_.cancels(), 1);
  EXPECT_EQ(runs_.submits(), 2);
  EXPECT_EQ(Outcome(*result, "smoke").run_external_id, "run-2");
}

TEST_F(EngineRunsTest, CliModeWaitsOnTheBoundedLagSchedule) {
  runs_.Finish(/*polls=*/3, envctl::v1::RUN_RESULT_SUCCEEDED);
  auto result = engine_.Apply(env_);  // wait_for_runs defaults to true
  ASSERT_TRUE(result.ok());
  const ResourceOutcome& smoke = Outcome(*result, "smoke");
  EXPECT_FALSE(smoke.run_in_progress);
  EXPECT_EQ(smoke.run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_EQ(runs_.polls(), 3);
  // Three polls a second apart (a tenth of a few seconds is below the 1 s floor).
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(1), absl::Seconds(1)));
}

TEST_F(EngineRunsTest, AnExceptionFromAReconcilerFailsThatResourceOnly) {
  ThrowingReconciler throwing;
  registry_.Register(envctl::v1::Resource::kResourceGroup, &throwing);
  auto result = engine_.Apply(env_);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(Outcome(*result, "rg").status.message(), HasSubstr("type must be string"));
  EXPECT_EQ(Outcome(*result, "smoke").blocked_by, "rg");
}

TEST_F(EngineRunsTest, ARealPreconditionFailureInAPlanIsAnErrorNotKnownAfterApply) {
  ConflictReconciler conflict;
  registry_.Register(envctl::v1::Resource::kIntegrationTest, &conflict);
  auto plan = engine_.Plan(env_);  // rg will be created, so "smoke" depends on a change
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Outcome(*plan, "rg").action, Action::kCreate);
  EXPECT_THAT(Outcome(*plan, "smoke").status.message(), HasSubstr("Conflict"));
  EXPECT_THAT(Outcome(*plan, "smoke").reason, ::testing::Not(HasSubstr("known after apply")));
}

TEST(CriticalPathTest, FollowsTheDependencyThatFinishedLast) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  auto outcome = [&](const std::string& name, int start, int end) {
    ResourceOutcome o;
    o.name = name;
    o.started = t0 + absl::Seconds(start);
    o.finished = t0 + absl::Seconds(end);
    return o;
  };
  std::vector<ResourceOutcome> outcomes = {outcome("rg", 0, 1),     outcome("ws", 1, 5),
                                           outcome("kv", 1, 2),     outcome("notebooks", 5, 6),
                                           outcome("secret", 2, 3), outcome("itest", 6, 20),
                                           outcome("adf", 2, 4)};
  std::map<std::string, std::set<std::string>> deps = {
      {"rg", {}},         {"ws", {"rg"}},
      {"kv", {"rg"}},     {"notebooks", {"ws"}},
      {"secret", {"kv"}}, {"itest", {"notebooks", "secret"}},
      {"adf", {"kv"}}};
  EXPECT_THAT(CriticalPath(outcomes, deps), ElementsAre("rg", "ws", "notebooks", "itest"));
}

}  // namespace
}  // namespace envctl::controller
