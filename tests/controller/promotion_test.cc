// The promotion state machine on plain values (no clock, no store).
#include "controller/promotion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

envctl::v1::TestOutcome Outcome(const std::string& name, envctl::v1::RunResult result,
                                const std::string& run_id = "", const std::string& message = "") {
  envctl::v1::TestOutcome t;
  t.set_test(name);
  t.set_result(result);
  t.set_run_id(run_id);
  t.set_message(message);
  return t;
}

EnvironmentFacts Converged(const std::string& revision,
                           std::vector<envctl::v1::TestOutcome> tests) {
  EnvironmentFacts f;
  f.revision = revision;
  f.converged = true;
  f.tests = std::move(tests);
  return f;
}

PromotionInputs Root() {
  PromotionInputs in;
  in.environment = "dev";
  return in;
}

PromotionInputs From(const std::string& upstream_name, const envctl::v1::PromotionStatus* upstream,
                     bool approval = false) {
  PromotionInputs in;
  in.environment = "test";
  in.policy.set_from(upstream_name);
  in.policy.set_require_approval(approval);
  in.upstream = upstream;
  return in;
}

TEST(PromotionTest, AnEnvironmentWithoutRulesFollowsTheNewestRevision) {
  envctl::v1::PromotionStatus dev;
  PromotionInputs in = Root();
  in.newest_revision = "r1";
  EXPECT_TRUE(Decide(in, kNow, &dev));
  EXPECT_EQ(dev.revision(), "r1");
  ASSERT_EQ(dev.history_size(), 1);
  EXPECT_EQ(dev.history(0).reason(), "newest revision");
  EXPECT_EQ(dev.history(0).outcome(), "syncing");
  in.newest_revision = "r2";
  EXPECT_TRUE(Decide(in, kNow + absl::Minutes(1), &dev));
  EXPECT_EQ(dev.revision(), "r2");
  ASSERT_EQ(dev.history_size(), 2);
  EXPECT_EQ(dev.history(0).revision(), "r2") << "newest first";
  EXPECT_FALSE(Decide(in, kNow, &dev)) << "nothing new";
}

TEST(PromotionTest, DownstreamAdoptsOnlyWhatUpstreamConvergedAndTestedOnExactlyThatRevision) {
  envctl::v1::PromotionStatus dev, test;
  PromotionInputs root = Root();
  root.newest_revision = "r1";
  Decide(root, kNow, &dev);

  // DEV has not converged on r1 yet: TEST has nothing to run and says why.
  EXPECT_FALSE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "");
  EXPECT_EQ(test.pending_revision(), "r1");
  EXPECT_THAT(test.waiting_for(), HasSubstr("dev: not converged on r1 yet"));

  // Converged, test still running.
  EXPECT_FALSE(
      RecordFacts(Converged("r1", {Outcome("it", envctl::v1::RUN_RESULT_RUNNING, "run-1")}), &dev));
  Decide(From("dev", &dev), kNow, &test);
  EXPECT_THAT(test.waiting_for(), HasSubstr("dev: tests running on r1: it"));
  EXPECT_EQ(dev.history(0).outcome(), "testing");

  // Passed: verified, TEST adopts it.
  EXPECT_TRUE(RecordFacts(
      Converged("r1", {Outcome("it", envctl::v1::RUN_RESULT_SUCCEEDED, "run-1")}), &dev));
  EXPECT_EQ(dev.verified_revision(), "r1");
  EXPECT_EQ(dev.history(0).outcome(), "passed");
  EXPECT_TRUE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r1");
  EXPECT_EQ(test.history(0).reason(), "promoted from dev");
  EXPECT_EQ(test.waiting_for(), "");
}

