// End-to-end: the envctl binary against an in-process cloudsim, on a copy of
// examples/bikeshare. Converge from empty, prove the second apply writes nothing, create
// drift through the ordinary APIs (every policy: drift_policy_e2e_test.cc), prune
// and its guard, dependency order from cloudsim's request log.
#include <regex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/portal.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(BikeshareE2ETest, TestConvergesFromEmptyThenPlanIsEmptyAndReapplyWritesNothing) {
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("Apply complete for test"));
  EXPECT_THAT(applied.output, HasSubstr("[wave 0] rg (ResourceGroup) create"));

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("No changes."));

  ASSERT_OK(portal_->ResetStats());
  RunResult again = Apply();
  ASSERT_EQ(again.exit_code, 0) << again.output;
  auto writes = portal_->Writes();
  ASSERT_OK(writes);
  EXPECT_EQ(*writes, 0) << again.output;
}

TEST_F(BikeshareE2ETest, DevAndTestConvergeSideBySide) {
  RunResult applied = Apply(/*env=*/"");
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("Apply complete for dev"));
  EXPECT_THAT(applied.output, HasSubstr("Apply complete for test"));
  // DEV leaves the factory's definitions to ADF's Git mode: no pipeline there.
  auto dev_pipeline = portal_->Arm(
      "GET",
      portal_->RgPath("bikeshare-dev-rg") +
          "/providers/Microsoft.DataFactory/factories/bikeshare-dev-adf/pipelines/ApplyModel",
      "2018-06-01");
  EXPECT_FALSE(dev_pipeline.ok());
  auto test_pipeline = portal_->Arm(
      "GET",
      Rg() + "/providers/Microsoft.DataFactory/factories/bikeshare-test-adf/pipelines/ApplyModel",
      "2018-06-01");
  EXPECT_OK(test_pipeline);
}

TEST_F(BikeshareE2ETest, DependencyOrderFollowsReferences) {
  ConvergeTest();
  auto log = portal_->Admin("GET", "/requests");
  ASSERT_OK(log);
  const nlohmann::json& entries = log->is_array() ? *log : (*log)["requests"];
  auto first = [&](const std::string& method, const std::string& pattern) -> int {
    std::regex re(pattern, std::regex::icase);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].value("method", "") == method &&
          std::regex_search(entries[i].value("path", ""), re)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  int factory = first("PUT", "/factories/bikeshare-test-adf$");
  int vault = first("PUT", "/vaults/bikeshare-test-kv$");
  int secret = first("PUT", "^/secrets/databricks-token");
  int linked = first("PUT", "/linkedservices/AzureKeyVault$");
  int pipeline = first("PUT", "/pipelines/ApplyModel$");
  int import = first("POST", "/api/2.0/workspace/import");
  int submit = first("POST", "/jobs/runs/submit");
  ASSERT_GE(factory, 0);
  EXPECT_LT(factory, vault) << "the vault grants the factory's identity";
  EXPECT_LT(vault, secret);
  EXPECT_LT(secret, linked);
  EXPECT_LT(linked, pipeline);
  EXPECT_GE(import, 0);
  EXPECT_LT(import, submit) << "the integration test runs after the notebooks are deployed";
}

TEST_F(BikeshareE2ETest, DeletedNotebookIsShownAndRecreated) {
  ConvergeTest();
  ASSERT_OK(portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "POST",
                                "/api/2.0/workspace/delete",
                                {{"path", "/Shared/bikeshare/train"}}));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("~ notebooks (DatabricksNotebooks) [drift]"));
  EXPECT_THAT(plan.output, HasSubstr("/Shared/bikeshare/train"));
  ASSERT_EQ(Apply().exit_code, 0);
  EXPECT_OK(portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                "/api/2.0/workspace/get-status?path=/Shared/bikeshare/train"));
  EXPECT_EQ(Plan().exit_code, 0);
}

