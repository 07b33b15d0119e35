// Simulated job runs: the clock-driven state machine, notebook failures that a
// deployment can cause, timeouts, cancel, idempotency, outputs and the public run API.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim_databricks/workspace_harness.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloudsim::databricks::testing {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RunStateMachineTest, PendingRunningTerminatingTerminatedAtScaledTimes) {
  WorkspaceHarness h(/*speed=*/10);
  h.ImportNotebook("/Shared/nb", "print(1)");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  // speed 10: pending 1 s, running 2 s (default 20 s), terminating 0.5 s.
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["life_cycle_state"], "PENDING");
  EXPECT_FALSE(run["state"].contains("result_state"));
  EXPECT_EQ(run["status"]["state"], "PENDING");
  h.clock.Advance(absl::Milliseconds(999));
  EXPECT_EQ(h.LifeCycle(id), "PENDING");
  h.clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.clock.Advance(absl::Milliseconds(1999));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(h.LifeCycle(id), "TERMINATING");
  h.clock.Advance(absl::Milliseconds(500));
  run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["life_cycle_state"], "TERMINATED");
  EXPECT_EQ(run["state"]["result_state"], "SUCCESS");
  EXPECT_EQ(run["status"]["termination_details"]["code"], "SUCCESS");
  EXPECT_EQ(run["setup_duration"], 1000);
  EXPECT_EQ(run["execution_duration"], 2000);
  EXPECT_EQ(run["cleanup_duration"], 500);
  EXPECT_EQ(run["end_time"].get<int64_t>() - run["start_time"].get<int64_t>(), 3500);
  EXPECT_EQ(run["run_type"], "SUBMIT_RUN");
  ASSERT_EQ(run["tasks"].size(), 1u);
  EXPECT_NE(run["tasks"][0]["run_id"], run["run_id"]);
  EXPECT_EQ(run["tasks"][0]["state"]["result_state"], "SUCCESS");
  EXPECT_EQ(run["run_page_url"],
            "https://adb-1234567890123456.7.azuredatabricks.net/?o=1234567890123456#job/" +
                std::to_string(run["job_id"].get<int64_t>()) + "/run/" + std::to_string(id));
}

TEST(RunStateMachineTest, SleepDirectiveLengthensRunning) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: sleep 30s\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.clock.Advance(absl::Seconds(10 + 49));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.clock.Advance(absl::Seconds(1));
  EXPECT_EQ(h.LifeCycle(id), "TERMINATING");
}

TEST(RunStateMachineTest, NotebookIsReadWhenTheRunStartsNotAtSubmit) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: exit \"old\"\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.ImportNotebook("/Shared/nb", "# cloudsim: exit \"new\"\n");  // still PENDING
  h.clock.Advance(absl::Seconds(10));
  h.ImportNotebook("/Shared/nb", "# cloudsim: exit \"too late\"\n");  // already running
  h.Finish(id);
  EXPECT_EQ(h.Output(id)["notebook_output"]["result"], "new");
}

TEST(NotebookRunTest, MissingChildNotebookFailsTheRun) {
  WorkspaceHarness h;
  h.Post("/api/2.0/workspace/mkdirs", {{"path", "/Shared/app"}});
  h.ImportNotebook("/Shared/app/main", "dbutils.notebook.run(\"./x\", 60, {})\n");
  int64_t id = h.SubmitNotebook("/Shared/app/main");
  h.clock.Advance(absl::Seconds(10));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.Finish(id);
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["life_cycle_state"], "TERMINATED");
  EXPECT_EQ(run["state"]["result_state"], "FAILED");
  EXPECT_EQ(run["state"]["state_message"], "Workload failed, see run output for details");
  EXPECT_EQ(run["status"]["termination_details"]["code"], "RUN_EXECUTION_ERROR");
  int64_t task_id = run["tasks"][0]["run_id"].get<int64_t>();
  Json out = h.Output(task_id);
  EXPECT_EQ(out["error"],
            "com.databricks.WorkflowException: com.databricks.NotebookExecutionException: "
            "FAILED: Notebook not found: /Shared/app/x");
  EXPECT_THAT(out["error_trace"].get<std::string>(), HasSubstr("/Shared/app/main, line 1"));
  EXPECT_EQ(out["notebook_output"], Json::object());
  EXPECT_EQ(out["metadata"]["run_id"], task_id);
}

