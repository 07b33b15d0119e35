// Saved jobs (Jobs API 2.1/2.2), run-now with depends_on, and the Permissions API of the
// simulated workspace.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim_databricks/workspace_harness.h"

namespace envctl::cloudsim::databricks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Json Cluster() {
  return {{"spark_version", "13.3.x-scala2.12"},
          {"node_type_id", "Standard_DS3_v2"},
          {"num_workers", 1}};
}

// prepare -> train on a job cluster, with a schedule and a job parameter.
Json TrainingJob() {
  return {
      {"name", "training"},
      {"job_clusters", Json::array({{{"job_cluster_key", "main"}, {"new_cluster", Cluster()}}})},
      {"tasks", Json::array({
                    {{"task_key", "prepare"},
                     {"job_cluster_key", "main"},
                     {"notebook_task",
                      {{"notebook_path", "/Shared/prepare"},
                       {"base_parameters", {{"out", "{{job.parameters.date}}"}}}}}},
                    {{"task_key", "train"},
                     {"job_cluster_key", "main"},
                     {"depends_on", Json::array({{{"task_key", "prepare"}}})},
                     {"notebook_task", {{"notebook_path", "/Shared/train"}}}},
                })},
      {"parameters", Json::array({{{"name", "date"}, {"default", "2026-01-01"}}})},
      {"schedule", {{"quartz_cron_expression", "0 0 3 * * ?"}, {"timezone_id", "Europe/Paris"}}}};
}

class DatabricksJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.ImportNotebook("/Shared/prepare",
                     "x = dbutils.widgets.get('out')\ndbutils.notebook.exit(x)\n");
    h.ImportNotebook("/Shared/train", "print('train')\n");
  }
  int64_t Create(const Json& settings) {
    return h.Post("/api/2.2/jobs/create", settings).at("job_id").get<int64_t>();
  }
  Json Task(const Json& run, const std::string& key) {
    for (const Json& t : run["tasks"]) {
      if (t["task_key"] == key) return t;
    }
    ADD_FAILURE() << "no task " << key;
    return Json::object();
  }
  WorkspaceHarness h{1.0};
};

TEST_F(DatabricksJobsTest, CreateGetFillsServerDefaults) {
  int64_t id = Create(TrainingJob());
  Json job = h.Get("/api/2.1/jobs/get", {{"job_id", std::to_string(id)}});
  const Json& s = job["settings"];
  EXPECT_EQ(s["max_concurrent_runs"], 1);
  EXPECT_EQ(s["format"], "MULTI_TASK");
  EXPECT_EQ(s["schedule"]["pause_status"], "UNPAUSED");
  EXPECT_EQ(s["tasks"][1]["run_if"], "ALL_SUCCESS");
  EXPECT_EQ(s["tasks"][0]["notebook_task"]["source"], "WORKSPACE");
  EXPECT_EQ(job["creator_user_name"], job["run_as_user_name"]);
}

