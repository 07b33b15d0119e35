// PipelineRunTest against cloudsim: a run per covered-content change, recorded so it is
// neither rerun after a failure nor lost across a restart; failures carry the failing
// activity's message; a run past its timeout is cancelled and recorded TIMED_OUT.
#include "reconcilers/runs/run_support.h"
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using cloud::datafactory::EntityKind;
using reconcilers::Action;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class PipelineRunTestTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    factory_ = CreateFactory("factory", "adf-runs-test");
    Pipeline(
        "Quick",
        {{{"name", "Wait"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 5}}}}});
    Pipeline("Slow", {{{"name", "Wait long"},
                       {"type", "Wait"},
                       {"typeProperties", {{"waitTimeInSeconds", 900000}}}}});
    ASSERT_OK(
        factories_
            ->PutEntity(factory_, EntityKind::kLinkedService, "NotDatabricks",
                        {{"properties",
                          {{"type", "AzureKeyVault"},
                           {"typeProperties", {{"baseUrl", "https://kv.vault.azure.net/"}}}}}})
            .status());
    Pipeline("Broken",
             {{{"name", "Run notebook"},
               {"type", "DatabricksNotebook"},
               {"typeProperties", {{"notebookPath", "/Shared/x"}}},
               {"linkedServiceName",
                {{"referenceName", "NotDatabricks"}, {"type", "LinkedServiceReference"}}}}});
    // What the test covers: some other resource's content (a stubbed kind here).
    AddResource("lake")->mutable_storage_account()->set_account_name("lakeacct");
    SetContent("lake", {{"data.txt", "v1"}});
  }

  void Pipeline(const std::string& name, const nlohmann::json& activities) {
    ASSERT_OK(factories_
                  ->PutEntity(factory_, EntityKind::kPipeline, name,
                              {{"properties", {{"activities", activities}}}})
                  .status());
  }

  void AddTest(const std::string& pipeline, int timeout_seconds = 1800) {
    envctl::v1::Resource* r = AddResource("smoke");
    auto* spec = r->mutable_pipeline_run_test();
    spec->set_data_factory("factory");
    spec->set_pipeline(pipeline);
    (*spec->mutable_parameters())["storage_account"] = "lakeacct";
    spec->mutable_timeout()->set_seconds(timeout_seconds);
    spec->add_covers("lake");
    SetContent("smoke", {});
  }

  cloud::datafactory::FactoryRef factory_;
};

TEST_F(PipelineRunTestTest, SucceededRunIsRecordedAndNotRerunForTheSameContent) {
  AddTest("Quick");
  controller::EngineResult plan = Plan();
  ASSERT_EQ(Outcome(plan, "smoke")->action, Action::kRun) << Describe(plan);
  EXPECT_EQ(Outcome(plan, "smoke")->reason, "never run");

  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_EQ(o->run.test(), "smoke");
  EXPECT_EQ(o->run.environment(), "dev");
  EXPECT_FALSE(o->run.external_run_id().empty());
  EXPECT_FALSE(o->run.tested_hash().empty());
  auto run = factories_->GetPipelineRun(factory_, o->run.external_run_id());
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->pipeline_name, "Quick");

  EXPECT_EQ(Outcome(Plan(), "smoke")->action, Action::kNone);
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("datafactory"), 0u) << "no second createRun";

  // Covered content changes: the test reruns, and the plan says what changed.
  SetContent("lake", {{"data.txt", "v2"}});
  controller::EngineResult replan = Plan();
  EXPECT_EQ(Outcome(replan, "smoke")->action, Action::kRun);
  EXPECT_EQ(Outcome(replan, "smoke")->reason, "covered content changed: lake");
}

TEST_F(PipelineRunTestTest, FailedRunCarriesTheActivityErrorAndIsNotRerun) {
  AddTest("Broken");
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  EXPECT_FALSE(o->status.ok()) << "a failed test fails the resource";
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_FAILED);
  EXPECT_THAT(o->run.message(), HasSubstr("activity 'Run notebook' failed"));
  EXPECT_THAT(o->run.message(), HasSubstr("is not an AzureDatabricks linked service"));
  EXPECT_THAT(o->status.message(), HasSubstr("is not an AzureDatabricks linked service"));

  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "smoke")->action, Action::kNone) << "no rerun loop for the same content";
  EXPECT_THAT(Outcome(plan, "smoke")->reason, HasSubstr("RUN_RESULT_FAILED"));
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("datafactory"), 0u);
}

