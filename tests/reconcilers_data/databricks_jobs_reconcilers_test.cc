// DatabricksClusterPolicy, DatabricksCluster, DatabricksJob, DatabricksPermissions and
// JobRunTest against cloudsim's simulated workspace, through the engine: create, empty
// plan and zero writes after apply, out-of-band edits (cluster resized, job schedule
// changed, permission granted by hand) repaired under enforce and only reported under
// report, prune of a removed job, and a notebook change that reruns the JobRunTest and
// nothing else.
#include "cloud/databricks/workspace_api.h"
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
namespace dbx = cloud::databricks;

constexpr char kPrepare[] = "# Databricks notebook source\ndbutils.notebook.exit(\"prepared\")\n";
constexpr char kTrain[] = "# Databricks notebook source\nprint('train')\n";

class DatabricksJobsTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    url_ = CreateWorkspace("workspace", "dbw-jobs-test");
    ASSERT_FALSE(url_.empty());
    client_ = std::make_unique<dbx::DatabricksClient>(session_->Databricks(), url_);

    auto* nb = AddResource("notebooks")->mutable_databricks_notebooks();
    nb->set_workspace("workspace");
    nb->set_source_folder("notebooks");
    nb->set_target_folder("/Shared/bikeshare");
    SetContent("notebooks", {{"prepare.py", kPrepare}, {"train.py", kTrain}});

    auto* policy = AddResource("policy")->mutable_databricks_cluster_policy();
    policy->set_workspace("workspace");
    policy->set_policy_name("bikeshare-small");
    auto& fields = *policy->mutable_definition()->mutable_fields();
    auto& fixed = *fields["spark_version"].mutable_struct_value()->mutable_fields();
    fixed["type"].set_string_value("fixed");
    fixed["value"].set_string_value("13.3.x-scala2.12");
    auto& range = *fields["num_workers"].mutable_struct_value()->mutable_fields();
    range["type"].set_string_value("range");
    range["maxValue"].set_number_value(4);
    SetContent("policy", {});

    auto* job = AddResource("training")->mutable_databricks_job();
    job->set_workspace("workspace");
    job->set_job_name("bikeshare-training");
    auto* jc = job->add_job_clusters();
    jc->set_key("main");
    jc->mutable_spec()->set_node_type_id("Standard_DS3_v2");
    jc->mutable_spec()->set_num_workers(2);
    jc->mutable_spec()->set_policy("policy");
    auto* prepare = job->add_tasks();
    prepare->set_task_key("prepare");
    prepare->mutable_notebook()->mutable_notebook()->set_notebooks("notebooks");
    prepare->mutable_notebook()->mutable_notebook()->set_path("prepare");
    prepare->set_job_cluster("main");
    auto* train = job->add_tasks();
    train->set_task_key("train");
    train->add_depends_on("prepare");
    train->mutable_notebook()->mutable_notebook()->set_path("train");
    train->mutable_notebook()->mutable_notebook()->set_notebooks("notebooks");
    (*train->mutable_notebook()->mutable_base_parameters())["date"] = "{{job.parameters.date}}";
    train->set_job_cluster("main");
    job->mutable_schedule()->set_quartz_cron("0 0 3 * * ?");
    job->mutable_schedule()->set_time_zone("Europe/Paris");
    auto* p = job->add_parameters();
    p->set_name("date");
    p->set_default_("2026-01-01");
    (*job->mutable_tags())["team"] = "bikeshare";
    job->mutable_notifications()->add_on_failure("data-team@example.com");
    SetContent("training", {});

    auto* perms = AddResource("training-acl")->mutable_databricks_permissions();
    perms->set_workspace("workspace");
    perms->set_job("training");
    auto* e = perms->add_access();
    e->set_group("data-engineers");
    e->set_level("CAN_MANAGE_RUN");
    SetContent("training-acl", {});
  }

  void AddCluster(bool running) {
    auto* c = AddResource("shared")->mutable_databricks_cluster();
    c->set_workspace("workspace");
    c->set_cluster_name("shared");
    c->mutable_spec()->set_spark_version("13.3.x-scala2.12");
    c->mutable_spec()->set_node_type_id("Standard_DS3_v2");
    c->mutable_spec()->set_num_workers(2);
    c->set_running(running);
    SetContent("shared", {});
  }

  void AddJobRunTest() {
    auto* t = AddResource("training-run")->mutable_job_run_test();
    t->set_job("training");
    (*t->mutable_parameters())["date"] = "2026-12-05";
    SetContent("training-run", {});
  }

  std::string JobId() { return nlohmann::json::parse(store_.Memory("dev", "training"))["jobId"]; }
  nlohmann::json JobSettings() {
    auto j = client_->Get("/api/2.2/jobs/get", {{"job_id", JobId()}});
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? (*j)["settings"] : nlohmann::json();
  }
  void SetSchedule(const std::string& cron, const std::string& pause) {
    nlohmann::json settings = JobSettings();
    settings["schedule"]["quartz_cron_expression"] = cron;
    settings["schedule"]["pause_status"] = pause;
    ASSERT_OK(client_
                  ->Post("/api/2.2/jobs/reset",
                         {{"job_id", std::stoll(JobId())}, {"new_settings", settings}})
                  .status());
  }
  envctl::v1::Resource* Find(const std::string& name) {
    for (auto& r : *env_.mutable_resources()) {
      if (r.name() == name) return &r;
    }
    return nullptr;
  }

  std::string url_;
  std::unique_ptr<dbx::DatabricksClient> client_;
};