TEST(NotebookRunTest, MissingTopLevelNotebookFailsNotInternalError) {
  WorkspaceHarness h;
  int64_t id = h.SubmitNotebook("/Shared/absent");
  h.Finish(id);
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["result_state"], "FAILED");
  // The message names the run-as identity, as Databricks does (databricks/run-notebook#48).
  EXPECT_EQ(run["state"]["state_message"],
            "Unable to access the notebook \"/Shared/absent\". Either it does not exist, or the "
            "identity used to run this job, cloudsim-user@example.com, lacks the required "
            "permissions.");
  EXPECT_EQ(h.Output(id)["error"], "Notebook not found: /Shared/absent");
}

TEST(NotebookRunTest, SecretsMustExistAndAreRedacted) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb",
                   "pw = dbutils.secrets.get(\"app\", \"pw\")\n"
                   "dbutils.notebook.exit(\"connected with \" + pw)\n");
  int64_t missing = h.SubmitNotebook("/Shared/nb");
  h.Finish(missing);
  EXPECT_EQ(h.Output(missing)["error"],
            "IllegalArgumentException: Secret does not exist with scope: app and key: pw");

  h.Post("/api/2.0/secrets/scopes/create", {{"scope", "app"}});
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "pw"}, {"string_value", "s3cr3t"}});
  int64_t ok = h.SubmitNotebook("/Shared/nb");
  h.Finish(ok);
  Json out = h.Output(ok);
  EXPECT_EQ(out["notebook_output"]["result"], "connected with [REDACTED]");
  EXPECT_EQ(out["notebook_output"]["truncated"], false);
}

TEST(NotebookRunTest, KeyVaultBackedSecretsResolveThroughTheCallback) {
  WorkspaceHarness h;
  h.Post(
      "/api/2.0/secrets/scopes/create",
      {{"scope", "kv"},
       {"scope_backend_type", "AZURE_KEYVAULT"},
       {"backend_azure_keyvault",
        {{"resource_id", "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v"},
         {"dns_name", "https://v.vault.azure.net/"}}}});
  h.ImportNotebook("/Shared/nb",
                   "x = dbutils.secrets.get(\"kv\", \"storage-key\")\n"
                   "dbutils.notebook.exit(\"ok\")\n");
  int64_t missing = h.SubmitNotebook("/Shared/nb");
  h.Finish(missing);
  EXPECT_EQ(h.GetRunJson(missing)["state"]["result_state"], "FAILED");
  h.key_vault["https://v.vault.azure.net/|storage-key"] = "abc";
  int64_t ok = h.SubmitNotebook("/Shared/nb");
  h.Finish(ok);
  EXPECT_EQ(h.Output(ok)["notebook_output"]["result"], "ok");
}

TEST(NotebookRunTest, WidgetsComeFromBaseParametersOrDefaults) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb",
                   "dbutils.widgets.text(\"env\", \"dev\")\n"
                   "env = dbutils.widgets.get(\"env\")\n"
                   "dbutils.notebook.exit(env)\n");
  int64_t dflt = h.SubmitNotebook("/Shared/nb");
  int64_t param = h.SubmitNotebook(
      "/Shared/nb", {{"notebook_task",
                      {{"notebook_path", "/Shared/nb"}, {"base_parameters", {{"env", "test"}}}}}});
  h.Finish(dflt);
  h.Finish(param);
  EXPECT_EQ(h.Output(dflt)["notebook_output"]["result"], "dev");
  EXPECT_EQ(h.Output(param)["notebook_output"]["result"], "test");

  h.ImportNotebook("/Shared/undefined", "dbutils.widgets.get(\"missing\")\n");
  int64_t bad = h.SubmitNotebook("/Shared/undefined");
  h.Finish(bad);
  EXPECT_THAT(h.Output(bad)["error"].get<std::string>(), HasSubstr("InputWidgetNotDefined"));
}