TEST_F(BikeshareE2ETest,
       TrainingJobPolicyAndPermissionsConvergeAndAScheduleChangedByHandIsRepaired) {
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("small-clusters (DatabricksClusterPolicy) create"));
  EXPECT_THAT(applied.output, HasSubstr("training (DatabricksJob) create"));
  EXPECT_THAT(applied.output, HasSubstr("training-permissions (DatabricksPermissions)"));
  ASSERT_EQ(Plan().exit_code, 0) << Plan().output;

  auto jobs = portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                  "/api/2.2/jobs/list?name=bikeshare-training&expand_tasks=true");
  ASSERT_OK(jobs);
  ASSERT_EQ((*jobs)["jobs"].size(), 1u) << jobs->dump();
  const nlohmann::json job = (*jobs)["jobs"][0];
  const std::string id = std::to_string(job["job_id"].get<int64_t>());
  EXPECT_EQ(job["settings"]["schedule"]["pause_status"], "UNPAUSED") << "TEST runs the schedule";
  EXPECT_EQ(job["settings"]["tasks"].size(), 2u);
  auto acl = portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                 "/api/2.0/permissions/jobs/" + id);
  ASSERT_OK(acl);
  EXPECT_THAT(acl->dump(), HasSubstr("data-engineers"));
  auto runs = portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                  "/api/2.2/jobs/runs/list?job_id=" + id);
  ASSERT_OK(runs);
  EXPECT_EQ((*runs)["runs"].size(), 1u) << "the JobRunTest ran the job once";
  // The job wrote what the Data Factory pipeline test reads (that test waits for it):
  // on cloudsim, as on Databricks, a read of an unwritten DBFS path fails the run.
  for (const char* part : {"holdout", "model"}) {
    auto written =
        portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                            std::string("/api/2.0/dbfs/get-status?path=/tmp/bikeshare/") + part);
    ASSERT_OK(written);
    EXPECT_EQ((*written)["is_dir"], true) << written->dump();
  }

  nlohmann::json settings = job["settings"];
  settings["schedule"]["quartz_cron_expression"] = "0 15 1 * * ?";
  ASSERT_OK(portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "POST",
                                "/api/2.2/jobs/reset",
                                {{"job_id", job["job_id"]}, {"new_settings", settings}}));
  RunResult drift = Plan();
  EXPECT_EQ(drift.exit_code, 2) << drift.output;
  EXPECT_THAT(drift.output, HasSubstr("training (DatabricksJob)"));
  ASSERT_EQ(Apply().exit_code, 0);
  auto repaired = portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                      "/api/2.2/jobs/get?job_id=" + id);
  ASSERT_OK(repaired);
  EXPECT_EQ((*repaired)["settings"]["schedule"]["quartz_cron_expression"], "0 0 3 * * ?");
  RunResult clean = Plan();
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
}

TEST_F(BikeshareE2ETest, RemovedAccessPolicyIsRepaired) {
  ConvergeTest();
  auto vault = portal_->Arm("GET", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv",
                            "2023-07-01");
  ASSERT_OK(vault);
  nlohmann::json policies = (*vault)["properties"]["accessPolicies"];
  ASSERT_EQ(policies.size(), 2u);
  // Remove the factory identity's policy (removing envctl's own would lock envctl out).
  nlohmann::json factory_policy;
  for (const auto& p : policies) {
    if (p.value("objectId", "") != sim_->object_id) factory_policy = p;
  }
  ASSERT_FALSE(factory_policy.is_null());
  nlohmann::json removed = {
      {"properties", {{"accessPolicies", nlohmann::json::array({factory_policy})}}}};
  ASSERT_OK(portal_->Arm(
      "PUT", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv/accessPolicies/remove",
      "2023-07-01", removed));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("~ keyvault (KeyVault) [drift]"));
  ASSERT_EQ(Apply().exit_code, 0);
  auto repaired = portal_->Arm(
      "GET", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv", "2023-07-01");
  ASSERT_OK(repaired);
  EXPECT_EQ((*repaired)["properties"]["accessPolicies"].size(), 2u);
  EXPECT_EQ(Plan().exit_code, 0);
}

// Only DEV copies the storage key into a secret scope (TEST uses a role assignment).
TEST_F(BikeshareE2ETest, RotatedStorageKeyRewritesTheSecretScopeOnce) {
  ASSERT_EQ(Apply("dev").exit_code, 0);
  ASSERT_OK(portal_->Arm(
      "POST",
      portal_->RgPath("bikeshare-dev-rg") +
          "/providers/Microsoft.Storage/storageAccounts/bikesharedevlake/regenerateKey",
      "2023-05-01", {{"keyName", "key1"}}));
  RunResult plan = Plan("dev");
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("secrets (DatabricksSecretScope)"));
  EXPECT_THAT(plan.output, Not(HasSubstr("\"key1\"")));  // never a key value
  ASSERT_EQ(Apply("dev").exit_code, 0);
  ASSERT_OK(portal_->ResetStats());
  ASSERT_EQ(Apply("dev").exit_code, 0);
  EXPECT_EQ(*portal_->Writes(), 0);
}