TEST_F(DatabricksJobsTest, PolicyJobAndPermissionsCreateThenPlanEmptyAndNoWrites) {
  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "policy")->action, Action::kCreate) << Describe(plan);
  EXPECT_EQ(Outcome(plan, "training")->action, Action::kCreate);
  EXPECT_EQ(Outcome(plan, "training-acl")->action, Action::kCreate);

  controller::EngineResult applied = Apply();
  for (const char* name : {"notebooks", "policy", "training", "training-acl"}) {
    ASSERT_TRUE(Outcome(applied, name)->status.ok()) << name << "\n" << Describe(applied);
  }
  nlohmann::json s = JobSettings();
  EXPECT_EQ(s["tasks"][1]["notebook_task"]["notebook_path"], "/Shared/bikeshare/train");
  EXPECT_EQ(s["tasks"][1]["depends_on"][0]["task_key"], "prepare");
  EXPECT_FALSE(s["job_clusters"][0]["new_cluster"].value("policy_id", "").empty());
  EXPECT_EQ(s["schedule"]["timezone_id"], "Europe/Paris");
  auto acl = client_->Get("/api/2.0/permissions/jobs/" + JobId());
  ASSERT_TRUE(acl.ok()) << acl.status();
  EXPECT_THAT(acl->dump(), HasSubstr("\"group_name\":\"data-engineers\""));

  controller::EngineResult replan = Plan();
  for (const auto& o : replan.resources) EXPECT_EQ(o.action, Action::kNone) << Describe(replan);
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("databricks"), 0u) << "a no-op resync makes zero writes";
}

// In a workspace created in this pass there is nothing to read: the notebooks, policy and
// job are created without listing the folder, the policies or the jobs; the next pass
// reads them and finds them in sync.
TEST_F(DatabricksJobsTest, ChildrenOfAWorkspaceCreatedInThisPassAreCreatedUnread) {
  stub_.CreateInNextApply("workspace");
  ResetStats();
  controller::EngineResult applied = Apply();
  for (const char* name : {"notebooks", "policy", "training", "training-acl"}) {
    ASSERT_TRUE(Outcome(applied, name)->status.ok()) << name << "\n" << Describe(applied);
  }
  for (const char* name : {"notebooks", "policy", "training"}) {
    EXPECT_EQ(Outcome(applied, name)->action, Action::kCreate) << name;
  }
  EXPECT_THAT(Requests("GET", "/api/2.0/workspace/list"), SizeIs(1)) << "only the baseline";
  EXPECT_THAT(Requests("GET", "/api/2.0/policies/clusters/list"), IsEmpty());
  EXPECT_THAT(Requests("GET", "/api/2.2/jobs/list"), IsEmpty());
  EXPECT_EQ(JobSettings()["tasks"][1]["notebook_task"]["notebook_path"], "/Shared/bikeshare/train");

  controller::EngineResult again = Apply();
  for (const auto& o : again.resources) EXPECT_EQ(o.action, Action::kNone) << Describe(again);
}