TEST(NotebookRunTest, LibrariesMustExistInDbfs) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  Json libs =
      Json::array({{{"jar", "dbfs:/libs/app.jar"}}, {{"pypi", {{"package", "requests==2.31.0"}}}}});
  int64_t id = h.SubmitNotebook("/Shared/nb", {{"libraries", libs}});
  h.clock.Advance(absl::Seconds(10));
  EXPECT_EQ(h.LifeCycle(id), "TERMINATING");  // install failed at cluster start
  h.Finish(id);
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["result_state"], "FAILED");
  EXPECT_EQ(run["status"]["termination_details"]["code"], "LIBRARY_INSTALLATION_ERROR");
  EXPECT_THAT(run["state"]["state_message"].get<std::string>(), HasSubstr("dbfs:/libs/app.jar"));

  h.Post("/api/2.0/dbfs/put", {{"path", "dbfs:/libs/app.jar"}, {"contents", "UEsDBA=="}});
  int64_t ok = h.SubmitNotebook("/Shared/nb", {{"libraries", libs}});
  h.Finish(ok);
  EXPECT_EQ(h.GetRunJson(ok)["state"]["result_state"], "SUCCESS");
}

TEST(NotebookRunTest, SparkReadOfADbfsPathNothingWroteFailsAndAWrittenOneSucceeds) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/reader",
                   "dbutils.widgets.text(\"data_path\", \"dbfs:/tmp/bikes\")\n"
                   "data_path = dbutils.widgets.get(\"data_path\")\n"
                   "df = score(model, spark.read.parquet(f\"{data_path}/holdout\"))\n"
                   "dbutils.notebook.exit(\"read\")\n");
  h.ImportNotebook(
      "/Shared/writer",
      "data_path = dbutils.widgets.get(\"data_path\")\n"
      "src = spark.read.option(\"header\", "
      "True).csv(\"/databricks-datasets/bikeSharing/data-001/hour.csv\")\n"
      "src.write.mode(\"overwrite\").parquet(f\"{data_path}/holdout\")\n"
      "for name, part in parts:\n"
      "    part.write.parquet(f\"{data_path}/{name}\")  # unknown path: not tracked\n");
  int64_t bad = h.SubmitNotebook("/Shared/reader");
  h.Finish(bad);
  EXPECT_EQ(h.GetRunJson(bad)["state"]["result_state"], "FAILED");
  EXPECT_EQ(h.Output(bad)["error"],
            "AnalysisException: [PATH_NOT_FOUND] Path does not exist: dbfs:/tmp/bikes/holdout.");

  int64_t writer =
      h.SubmitNotebook("/Shared/writer", {{"notebook_task",
                                           {{"notebook_path", "/Shared/writer"},
                                            {"base_parameters", {{"data_path", "/tmp/bikes"}}}}}});
  h.Finish(writer);
  ASSERT_EQ(h.GetRunJson(writer)["state"]["result_state"], "SUCCESS") << h.Output(writer).dump();
  // A Spark write leaves a directory with _SUCCESS, visible through the DBFS API.
  Json listed = h.Get("/api/2.0/dbfs/list", {{"path", "/tmp/bikes/holdout"}});
  EXPECT_THAT(listed.dump(), HasSubstr("/tmp/bikes/holdout/_SUCCESS"));

  int64_t good = h.SubmitNotebook("/Shared/reader");
  h.Finish(good);
  EXPECT_EQ(h.GetRunJson(good)["state"]["result_state"], "SUCCESS") << h.Output(good).dump();

  h.Post("/api/2.0/dbfs/delete", {{"path", "/tmp/bikes"}, {"recursive", true}});
  int64_t gone = h.SubmitNotebook("/Shared/reader");
  h.Finish(gone);
  EXPECT_EQ(h.GetRunJson(gone)["state"]["result_state"], "FAILED");
}

