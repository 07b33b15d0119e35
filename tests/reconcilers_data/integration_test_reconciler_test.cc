// IntegrationTest against cloudsim's simulated workspace: a notebook run per covered
// content change; a failing notebook is recorded FAILED with its message and not rerun;
// a run past its timeout is cancelled; a restart mid-run resumes the same run id.
#include "reconcilers/runs/integration_test_reconciler.h"

#include "cloud/databricks/jobs_api.h"
#include "cloud/databricks/workspace_api.h"
#include "reconcilers/runs/run_support.h"
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::HasSubstr;
using ::testing::SizeIs;
namespace dbx = cloud::databricks;

class IntegrationTestTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    url_ = CreateWorkspace("workspace", "dbw-it-test");
    ASSERT_FALSE(url_.empty());
    client_ = std::make_unique<dbx::DatabricksClient>(session_->Databricks(), url_);
    AddResource("lake")->mutable_storage_account()->set_account_name("lakeacct");
    SetContent("lake", {{"data", "v1"}});
  }

  // Puts a notebook in the workspace directly (the notebooks reconciler is tested apart).
  void Notebook(const std::string& path, const std::string& source) {
    dbx::WorkspaceApi ws(*client_);
    ASSERT_OK(ws.Mkdirs("/Shared/tests"));
    ASSERT_OK(ws.ImportSource(path, source, dbx::Language::kPython, true));
  }

  envctl::v1::IntegrationTestSpec* AddTest(const std::string& notebook,
                                           int timeout_seconds = 1800) {
    envctl::v1::Resource* r = AddResource("integration-test");
    auto* spec = r->mutable_integration_test();
    spec->set_workspace("workspace");
    spec->set_notebook_path(notebook);
    spec->mutable_cluster()->set_num_workers(1);
    (*spec->mutable_parameters())["storage_account"] = "lakeacct";
    spec->mutable_timeout()->set_seconds(timeout_seconds);
    spec->add_covers("lake");
    SetContent("integration-test", {});
    return spec;
  }

  // A DatabricksClusterPolicy resource "policy" whose num_workers range ends at
  // `max_workers` and which fixes custom_tags.team to "qa".
  void AddPolicy(int max_workers) {
    auto* policy = AddResource("policy")->mutable_databricks_cluster_policy();
    policy->set_workspace("workspace");
    policy->set_policy_name("it-policy");
    auto& fields = *policy->mutable_definition()->mutable_fields();
    auto& range = *fields["num_workers"].mutable_struct_value()->mutable_fields();
    range["type"].set_string_value("range");
    range["maxValue"].set_number_value(max_workers);
    auto& tag = *fields["custom_tags.team"].mutable_struct_value()->mutable_fields();
    tag["type"].set_string_value("fixed");
    tag["value"].set_string_value("qa");
    SetContent("policy", {});
  }

  std::string url_;
  std::unique_ptr<dbx::DatabricksClient> client_;
};

TEST_F(IntegrationTestTest, PassingNotebookIsRecordedWithItsExitValueAndNotRerun) {
  Notebook("/Shared/tests/ok",
           "dbutils.widgets.text(\"storage_account\", \"\")\n"
           "account = dbutils.widgets.get(\"storage_account\")\n"
           "dbutils.notebook.exit(account)\n");
  AddTest("/Shared/tests/ok");
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_EQ(o->run.output(), "lakeacct")
      << "base_parameters reach the widgets; exit value recorded";
  EXPECT_FALSE(o->run.run_page_url().empty());
  EXPECT_FALSE(o->run.external_run_id().empty());

  auto run = dbx::JobsApi(*client_).GetRun(std::stoll(o->run.external_run_id()));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_THAT(run->tasks, SizeIs(1));
  const nlohmann::json& task = run->raw["tasks"][0];
  EXPECT_EQ(task["new_cluster"].value("spark_version", ""), "13.3.x-scala2.12") << run->raw.dump();

  EXPECT_EQ(Outcome(Plan(), "integration-test")->action, Action::kNone);
  ResetStats();
  Apply();
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), SizeIs(0));

  SetContent("lake", {{"data", "v2"}});
  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "integration-test")->action, Action::kRun);
  EXPECT_EQ(Outcome(plan, "integration-test")->reason, "covered content changed: lake");
}

TEST_F(IntegrationTestTest, FailingNotebookIsRecordedFailedWithItsMessageAndNotRerun) {
  Notebook("/Shared/tests/bad", "x = 1\nraise ValueError(\"predictions are empty\")\n");
  AddTest("/Shared/tests/bad");
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  EXPECT_FALSE(o->status.ok());
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_FAILED) << Describe(applied);
  EXPECT_THAT(o->run.message(), HasSubstr("predictions are empty"));
  EXPECT_THAT(o->status.message(), HasSubstr("predictions are empty"));
  nlohmann::json memory = nlohmann::json::parse(store_.Memory("dev", "integration-test"));
  EXPECT_EQ(memory["result"], "RUN_RESULT_FAILED");
  EXPECT_EQ(memory["testedHash"], o->run.tested_hash());

  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "integration-test")->action, Action::kNone)
      << "no rerun for the same content";
  ResetStats();
  Apply();
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), SizeIs(0));
}