// A name that a new workspace's built-in policy already holds is adopted, not an error:
// the plan did not list the policies, so the create's "already exists" says so.
TEST_F(DatabricksJobsTest, PolicyNameTakenInANewWorkspaceIsAdoptedAndEdited) {
  auto made = client_->Post("/api/2.0/policies/clusters/create",
                            {{"name", "bikeshare-small"}, {"definition", "{}"}});
  ASSERT_TRUE(made.ok()) << made.status();
  stub_.CreateInNextApply("workspace");
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "policy")->status.ok()) << Describe(applied);
  auto policy = client_->Get("/api/2.0/policies/clusters/get",
                             {{"policy_id", dbx::JsonString(*made, "policy_id")}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_THAT(policy->value("definition", ""), HasSubstr("13.3.x-scala2.12")) << "edited";
  controller::EngineResult again = Apply();
  EXPECT_EQ(Outcome(again, "policy")->action, Action::kNone) << Describe(again);
}

// jobs/create and policies/clusters/create carry no idempotency key: after a lost answer
// (the service created it, envctl saw a 503) the object is found by name, not created
// again; after a 503 before the service acted it is created again in the same pass.
TEST_F(DatabricksJobsTest, CreateWhoseAnswerIsLostIsFoundByNameAndARefusedOneIsRetried) {
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"POST /api/2.2/jobs/create","status":503,"after_handling":true,"count":1})");
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"POST /api/2.0/policies/clusters/create","status":503,"retry_after_s":1,"count":1})");
  controller::EngineResult applied = Apply();
  for (const char* name : {"policy", "training", "training-acl"}) {
    ASSERT_TRUE(Outcome(applied, name)->status.ok()) << name << "\n" << Describe(applied);
  }
  EXPECT_THAT(Requests("POST", "/jobs/create"), ::testing::SizeIs(1)) << "found, not created again";
  EXPECT_THAT(Requests("POST", "/policies/clusters/create"), ::testing::SizeIs(2))
      << "refused, so created again";
  auto jobs = client_->Get("/api/2.2/jobs/list");
  ASSERT_OK(jobs);
  EXPECT_EQ((*jobs)["jobs"].size(), 1u) << jobs->dump();
  auto policies = client_->Get("/api/2.0/policies/clusters/list");
  ASSERT_OK(policies);
  EXPECT_EQ((*policies)["policies"].size(), 1u) << policies->dump();
  for (const auto& o : Plan().resources) EXPECT_EQ(o.action, Action::kNone) << o.name;
}

// clusters/create has no idempotency key either: a create the service carried out but
// whose answer was lost (503 after handling) leaves exactly one new cluster, adopted by
// the look-up; a cluster of the same name made by hand before is not taken for it.
TEST_F(DatabricksJobsTest, ClusterCreateWhoseAnswerIsLostMakesExactlyOneCluster) {
  auto other = client_->Post("/api/2.1/clusters/create", {{"cluster_name", "shared"},
                                                          {"spark_version", "13.3.x-scala2.12"},
                                                          {"node_type_id", "Standard_DS3_v2"},
                                                          {"num_workers", 1}});
  ASSERT_OK(other);
  const std::string other_id = (*other)["cluster_id"];
  AddCluster(/*running=*/true);
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"POST /api/2.1/clusters/create","status":503,"after_handling":true,"count":1})");
  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "shared")->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/api/2.1/clusters/create"), SizeIs(1))
      << "found, not created again";
  const std::string id = nlohmann::json::parse(store_.Memory("dev", "shared"))["clusterId"];
  EXPECT_NE(id, other_id) << "the hand-made cluster of the same name is not adopted";
  auto list = client_->Get("/api/2.1/clusters/list");
  ASSERT_OK(list);
  int named = 0;
  for (const auto& c : (*list)["clusters"]) named += c.value("cluster_name", "") == "shared";
  EXPECT_EQ(named, 2) << list->dump();
  EXPECT_EQ(Outcome(Plan(), "shared")->action, Action::kNone);
}

TEST_F(DatabricksJobsTest, JobScheduleChangedOutOfBandIsRepairedUnderEnforce) {
  Apply();
  SetSchedule("0 30 1 * * ?", "PAUSED");
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "training");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), Contains("schedule.quartz_cron_expression"));
  EXPECT_THAT(Paths(*o), Contains("schedule.pause_status"));
  Apply();
  EXPECT_EQ(JobSettings()["schedule"]["quartz_cron_expression"], "0 0 3 * * ?");
  EXPECT_EQ(JobSettings()["schedule"]["pause_status"], "UNPAUSED");
  EXPECT_EQ(Outcome(Plan(), "training")->action, Action::kNone);
}