TEST(NotebookRunTest, ScalaInterpolatedReadPathsAreCheckedToo) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/scala",
                   "val base = \"dbfs:/mnt/raw\"\n"
                   "val df = spark.read.format(\"delta\").load(s\"$base/events\")\n",
                   "SCALA");
  int64_t id = h.SubmitNotebook("/Shared/scala");
  h.Finish(id);
  EXPECT_EQ(h.Output(id)["error"],
            "AnalysisException: [PATH_NOT_FOUND] Path does not exist: dbfs:/mnt/raw/events.");
}

TEST(RunApiTest, SubmitOfANewClusterThatViolatesItsPolicyIsRefused) {
  WorkspaceHarness h;
  Json def = {{"spark_version", {{"type", "fixed"}, {"value", "13.3.x-scala2.12"}}},
              {"num_workers", {{"type", "range"}, {"maxValue", 2}}}};
  std::string policy =
      h.Post("/api/2.0/policies/clusters/create", {{"name", "small"}, {"definition", def.dump()}})
          .at("policy_id")
          .get<std::string>();
  h.ImportNotebook("/Shared/nb", "print(1)");
  Json task = {{"task_key", "main"},
               {"notebook_task", {{"notebook_path", "/Shared/nb"}}},
               {"new_cluster",
                {{"node_type_id", "Standard_DS3_v2"}, {"num_workers", 8}, {"policy_id", policy}}}};
  Response refused = h.Send("POST", "/api/2.1/jobs/runs/submit", {{"tasks", Json::array({task})}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("INVALID_PARAMETER_VALUE"));
  EXPECT_THAT(refused.body, HasSubstr("Validation failed for num_workers"));
  // The 2.0 single-task form is checked as well.
  Response legacy = h.Send("POST", "/api/2.0/jobs/runs/submit",
                           {{"run_name", "x"},
                            {"notebook_task", {{"notebook_path", "/Shared/nb"}}},
                            {"new_cluster", task["new_cluster"]}});
  EXPECT_EQ(legacy.status, 400) << legacy.body;

  task["new_cluster"]["num_workers"] = 2;
  int64_t id = h.Post("/api/2.1/jobs/runs/submit", {{"tasks", Json::array({task})}})
                   .at("run_id")
                   .get<int64_t>();
  EXPECT_EQ(h.GetRunJson(id)["tasks"][0]["new_cluster"]["spark_version"], "13.3.x-scala2.12");
}

TEST(NotebookRunTest, FailDirectiveSetsTheError) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: fail \"table bikes not found\"\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.Finish(id);
  EXPECT_EQ(h.Output(id)["error"], "table bikes not found");
}