TEST_F(PipelineRunTestTest, RunPastTheTimeoutIsCancelledAndRecordedTimedOut) {
  AddTest("Slow", /*timeout_seconds=*/60);
  const absl::Time start = clock_.Now();
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_TIMED_OUT) << Describe(applied);
  EXPECT_THAT(o->run.message(), HasSubstr("timed out after 1m"));
  EXPECT_THAT(Requests("POST", "/cancel"), SizeIs(1));
  EXPECT_LT(clock_.Now() - start, absl::Minutes(5)) << "waited about the timeout, not the run";
  auto run = factories_->GetPipelineRun(factory_, o->run.external_run_id());
  ASSERT_TRUE(run.ok());
  EXPECT_THAT(run->status_text, ::testing::AnyOf("Canceling", "Cancelled"));
  EXPECT_EQ(Outcome(Plan(), "smoke")->action, Action::kNone);
}

TEST_F(PipelineRunTestTest, RestartMidRunResumesTheSameRun) {
  AddTest("Quick");
  // The first envctl dies while waiting: every poll of the run fails.
  Admin(
      "POST", "/faults",
      R"({"service":"datafactory","operation":"GET */pipelineruns/*","status":503,"retry_after_s":1,"rate":1,"count":-1})");
  controller::EngineResult broken = Apply();
  ASSERT_FALSE(Outcome(broken, "smoke")->status.ok()) << Describe(broken);
  nlohmann::json memory = nlohmann::json::parse(store_.Memory("dev", "smoke"));
  const std::string pending = memory["pending"].value("runId", "");
  ASSERT_FALSE(pending.empty()) << "the run id was checkpointed right after createRun";
  Admin("DELETE", "/faults");

  // A new envctl process (new session, reconcilers, engine) over the same state.
  StartEnvctl();
  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "smoke")->action, Action::kRun);
  EXPECT_THAT(Outcome(plan, "smoke")->reason, HasSubstr("resuming run " + pending));
  controller::EngineResult resumed = Apply();
  const auto* o = Outcome(resumed, "smoke");
  ASSERT_TRUE(o->status.ok()) << Describe(resumed);
  EXPECT_EQ(o->run.external_run_id(), pending);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_THAT(Requests("POST", "/createRun"), SizeIs(1)) << "never a second run";
}

// The crash window exactly-once submission must survive: createRun succeeded, envctl died
// before recording the run id. createRun has no idempotency key; the intent recorded
// before the submit makes the restarted envctl find the run instead of starting another.
// The run is still Queued when envctl restarts (no runStart yet): it is found all the same.
TEST_F(PipelineRunTestTest, CrashBetweenCreateRunAndRecordingFindsTheRunInsteadOfStartingAnother) {
  AddTest("Quick");
  std::string created;
  reconcilers::g_after_submit_failpoint_for_test = [&created](const std::string& run_id) {
    created = run_id;
    return absl::AbortedError("failpoint: killed after submit");
  };
  controller::EngineResult crashed = Apply();
  reconcilers::g_after_submit_failpoint_for_test = nullptr;
  ASSERT_FALSE(Outcome(crashed, "smoke")->status.ok()) << Describe(crashed);
  ASSERT_FALSE(created.empty());
  nlohmann::json memory = nlohmann::json::parse(store_.Memory("dev", "smoke"));
  EXPECT_TRUE(memory.contains("intent")) << memory.dump();
  EXPECT_FALSE(memory.contains("pending")) << "the run id was never recorded";

  StartEnvctl();  // a new process over the same state
  controller::EngineResult resumed = Apply();
  const auto* o = Outcome(resumed, "smoke");
  ASSERT_TRUE(o->status.ok()) << Describe(resumed);
  EXPECT_EQ(o->run.external_run_id(), created);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_THAT(Requests("POST", "/createRun"), SizeIs(1)) << "never a second run";
}

// Runs of `pipeline` in the factory, as the service lists them.
std::vector<cloud::datafactory::PipelineRun> RunsOf(
    cloud::datafactory::DataFactoryClient& factories, const cloud::datafactory::FactoryRef& factory,
    const std::string& pipeline, absl::Time now) {
  auto runs =
      factories.QueryPipelineRuns(factory, pipeline, now - absl::Hours(1), now + absl::Hours(1));
  EXPECT_TRUE(runs.ok()) << runs.status();
  return runs.ok() ? *runs : std::vector<cloud::datafactory::PipelineRun>{};
}

// The lost answer: the service created the run, envctl saw a 503, a 500 or a reset
// connection (0; the HTTP client must not resend the POST on a new connection itself).
// createRun is not retried blindly: the run is looked up by the run key it carries, found,
// and tracked in the same pass; the factory holds one run.
TEST_F(PipelineRunTestTest, CreateRunWhoseAnswerIsLostIsFoundByItsRunKeyNotStartedAgain) {
  for (int status : {503, 500, 0}) {
    SCOPED_TRACE(status);
    AddTest("Quick");
    (*env_.mutable_resources(env_.resources_size() - 1)
          ->mutable_pipeline_run_test()
          ->mutable_parameters())["round"] = std::to_string(status);
    SetContent("smoke", {});
    ResetStats();
    Admin("POST", "/faults",
          nlohmann::json{{"service", "datafactory"},
                         {"operation", "POST */createRun"},
                         {"status", status},
                         {"after_handling", true},
                         {"count", 1}}
              .dump());
    controller::EngineResult applied = Apply();
    const auto* o = Outcome(applied, "smoke");
    ASSERT_TRUE(o->status.ok()) << Describe(applied);
    EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
    EXPECT_THAT(Requests("POST", "/createRun"), SizeIs(1))
        << "the lookup found it: no second createRun";
    int ours = 0;
    for (const auto& run : RunsOf(*factories_, factory_, "Quick", clock_.Now())) {
      if (run.raw["parameters"].value("round", "") == std::to_string(status)) {
        ++ours;
        EXPECT_EQ(run.run_id, o->run.external_run_id());
        EXPECT_EQ(run.raw["parameters"].value("envctlRunKey", "").size(), 64u);
      }
    }
    EXPECT_EQ(ours, 1) << "one run in the factory";
    env_.mutable_resources()->RemoveLast();
  }
}