TEST_F(DatabricksJobsTest, JobScheduleChangedOutOfBandIsOnlyReportedUnderReport) {
  Find("training")->set_drift_policy(envctl::v1::DRIFT_POLICY_REPORT);
  Apply();
  SetSchedule("0 30 1 * * ?", "UNPAUSED");
  ResetStats();
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "training");
  EXPECT_EQ(o->action, Action::kUpdate) << Describe(applied);
  EXPECT_FALSE(o->applied);
  EXPECT_THAT(Requests("POST", "/jobs/reset"), IsEmpty());
  EXPECT_EQ(JobSettings()["schedule"]["quartz_cron_expression"], "0 30 1 * * ?");
}

TEST_F(DatabricksJobsTest, PermissionRaisedByHandIsRepairedAndOthersAreKept) {
  Apply();
  const std::string object = "/api/2.0/permissions/jobs/" + JobId();
  ASSERT_OK(client_
                ->Send("PATCH", object,
                       {{"access_control_list",
                         {{{"group_name", "data-engineers"}, {"permission_level", "CAN_MANAGE"}},
                          {{"user_name", "ana@example.com"}, {"permission_level", "CAN_VIEW"}}}}})
                .status());
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "training-acl");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), Contains("access.group:data-engineers"));
  EXPECT_THAT(o->reason, HasSubstr("user:ana@example.com=CAN_VIEW"));
  Apply();
  auto acl = client_->Get(object);
  ASSERT_TRUE(acl.ok());
  EXPECT_THAT(acl->dump(), HasSubstr("\"CAN_MANAGE_RUN\""));
  EXPECT_THAT(acl->dump(), HasSubstr("ana@example.com"))
      << "entries envctl does not manage are kept";
  EXPECT_THAT(acl->dump(), HasSubstr("IS_OWNER")) << "the owner is kept";
  EXPECT_EQ(Outcome(Plan(), "training-acl")->action, Action::kNone);
}

TEST_F(DatabricksJobsTest, ClusterResizedOutOfBandIsRepairedAndPlanSaysTheEditRestartsIt) {
  AddCluster(/*running=*/true);
  Apply();
  const std::string id = nlohmann::json::parse(store_.Memory("dev", "shared"))["clusterId"];
  // Wait (on the fake clock) for the cluster to run, then resize it by hand.
  for (int i = 0; i < 100; ++i) {
    auto c = client_->Get("/api/2.1/clusters/get", {{"cluster_id", id}});
    ASSERT_TRUE(c.ok());
    if ((*c)["state"] == "RUNNING") break;
    clock_.Advance(absl::Seconds(5));
  }
  ASSERT_OK(client_
                ->Post("/api/2.1/clusters/edit", {{"cluster_id", id},
                                                  {"cluster_name", "shared"},
                                                  {"spark_version", "13.3.x-scala2.12"},
                                                  {"node_type_id", "Standard_DS3_v2"},
                                                  {"num_workers", 8}})
                .status());
  for (int i = 0; i < 100; ++i) {
    auto c = client_->Get("/api/2.1/clusters/get", {{"cluster_id", id}});
    if ((*c)["state"] == "RUNNING") break;
    clock_.Advance(absl::Seconds(5));
  }
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "shared");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), Contains("num_workers"));
  EXPECT_THAT(o->reason, HasSubstr("restarts"));
  Apply();
  auto c = client_->Get("/api/2.1/clusters/get", {{"cluster_id", id}});
  EXPECT_EQ((*c)["num_workers"], 2);
  EXPECT_EQ((*c)["state"], "RESTARTING");
}