TEST(PromotionTest, AFailingUpstreamTestKeepsDownstreamWhereItIsAndNamesTheRun) {
  envctl::v1::PromotionStatus dev, test;
  PromotionInputs root = Root();
  root.newest_revision = "r1";
  Decide(root, kNow, &dev);
  RecordFacts(Converged("r1", {Outcome("it", envctl::v1::RUN_RESULT_SUCCEEDED, "run-1")}), &dev);
  Decide(From("dev", &dev), kNow, &test);
  ASSERT_EQ(test.revision(), "r1");

  root.newest_revision = "r2";
  Decide(root, kNow, &dev);
  EXPECT_FALSE(RecordFacts(
      Converged("r2", {Outcome("it", envctl::v1::RUN_RESULT_FAILED, "run-2", "assertion failed")}),
      &dev));
  EXPECT_EQ(dev.verified_revision(), "r1");
  EXPECT_EQ(dev.history(0).outcome(), "failed: it (run run-2)");
  EXPECT_FALSE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r1");
  EXPECT_EQ(test.pending_revision(), "r2");
  EXPECT_EQ(test.waiting_for(), "dev: test it failed on r2 (run run-2): assertion failed");
  EXPECT_EQ(WaitingReason(test), "upstream");

  // The fixing commit passes: TEST moves to it.
  root.newest_revision = "r3";
  Decide(root, kNow, &dev);
  RecordFacts(Converged("r3", {Outcome("it", envctl::v1::RUN_RESULT_SUCCEEDED, "run-3")}), &dev);
  EXPECT_TRUE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r3");
}

TEST(PromotionTest, FactsAboutAnotherRevisionAreIgnored) {
  envctl::v1::PromotionStatus dev;
  PromotionInputs root = Root();
  root.newest_revision = "r2";
  Decide(root, kNow, &dev);
  EXPECT_FALSE(RecordFacts(Converged("r1", {}), &dev));
  EXPECT_EQ(dev.verified_revision(), "");
  EXPECT_TRUE(RecordFacts(Converged("r2", {}), &dev)) << "no tests: converged is enough";
}