// A 503 before the service acted: the lookup finds nothing, so the run is submitted again
// (in the same pass) and exactly one run exists.
TEST_F(PipelineRunTestTest, CreateRunRefusedBeforeActingIsSubmittedAgainInTheSamePass) {
  AddTest("Quick");
  ResetStats();
  Admin("POST", "/faults",
        R"({"service":"datafactory","operation":"POST */createRun","status":503,"count":1})");
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/createRun"), SizeIs(2));
  EXPECT_THAT(Requests("POST", "/queryPipelineRuns"), SizeIs(1))
      << "looked up once, between the two";
  std::vector<cloud::datafactory::PipelineRun> runs =
      RunsOf(*factories_, factory_, "Quick", clock_.Now());
  ASSERT_THAT(runs, SizeIs(1));
  EXPECT_EQ(runs[0].run_id, o->run.external_run_id());
}

// A parameter may take another resource's output (`${lake.dfsEndpoint}`, alone or inside
// a longer string): it is resolved when the run is submitted, as every other kind's
// references are, and the run carries the value.
TEST_F(PipelineRunTestTest, ParameterTakingAnOutputIsSentResolved) {
  stub_.Set("lake", "dfsEndpoint", Plain("https://lakeacct.dfs.core.windows.net/"));
  AddTest("Quick");
  auto& params = *env_.mutable_resources(env_.resources_size() - 1)
                      ->mutable_pipeline_run_test()
                      ->mutable_parameters();
  params["lake_url"] = "${lake.dfsEndpoint}";
  params["input"] = "${lake.dfsEndpoint}raw/trips";
  SetContent("smoke", {});
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  auto run = factories_->GetPipelineRun(factory_, o->run.external_run_id());
  ASSERT_TRUE(run.ok()) << run.status();
  const nlohmann::json& sent = run->raw["parameters"];
  EXPECT_EQ(sent.value("lake_url", ""), "https://lakeacct.dfs.core.windows.net/") << sent.dump();
  EXPECT_EQ(sent.value("input", ""), "https://lakeacct.dfs.core.windows.net/raw/trips");
  EXPECT_EQ(sent.value("storage_account", ""), "lakeacct") << "literals pass unchanged";
  EXPECT_EQ(Outcome(Plan(), "smoke")->action, Action::kNone);
}

// A sensitive output would sit in plain text in the factory's run history: the plan
// fails naming the parameter, nothing is submitted, and the value is shown nowhere.
TEST_F(PipelineRunTestTest, ParameterTakingASensitiveOutputIsRefusedBeforeAnyRunWithoutItsValue) {
  reconcilers::OutputValue key;
  key.value = "c2VjcmV0LWxha2Uta2V5LTQy";
  key.sensitive = true;
  stub_.Set("lake", "primaryKey", key);
  AddTest("Quick");
  (*env_.mutable_resources(env_.resources_size() - 1)
        ->mutable_pipeline_run_test()
        ->mutable_parameters())["key"] = "${lake.primaryKey}";
  SetContent("smoke", {});
  controller::EngineResult plan = Plan();
  const auto* planned = Outcome(plan, "smoke");
  ASSERT_FALSE(planned->status.ok()) << Describe(plan);
  EXPECT_THAT(planned->status.message(), HasSubstr("parameters.key"));
  EXPECT_THAT(planned->status.message(), HasSubstr("sensitive output"));
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "smoke");
  EXPECT_FALSE(o->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/createRun"), SizeIs(0));
  for (const std::string& text : {Describe(plan), Describe(applied)}) {
    EXPECT_EQ(text.find(key.value), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace envctl::testing