TEST_F(IntegrationTestTest, RunPastTheTimeoutIsCancelledAndRecordedTimedOut) {
  Notebook("/Shared/tests/slow", "# cloudsim: sleep 5h\ndbutils.notebook.exit(\"late\")\n");
  AddTest("/Shared/tests/slow", /*timeout_seconds=*/600);
  const absl::Time start = clock_.Now();
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_TIMED_OUT) << Describe(applied);
  EXPECT_THAT(o->run.message(), HasSubstr("timed out after 10m"));
  EXPECT_THAT(Requests("POST", "/jobs/runs/cancel"), SizeIs(1));
  EXPECT_LT(clock_.Now() - start, absl::Minutes(30));
  EXPECT_EQ(Outcome(Plan(), "integration-test")->action, Action::kNone);
}

TEST_F(IntegrationTestTest, RestartMidRunResumesTheSameRunId) {
  Notebook("/Shared/tests/ok", "# cloudsim: sleep 2m\ndbutils.notebook.exit(\"done\")\n");
  AddTest("/Shared/tests/ok");
  // The first envctl dies while waiting: every runs/get fails.
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"GET /api/2.1/jobs/runs/get*","status":503,"retry_after_s":1,"rate":1,"count":-1})");
  controller::EngineResult broken = Apply();
  ASSERT_FALSE(Outcome(broken, "integration-test")->status.ok()) << Describe(broken);
  nlohmann::json memory = nlohmann::json::parse(store_.Memory("dev", "integration-test"));
  const std::string pending = memory["pending"].value("runId", "");
  ASSERT_FALSE(pending.empty()) << "the run id was checkpointed right after submit";
  Admin("DELETE", "/faults");

  StartEnvctl();  // a new process over the same state
  controller::EngineResult plan = Plan();
  EXPECT_THAT(Outcome(plan, "integration-test")->reason, HasSubstr("resuming run " + pending));
  controller::EngineResult resumed = Apply();
  const auto* o = Outcome(resumed, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(resumed);
  EXPECT_EQ(o->run.external_run_id(), pending);
  EXPECT_EQ(o->run.output(), "done");
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), SizeIs(1)) << "submitted once";
}

// Crash between runs/submit and recording the run id: the idempotency token makes the
// restarted envctl's submit return the same run.
TEST_F(IntegrationTestTest, CrashBetweenSubmitAndRecordingResumesTheSameRun) {
  Notebook("/Shared/tests/ok", "dbutils.notebook.exit(\"done\")\n");
  AddTest("/Shared/tests/ok");
  std::string created;
  reconcilers::g_after_submit_failpoint_for_test = [&created](const std::string& run_id) {
    created = run_id;
    return absl::AbortedError("failpoint: killed after submit");
  };
  controller::EngineResult crashed = Apply();
  reconcilers::g_after_submit_failpoint_for_test = nullptr;
  ASSERT_FALSE(Outcome(crashed, "integration-test")->status.ok()) << Describe(crashed);
  ASSERT_FALSE(created.empty());

  StartEnvctl();
  controller::EngineResult resumed = Apply();
  const auto* o = Outcome(resumed, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(resumed);
  EXPECT_EQ(o->run.external_run_id(), created);
  EXPECT_EQ(o->run.output(), "done");
  // Two submits reached the service, one run exists: the second returned the first's id.
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), SizeIs(2));
}

TEST_F(IntegrationTestTest, ExistingClusterResourceRunsTheTestOnThatCluster) {
  auto* c = AddResource("shared")->mutable_databricks_cluster();
  c->set_workspace("workspace");
  c->set_cluster_name("shared");
  c->mutable_spec()->set_spark_version("13.3.x-scala2.12");
  c->mutable_spec()->set_node_type_id("Standard_DS3_v2");
  c->mutable_spec()->set_num_workers(1);
  c->set_running(true);
  SetContent("shared", {});
  Notebook("/Shared/tests/ok", "dbutils.notebook.exit(\"ok\")\n");
  envctl::v1::IntegrationTestSpec* spec = AddTest("/Shared/tests/ok");
  spec->clear_cluster();
  spec->set_existing_cluster("shared");

  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED) << o->run.message();
  auto clusters = client_->Get("/api/2.1/clusters/list", {});
  ASSERT_TRUE(clusters.ok()) << clusters.status();
  ASSERT_EQ((*clusters)["clusters"].size(), 1u) << clusters->dump();
  const std::string cluster_id = (*clusters)["clusters"][0]["cluster_id"];
  auto run = dbx::JobsApi(*client_).GetRun(std::stoll(o->run.external_run_id()));
  ASSERT_TRUE(run.ok()) << run.status();
  const nlohmann::json& task = run->raw["tasks"][0];
  EXPECT_EQ(task.value("existing_cluster_id", ""), cluster_id) << run->raw.dump();
  EXPECT_FALSE(task.contains("new_cluster")) << "no job cluster when an existing one is named";
  EXPECT_EQ(Outcome(Plan(), "integration-test")->action, Action::kNone);
}