TEST_F(DatabricksJobsTest, JobRepairKeepsTheLiveValueOfAnIgnoredSetting) {
  // Operators pause the schedule by hand; envctl must leave that alone while repairing
  // the rest of the job.
  Find("training")->add_ignore_differences("schedule.pause_status");
  Apply();
  nlohmann::json settings = JobSettings();
  settings["schedule"]["pause_status"] = "PAUSED";
  settings["max_concurrent_runs"] = 5;
  ASSERT_OK(client_
                ->Post("/api/2.2/jobs/reset",
                       {{"job_id", std::stoll(JobId())}, {"new_settings", settings}})
                .status());

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "training");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), Contains("max_concurrent_runs"));
  EXPECT_THAT(Paths(*o), ::testing::Not(Contains("schedule.pause_status")));
  Apply();
  EXPECT_EQ(JobSettings()["max_concurrent_runs"], 1) << "the other setting is repaired";
  EXPECT_EQ(JobSettings()["schedule"]["pause_status"], "PAUSED")
      << "the ignored one keeps its live value";
  EXPECT_EQ(Outcome(Plan(), "training")->action, Action::kNone);
}

TEST_F(DatabricksJobsTest, ClusterEditKeepsAnIgnoredAttributeAndOnlyIgnoredDriftWritesNothing) {
  AddCluster(/*running=*/false);
  Find("shared")->add_ignore_differences("autotermination_minutes");
  Apply();
  const std::string id = nlohmann::json::parse(store_.Memory("dev", "shared"))["clusterId"];
  clock_.Advance(absl::Minutes(1));  // TERMINATING -> TERMINATED, so it can be edited
  auto edit = [&](int workers, int autotermination) {
    ASSERT_OK(client_
                  ->Post("/api/2.1/clusters/edit", {{"cluster_id", id},
                                                    {"cluster_name", "shared"},
                                                    {"spark_version", "13.3.x-scala2.12"},
                                                    {"node_type_id", "Standard_DS3_v2"},
                                                    {"num_workers", workers},
                                                    {"autotermination_minutes", autotermination}})
                  .status());
  };
  edit(2, 30);
  ResetStats();
  EXPECT_EQ(Outcome(Apply(), "shared")->action, Action::kNone);
  EXPECT_THAT(Requests("POST", "/clusters/edit"), IsEmpty()) << "only an ignored attribute differs";

  edit(8, 30);
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "shared");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), ::testing::ElementsAre("num_workers"));
  Apply();
  auto c = client_->Get("/api/2.1/clusters/get", {{"cluster_id", id}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)["num_workers"], 2);
  EXPECT_EQ((*c)["autotermination_minutes"], 30);
}

TEST_F(DatabricksJobsTest,
       NewClusterIsTerminatedUnlessDeclaredRunningAndResizeUnderReportIsReported) {
  AddCluster(/*running=*/false);
  Find("shared")->set_drift_policy(envctl::v1::DRIFT_POLICY_REPORT);
  Apply();
  const std::string id = nlohmann::json::parse(store_.Memory("dev", "shared"))["clusterId"];
  clock_.Advance(absl::Minutes(1));
  auto c = client_->Get("/api/2.1/clusters/get", {{"cluster_id", id}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)["state"], "TERMINATED");
  ASSERT_OK(client_
                ->Post("/api/2.1/clusters/edit", {{"cluster_id", id},
                                                  {"cluster_name", "shared"},
                                                  {"spark_version", "13.3.x-scala2.12"},
                                                  {"node_type_id", "Standard_DS3_v2"},
                                                  {"num_workers", 5}})
                .status());
  ResetStats();
  controller::EngineResult applied = Apply();
  EXPECT_EQ(Outcome(applied, "shared")->action, Action::kUpdate);
  EXPECT_FALSE(Outcome(applied, "shared")->applied);
  EXPECT_THAT(Requests("POST", "/clusters/edit"), IsEmpty());
}

TEST_F(DatabricksJobsTest, RemovedJobIsPruned) {
  env_.mutable_sync()->set_prune(true);
  Apply();
  const std::string id = JobId();
  // Drop the job and what refers to it.
  auto* resources = env_.mutable_resources();
  for (int i = resources->size() - 1; i >= 0; --i) {
    const std::string& name = resources->Get(i).name();
    if (name == "training" || name == "training-acl") resources->DeleteSubrange(i, 1);
  }
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(applied.prune_status.ok()) << applied.prune_status;
  const controller::ResourceOutcome* o = nullptr;
  for (const auto& p : applied.prunes) {
    if (p.name == "training") o = &p;
  }
  ASSERT_NE(o, nullptr) << Describe(applied);
  EXPECT_EQ(o->action, Action::kDelete);
  EXPECT_TRUE(o->status.ok()) << o->status;
  EXPECT_TRUE(absl::IsNotFound(client_->Get("/api/2.2/jobs/get", {{"job_id", id}}).status()));
}