// TEST copies no key: its notebooks reach the lake as the job identity, which holds
// Storage Blob Data Contributor there. Without the role (and without a key) the
// integration test fails at the lake; with it back, it passes again.
TEST_F(BikeshareE2ETest, TestReachesTheLakeThroughTheRoleAssignmentAlone) {
  ConvergeTest();
  EXPECT_FALSE(portal_
                   ->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                "/api/2.0/secrets/list?scope=bikeshare")
                   .ok())
      << "TEST has no secret scope holding the storage key";
  // Without the assignment the notebooks cannot write the lake.
  Edit("resources/identity.yaml", "name: job-lake-access\nenabled: ${use_rbac}\n",
       "name: job-lake-access\nenabled: \"false\"\n");
  Edit("resources/databricks.yaml", "covers: [notebooks, model-library, \"${lake_access}\"]",
       "covers: [notebooks, model-library]");
  Edit("resources/datafactory.json",
       "\"covers\": [\"adf-definitions\", \"notebooks\", \"model-library\", \"${lake_access}\"]",
       "\"covers\": [\"adf-definitions\", \"notebooks\", \"model-library\"]");
  Apply();  // prunes the assignment (its tests may or may not run before that)
  ASSERT_OK(portal_->Arm("GET", portal_->RgPath("bikeshare-test-rg"), "2022-09-01"));
  // A change to the notebooks reruns the integration test, now without the role.
  Edit("notebooks/apply.py", "dbutils.notebook.exit(output)",
       "dbutils.notebook.exit(output + \"\")");
  RunResult refused = Apply();
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("AuthorizationPermissionMismatch")) << refused.output;
}

TEST_F(BikeshareE2ETest, ChangedTriggerIsStoppedRewrittenAndRestartedAlone) {
  ConvergeTest();
  const std::string trigger =
      Rg() +
      "/providers/Microsoft.DataFactory/factories/bikeshare-test-adf/triggers/HourlyApplyModel";
  auto live = portal_->Arm("GET", trigger, "2018-06-01");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["properties"]["runtimeState"], "Started");
  // Someone changes the schedule the way the ADF studio does: stop, edit, start.
  ASSERT_OK(portal_->Arm("POST", trigger + "/stop", "2018-06-01"));
  nlohmann::json edited = {{"properties", (*live)["properties"]}};
  edited["properties"].erase("runtimeState");
  edited["properties"]["typeProperties"]["recurrence"]["interval"] = 6;
  ASSERT_OK(portal_->Arm("PUT", trigger, "2018-06-01", edited));
  ASSERT_OK(portal_->Arm("POST", trigger + "/start", "2018-06-01"));

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("~ adf-definitions (DataFactoryDefinitions) [drift]"));
  EXPECT_THAT(plan.output,
              HasSubstr("trigger/HourlyApplyModel.typeProperties.recurrence.interval: 6 -> 1"));

  ASSERT_OK(portal_->ResetStats());
  auto before = portal_->Admin("GET", "/requests");
  ASSERT_OK(before);
  const size_t mark = (*before)["requests"].size();
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto after = portal_->Admin("GET", "/requests");
  ASSERT_OK(after);
  nlohmann::json log = nlohmann::json::array();
  for (size_t i = mark; i < (*after)["requests"].size(); ++i)
    log.push_back((*after)["requests"][i]);
  std::vector<int> stops = Indexes(log, "POST", "/triggers/HourlyApplyModel/stop");
  std::vector<int> puts = Indexes(log, "PUT", "/triggers/HourlyApplyModel");
  std::vector<int> starts = Indexes(log, "POST", "/triggers/HourlyApplyModel/start");
  ASSERT_EQ(stops.size(), 1u) << log.dump(1);
  ASSERT_EQ(puts.size(), 1u) << log.dump(1);
  ASSERT_EQ(starts.size(), 1u) << log.dump(1);
  EXPECT_LT(stops[0], puts[0]) << "a started trigger cannot be updated";
  EXPECT_LT(puts[0], starts[0]);
  // Only the trigger moved: no pipeline or linked service was rewritten.
  EXPECT_TRUE(Indexes(log, "PUT", "/pipelines/ApplyModel").empty());
  EXPECT_TRUE(Indexes(log, "PUT", "/linkedservices/AzureKeyVault").empty());
  EXPECT_EQ(*portal_->Writes(), 3) << log.dump(1);

  auto repaired = portal_->Arm("GET", trigger, "2018-06-01");
  ASSERT_OK(repaired);
  EXPECT_EQ((*repaired)["properties"]["typeProperties"]["recurrence"]["interval"], 1);
  EXPECT_EQ((*repaired)["properties"]["runtimeState"], "Started");
  EXPECT_EQ(Plan().exit_code, 0);
}