TEST(PromotionTest, ApprovalHoldsTheRevisionUntilSomeoneApprovesItAndIsRecorded) {
  envctl::v1::PromotionStatus test, prod;
  test.set_revision("r1");
  test.set_verified_revision("r1");
  EXPECT_FALSE(Decide(From("test", &test, /*approval=*/true), kNow, &prod));
  EXPECT_EQ(prod.pending_revision(), "r1");
  EXPECT_EQ(prod.waiting_for(), "approval of r1 (envctl promote --env test)");
  EXPECT_EQ(WaitingReason(prod), "approval");

  EXPECT_THAT(Approve("", "alice", kNow, &prod),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no revision")));
  ASSERT_TRUE(Approve("r1", "alice", kNow, &prod).ok());
  EXPECT_TRUE(Decide(From("test", &test, true), kNow + absl::Minutes(1), &prod));
  EXPECT_EQ(prod.revision(), "r1");
  EXPECT_EQ(prod.history(0).approved_by(), "alice");
  EXPECT_EQ(prod.history(0).approved_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(prod.approvals_size(), 0) << "the approval is used up";

  // The next revision needs its own approval.
  test.set_verified_revision("r2");
  EXPECT_FALSE(Decide(From("test", &test, true), kNow, &prod));
  EXPECT_EQ(prod.pending_revision(), "r2");
}

TEST(PromotionTest, APinHoldsTheEnvironmentUntilUnpinned) {
  envctl::v1::PromotionStatus dev, test;
  dev.set_revision("r3");
  dev.set_verified_revision("r3");
  Decide(From("dev", &dev), kNow, &test);
  ASSERT_EQ(test.revision(), "r3");
  test.mutable_history(0)->set_revision("r3");

  Pin("r1", "bob", &test);
  EXPECT_TRUE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r1");
  EXPECT_EQ(test.history(0).reason(), "rollback by bob");
  EXPECT_EQ(test.pending_revision(), "r3");
  EXPECT_EQ(test.waiting_for(), "pinned to r1 by bob (envctl unpin --env test)");
  EXPECT_EQ(WaitingReason(test), "pinned");

  dev.set_verified_revision("r4");  // promotion skips a pinned environment
  EXPECT_FALSE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r1");

  Unpin(&test);
  EXPECT_TRUE(Decide(From("dev", &dev), kNow, &test));
  EXPECT_EQ(test.revision(), "r4");
  EXPECT_TRUE(InHistory(test, "r1"));
}

TEST(PromotionTest, AClosedWindowHoldsAnyChangeOfRevision) {
  envctl::v1::PromotionStatus dev;
  PromotionInputs in = Root();
  in.newest_revision = "r1";
  in.writes_allowed = false;
  in.window_reason = "sync window closed until 22:00 Europe/Paris";
  EXPECT_FALSE(Decide(in, kNow, &dev));
  EXPECT_EQ(dev.revision(), "");
  EXPECT_EQ(dev.pending_revision(), "r1");
  EXPECT_EQ(dev.waiting_for(), in.window_reason);
  EXPECT_EQ(WaitingReason(dev), "sync_window");
  in.writes_allowed = true;
  EXPECT_TRUE(Decide(in, kNow, &dev));
  EXPECT_EQ(WaitingReason(dev), "") << "nothing waits";
}

TEST(PromotionTest, HistoryKeepsTheLastTwentyRevisions) {
  envctl::v1::PromotionStatus dev;
  PromotionInputs in = Root();
  for (int i = 1; i <= 25; ++i) {
    in.newest_revision = "r" + std::to_string(i);
    Decide(in, kNow + absl::Minutes(i), &dev);
  }
  ASSERT_EQ(dev.history_size(), kMaxRevisionHistory);
  EXPECT_EQ(dev.history(0).revision(), "r25");
  EXPECT_EQ(dev.history(19).revision(), "r6");
}

TEST(PromotionTest, FactsComeFromTheStatusOfTheSyncedRevision) {
  envctl::v1::Environment spec;
  spec.set_name("dev");
  spec.set_revision("r2");
  auto* it = spec.add_resources();
  it->set_name("it");
  it->mutable_integration_test();
  auto* off = spec.add_resources();
  off->set_name("off");
  off->mutable_pipeline_run_test();
  off->mutable_enabled()->set_value(false);
  envctl::v1::EnvironmentState state;
  auto* st = state.mutable_status();
  st->set_synced_revision("r2");
  auto* synced = st->add_conditions();
  synced->set_type("Synced");
  synced->set_status(envctl::v1::CONDITION_STATUS_TRUE);
  auto* rs = st->add_resources();
  rs->set_name("it");
  rs->set_state(envctl::v1::RESOURCE_STATE_ERROR);
  rs->set_last_error("run failed");
  auto* run = st->add_runs();
  run->set_test("it");
  run->set_run_id("run-7");
  run->set_result(envctl::v1::RUN_RESULT_TIMED_OUT);
  run->set_message("timed out after 1h");

  EnvironmentFacts f = FactsOf(spec, state);
  EXPECT_TRUE(f.converged);
  ASSERT_EQ(f.tests.size(), 1u) << "a disabled test does not count";
  EXPECT_EQ(f.tests[0].result(), envctl::v1::RUN_RESULT_TIMED_OUT);
  EXPECT_EQ(f.tests[0].run_id(), "run-7");
  EXPECT_EQ(f.tests[0].message(), "timed out after 1h");

  rs->set_state(envctl::v1::RESOURCE_STATE_PENDING);
  run->set_result(envctl::v1::RUN_RESULT_RUNNING);
  EXPECT_EQ(FactsOf(spec, state).tests[0].result(), envctl::v1::RUN_RESULT_RUNNING);

  st->set_synced_revision("r1");
  EXPECT_FALSE(FactsOf(spec, state).converged) << "synced another revision";
}

}  // namespace
}  // namespace envctl::controller