TEST(RunControlTest, IdempotencyTokenReturnsTheSameRun) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  int64_t a = h.SubmitNotebook("/Shared/nb", Json::object(), {{"idempotency_token", "tok-1"}});
  int64_t b = h.SubmitNotebook("/Shared/nb", Json::object(), {{"idempotency_token", "tok-1"}});
  int64_t c = h.SubmitNotebook("/Shared/nb", Json::object(), {{"idempotency_token", "tok-2"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  Response r = h.Send("POST", "/api/2.1/jobs/runs/submit",
                      {{"idempotency_token", std::string(65, 'x')},
                       {"tasks", Json::array({{{"task_key", "m"},
                                               {"notebook_task", {{"notebook_path", "/Shared/nb"}}},
                                               {"existing_cluster_id", "c"}}})}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("idempotency_token must be at most 64 characters"));
}

TEST(RunControlTest, TimeoutEndsTimedOut) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: sleep 1h\n");
  int64_t id = h.SubmitNotebook("/Shared/nb", Json::object(), {{"timeout_seconds", 60}});
  h.clock.Advance(absl::Seconds(59));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.clock.Advance(absl::Seconds(1));
  EXPECT_EQ(h.LifeCycle(id), "TERMINATING");
  h.Finish(id);
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["result_state"], "TIMEDOUT");
  EXPECT_EQ(run["state"]["user_cancelled_or_timedout"], true);
}

TEST(RunControlTest, CancelGoesThroughTerminating) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: sleep 10m\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.clock.Advance(absl::Seconds(15));
  h.Post("/api/2.1/jobs/runs/cancel", {{"run_id", id}});
  EXPECT_EQ(h.LifeCycle(id), "TERMINATING");
  h.clock.Advance(absl::Seconds(5));
  Json run = h.GetRunJson(id);
  EXPECT_EQ(run["state"]["life_cycle_state"], "TERMINATED");
  EXPECT_EQ(run["state"]["result_state"], "CANCELED");
  EXPECT_EQ(run["state"]["user_cancelled_or_timedout"], true);
  // Cancelling a finished run is a no-op.
  h.Post("/api/2.1/jobs/runs/cancel", {{"run_id", id}});
  EXPECT_EQ(h.GetRunJson(id)["state"]["result_state"], "CANCELED");
}

TEST(RunControlTest, CancelWhilePendingNeverExecutesTheNotebook) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: exit \"ran\"\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.clock.Advance(absl::Seconds(3));
  h.Post("/api/2.1/jobs/runs/cancel", {{"run_id", id}});
  h.Finish(id);
  Json out = h.Output(id);
  EXPECT_EQ(out["metadata"]["state"]["result_state"], "CANCELED");
  EXPECT_EQ(out["notebook_output"], Json::object());
}

TEST(RunApiTest, UnknownRunIs400InvalidParameterValue) {
  WorkspaceHarness h;
  for (const char* path : {"/api/2.1/jobs/runs/get", "/api/2.1/jobs/runs/get-output"}) {
    Response r = h.Send("GET", path, nullptr, {{"run_id", "42"}});
    EXPECT_EQ(r.status, 400);
    Json j = Json::parse(r.body);
    EXPECT_EQ(j["error_code"], "INVALID_PARAMETER_VALUE");
    EXPECT_EQ(j["message"], "Run 42 does not exist.");
  }
  Response c = h.Send("POST", "/api/2.1/jobs/runs/cancel", {{"run_id", 42}});
  EXPECT_EQ(c.status, 400);
  Response missing = h.Send("GET", "/api/2.2/jobs/runs/get");
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("run_id"));
}

TEST(RunApiTest, SubmitValidation) {
  WorkspaceHarness h;
  auto submit = [&](const Json& body) { return h.Send("POST", "/api/2.1/jobs/runs/submit", body); };
  Response no_compute =
      submit({{"tasks",
               Json::array({{{"task_key", "a"}, {"notebook_task", {{"notebook_path", "/x"}}}}})}});
  EXPECT_EQ(no_compute.status, 400);
  EXPECT_THAT(no_compute.body, HasSubstr("existing_cluster_id"));
  Json t = {{"task_key", "a"},
            {"notebook_task", {{"notebook_path", "/x"}}},
            {"new_cluster", {{"num_workers", 1}}}};
  Response dup = submit({{"tasks", Json::array({t, t})}});
  EXPECT_EQ(dup.status, 400);
  EXPECT_THAT(dup.body, HasSubstr("Task key a is not unique"));
  Response empty = submit({{"tasks", Json::array()}});
  EXPECT_THAT(empty.body, HasSubstr("At least one task is required"));
  Response python =
      submit({{"tasks", Json::array({{{"task_key", "a"},
                                      {"spark_python_task", {{"python_file", "x.py"}}},
                                      {"existing_cluster_id", "c"}}})}});
  EXPECT_THAT(python.body, HasSubstr("spark_python_task is not supported"));
}