TEST_F(BikeshareE2ETest, StoppedTriggerIsStartedWithoutRewritingIt) {
  ConvergeTest();
  const std::string trigger =
      Rg() +
      "/providers/Microsoft.DataFactory/factories/bikeshare-test-adf/triggers/HourlyApplyModel";
  ASSERT_OK(portal_->Arm("POST", trigger + "/stop", "2018-06-01"));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output,
              HasSubstr("trigger/HourlyApplyModel.runtimeState: \"Stopped\" -> \"Started\""));
  ASSERT_OK(portal_->ResetStats());
  ASSERT_EQ(Apply().exit_code, 0);
  EXPECT_EQ(*portal_->Writes(), 1);  // the start call, nothing else
  auto live = portal_->Arm("GET", trigger, "2018-06-01");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["properties"]["runtimeState"], "Started");
}

TEST_F(BikeshareE2ETest, BadValueSurfacesTheServiceMessageBlocksDependentsAndTheNextApplyResumes) {
  // Only the service knows this region does not exist.
  Edit("resources/azure.yaml", "  vaultName: ${key_vault}\n",
       "  vaultName: ${key_vault}\n  location: marsnorth\n");
  RunResult failed = Apply();
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("keyvault (KeyVault) FAILED"));
  EXPECT_THAT(failed.output,
              HasSubstr("LocationNotAvailableForResourceType: The provided location 'marsnorth'"));
  EXPECT_THAT(failed.output, HasSubstr("databricks-token (KeyVaultSecret) blocked by keyvault"));
  EXPECT_THAT(failed.output,
              HasSubstr("adf-definitions (DataFactoryDefinitions) blocked by keyvault"));
  // Everything that does not need the vault went on.
  EXPECT_THAT(failed.output, HasSubstr("notebooks (DatabricksNotebooks) create"));
  EXPECT_THAT(failed.output, HasSubstr("integration-test (IntegrationTest) run"));

  Edit("resources/azure.yaml", "  location: marsnorth\n", "");
  RunResult resumed = Apply();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("keyvault (KeyVault) create"));
  EXPECT_THAT(resumed.output, HasSubstr("notebooks (DatabricksNotebooks) in sync"));
  // The notebook test already passed for this content: not run again.
  EXPECT_THAT(resumed.output, HasSubstr("integration-test (IntegrationTest) in sync"));
  EXPECT_EQ(Plan().exit_code, 0);
}

TEST_F(BikeshareE2ETest, PruneDeletesARemovedResourceAndTheGuardProtectsTheGroup) {
  ConvergeTest();
  // Remove the model library from the repo (and from what covers it).
  Edit("resources/databricks.yaml",
       "name: model-library\ndatabricksLibrary:\n  workspace: workspace\n  sourceFile: "
       "libs/bikeshare_model.py\n"
       "  dbfsPath: dbfs:/FileStore/bikeshare/bikeshare_model.py\n---\n",
       "");
  Edit("resources/databricks.yaml", "covers: [notebooks, model-library, \"${lake_access}\"]",
       "covers: [notebooks, \"${lake_access}\"]");
  Edit("resources/datafactory.json",
       "\"covers\": [\"adf-definitions\", \"notebooks\", \"model-library\", \"${lake_access}\"]",
       "\"covers\": [\"adf-definitions\", \"notebooks\", \"${lake_access}\"]");
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("- model-library (DatabricksLibrary)"));
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_FALSE(
      portal_
          ->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                       "/api/2.0/dbfs/get-status?path=/FileStore/bikeshare/bikeshare_model.py")
          .ok());

  // A repo that now declares only another group would prune the original group and all
  // it holds: refused without the flag.
  fs::remove_all(repo_ / "resources");
  fs::create_directories(repo_ / "resources");
  WriteFile(repo_ / "resources/other.yaml",
            "name: other\nresourceGroup:\n  groupName: bikeshare-other-rg\n");
  RunResult refused = Apply();
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("--allow-mass-prune"));
  EXPECT_OK(portal_->Arm("GET", Rg(), "2022-09-01"));
}

}  // namespace
}  // namespace envctl::testing
