#include "controller/controller.h"

#include <filesystem>
#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/controller/fake_run_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeReconciler;
using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// A cloud event's change: who made it (client request id) and, for a secret, its version.
CloudChange Change(const std::string& id, const std::string& client_request_id = "",
                   const std::string& version = "") {
  CloudChange change;
  change.resource_id = id;
  change.client_request_id = client_request_id;
  change.version = version;
  return change;
}

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

envctl::v1::Environment MakeEnv(const std::string& name,
                                const std::string& location = "westeurope") {
  envctl::v1::Environment env;
  env.set_name(name);
  env.mutable_sync()->mutable_resync_interval()->set_seconds(600);
  for (const std::string& rg : {name + "-rg1", name + "-rg2"}) {
    auto* r = env.add_resources();
    r->set_name(rg);
    r->mutable_resource_group()->set_group_name(rg);
    r->mutable_resource_group()->set_location(location);
    if (rg != name + "-rg1") r->add_depends_on(name + "-rg1");
    auto* c = env.add_contents();
    c->set_resource(rg);
    c->set_content_hash("h-" + rg + "-" + location);
  }
  return env;
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("controller_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(dir_.string()),
        engine_(registry_, store_, clock_, ExplicitDeps) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &fake_);
    SetSource("r1", {MakeEnv("test")});
  }
  ~ControllerTest() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }

  void SetSource(const std::string& revision, std::vector<envctl::v1::Environment> envs) {
    absl::MutexLock lock(&mu_);
    source_ = SourceState{revision, std::move(envs)};
  }
  void FailSource(absl::Status status) {
    absl::MutexLock lock(&mu_);
    source_ = std::move(status);
  }
  Controller& Make() {
    ControllerOptions options;
    options.queue.base_backoff = absl::Seconds(5);
    options.queue.max_real_wait = absl::Milliseconds(20);
    controller_ = std::make_unique<Controller>(
        engine_, store_, clock_, metrics_,
        [this]() -> absl::StatusOr<SourceState> {
          absl::MutexLock lock(&mu_);
          return source_;
        },
        options);
    return *controller_;
  }
  // Waits (bounded) for an event of `type` for `env` whose message contains `text`.
  bool Await(EventSubscription& sub, envctl::v1::EventType type, const std::string& env,
             const std::string& text = "") {
    return AwaitEvent(sub, type, env, text).has_value();
  }
  std::optional<envctl::v1::Event> AwaitEvent(EventSubscription& sub, envctl::v1::EventType type,
                                              const std::string& env,
                                              const std::string& text = "") {
    envctl::v1::Event e;
    for (int i = 0; i < 200; ++i) {
      if (!sub.Next(&e, absl::Milliseconds(100))) {
        controller_->WakeForTest();
        continue;
      }
      if (e.type() == type && e.environment() == env && absl::StrContains(e.message(), text))
        return e;
    }
    return std::nullopt;
  }
  // Events until the next SYNC_FINISHED (bounded): the resources reconciled and whether
  // a sync started at all.
  struct Pass {
    bool started = false;
    std::set<std::string> reconciled;
    std::set<std::string> corrected;
    std::string sync_id;
  };
  Pass NextPass(EventSubscription& sub, absl::Duration quiet = absl::Milliseconds(300)) {
    Pass pass;
    envctl::v1::Event e;
    for (int i = 0; i < 200; ++i) {
      if (!sub.Next(&e, pass.started ? absl::Milliseconds(100) : quiet)) {
        if (!pass.started) return pass;  // nothing started
        controller_->WakeForTest();
        continue;
      }
      if (e.type() == envctl::v1::EVENT_TYPE_SYNC_STARTED) {
        pass.started = true;
        pass.sync_id = e.correlation_id();
      }
      if (e.type() == envctl::v1::EVENT_TYPE_RESOURCE_RECONCILED)
        pass.reconciled.insert(e.resource());
      if (e.type() == envctl::v1::EVENT_TYPE_DRIFT_CORRECTED) pass.corrected.insert(e.resource());
      if (e.type() == envctl::v1::EVENT_TYPE_SYNC_FINISHED) break;
    }
    return pass;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  metrics::Metrics metrics_;
  FakeReconciler fake_;
  ReconcilerRegistry registry_;
  FileStateStore store_;
  Engine engine_;
  absl::Mutex mu_;
  absl::StatusOr<SourceState> source_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerTest, ConvergesTheSourcesEnvironmentsAndReportsThem) {
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  EXPECT_TRUE(fake_.Exists("test-rg1"));
  EXPECT_TRUE(fake_.Exists("test-rg2"));
  std::string why;
  EXPECT_TRUE(c.Healthy(&why)) << why;

  envctl::v1::ListEnvironmentsResponse list = c.ListEnvironments();
  ASSERT_EQ(list.environments_size(), 1);
  EXPECT_EQ(list.environments(0).name(), "test");
  EXPECT_EQ(list.environments(0).ready(), envctl::v1::CONDITION_STATUS_TRUE);
  EXPECT_EQ(list.environments(0).resources(), 2);
  EXPECT_EQ(list.environments(0).synced_revision(), "r1");

  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text,
              HasSubstr("envctl_source_revision_info{environment=\"test\",revision=\"r1\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "envctl_resources{environment=\"test\",kind=\"ResourceGroup\",state=\"in_sync\"} 2"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_resources{environment=\"test\",kind=\"ResourceGroup\",state=\"error\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("envctl_reconcile_total{kind=\"ResourceGroup\",result=\"changed\"} 2"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_sync_last_success_timestamp_seconds{environment=\"test\"} 1800000000"));
}

TEST_F(ControllerTest, SeriesExistAtZeroBeforeTheFirstEventAndRunTimesSurviveARestart) {
  // What an earlier process recorded: a successful sync and two runs of a test.
  envctl::v1::EnvironmentState previous;
  previous.set_environment("test");
  auto* st = previous.mutable_status();
  st->mutable_last_sync_time()->set_seconds(1700000000);
  auto* ready = st->add_conditions();
  ready->set_type("Ready");
  ready->set_status(envctl::v1::CONDITION_STATUS_TRUE);
  auto* newest = st->add_runs();  // newest first
  newest->set_test("smoke");
  newest->set_result(envctl::v1::RUN_RESULT_FAILED);
  newest->mutable_end_time()->set_seconds(1700000300);
  auto* older = st->add_runs();
  older->set_test("smoke");
  older->set_result(envctl::v1::RUN_RESULT_SUCCEEDED);
  older->mutable_end_time()->set_seconds(1700000200);
  ASSERT_OK(store_.Save(previous));

  envctl::v1::Environment env = MakeEnv("test");
  env.add_resources()->set_name("smoke");
  env.mutable_resources(2)->mutable_integration_test();
  env.mutable_resources(2)->mutable_enabled()->set_value(false);  // not applied, not counted
  SetSource("r1", {env});
  Controller& c = Make();
  ASSERT_OK(c.PollSourceNow());

  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("envctl_workqueue_retries_total 0"));
  EXPECT_THAT(text, HasSubstr("envctl_drift_repair_seconds_count 0"));
  EXPECT_THAT(text, HasSubstr("envctl_reconcile_errors_total{kind=\"ResourceGroup\"} 0"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_drift_detected_total{environment=\"test\",kind=\"ResourceGroup\"} 0"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_drift_corrected_total{environment=\"test\",kind=\"ResourceGroup\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("kind=\"IntegrationTest\"")));
  EXPECT_THAT(text, HasSubstr("envctl_integration_last_success_timestamp_seconds{environment="
                              "\"test\",test=\"smoke\"} 1700000200"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_sync_last_success_timestamp_seconds{environment=\"test\"} 1700000000"));
}

TEST_F(ControllerTest, TestSeriesStartAtZeroPerResult) {
  envctl::v1::Environment env = MakeEnv("test");
  env.add_resources()->set_name("smoke");
  env.mutable_resources(2)->mutable_integration_test();
  SetSource("r1", {env});
  Controller& c = Make();
  ASSERT_OK(c.PollSourceNow());
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("envctl_integration_runs_total{environment=\"test\",result="
                              "\"succeeded\",test=\"smoke\"} 0"));
  EXPECT_THAT(text, HasSubstr("envctl_integration_runs_total{environment=\"test\",result="
                              "\"failed\",test=\"smoke\"} 0"));
}

TEST_F(ControllerTest, NewRevisionSyncsOnlyTheEnvironmentsThatChanged) {
  SetSource("r1", {MakeEnv("dev"), MakeEnv("test")});
  Controller& c = Make();
  auto sub = c.Subscribe("");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "dev"));
  auto dev_events = c.Subscribe("dev");
  auto test_events = c.Subscribe("test");
  ASSERT_OK(c.Sync([] {
    envctl::v1::SyncRequest r;
    r.set_environment("test");
    r.set_wait(true);
    return r;
  }()));

  SetSource("r2", {MakeEnv("dev"), MakeEnv("test", "northeurope")});
  c.OnSourceChanged("push to main");
  ASSERT_TRUE(Await(*test_events, envctl::v1::EVENT_TYPE_SOURCE_CHANGED, "test", "r2"));
  ASSERT_TRUE(Await(*test_events, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  envctl::v1::Event e;
  while (dev_events->Next(&e, absl::Milliseconds(50))) {
    EXPECT_NE(e.type(), envctl::v1::EVENT_TYPE_SYNC_STARTED) << "dev did not change";
  }
  EXPECT_EQ(c.RevisionForTest(), "r2");
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text,
              HasSubstr("envctl_source_revision_info{environment=\"test\",revision=\"r2\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("revision=\"r1\"")));
}

TEST_F(ControllerTest, CloudEventResyncsTheOwningEnvironmentAndRepairsDrift) {
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  clock_.Advance(absl::Seconds(30));  // a person's edit, well after envctl's own writes
  fake_.SetLive("test-rg1", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  // A child of test-rg1 changed (ids compare case-insensitively).
  c.OnCloudResourceChanged(Change("/FAKE/test-rg1/providers/x/y", "portal-1"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_STARTED, "test", "cloud event: test-rg1"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_DRIFT_DETECTED, "test"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_DRIFT_CORRECTED, "test"));
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(
      text,
      HasSubstr("envctl_drift_detected_total{environment=\"test\",kind=\"ResourceGroup\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("envctl_drift_corrected_total{environment=\"test\",kind=\"ResourceGroup\"} 1"));
}

// The event Azure sends for envctl's own write must not start another sync (no echo), and
// an event-driven repair reconciles the resource named, not the whole environment.
TEST_F(ControllerTest, EchoOfOwnWriteIsDroppedAndARepairTouchesOnlyTheNamedResource) {
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  auto converged = AwaitEvent(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged");
  ASSERT_TRUE(converged.has_value());
  // ARM's event for creating test-rg1 carries the sync's id as its clientRequestId.
  c.OnCloudResourceChanged(Change("/fake/test-rg1", converged->correlation_id()));
  EXPECT_EQ(c.EchoesDroppedForTest(), 1u);
  EXPECT_FALSE(NextPass(*sub).started) << "an echo started a sync";

  clock_.Advance(absl::Seconds(30));
  fake_.SetLive("test-rg1", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  const int rg1_reads = fake_.plans("test-rg1"), rg2_reads = fake_.plans("test-rg2");
  const int writes = fake_.writes();
  c.OnCloudResourceChanged(Change("/fake/test-rg1", "portal-request-1"));
  Pass repair = NextPass(*sub, absl::Seconds(20));
  ASSERT_TRUE(repair.started);
  EXPECT_EQ(repair.reconciled, std::set<std::string>({"test-rg1"}));
  EXPECT_EQ(repair.corrected, std::set<std::string>({"test-rg1"}));
  // The repair cost one read and one write of the resource named, nothing else.
  EXPECT_EQ(fake_.plans("test-rg1") - rg1_reads, 1);
  EXPECT_EQ(fake_.plans("test-rg2") - rg2_reads, 0);
  EXPECT_EQ(fake_.writes() - writes, 1);

  // The repair's own write comes back too, with the repair's id: dropped as well.
  c.OnCloudResourceChanged(Change("/fake/test-rg1", repair.sync_id));
  EXPECT_EQ(c.EchoesDroppedForTest(), 2u);
  EXPECT_FALSE(NextPass(*sub).started) << "the repair's echo started a sync";
}

// Recognised by who made the change, not by when: a person's change one second after
// envctl wrote the resource is repaired, and envctl's own echo is dropped however late.
TEST_F(ControllerTest, OutOfBandChangeRightAfterOwnWriteIsRepairedAndLateEchoIsDropped) {
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  auto converged = AwaitEvent(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged");
  ASSERT_TRUE(converged.has_value());

  clock_.Advance(absl::Seconds(1));
  fake_.SetLive("test-rg2", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  c.OnCloudResourceChanged(Change("/fake/test-rg2", "portal-request-2"));
  Pass first = NextPass(*sub, absl::Seconds(20));
  ASSERT_TRUE(first.started) << "a person's change 1 s after envctl's write was dropped";
  EXPECT_EQ(first.corrected, std::set<std::string>({"test-rg2"}));

  // An event that does not say who made the change is never taken for an echo.
  clock_.Advance(absl::Seconds(1));
  fake_.SetLive("test-rg2", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  c.OnCloudResourceChanged(Change("/fake/test-rg2"));
  Pass second = NextPass(*sub, absl::Seconds(20));
  ASSERT_TRUE(second.started);
  EXPECT_EQ(second.corrected, std::set<std::string>({"test-rg2"}));

  // Event Grid retried the first sync's event for 8 minutes (the resync is 9 to 11 minutes
  // away): still envctl's own, though far past any time window.
  clock_.Advance(absl::Minutes(8));
  c.OnCloudResourceChanged(Change("/fake/test-rg2", converged->correlation_id()));
  c.OnCloudResourceChanged(Change("/fake/test-rg2", first.sync_id));
  EXPECT_EQ(c.EchoesDroppedForTest(), 2u);
  EXPECT_FALSE(NextPass(*sub).started);
}

// Key Vault events carry no request id: the version envctl recorded writing is its own,
// any other version is a person's.
TEST_F(ControllerTest, SecretVersionEnvctlWroteIsAnEchoAnotherVersionIsRepaired) {
  fake_.SetVersioned(true);
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  const std::string written = fake_.LastVersion("test-rg1");
  ASSERT_FALSE(written.empty());
  c.OnCloudResourceChanged(Change("/fake/test-rg1", "", written));
  EXPECT_EQ(c.EchoesDroppedForTest(), 1u);
  EXPECT_FALSE(NextPass(*sub).started);

  clock_.Advance(absl::Seconds(1));
  fake_.SetLive("test-rg1", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  c.OnCloudResourceChanged(Change("/fake/test-rg1", "", "set-by-hand"));
  Pass repair = NextPass(*sub, absl::Seconds(20));
  ASSERT_TRUE(repair.started);
  EXPECT_EQ(repair.corrected, std::set<std::string>({"test-rg1"}));
  // The repair wrote a new version; its event is the echo.
  const std::string rewritten = fake_.LastVersion("test-rg1");
  EXPECT_NE(rewritten, written);
  c.OnCloudResourceChanged(Change("/fake/test-rg1", "", rewritten));
  EXPECT_EQ(c.EchoesDroppedForTest(), 2u);
  EXPECT_FALSE(NextPass(*sub).started);
}

// A 30-minute integration run is submitted and polled on its own schedule: meanwhile an
// out-of-band change in the same environment is repaired and another environment syncs.
TEST_F(ControllerTest, ALongTestRunHoldsNeitherDriftRepairNorOtherEnvironments) {
  envctl::testing::FakeRunReconciler runs(clock_);
  runs.FinishAfter(absl::Minutes(30));
  registry_.Register(envctl::v1::Resource::kIntegrationTest, &runs);
  envctl::v1::Environment test = MakeEnv("test");
  auto* t = test.add_resources();
  t->set_name("smoke");
  t->mutable_integration_test()->set_notebook_path("/tests/smoke");
  t->add_depends_on("test-rg2");
  test.add_contents()->set_resource("smoke");
  test.mutable_contents(2)->set_content_hash("h-smoke");
  SetSource("r1", {test, MakeEnv("dev")});
  Controller& c = Make();
  // `runs` is a local registered with the engine: the workers stop before it goes away,
  // however the test ends (a resync in flight would call into a destroyed reconciler).
  absl::Cleanup stop_workers = [&c] { c.Stop(); };
  auto sub = c.Subscribe("test");
  auto dev = c.Subscribe("dev");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  EXPECT_EQ(runs.submits(), 1);

  // Same environment: an out-of-band change is repaired while the run goes on.
  clock_.Advance(absl::Seconds(30));
  fake_.SetLive("test-rg1", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  c.OnCloudResourceChanged(Change("/fake/test-rg1", "portal-request"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_DRIFT_CORRECTED, "test"));
  // Another environment: a new revision syncs while the run goes on.
  SetSource("r2", {test, MakeEnv("dev", "northeurope")});
  c.OnSourceChanged("push");
  ASSERT_TRUE(Await(*dev, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "dev", "converged"));
  auto state = store_.Load("test");
  ASSERT_TRUE(state.ok());
  bool testing = false;
  for (const auto& cond : state->status().conditions()) {
    if (cond.type() == "Testing") testing = cond.status() == envctl::v1::CONDITION_STATUS_TRUE;
  }
  EXPECT_TRUE(testing) << "the run is still in progress";

  // The run ends 30 minutes in; the controller's polls see it within ~10 % of that.
  clock_.Advance(absl::Minutes(33));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_RUN_FINISHED, "test", "succeeded"));
  EXPECT_EQ(runs.submits(), 1) << "never resubmitted";
  EXPECT_LE(runs.polls(), 40) << "polls back off as the run grows";
  // `runs` is a local: the controller's workers (a resync is due) must stop before it goes.
  controller_.reset();
}

TEST_F(ControllerTest, ResyncIntervalFindsDriftWithoutAnyEvent) {
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  fake_.EraseLive("test-rg2");
  clock_.Advance(absl::Minutes(11));  // the 10 m interval plus at most 10 % jitter
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_DRIFT_CORRECTED, "test"));
  EXPECT_TRUE(fake_.Exists("test-rg2"));
}

TEST_F(ControllerTest, FailedSyncIsRetriedWithBackoffAndDependentsAreBlocked) {
  fake_.FailApply("test-rg1");
  Controller& c = Make();
  auto sub = c.Subscribe("test");
  c.Start();
  ASSERT_TRUE(
      Await(*sub, envctl::v1::EVENT_TYPE_RESOURCE_FAILED, "test", "injected apply failure"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_RESOURCE_FAILED, "test", "blocked by test-rg1"));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "incomplete"));
  EXPECT_THAT(metrics_.Serialize(), HasSubstr("envctl_workqueue_retries_total 1"));
  fake_.ClearFailures();
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(Await(*sub, envctl::v1::EVENT_TYPE_SYNC_FINISHED, "test", "converged"));
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr("envctl_reconcile_errors_total{kind=\"ResourceGroup\"} 1"));
}

TEST_F(ControllerTest, SyncWithWaitReturnsWhatItApplied) {
  Controller& c = Make();
  c.Start();
  envctl::v1::SyncRequest request;
  request.set_environment("test");
  request.set_wait(true);
  request.mutable_timeout()->set_seconds(60);
  auto first = c.Sync(request);
  ASSERT_OK(first);
  // The first look at the source may already have converged it; a second sync writes nothing.
  auto second = c.Sync(request);
  ASSERT_OK(second);
  EXPECT_TRUE(second->converged());
  EXPECT_EQ(second->applied_size(), 0);
  EXPECT_NE(first->sync_id(), second->sync_id());
  EXPECT_EQ(second->status().name(), "test");
  EXPECT_EQ(fake_.writes(), 2);
}

TEST_F(ControllerTest, SuspensionStopsSyncsAndSurvivesARestart) {
  Controller& c = Make();
  c.Start();
  envctl::v1::SyncRequest sync;
  sync.set_environment("test");
  sync.set_wait(true);
  ASSERT_OK(c.Sync(sync));
  envctl::v1::SuspendRequest suspend;
  suspend.set_environment("test");
  suspend.set_reason("maintenance window");
  auto suspended = c.Suspend(suspend);
  ASSERT_OK(suspended);
  EXPECT_TRUE(suspended->status().suspended());
  EXPECT_THAT(c.Sync(sync),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("suspended")));

  // A new controller on the same state keeps the suspension.
  Controller& restarted = Make();
  ASSERT_OK(restarted.PollSourceNow());
  EXPECT_THAT(restarted.Sync(sync), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_TRUE(restarted.ListEnvironments().environments(0).suspended());
  restarted.Start();
  envctl::v1::ResumeRequest resume;
  resume.set_environment("test");
  auto resumed = restarted.Resume(resume);
  ASSERT_OK(resumed);
  EXPECT_FALSE(resumed->status().suspended());
  EXPECT_OK(restarted.Sync(sync));
}

TEST_F(ControllerTest, PlanShowsChangesAndWritesNothing) {
  Controller& c = Make();
  ASSERT_OK(c.PollSourceNow());
  envctl::v1::PlanRequest request;
  request.set_environment("test");
  auto plan = c.Plan(request);
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->in_sync());
  EXPECT_EQ(plan->revision(), "r1");
  ASSERT_GE(plan->changes_size(), 1);
  EXPECT_EQ(plan->changes(0).resource(), "test-rg1");
  EXPECT_EQ(plan->changes(0).action(), envctl::v1::CHANGE_ACTION_CREATE);
  EXPECT_EQ(fake_.writes(), 0);
}

TEST_F(ControllerTest, ErrorsNameWhatIsMissing) {
  FailSource(absl::InvalidArgumentError("envctl.yaml:3:1: project: required"));
  Controller& c = Make();
  c.Start();
  EXPECT_FALSE(c.PollSourceNow().ok());
  std::string why;
  EXPECT_FALSE(c.Healthy(&why));
  EXPECT_THAT(why, HasSubstr("envctl.yaml:3:1"));
  EXPECT_THAT(c.GetEnvironment("nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  SetSource("r1", {MakeEnv("test")});
  ASSERT_OK(c.PollSourceNow());
  envctl::v1::RunIntegrationTestRequest run;
  run.set_environment("test");
  run.set_test("test-rg1");
  EXPECT_THAT(c.RunIntegrationTest(run),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("IntegrationTest")));
  envctl::v1::GetRunRequest get;
  get.set_run_id("nope");
  EXPECT_THAT(c.GetRun(get), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(ControllerTest, GetEnvironmentOmitsFileBodies) {
  envctl::v1::Environment env = MakeEnv("test");
  auto* file = env.mutable_contents(0)->add_files();
  file->set_path("notebooks/train.py");
  file->set_content("print('hello')");
  SetSource("r1", {env});
  Controller& c = Make();
  ASSERT_OK(c.PollSourceNow());
  auto got = c.GetEnvironment("test");
  ASSERT_OK(got);
  EXPECT_EQ(got->spec().contents(0).files(0).path(), "notebooks/train.py");
  EXPECT_EQ(got->spec().contents(0).files(0).content(), "");
}

}  // namespace
}  // namespace envctl::controller