TEST_F(DatabricksJobsTest, NotebookChangeRerunsTheJobRunTestAndNothingElse) {
  AddJobRunTest();
  auto* other = AddResource("lake-check")->mutable_integration_test();
  other->set_workspace("workspace");
  other->set_notebook_path("/Shared/bikeshare/prepare");
  other->mutable_cluster()->set_spark_version("13.3.x-scala2.12");
  other->mutable_cluster()->set_node_type_id("Standard_DS3_v2");
  SetContent("lake-check", {});
  controller::EngineResult applied = Apply();
  const auto* run = Outcome(applied, "training-run");
  ASSERT_TRUE(run->status.ok()) << Describe(applied);
  EXPECT_EQ(run->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED);
  EXPECT_EQ(Outcome(Plan(), "training-run")->action, Action::kNone);

  SetContent("notebooks", {{"prepare.py", kPrepare},
                           {"train.py", "# Databricks notebook source\nprint('v2')\n"}});
  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "notebooks")->action, Action::kUpdate) << Describe(plan);
  EXPECT_EQ(Outcome(plan, "training-run")->action, Action::kRun);
  EXPECT_THAT(Outcome(plan, "training-run")->reason, HasSubstr("notebooks"));
  for (const char* unchanged : {"policy", "training", "training-acl", "lake-check"}) {
    EXPECT_EQ(Outcome(plan, unchanged)->action, Action::kNone) << unchanged << "\n"
                                                               << Describe(plan);
  }
  ResetStats();
  controller::EngineResult rerun = Apply();
  EXPECT_EQ(Outcome(rerun, "training-run")->run.result(), envctl::v1::RUN_RESULT_SUCCEEDED)
      << Describe(rerun);
  EXPECT_THAT(Requests("POST", "/jobs/run-now"), SizeIs(1));
  EXPECT_THAT(Requests("POST", "/jobs/runs/submit"), IsEmpty());
}

TEST_F(DatabricksJobsTest, FailingTaskFailsTheJobRunTestWithTheTaskError) {
  SetContent("notebooks",
             {{"prepare.py", "# Databricks notebook source\nraise ValueError(\"no trips\")\n"},
              {"train.py", kTrain}});
  AddJobRunTest();
  controller::EngineResult applied = Apply();
  const auto* run = Outcome(applied, "training-run");
  EXPECT_EQ(run->run.result(), envctl::v1::RUN_RESULT_FAILED) << Describe(applied);
  EXPECT_THAT(run->run.message(), HasSubstr("task prepare"));
  EXPECT_THAT(run->run.message(), HasSubstr("no trips"));
}

TEST_F(DatabricksJobsTest, JobClusterOutsideItsPolicyFailsWithTheServiceMessage) {
  Find("training")
      ->mutable_databricks_job()
      ->mutable_job_clusters(0)
      ->mutable_spec()
      ->set_num_workers(9);
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "training");
  EXPECT_FALSE(o->status.ok());
  EXPECT_THAT(o->status.message(), HasSubstr("num_workers"));
}

// The change poll (Engine::ChangedSinceApply, what the controller runs every
// drift.pollInterval) of a workspace's jobs: one jobs listing serves the job and its
// permissions; nothing is found after an apply; a schedule changed by hand names the job
// and its permissions (whose hint is the job) without reading either; after the repair
// nothing is found again.
TEST_F(DatabricksJobsTest, ChangePollFindsAHandEditedJobWithOneJobsListing) {
  Apply();
  ResetStats();
  auto quiet = engine_->ChangedSinceApply(env_);
  ASSERT_OK(quiet);
  EXPECT_THAT(*quiet, IsEmpty());
  EXPECT_THAT(Requests("GET", "/jobs/list"), SizeIs(1)) << RequestLog().dump();
  EXPECT_THAT(Requests("GET", "/permissions/"), IsEmpty()) << "no hint moved: no ACL read";
  EXPECT_THAT(Requests("GET", "/jobs/get"), IsEmpty());

  SetSchedule("0 30 1 * * ?", "PAUSED");
  ResetStats();
  auto moved = engine_->ChangedSinceApply(env_);
  ASSERT_OK(moved);
  EXPECT_THAT(*moved, ::testing::UnorderedElementsAre("training", "training-acl"));
  EXPECT_THAT(Requests("GET", "/jobs/list"), SizeIs(1)) << "one listing for both";
  EXPECT_THAT(Requests("GET", "/permissions/"), IsEmpty());
  EXPECT_EQ(Writes().count("databricks"), 0u);

  Apply();
  EXPECT_EQ(JobSettings()["schedule"]["quartz_cron_expression"], "0 0 3 * * ?");
  auto after = engine_->ChangedSinceApply(env_);
  ASSERT_OK(after);
  EXPECT_THAT(*after, IsEmpty()) << "the repair's own write is the new baseline";
}