TEST_F(IntegrationTestTest, ClusterPolicyResourceGovernsTheTestsJobCluster) {
  AddPolicy(/*max_workers=*/2);
  Notebook("/Shared/tests/ok", "dbutils.notebook.exit(\"ok\")\n");
  envctl::v1::IntegrationTestSpec* spec = AddTest("/Shared/tests/ok");
  spec->set_cluster_policy("policy");

  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED) << o->run.message();
  auto policies = client_->Get("/api/2.0/policies/clusters/list", {});
  ASSERT_TRUE(policies.ok()) << policies.status();
  const std::string policy_id = (*policies)["policies"][0]["policy_id"];
  auto run = dbx::JobsApi(*client_).GetRun(std::stoll(o->run.external_run_id()));
  ASSERT_TRUE(run.ok()) << run.status();
  const nlohmann::json& cluster = run->raw["tasks"][0]["new_cluster"];
  EXPECT_EQ(cluster.value("policy_id", ""), policy_id) << run->raw.dump();
  EXPECT_EQ(cluster["custom_tags"].value("team", ""), "qa")
      << "the policy's fixed value, filled in by Databricks";
}

TEST_F(IntegrationTestTest, JobClusterThatViolatesItsPolicyIsRefusedWithDatabricksMessage) {
  AddPolicy(/*max_workers=*/0);
  Notebook("/Shared/tests/ok", "dbutils.notebook.exit(\"ok\")\n");
  envctl::v1::IntegrationTestSpec* spec = AddTest("/Shared/tests/ok");
  spec->set_cluster_policy("policy");  // the test asks for 1 worker; the policy allows 0

  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  EXPECT_FALSE(o->status.ok()) << Describe(applied);
  EXPECT_THAT(o->status.message(), HasSubstr("Validation failed for num_workers"));
}

// The lost answer: the workspace started the run, envctl saw a 503. The submit carries an
// idempotency token, so the transport retries it and the service answers with the run it
// already started: one run in the workspace.
TEST_F(IntegrationTestTest, SubmitWhoseAnswerIsLostIsRetriedWithTheSameTokenAndRunsOnce) {
  Notebook("/Shared/tests/ok", "dbutils.notebook.exit(\"done\")\n");
  AddTest("/Shared/tests/ok");
  ResetStats();
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"POST /api/2.1/jobs/runs/submit","status":503,"after_handling":true,"count":1})");
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "integration-test");
  ASSERT_TRUE(o->status.ok()) << Describe(applied);
  EXPECT_EQ(o->run.output(), "done");
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), SizeIs(2)) << "the lost answer was retried";
  dbx::JobsApi jobs(*client_);
  auto runs = jobs.ListRuns();
  ASSERT_OK(runs);
  EXPECT_THAT(*runs, SizeIs(1)) << "one run in the workspace";
  EXPECT_EQ(absl::StrCat((*runs)[0].run_id), o->run.external_run_id());
}

TEST(IntegrationTestBodyTest, LibrariesByExtensionAndClusterDefaults) {
  envctl::v1::Environment env;
  env.set_name("test");
  env.set_project("bikeshare");
  envctl::v1::IntegrationTestSpec spec;
  spec.set_notebook_path("/Shared/x/it");
  spec.add_libraries("dbfs:/libs/a.jar");
  spec.add_libraries("/libs/b-1.0-py3-none-any.whl");
  auto body = reconcilers::SubmitBody(env, reconcilers::Outputs(), "it", spec, absl::Minutes(30));
  ASSERT_TRUE(body.ok()) << body.status();
  const nlohmann::json& task = (*body)["tasks"][0];
  EXPECT_EQ(task["libraries"][0]["jar"], "dbfs:/libs/a.jar");
  EXPECT_EQ(task["libraries"][1]["whl"], "dbfs:/libs/b-1.0-py3-none-any.whl");
  EXPECT_EQ(task["new_cluster"]["node_type_id"], "Standard_DS3_v2");
  EXPECT_EQ(task["new_cluster"]["num_workers"], 1);
  EXPECT_EQ((*body)["timeout_seconds"], 1800);
  EXPECT_EQ(task["notebook_task"]["source"], "WORKSPACE");

  spec.add_libraries("dbfs:/libs/model.py");
  EXPECT_THAT(
      reconcilers::SubmitBody(env, reconcilers::Outputs(), "it", spec, absl::Minutes(30)).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("dbfs:/libs/model.py is not a cluster library")));
}

}  // namespace
}  // namespace envctl::testing
