// Data Factory against a running cloudsim: entity semantics, and pipeline runs that
// execute DatabricksNotebook activities with a PAT read from Key Vault as the factory's
// managed identity.

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kApi[] = "?api-version=2018-06-01";

class AdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.clock = &clock_;  // runs and LROs move when the test moves simulated time on
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    c_ = std::make_unique<SimClient>(*env_);
    ASSERT_EQ(c_->Arm("PUT", c_->Rg("rg") + "?api-version=2025-04-01", {{"location", "westeurope"}})
                  .status,
              201);
    cloudsim::Response f =
        c_->Arm("PUT", F() + kApi,
                {{"location", "westeurope"}, {"identity", {{"type", "SystemAssigned"}}}});
    ASSERT_EQ(f.status, 200) << f.body;
    principal_ = JsonOf(f)["identity"]["principalId"];
  }
  std::string F() { return c_->Rg("rg") + "/providers/Microsoft.DataFactory/factories/adf-1"; }
  cloudsim::Response Put(const std::string& kind, const std::string& name,
                         const nlohmann::json& props) {
    return c_->Arm("PUT", F() + "/" + kind + "/" + name + kApi, {{"properties", props}});
  }
  // Creates a vault where the test client can set secrets and the factory can `factory_perms`.
  std::string MakeVault(const std::string& name, nlohmann::json factory_perms) {
    nlohmann::json policies = {{{"tenantId", env_->tenant_id},
                                {"objectId", env_->object_id},
                                {"permissions", {{"secrets", {"get", "set", "list"}}}}}};
    if (!factory_perms.empty()) {
      policies.push_back({{"tenantId", env_->tenant_id},
                          {"objectId", principal_},
                          {"permissions", {{"secrets", factory_perms}}}});
    }
    cloudsim::Response v = c_->Arm(
        "PUT",
        c_->Rg("rg") + "/providers/Microsoft.KeyVault/vaults/" + name + "?api-version=2023-07-01",
        {{"location", "westeurope"},
         {"properties",
          {{"tenantId", env_->tenant_id},
           {"sku", {{"family", "A"}, {"name", "standard"}}},
           {"accessPolicies", policies}}}});
    EXPECT_EQ(v.status, 201) << v.body;
    return JsonOf(v)["properties"]["vaultUri"];
  }
  void SetSecret(const std::string& vault_uri, const std::string& name, const std::string& value) {
    ASSERT_EQ(c_->WithToken(kVaultScope, "PUT", vault_uri + "secrets/" + name + "?api-version=7.4",
                            {{"value", value}})
                  .status,
              200);
  }
  // Creates a Databricks workspace and waits for its URL.
  std::string MakeWorkspace() {
    std::string ws =
        c_->Rg("rg") + "/providers/Microsoft.Databricks/workspaces/dbw?api-version=2023-02-01";
    cloudsim::Response created =
        c_->Arm("PUT", ws,
                {{"location", "westeurope"},
                 {"sku", {{"name", "premium"}}},
                 {"properties", {{"managedResourceGroupId", c_->Rg("dbw-managed")}}}});
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_FALSE(created.headers["Azure-AsyncOperation"].empty());
    for (int i = 0; i < 500; ++i) {
      nlohmann::json status = JsonOf(c_->Arm("GET", created.headers["Azure-AsyncOperation"]));
      if (status.value("status", "") == "Succeeded") break;
      clock_.Advance(absl::Seconds(1));
    }
    return JsonOf(c_->Arm("GET", ws))["properties"].value("workspaceUrl", "");
  }
  void ImportNotebook(const std::string& host, const std::string& path, const std::string& source) {
    cloudsim::Response r =
        c_->WithToken(kDatabricksScope, "POST", "https://" + host + "/api/2.0/workspace/import",
                      {{"path", path},
                       {"format", "SOURCE"},
                       {"language", "PYTHON"},
                       {"overwrite", true},
                       {"content", absl::Base64Escape(source)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void MakePipeline(const std::string& vault_uri, const std::string& host,
                    const std::string& secret_name) {
    ASSERT_EQ(Put("linkedservices", "kv",
                  {{"type", "AzureKeyVault"}, {"typeProperties", {{"baseUrl", vault_uri}}}})
                  .status,
              200);
    ASSERT_EQ(Put("linkedservices", "dbx",
                  {{"type", "AzureDatabricks"},
                   {"typeProperties",
                    {{"domain", "https://" + host},
                     {"accessToken",
                      {{"type", "AzureKeyVaultSecret"},
                       {"store", {{"referenceName", "kv"}, {"type", "LinkedServiceReference"}}},
                       {"secretName", secret_name}}},
                     {"newClusterVersion", "13.3.x-scala2.12"},
                     {"newClusterNumOfWorker", "1"}}}})
                  .status,
              200);
    cloudsim::Response p = Put(
        "pipelines", "it",
        {{"parameters", {{"env", {{"type", "String"}, {"defaultValue", "dev"}}}}},
         {"activities",
          {{{"name", "RunNotebook"},
            {"type", "DatabricksNotebook"},
            {"linkedServiceName", {{"referenceName", "dbx"}, {"type", "LinkedServiceReference"}}},
            {"typeProperties",
             {{"notebookPath", "/Shared/it"},
              {"baseParameters", {{"env", "@pipeline().parameters.env"}}}}}}}}});
    ASSERT_EQ(p.status, 200) << p.body;
  }
  // Runs the pipeline to a terminal state; returns {run, activity}.
  std::pair<nlohmann::json, nlohmann::json> RunPipeline() {
    cloudsim::Response created =
        c_->Arm("POST", F() + "/pipelines/it/createRun" + kApi, nlohmann::json::object());
    EXPECT_EQ(created.status, 200) << created.body;
    std::string run_id = JsonOf(created)["runId"];
    nlohmann::json run;
    for (int i = 0; i < 1000; ++i) {
      run = JsonOf(c_->Arm("GET", F() + "/pipelineruns/" + run_id + kApi));
      std::string s = run.value("status", "");
      if (s == "Succeeded" || s == "Failed" || s == "Cancelled") break;
      clock_.Advance(absl::Seconds(1));
    }
    nlohmann::json acts =
        JsonOf(c_->Arm("POST", F() + "/pipelineruns/" + run_id + "/queryActivityruns" + kApi,
                       {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
                        {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}}));
    return {run, acts["value"].empty() ? nlohmann::json() : acts["value"][0]};
  }

  FakeClock clock_;
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> c_;
  std::string principal_;
};

TEST_F(AdfTest, EntitiesMaskSecretsCarryEtagsAndEnforceReferences) {
  cloudsim::Response ls =
      Put("linkedservices", "blob",
          {{"type", "AzureBlobStorage"},
           {"typeProperties",
            {{"connectionString", {{"type", "SecureString"}, {"value", "AccountKey=s3cr3t"}}}}}});
  ASSERT_EQ(ls.status, 200);
  EXPECT_EQ(JsonOf(ls)["properties"]["typeProperties"]["connectionString"]["value"], "**********");
  EXPECT_THAT(ls.body, ::testing::Not(HasSubstr("s3cr3t")));
  std::string etag = JsonOf(ls)["etag"];
  cloudsim::Response not_modified =
      c_->Raw("GET", F() + "/linkedservices/blob" + kApi, "",
              {{"Authorization", "Bearer " + c_->Token()}, {"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);

  cloudsim::Response dangling =
      Put("datasets", "ds",
          {{"type", "Binary"},
           {"linkedServiceName", {{"referenceName", "nope"}, {"type", "LinkedServiceReference"}}}});
  EXPECT_EQ(dangling.status, 400);
  EXPECT_THAT(dangling.body, HasSubstr("invalid reference 'nope'"));
  ASSERT_EQ(
      Put("datasets", "ds",
          {{"type", "Binary"},
           {"linkedServiceName", {{"referenceName", "blob"}, {"type", "LinkedServiceReference"}}}})
          .status,
      200);
  cloudsim::Response referenced = c_->Arm("DELETE", F() + "/linkedservices/blob" + kApi);
  EXPECT_EQ(referenced.status, 400);
  EXPECT_EQ(JsonOf(referenced)["error"]["message"],
            "The document cannot be deleted since it is referenced by ds.");

  ASSERT_EQ(
      Put("pipelines", "p",
          {{"activities",
            {{{"name", "w"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 1}}}}}}})
          .status,
      200);
  nlohmann::json trigger = {
      {"type", "ScheduleTrigger"},
      {"typeProperties",
       {{"recurrence",
         {{"frequency", "Hour"}, {"interval", 1}, {"startTime", "2024-01-01T00:00:00Z"}}}}},
      {"pipelines",
       {{{"pipelineReference", {{"referenceName", "p"}, {"type", "PipelineReference"}}}}}}};
  cloudsim::Response t = Put("triggers", "hourly", trigger);
  EXPECT_EQ(JsonOf(t)["properties"]["runtimeState"], "Stopped");
  EXPECT_EQ(c_->Arm("POST", F() + "/triggers/hourly/start" + kApi).status, 200);
  cloudsim::Response locked = Put("triggers", "hourly", trigger);
  EXPECT_EQ(locked.status, 400);
  EXPECT_EQ(ErrorCode(locked), "TriggerEnabledCannotUpdate");
  EXPECT_EQ(ErrorCode(c_->Arm("DELETE", F() + "/triggers/hourly" + kApi)),
            "TriggerEnabledCannotUpdate");
  EXPECT_EQ(c_->Arm("POST", F() + "/triggers/hourly/stop" + kApi).status, 200);
  EXPECT_EQ(c_->Arm("DELETE", F() + "/triggers/hourly" + kApi).status, 200);
  EXPECT_EQ(c_->Arm("DELETE", F() + "/triggers/hourly" + kApi).status, 204);
}

TEST_F(AdfTest, WaitPipelineRunsToSuccessAndCancelEndsCancelled) {
  ASSERT_EQ(
      Put("pipelines", "it",
          {{"activities",
            {{{"name", "w"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 1}}}}}}})
          .status,
      200);
  auto [run, act] = RunPipeline();
  EXPECT_EQ(run["status"], "Succeeded");
  EXPECT_EQ(act["activityName"], "w");
  EXPECT_EQ(act["status"], "Succeeded");

  ASSERT_EQ(Put("pipelines", "long",
                {{"activities",
                  {{{"name", "w"},
                    {"type", "Wait"},
                    {"typeProperties", {{"waitTimeInSeconds", 100000}}}}}}})
                .status,
            200);
  std::string run_id = JsonOf(
      c_->Arm("POST", F() + "/pipelines/long/createRun" + kApi, nlohmann::json::object()))["runId"];
  EXPECT_EQ(c_->Arm("POST", F() + "/pipelineruns/" + run_id + "/cancel" + kApi).status, 200);
  std::string status;
  for (int i = 0; i < 200 && status != "Cancelled"; ++i) {
    status = JsonOf(c_->Arm("GET", F() + "/pipelineruns/" + run_id + kApi)).value("status", "");
    if (status != "Cancelled") clock_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(status, "Cancelled");
  EXPECT_EQ(
      ErrorCode(c_->Arm("GET", F() + "/pipelineruns/00000000-0000-0000-0000-000000000000" + kApi)),
      "PipelineRunNotFound");
}

TEST_F(AdfTest, MissingKeyVaultSecretFailsTheNotebookActivityNamingSecretAndVault) {
  std::string vault = MakeVault("kv-adf1", {"get"});
  std::string host = MakeWorkspace();
  ASSERT_FALSE(host.empty());
  MakePipeline(vault, host, "databricks-pat");
  auto [run, act] = RunPipeline();
  EXPECT_EQ(run["status"], "Failed");
  EXPECT_EQ(act["status"], "Failed");
  std::string message = act["error"]["message"];
  EXPECT_THAT(message,
              HasSubstr("Failed to get the secret from key vault, secretName: databricks-pat"));
  EXPECT_THAT(message, HasSubstr("vaultBaseUrl: " + vault));
  EXPECT_THAT(message, HasSubstr("was not found in this key vault"));
  EXPECT_THAT(run["message"].get<std::string>(),
              HasSubstr("Operation on target RunNotebook failed"));
}

TEST_F(AdfTest, FactoryWithoutVaultPermissionFailsWithKeyVaultsForbiddenMessage) {
  std::string vault = MakeVault("kv-adf2", nlohmann::json::array());
  SetSecret(vault, "databricks-pat", "dapi-anything");
  std::string host = MakeWorkspace();
  MakePipeline(vault, host, "databricks-pat");
  auto [run, act] = RunPipeline();
  EXPECT_EQ(act["status"], "Failed");
  EXPECT_THAT(act["error"]["message"].get<std::string>(),
              HasSubstr("oid=" + principal_ + ";iss=https://sts.windows.net/" + env_->tenant_id +
                        "/' does not have secrets get permission on key vault 'kv-adf2"));
}

TEST_F(AdfTest, WrongPatInKeyVaultFailsWithInvalidAccessToken) {
  std::string vault = MakeVault("kv-adf3", {"get"});
  SetSecret(vault, "databricks-pat", "dapi0000000000000000000000000000bad");
  std::string host = MakeWorkspace();
  ImportNotebook(host, "/Shared/it",
                 "# Databricks notebook source\ndbutils.notebook.exit(\"ok\")\n");
  MakePipeline(vault, host, "databricks-pat");
  auto [run, act] = RunPipeline();
  EXPECT_EQ(run["status"], "Failed");
  EXPECT_EQ(act["status"], "Failed");
  EXPECT_THAT(act["error"]["message"].get<std::string>(), HasSubstr("Invalid access token"));
}

TEST_F(AdfTest, ValidPatRunsTheNotebookAndReportsItsExitValue) {
  std::string vault = MakeVault("kv-adf4", {"get"});
  std::string host = MakeWorkspace();
  cloudsim::Response pat =
      c_->WithToken(kDatabricksScope, "POST", "https://" + host + "/api/2.0/token/create",
                    {{"lifetime_seconds", 3600}, {"comment", "adf"}});
  ASSERT_EQ(pat.status, 200) << pat.body;
  SetSecret(vault, "databricks-pat", JsonOf(pat)["token_value"]);
  ImportNotebook(host, "/Shared/it",
                 "# Databricks notebook source\ndbutils.notebook.exit(\"ok\")\n");
  MakePipeline(vault, host, "databricks-pat");
  auto [run, act] = RunPipeline();
  EXPECT_EQ(run["status"], "Succeeded") << run.dump();
  EXPECT_EQ(act["status"], "Succeeded") << act.dump();
  EXPECT_EQ(act["output"]["runOutput"], "ok");
  EXPECT_FALSE(act["output"].value("runPageUrl", "").empty());
  EXPECT_EQ(act["input"]["baseParameters"]["env"], "dev");
}

}  // namespace
}  // namespace envctl::testing