// A plan of a job and its permissions reads no jobs listing: the permissions' hint is the
// settings hash of the job's own jobs/get in the same pass, and that hint is the one the
// change poll's listing finds afterwards (no needless targeted sync).
TEST_F(DatabricksJobsTest, PlanTakesThePermissionsHintFromTheJobsOwnReadNotAListing) {
  Apply();
  ResetStats();
  controller::EngineResult plan = Plan();
  EXPECT_THAT(Requests("GET", "/jobs/get"), SizeIs(1)) << RequestLog().dump();
  EXPECT_THAT(Requests("GET", "/jobs/list"), IsEmpty()) << RequestLog().dump();
  EXPECT_EQ(Writes().count("databricks"), 0u);
  auto quiet = engine_->ChangedSinceApply(env_);
  ASSERT_OK(quiet);
  EXPECT_THAT(*quiet, IsEmpty()) << "the hint from jobs/get equals the listing's";
}

TEST_F(DatabricksJobsTest, ChangePollFindsAJobDeletedByHand) {
  Apply();
  ASSERT_OK(client_->Post("/api/2.2/jobs/delete", {{"job_id", std::stoll(JobId())}}).status());
  auto moved = engine_->ChangedSinceApply(env_);
  ASSERT_OK(moved);
  EXPECT_THAT(*moved, Contains("training"));
  EXPECT_THAT(*moved, Contains("training-acl"));
  Apply();
  auto after = engine_->ChangedSinceApply(env_);
  ASSERT_OK(after);
  EXPECT_THAT(*after, IsEmpty());
}

// A job whose only difference is an ignored setting: the poll finds the edit once; the
// plan that follows writes nothing and records the live settings as the new baseline, so
// the next polls find nothing (no targeted sync every 30 s for an ignored difference).
TEST_F(DatabricksJobsTest, ChangePollBaselineMovesWhenThePlanFindsOnlyIgnoredDifferences) {
  Find("training")->add_ignore_differences("schedule.pause_status");
  Apply();
  SetSchedule("0 0 3 * * ?", "PAUSED");
  auto moved = engine_->ChangedSinceApply(env_);
  ASSERT_OK(moved);
  EXPECT_THAT(*moved, Contains("training"));
  ResetStats();
  controller::EngineResult applied = Apply();
  EXPECT_EQ(Outcome(applied, "training")->action, Action::kNone) << Describe(applied);
  EXPECT_EQ(Writes().count("databricks"), 0u);
  auto after = engine_->ChangedSinceApply(env_);
  ASSERT_OK(after);
  EXPECT_THAT(*after, IsEmpty());
  EXPECT_EQ(JobSettings()["schedule"]["pause_status"], "PAUSED");
}

// A notebook saved by hand with the content it had (a new modified_at, nothing to
// repair): found once; the plan records the new time, so the next poll finds nothing.
TEST_F(DatabricksJobsTest, NotebookSavedUnchangedByHandIsPolledOnceThenNotAgain) {
  Apply();
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK(dbx::WorkspaceApi(*client_).ImportSource("/Shared/bikeshare/train", kTrain,
                                                     dbx::Language::kPython, true));
  auto moved = engine_->ChangedSinceApply(env_);
  ASSERT_OK(moved);
  EXPECT_THAT(*moved, ::testing::ElementsAre("notebooks"));
  ResetStats();
  controller::EngineResult applied = Apply();
  EXPECT_EQ(Outcome(applied, "notebooks")->action, Action::kNone) << Describe(applied);
  EXPECT_EQ(Writes().count("databricks"), 0u);
  auto after = engine_->ChangedSinceApply(env_);
  ASSERT_OK(after);
  EXPECT_THAT(*after, IsEmpty());
}

}  // namespace
}  // namespace envctl::testing