TEST(RunApiTest, LegacySingleTaskFormKeepsTheLegacyShapeOn20) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "dbutils.notebook.exit(\"v\")\n");
  Json body = {{"run_name", "legacy"},
               {"existing_cluster_id", "0923-1"},
               {"notebook_task", {{"notebook_path", "/Shared/nb"}}},
               {"timeout_seconds", 3600}};
  int64_t id = h.Post("/api/2.0/jobs/runs/submit", body)["run_id"].get<int64_t>();
  h.Finish(id);
  Json v20 = h.GetRunJson(id, "2.0");
  EXPECT_EQ(v20["task"]["notebook_task"]["notebook_path"], "/Shared/nb");
  EXPECT_EQ(v20["cluster_spec"]["existing_cluster_id"], "0923-1");
  EXPECT_FALSE(v20.contains("tasks"));
  Json v21 = h.GetRunJson(id, "2.1");
  ASSERT_EQ(v21["tasks"].size(), 1u);
  EXPECT_NE(v21["tasks"][0]["run_id"], id);
  // get-output accepts the parent id of a one-task run.
  EXPECT_EQ(h.Output(id)["notebook_output"]["result"], "v");
}

TEST(RunApiTest, MultiTaskParentOutputIsRefused) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  Json a = {{"task_key", "a"},
            {"notebook_task", {{"notebook_path", "/Shared/nb"}}},
            {"existing_cluster_id", "c"}};
  Json b = a;
  b["task_key"] = "b";
  int64_t id = h.Post("/api/2.1/jobs/runs/submit", {{"tasks", Json::array({a, b})}})["run_id"]
                   .get<int64_t>();
  Response r =
      h.Send("GET", "/api/2.1/jobs/runs/get-output", nullptr, {{"run_id", std::to_string(id)}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body,
              HasSubstr("Retrieving the output of runs with multiple tasks is not supported"));
}

TEST(RunApiTest, ListIsNewestFirstWithFiltersAndPages) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  int64_t first = h.SubmitNotebook("/Shared/nb");
  h.Finish(first);
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(h.SubmitNotebook("/Shared/nb"));
  Json all = h.Get("/api/2.1/jobs/runs/list", {});
  ASSERT_EQ(all["runs"].size(), 4u);
  EXPECT_EQ(all["runs"][0]["run_id"], ids.back());
  EXPECT_EQ(all["has_more"], false);
  Json active = h.Get("/api/2.1/jobs/runs/list", {{"active_only", "true"}});
  EXPECT_EQ(active["runs"].size(), 3u);
  Json done = h.Get("/api/2.1/jobs/runs/list", {{"completed_only", "true"}});
  ASSERT_EQ(done["runs"].size(), 1u);
  EXPECT_EQ(done["runs"][0]["run_id"], first);
  Json page1 = h.Get("/api/2.1/jobs/runs/list", {{"limit", "2"}});
  EXPECT_EQ(page1["runs"].size(), 2u);
  EXPECT_EQ(page1["has_more"], true);
  Json page2 = h.Get("/api/2.1/jobs/runs/list",
                     {{"limit", "2"}, {"page_token", page1["next_page_token"].get<std::string>()}});
  EXPECT_EQ(page2["runs"].size(), 2u);
  EXPECT_EQ(page2["has_more"], false);
  EXPECT_EQ(page2["runs"][1]["run_id"], first);
  Response both = h.Send("GET", "/api/2.1/jobs/runs/list", nullptr,
                         {{"active_only", "true"}, {"completed_only", "true"}});
  EXPECT_EQ(both.status, 400);
}

