// Databricks workspace APIs against a cloudsim workspace created through ARM, reached at
// https:// + workspaceUrl through CloudSession::Databricks() (AAD) and, for the token
// API, DatabricksWithToken(pat): workspace import/export, secrets (scopes incl.
// AZURE_KEYVAULT, keys, ACLs), DBFS (inline and streamed), jobs runs, tokens.
#include <string>

#include "cloud/arm/databricks_workspaces.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/dbfs_api.h"
#include "cloud/databricks/jobs_api.h"
#include "cloud/databricks/secrets_api.h"
#include "cloud/databricks/tokens_api.h"
#include "cloud/databricks/workspace_api.h"
#include "cloud/errors.h"
#include "tests/cloud_integration/clients_fixture.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::envctl::cloud::databricks;  // NOLINT: many small types

class DatabricksIntegrationTest : public CloudClientsTest {
 protected:
  void SetUp() override {
    CloudClientsTest::SetUp();
    if (HasFatalFailure()) return;
    rg_ = Unique("rg-dbx-", 60);
    ASSERT_OK(
        arm::ResourceGroupsClient(*arm_, subscription()).CreateOrUpdate(rg_, "westeurope", {}));
    const std::string ws = Unique("ws-", 40);
    auto workspace =
        arm::DatabricksWorkspacesClient(*arm_, subscription())
            .CreateOrUpdate(rg_, ws,
                            {{"location", "westeurope"},
                             {"sku", {{"name", "premium"}}},
                             {"properties",
                              {{"managedResourceGroupId",
                                absl::StrCat("/subscriptions/", subscription(),
                                             "/resourceGroups/databricks-rg-", ws)}}}});
    ASSERT_OK(workspace);
    // The raw workspaceUrl (no scheme in Azure) is what DatabricksClient must accept.
    client_ = std::make_unique<DatabricksClient>(
        session_->Databricks(), (*workspace)["properties"]["workspaceUrl"].get<std::string>());
  }

  absl::StatusOr<databricks::Run> WaitForRun(const JobsApi& jobs, int64_t run_id) {
    for (int i = 0; i < 600; ++i) {
      auto run = jobs.GetRun(run_id);
      if (!run.ok() || run->state.IsTerminal()) return run;
      clock_->SleepFor(absl::Seconds(1));
    }
    return absl::DeadlineExceededError("run did not finish in 600 simulated seconds");
  }

  std::string rg_;
  std::unique_ptr<DatabricksClient> client_;
};