TEST_F(DatabricksJobsTest, InvalidSettingsAreRejected) {
  Json cycle = TrainingJob();
  cycle["tasks"][0]["depends_on"] = Json::array({{{"task_key", "train"}}});
  Response r = h.Send("POST", "/api/2.1/jobs/create", cycle);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("cycle"));

  Json unknown_cluster = TrainingJob();
  unknown_cluster["tasks"][0]["job_cluster_key"] = "other";
  EXPECT_THAT(h.Send("POST", "/api/2.1/jobs/create", unknown_cluster).body,
              HasSubstr("not in job_clusters"));

  Json no_tz = TrainingJob();
  no_tz["schedule"].erase("timezone_id");
  EXPECT_THAT(h.Send("POST", "/api/2.1/jobs/create", no_tz).body,
              HasSubstr("schedule.timezone_id"));

  Json bad_cron = TrainingJob();
  bad_cron["schedule"]["quartz_cron_expression"] = "0 3 * * *";
  EXPECT_THAT(h.Send("POST", "/api/2.1/jobs/create", bad_cron).body, HasSubstr("6 or 7 fields"));

  Response missing = h.Send("GET", "/api/2.1/jobs/get", nullptr, {{"job_id", "42"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("Job 42 does not exist."));
}

TEST_F(DatabricksJobsTest, ResetReplacesUpdateMergesAndListPages) {
  int64_t id = Create(TrainingJob());
  Json paused = TrainingJob();
  paused["schedule"]["pause_status"] = "PAUSED";
  paused.erase("parameters");
  h.Post("/api/2.1/jobs/reset", {{"job_id", id}, {"new_settings", paused}});
  Json s = h.Get("/api/2.1/jobs/get", {{"job_id", std::to_string(id)}})["settings"];
  EXPECT_EQ(s["schedule"]["pause_status"], "PAUSED");
  EXPECT_FALSE(s.contains("parameters"));

  h.Post("/api/2.1/jobs/update",
         {{"job_id", id},
          {"new_settings",
           {{"max_concurrent_runs", 3},
            {"tasks", Json::array({{{"task_key", "train"},
                                    {"job_cluster_key", "main"},
                                    {"notebook_task", {{"notebook_path", "/Shared/prepare"}}}}})}}},
          {"fields_to_remove", Json::array({"schedule"})}});
  s = h.Get("/api/2.1/jobs/get", {{"job_id", std::to_string(id)}})["settings"];
  EXPECT_EQ(s["max_concurrent_runs"], 3);
  EXPECT_FALSE(s.contains("schedule"));
  ASSERT_EQ(s["tasks"].size(), 2u);
  EXPECT_EQ(s["tasks"][1]["notebook_task"]["notebook_path"], "/Shared/prepare");

  Create(TrainingJob());
  Create(TrainingJob());
  Json page = h.Get("/api/2.2/jobs/list", {{"limit", "2"}});
  EXPECT_EQ(page["jobs"].size(), 2u);
  EXPECT_TRUE(page["has_more"]);
  EXPECT_FALSE(page["jobs"][0]["settings"].contains("tasks"));
  Json rest =
      h.Get("/api/2.2/jobs/list", {{"limit", "2"}, {"page_token", page["next_page_token"]}});
  EXPECT_EQ(rest["jobs"].size(), 1u);
  EXPECT_FALSE(rest["has_more"]);

  h.Post("/api/2.1/jobs/delete", {{"job_id", id}});
  EXPECT_EQ(h.Send("GET", "/api/2.1/jobs/get", nullptr, {{"job_id", std::to_string(id)}}).status,
            400);
}

TEST_F(DatabricksJobsTest, RunNowSequencesDependentTasksAndPassesJobParameters) {
  int64_t id = Create(TrainingJob());
  int64_t run = h.Post("/api/2.2/jobs/run-now",
                       {{"job_id", id}, {"job_parameters", {{"date", "2026-12-05"}}}})
                    .at("run_id")
                    .get<int64_t>();
  Json r = h.GetRunJson(run, "2.2");
  EXPECT_EQ(r["run_type"], "JOB_RUN");
  EXPECT_EQ(r["job_id"], id);
  EXPECT_EQ(Task(r, "prepare")["state"]["life_cycle_state"], "PENDING");
  EXPECT_EQ(Task(r, "train")["state"]["life_cycle_state"], "BLOCKED");
  // prepare: 10 s pending + 20 s running + 5 s terminating.
  h.clock.Advance(absl::Seconds(34));
  r = h.GetRunJson(run);
  EXPECT_EQ(Task(r, "prepare")["state"]["life_cycle_state"], "TERMINATING");
  EXPECT_EQ(Task(r, "train")["state"]["life_cycle_state"], "BLOCKED");
  h.clock.Advance(absl::Seconds(2));
  r = h.GetRunJson(run);
  EXPECT_EQ(Task(r, "prepare")["state"]["result_state"], "SUCCESS");
  EXPECT_EQ(Task(r, "train")["state"]["life_cycle_state"], "PENDING");
  EXPECT_GE(Task(r, "train")["start_time"].get<int64_t>(),
            Task(r, "prepare")["end_time"].get<int64_t>());
  h.Finish(run);
  r = h.GetRunJson(run);
  EXPECT_EQ(r["state"]["result_state"], "SUCCESS");
  Json out = h.Output(Task(r, "prepare")["run_id"].get<int64_t>());
  EXPECT_EQ(out["notebook_output"]["result"], "2026-12-05");
  EXPECT_EQ(r["job_parameters"][0]["value"], "2026-12-05");
  Json listed =
      h.Get("/api/2.1/jobs/runs/list", {{"job_id", std::to_string(id)}, {"run_type", "JOB_RUN"}});
  EXPECT_EQ(listed["runs"].size(), 1u);
}

TEST_F(DatabricksJobsTest, FailedUpstreamTaskMarksDependentUpstreamFailed) {
  h.ImportNotebook("/Shared/prepare", "# cloudsim: fail \"no input\"\n");
  int64_t id = Create(TrainingJob());
  int64_t run = h.Post("/api/2.1/jobs/run-now", {{"job_id", id}}).at("run_id").get<int64_t>();
  h.Finish(run);
  Json r = h.GetRunJson(run);
  EXPECT_EQ(Task(r, "prepare")["state"]["result_state"], "FAILED");
  EXPECT_EQ(Task(r, "train")["state"]["result_state"], "UPSTREAM_FAILED");
  EXPECT_EQ(r["state"]["result_state"], "FAILED");
}

TEST_F(DatabricksJobsTest, RunBeyondMaxConcurrentRunsIsSkipped) {
  int64_t id = Create(TrainingJob());
  h.Post("/api/2.1/jobs/run-now", {{"job_id", id}});
  int64_t second = h.Post("/api/2.1/jobs/run-now", {{"job_id", id}}).at("run_id").get<int64_t>();
  Json r = h.GetRunJson(second);
  EXPECT_EQ(r["state"]["life_cycle_state"], "SKIPPED");
  EXPECT_THAT(r["state"]["state_message"].get<std::string>(), HasSubstr("maximum concurrent runs"));
}

TEST_F(DatabricksJobsTest, PermissionsGetPutPatchAndLevelsPerType) {
  int64_t id = Create(TrainingJob());
  const std::string path = "/api/2.0/permissions/jobs/" + std::to_string(id);
  Json acl = h.Get(path, {});
  EXPECT_EQ(acl["object_id"], "/jobs/" + std::to_string(id));
  EXPECT_EQ(acl["object_type"], "job");
  EXPECT_EQ(acl["access_control_list"][0]["all_permissions"][0]["permission_level"], "IS_OWNER");
  EXPECT_EQ(acl["access_control_list"].back()["group_name"], "admins");
  EXPECT_TRUE(acl["access_control_list"].back()["all_permissions"][0]["inherited"]);

  Json put =
      h.Ok("PUT", path,
           {{"access_control_list", Json::array({{{"group_name", "data-engineers"},
                                                  {"permission_level", "CAN_MANAGE_RUN"}}})}});
  ASSERT_EQ(put["access_control_list"].size(), 3u);  // owner kept, group, admins
  EXPECT_EQ(put["access_control_list"][1]["group_name"], "data-engineers");
  Json patched =
      h.Ok("PATCH", path,
           {{"access_control_list",
             Json::array({{{"user_name", "ana@example.com"}, {"permission_level", "CAN_VIEW"}}})}});
  EXPECT_EQ(patched["access_control_list"].size(), 4u);
  Response bad = h.Send("PUT", path,
                        {{"access_control_list",
                          Json::array({{{"group_name", "g"}, {"permission_level", "CAN_RUN"}}})}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("CAN_RUN is not supported on jobs"));
  EXPECT_EQ(h.Send("GET", "/api/2.0/permissions/jobs/999", nullptr).status, 404);
  Json levels = h.Get(path + "/permissionLevels", {});
  EXPECT_EQ(levels["permission_levels"].size(), 4u);

  h.Post("/api/2.1/jobs/delete", {{"job_id", id}});
  EXPECT_EQ(h.Send("GET", path, nullptr).status, 404);
}

TEST_F(DatabricksJobsTest, RunAsPrincipalWithoutCanRunIsPermissionDenied) {
  Json settings = TrainingJob();
  settings["run_as"] = {{"service_principal_name", "11111111-2222-3333-4444-555555555555"}};
  int64_t id = Create(settings);
  Response denied = h.Send("POST", "/api/2.1/jobs/run-now", {{"job_id", id}});
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(denied.body, HasSubstr("/Shared/prepare"));
  // CAN_RUN on the folder is inherited by both notebooks.
  Json dir = h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared"}});
  const std::string dir_path =
      "/api/2.0/permissions/directories/" + std::to_string(dir["object_id"].get<int64_t>());
  h.Ok("PATCH", dir_path,
       {{"access_control_list",
         Json::array({{{"service_principal_name", "11111111-2222-3333-4444-555555555555"},
                       {"permission_level", "CAN_RUN"}}})}});
  Json nb = h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared/train"}});
  Json inherited =
      h.Get("/api/2.0/permissions/notebooks/" + std::to_string(nb["object_id"].get<int64_t>()), {});
  EXPECT_EQ(inherited["access_control_list"][0]["all_permissions"][0]["inherited"], true);
  EXPECT_EQ(h.Send("POST", "/api/2.1/jobs/run-now", {{"job_id", id}}).status, 200);
}

TEST_F(DatabricksJobsTest, RunAsPrincipalWithoutReadOnTheSecretScopeCannotGetTheSecret) {
  const std::string bot = "etl-bot@example.com";
  h.Post("/api/2.0/secrets/scopes/create", {{"scope", "app"}});
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "k"}, {"string_value", "s3cr3t"}});
  h.ImportNotebook("/Shared/reads",
                   "v = dbutils.secrets.get(\"app\", \"k\")\ndbutils.notebook.exit(\"ok\")\n");
  Json dir = h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared"}});
  h.Ok("PATCH",
       "/api/2.0/permissions/directories/" + std::to_string(dir["object_id"].get<int64_t>()),
       {{"access_control_list",
         Json::array({{{"user_name", bot}, {"permission_level", "CAN_RUN"}}})}});
  Json settings = {{"name", "reads"},
                   {"run_as", {{"user_name", bot}}},
                   {"tasks", Json::array({{{"task_key", "main"},
                                           {"notebook_task", {{"notebook_path", "/Shared/reads"}}},
                                           {"new_cluster", Cluster()}}})}};
  int64_t id = Create(settings);
  auto run = [&] {
    int64_t run_id = h.Post("/api/2.2/jobs/run-now", {{"job_id", id}}).at("run_id").get<int64_t>();
    h.Finish(run_id);
    return h.GetRunJson(run_id);
  };
  Json denied = run();
  ASSERT_EQ(denied["state"]["result_state"], "FAILED");
  std::string error = h.Output(denied["tasks"][0]["run_id"].get<int64_t>())["error"];
  EXPECT_THAT(error, HasSubstr("PERMISSION_DENIED: User etl-bot@example.com does not have READ "
                               "permission on scope app"));
  EXPECT_THAT(error, Not(HasSubstr("s3cr3t")));
  // The API caller (a workspace admin) still reads it; a one-time run of the caller too.
  EXPECT_EQ(h.Send("GET", "/api/2.0/secrets/get", nullptr, {{"scope", "app"}, {"key", "k"}}).status,
            200);
  int64_t own = h.SubmitNotebook("/Shared/reads");
  h.Finish(own);
  EXPECT_EQ(h.GetRunJson(own)["state"]["result_state"], "SUCCESS");

  h.Post("/api/2.0/secrets/acls/put",
         {{"scope", "app"}, {"principal", bot}, {"permission", "READ"}});
  EXPECT_EQ(run()["state"]["result_state"], "SUCCESS");
  h.Post("/api/2.0/secrets/acls/delete", {{"scope", "app"}, {"principal", bot}});
  EXPECT_EQ(run()["state"]["result_state"], "FAILED");
}

TEST_F(DatabricksJobsTest, JobsRunsAndAclsSurviveSaveAndLoad) {
  int64_t id = Create(TrainingJob());
  int64_t run = h.Post("/api/2.1/jobs/run-now", {{"job_id", id}}).at("run_id").get<int64_t>();
  h.Ok("PUT", "/api/2.0/permissions/jobs/" + std::to_string(id),
       {{"access_control_list",
         Json::array({{{"group_name", "g"}, {"permission_level", "CAN_VIEW"}}})}});
  Json saved = h.ws->Save();
  h.Reset(1.0);
  ASSERT_TRUE(h.ws->Load(saved).ok());
  EXPECT_EQ(h.Get("/api/2.1/jobs/get", {{"job_id", std::to_string(id)}})["settings"]["name"],
            "training");
  h.Finish(run);
  EXPECT_EQ(h.GetRunJson(run)["state"]["result_state"], "SUCCESS");
  EXPECT_EQ(h.Get("/api/2.0/permissions/jobs/" + std::to_string(id),
                  {})["access_control_list"][1]["group_name"],
            "g");
}

}  // namespace
}  // namespace envctl::cloudsim::databricks::testing