TEST(PublicRunApiTest, SubmitNotebookRunAndGetRun) {
  WorkspaceHarness h(/*speed=*/100);
  h.ImportNotebook("/Shared/adf", "dbutils.notebook.exit(dbutils.widgets.get(\"day\"))\n");
  EXPECT_THAT(h.ws->SubmitNotebookRun("bogus", "/Shared/adf", {}, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kPermissionDenied, "Invalid access token."));
  auto id =
      h.ws->SubmitNotebookRun(kAadToken, "/Shared/adf", {{"day", "2026-11-25"}}, absl::Hours(1));
  ASSERT_OK(id);
  auto view = h.ws->GetRun(*id);
  ASSERT_OK(view);
  EXPECT_EQ(view->life_cycle_state, "PENDING");
  h.clock.Advance(absl::Seconds(1));
  view = h.ws->GetRun(*id);
  EXPECT_EQ(view->life_cycle_state, "TERMINATED");
  EXPECT_EQ(view->result_state, "SUCCESS");
  EXPECT_EQ(view->notebook_output, "2026-11-25");
  EXPECT_THAT(view->run_page_url, HasSubstr("/run/" + std::to_string(*id)));
  EXPECT_THAT(h.ws->GetRun(1), StatusIs(absl::StatusCode::kNotFound, "Run 1 does not exist."));
  EXPECT_THAT(h.ws->Cancel(1), StatusIs(absl::StatusCode::kNotFound, HasSubstr("Run 1")));
}

TEST(PublicRunApiTest, CancelAndFailureThroughTheApi) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/f", "# cloudsim: fail \"bad data\"\n");
  auto failed = h.ws->SubmitNotebookRun(kAadToken, "/Shared/f", {}, absl::ZeroDuration());
  auto cancelled = h.ws->SubmitNotebookRun(kAadToken, "/Shared/f", {}, absl::ZeroDuration());
  ASSERT_OK(failed);
  ASSERT_OK(cancelled);
  ASSERT_OK(h.ws->Cancel(*cancelled));
  h.Finish(*failed);
  h.Finish(*cancelled);
  EXPECT_EQ(h.ws->GetRun(*failed)->error, "bad data");
  EXPECT_EQ(h.ws->GetRun(*failed)->result_state, "FAILED");
  EXPECT_EQ(h.ws->GetRun(*cancelled)->result_state, "CANCELED");
}

TEST(PublicRunApiTest, RunsSurviveSaveAndLoadMidFlight) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "# cloudsim: exit \"v\"\n");
  int64_t id = h.SubmitNotebook("/Shared/nb");
  h.clock.Advance(absl::Seconds(12));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  Json saved = h.ws->Save();
  h.Reset(1.0);
  EXPECT_EQ(
      h.Send("GET", "/api/2.1/jobs/runs/get", nullptr, {{"run_id", std::to_string(id)}}).status,
      400);
  ASSERT_OK(h.ws->Load(saved));
  EXPECT_EQ(h.LifeCycle(id), "RUNNING");
  h.Finish(id);
  EXPECT_EQ(h.Output(id)["notebook_output"]["result"], "v");
  // Ids continue after the loaded ones.
  EXPECT_GT(h.SubmitNotebook("/Shared/nb"), id);
}

TEST(PublicRunApiTest, MutationCallbackFiresOnChanges) {
  WorkspaceHarness h;
  int calls = 0;
  h.ws->SetMutationCallback([&] {
    ++calls;
    h.ws->Save();  // allowed: the callback runs without the lock
  });
  h.ImportNotebook("/Shared/nb", "print(1)");
  EXPECT_EQ(calls, 1);
  h.Get("/api/2.0/workspace/list", {{"path", "/Shared"}});
  EXPECT_EQ(calls, 1);
  int64_t id = h.SubmitNotebook("/Shared/nb");
  EXPECT_EQ(calls, 2);
  h.clock.Advance(absl::Seconds(10));
  h.LifeCycle(id);  // the run executes: state changed
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace envctl::cloudsim::databricks::testing