TEST_F(DatabricksIntegrationTest, WorkspaceImportExportListDelete) {
  WorkspaceApi ws(*client_);
  ASSERT_OK(ws.Mkdirs("/Shared/envctl/etl"));
  ASSERT_OK(ws.Mkdirs("/Shared/envctl/etl"));  // existing is fine
  ASSERT_OK(ws.ImportSource("/Shared/envctl/etl/ingest", "print(1)", Language::kPython, false));
  auto again = ws.ImportSource("/Shared/envctl/etl/ingest", "print(2)", Language::kPython, false);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("importing notebook")));
  ASSERT_OK(ws.ImportSource("/Shared/envctl/etl/ingest", "print(2)", Language::kPython, true));
  ASSERT_OK(ws.ImportSource("/Shared/envctl/etl/report", "select 1", Language::kSql, true));

  auto exported = ws.ExportSource("/Shared/envctl/etl/ingest");
  ASSERT_OK(exported);
  EXPECT_EQ(*exported, "# Databricks notebook source\nprint(2)");
  auto status = ws.GetStatus("/Shared/envctl/etl/report");
  ASSERT_OK(status);
  EXPECT_EQ(status->object_type, "NOTEBOOK");
  EXPECT_EQ(status->language, "SQL");
  auto list = ws.List("/Shared/envctl/etl");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 2u);
  ASSERT_OK(ws.Mkdirs("/Shared/envctl/empty"));
  auto empty = ws.List("/Shared/envctl/empty");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());

  EXPECT_THAT(ws.Delete("/Shared/envctl/etl", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  ASSERT_OK(ws.Delete("/Shared/envctl/etl", true));
  auto gone = ws.GetStatus("/Shared/envctl/etl/ingest");
  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_EQ(ServiceErrorCode(gone.status()), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_THAT(ws.ImportSource("/Shared/missing/dir/nb", "print(1)", Language::kPython, true),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DatabricksIntegrationTest, SecretScopesKeysAndAcls) {
  SecretsApi secrets(*client_);
  ASSERT_OK(secrets.CreateScope("app", std::nullopt, "users"));
  EXPECT_THAT(secrets.CreateScope("APP"), StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_OK(secrets.CreateScope(
      "kv-backed",
      KeyVaultBackend{absl::StrCat("/subscriptions/", subscription(), "/resourceGroups/", rg_,
                                   "/providers/Microsoft.KeyVault/vaults/kv1"),
                      "https://kv1.vault.azure.net/"}));
  auto scopes = secrets.ListScopes();
  ASSERT_OK(scopes);
  ASSERT_EQ(scopes->size(), 2u);
  for (const auto& s : *scopes) {
    if (s.name == "kv-backed") {
      EXPECT_EQ(s.backend_type, "AZURE_KEYVAULT");
      ASSERT_TRUE(s.keyvault.has_value());
      EXPECT_EQ(s.keyvault->dns_name, "https://kv1.vault.azure.net/");
    }
  }

  const std::string value = "dbx-secret-value-4242";
  RegisterSecret(value);
  ASSERT_OK(secrets.PutSecret("app", "db-password", value));
  ASSERT_OK(secrets.PutSecret("app", "db-password", value));  // overwrite is fine
  auto keys = secrets.ListSecrets("app");
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key, "db-password");
  EXPECT_GT((*keys)[0].last_updated_timestamp, 0);
  auto readonly = secrets.PutSecret("kv-backed", "x", value);
  EXPECT_FALSE(readonly.ok());
  EXPECT_THAT(std::string(readonly.message()), ::testing::Not(HasSubstr(value)));
  EXPECT_THAT(secrets.PutSecret("no-scope", "x", value),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  ASSERT_OK(secrets.PutAcl("app", "data-eng", "READ"));
  auto acls = secrets.ListAcls("app");
  ASSERT_OK(acls);
  bool found = false;
  for (const auto& a : *acls) found |= a.principal == "data-eng" && a.permission == "READ";
  EXPECT_TRUE(found);
  ASSERT_OK(secrets.DeleteAcl("app", "data-eng"));
  ASSERT_OK(secrets.DeleteSecret("app", "db-password"));
  auto none = secrets.ListSecrets("app");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  ASSERT_OK(secrets.DeleteScope("app"));
  EXPECT_THAT(secrets.DeleteScope("app"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DatabricksIntegrationTest, DbfsInlineAndStreamedFiles) {
  DbfsApi dbfs(*client_);
  ASSERT_OK(dbfs.Mkdirs("/envctl/libs"));
  ASSERT_OK(dbfs.Put("/envctl/libs/small.txt", "hello dbfs", true));
  EXPECT_THAT(dbfs.Put("/envctl/libs/small.txt", "again", false),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));

  std::string big(2'500'000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7) % 251);
  ASSERT_OK(dbfs.Put("/envctl/libs/big.whl", big, true));
  EXPECT_EQ(CountLogs("/api/2.0/dbfs/add-block"), 3);
  auto status = dbfs.GetStatus("/envctl/libs/big.whl");
  ASSERT_OK(status);
  EXPECT_EQ(status->file_size, 2'500'000);
  EXPECT_FALSE(status->is_dir);
  auto back = dbfs.ReadAll("/envctl/libs/big.whl");
  ASSERT_OK(back);
  EXPECT_TRUE(*back == big) << "round trip differs (" << back->size() << " bytes)";
  auto head = dbfs.Read("/envctl/libs/small.txt", 0, 5);
  ASSERT_OK(head);
  EXPECT_EQ(*head, "hello");

  auto files = dbfs.List("/envctl/libs");
  ASSERT_OK(files);
  EXPECT_EQ(files->size(), 2u);
  ASSERT_OK(dbfs.Delete("/envctl", true));
  EXPECT_THAT(dbfs.GetStatus("/envctl/libs/small.txt"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DatabricksIntegrationTest, JobsRunsSubmitGetOutputCancelList) {
  WorkspaceApi ws(*client_);
  ASSERT_OK(ws.Mkdirs("/Shared/tests"));
  ASSERT_OK(ws.ImportSource("/Shared/tests/ok",
                            "env = dbutils.widgets.get(\"env\")\ndbutils.notebook.exit(env)",
                            Language::kPython, true));
  ASSERT_OK(ws.ImportSource("/Shared/tests/bad", "raise ValueError(\"bad input\")",
                            Language::kPython, true));
  JobsApi jobs(*client_);
  auto spec = [](const std::string& path) {
    return nlohmann::json{
        {"run_name", "envctl-it"},
        {"tasks",
         {{{"task_key", "main"},
           {"notebook_task", {{"notebook_path", path}, {"base_parameters", {{"env", "test"}}}}},
           {"new_cluster",
            {{"spark_version", "13.3.x-scala2.12"},
             {"node_type_id", "Standard_DS3_v2"},
             {"num_workers", 1}}}}}}};
  };

  auto run_id = jobs.SubmitRun(spec("/Shared/tests/ok"), "envctl-it-ok-1");
  ASSERT_OK(run_id);
  // The same idempotency token returns the same run instead of starting another.
  auto same = jobs.SubmitRun(spec("/Shared/tests/ok"), "envctl-it-ok-1");
  ASSERT_OK(same);
  EXPECT_EQ(*same, *run_id);
  auto run = WaitForRun(jobs, *run_id);
  ASSERT_OK(run);
  EXPECT_TRUE(run->state.Succeeded())
      << run->state.life_cycle_state << "/" << run->state.result_state << ": "
      << run->state.state_message;
  EXPECT_FALSE(run->run_page_url.empty());
  ASSERT_EQ(run->tasks.size(), 1u);
  auto output = jobs.GetRunOutput(run->tasks[0].run_id);
  ASSERT_OK(output);
  ASSERT_TRUE(output->notebook_result.has_value());
  EXPECT_EQ(*output->notebook_result, "test");

  auto bad_id = jobs.SubmitRun(spec("/Shared/tests/bad"), "");
  ASSERT_OK(bad_id);
  auto bad = WaitForRun(jobs, *bad_id);
  ASSERT_OK(bad);
  EXPECT_EQ(bad->state.result_state, "FAILED");
  ASSERT_EQ(bad->tasks.size(), 1u);
  auto bad_output = jobs.GetRunOutput(bad->tasks[0].run_id);
  ASSERT_OK(bad_output);
  EXPECT_THAT(bad_output->error, HasSubstr("bad input"));

  ASSERT_OK(ws.ImportSource("/Shared/tests/slow", "# cloudsim: sleep 3600\nprint(1)",
                            Language::kPython, true));
  auto slow_id = jobs.SubmitRun(spec("/Shared/tests/slow"), "");
  ASSERT_OK(slow_id);
  ASSERT_OK(jobs.CancelRun(*slow_id));
  auto cancelled = WaitForRun(jobs, *slow_id);
  ASSERT_OK(cancelled);
  EXPECT_EQ(cancelled->state.result_state, "CANCELED");

  ListRunsOptions list_options;
  list_options.run_type = "SUBMIT_RUN";
  list_options.limit = 2;  // three runs → two pages
  auto runs = jobs.ListRuns(list_options);
  ASSERT_OK(runs);
  EXPECT_EQ(runs->size(), 3u);

  auto missing = jobs.GetRun(999999999);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(DatabricksIntegrationTest, TokensCreateListUseAndDelete) {
  TokensApi tokens(*client_);
  auto created = tokens.Create(3600, "envctl-it");
  ASSERT_OK(created);
  RegisterSecret(created->token_value);
  EXPECT_EQ(created->token_value.rfind("dapi", 0), 0u);

  // The PAT works on its own pipeline.
  std::unique_ptr<HttpTransport> pat_transport =
      session_->DatabricksWithToken(created->token_value);
  DatabricksClient pat_client(*pat_transport, client_->workspace_url());
  auto listed = TokensApi(pat_client).List();
  ASSERT_OK(listed);
  bool found = false;
  for (const auto& t : *listed)
    found |= t.token_id == created->info.token_id && t.comment == "envctl-it";
  EXPECT_TRUE(found);

  ASSERT_OK(tokens.Delete(created->info.token_id));
  auto rejected = WorkspaceApi(pat_client).List("/");
  EXPECT_THAT(rejected, StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(std::string(rejected.status().message()),
              ::testing::Not(HasSubstr(created->token_value)));
}

}  // namespace
}  // namespace envctl::cloud
