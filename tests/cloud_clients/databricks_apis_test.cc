// Databricks workspace APIs: request shapes, response parsing (missing arrays = empty),
// error mapping (error_code string or int, 400 RESOURCE_ALREADY_EXISTS, missing runs),
// DBFS streaming and retry-safety flags.
#include <string>

#include "absl/strings/escaping.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/dbfs_api.h"
#include "cloud/databricks/jobs_api.h"
#include "cloud/databricks/secrets_api.h"
#include "cloud/databricks/tokens_api.h"
#include "cloud/databricks/workspace_api.h"
#include "cloud/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::databricks {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::BodyOf;
using testutil::PathOf;
using testutil::QueryOf;

class DatabricksTest : public ::testing::Test {
 protected:
  HttpRequest Last() { return transport_.Requests().back(); }
  FakeTransport transport_;
  DatabricksClient client_{transport_, "adb-123.4.azuredatabricks.net/"};
};

TEST_F(DatabricksTest, WorkspaceUrlGetsSchemeAndLosesTrailingSlash) {
  EXPECT_EQ(client_.workspace_url(), "https://adb-123.4.azuredatabricks.net");
  EXPECT_EQ(DatabricksClient::NormalizeWorkspaceUrl("https://127.0.0.1:9000/"),
            "https://127.0.0.1:9000");
}

TEST_F(DatabricksTest, EmptyBodyIsEmptyObject) {
  transport_.Enqueue("POST", "/api/2.0/workspace/mkdirs", 200, "");
  WorkspaceApi ws(client_);
  EXPECT_OK(ws.Mkdirs("/Shared/a/b"));
  EXPECT_EQ(Last().url, "https://adb-123.4.azuredatabricks.net/api/2.0/workspace/mkdirs");
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"path", "/Shared/a/b"}}));
  EXPECT_TRUE(Last().IsIdempotent());
}

// --- errors ---

TEST_F(DatabricksTest, ErrorCodesMapWhetherStringOrInt) {
  transport_.Enqueue(
      "GET", "/workspace/get-status", 404,
      R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Path (/x) doesn't exist."})");
  auto missing = WorkspaceApi(client_).GetStatus("/x");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("doesn't exist")));
  EXPECT_EQ(ServiceErrorCode(missing.status()), "RESOURCE_DOES_NOT_EXIST");

  transport_.Enqueue("GET", "/secrets/scopes/list", 403,
                     R"({"error_code":403,"message":"Invalid access token."})");
  auto denied = SecretsApi(client_).ListScopes();
  EXPECT_THAT(denied,
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Invalid access token")));
  EXPECT_EQ(ServiceErrorCode(denied.status()), "403");
}

TEST_F(DatabricksTest, AlreadyExistsSentAs400IsAlreadyExists) {
  transport_.Enqueue(
      "POST", "/workspace/import", 400,
      R"({"error_code":"RESOURCE_ALREADY_EXISTS","message":"Node named 'nb' already exists"})");
  absl::Status st =
      WorkspaceApi(client_).ImportSource("/Shared/nb", "print(1)", Language::kPython, false);
  EXPECT_THAT(
      st, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("importing notebook /Shared/nb")));
}

TEST_F(DatabricksTest, UnknownRunSentAs400IsNotFound) {
  transport_.Enqueue(
      "GET", "/jobs/runs/get", 400,
      R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Run 42 does not exist."})");
  EXPECT_THAT(JobsApi(client_).GetRun(42),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Run 42")));
}

TEST_F(DatabricksTest, ThrottledIsResourceExhaustedWithRetryAfter) {
  transport_.Enqueue("POST", "/jobs/runs/submit", 429,
                     R"({"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"})",
                     {{"Retry-After", "3"}});
  auto got = JobsApi(client_).SubmitRun({{"run_name", "x"}}, "tok");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("slow down")));
  EXPECT_EQ(RetryAfter(got.status()), absl::Seconds(3));
}

// --- workspace ---

TEST_F(DatabricksTest, ImportSourceSendsBase64AndOverwriteMakesItRetrySafe) {
  transport_.Enqueue("POST", "/workspace/import", 200, "{}");
  ASSERT_OK(WorkspaceApi(client_).ImportSource("/Shared/etl/ingest", "print(1)", Language::kPython,
                                               true));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"path", "/Shared/etl/ingest"},
                                            {"format", "SOURCE"},
                                            {"language", "PYTHON"},
                                            {"content", absl::Base64Escape("print(1)")},
                                            {"overwrite", true}}));
  EXPECT_TRUE(Last().IsIdempotent());
  transport_.Enqueue("POST", "/workspace/import", 200, "{}");
  ASSERT_OK(WorkspaceApi(client_).ImportSource("/Shared/q", "select 1", Language::kSql, false));
  EXPECT_EQ(BodyOf(Last())["language"], "SQL");
  EXPECT_FALSE(Last().IsIdempotent());
}

TEST_F(DatabricksTest, ExportDecodesSource) {
  transport_.Enqueue(
      "GET", "/workspace/export", 200,
      nlohmann::json({{"content", absl::Base64Escape("# Databricks notebook source\nprint(1)")},
                      {"file_type", "py"}})
          .dump());
  auto got = WorkspaceApi(client_).ExportSource("/Shared/nb b");
  ASSERT_OK(got);
  EXPECT_EQ(*got, "# Databricks notebook source\nprint(1)");
  EXPECT_EQ(QueryOf(Last().url)["path"], "/Shared/nb b");
  EXPECT_EQ(QueryOf(Last().url)["format"], "SOURCE");
  EXPECT_EQ(Last().method, "GET");
}

TEST_F(DatabricksTest, GetStatusListAndDelete) {
  transport_.Enqueue(
      "GET", "/workspace/get-status", 200,
      R"({"object_type":"NOTEBOOK","path":"/Shared/nb","language":"PYTHON","object_id":123456789012345,"modified_at":1700000000000})");
  auto info = WorkspaceApi(client_).GetStatus("/Shared/nb");
  ASSERT_OK(info);
  EXPECT_EQ(info->object_type, "NOTEBOOK");
  EXPECT_EQ(info->language, "PYTHON");
  EXPECT_EQ(info->object_id, 123456789012345);
  EXPECT_EQ(info->modified_at, 1700000000000);

  transport_.Enqueue("GET", "/workspace/list", 200, "{}");
  auto empty = WorkspaceApi(client_).List("/Shared/empty");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  transport_.Enqueue(
      "GET", "/workspace/list", 200,
      R"({"objects":[{"object_type":"DIRECTORY","path":"/Shared/d"},{"object_type":"NOTEBOOK","path":"/Shared/n"}]})");
  auto list = WorkspaceApi(client_).List("/Shared");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 2u);

  transport_.Enqueue(
      "POST", "/workspace/delete", 400,
      R"({"error_code":"DIRECTORY_NOT_EMPTY","message":"Folder /Shared/d is not empty"})");
  EXPECT_THAT(WorkspaceApi(client_).Delete("/Shared/d", false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
  transport_.Enqueue("POST", "/workspace/delete", 200, "{}");
  ASSERT_OK(WorkspaceApi(client_).Delete("/Shared/d", true));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"path", "/Shared/d"}, {"recursive", true}}));
}

// --- secrets ---

TEST_F(DatabricksTest, CreateScopeDatabricksAndKeyVaultBacked) {
  SecretsApi secrets(client_);
  transport_.Enqueue("POST", "/secrets/scopes/create", 200, "{}");
  ASSERT_OK(secrets.CreateScope("app", std::nullopt, "users"));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"scope", "app"},
                                            {"initial_manage_principal", "users"},
                                            {"scope_backend_type", "DATABRICKS"}}));
  transport_.Enqueue("POST", "/secrets/scopes/create", 200, "{}");
  ASSERT_OK(secrets.CreateScope(
      "kv",
      KeyVaultBackend{"/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv",
                      "https://kv.vault.azure.net/"}));
  EXPECT_EQ(BodyOf(Last()),
            nlohmann::json(
                {{"scope", "kv"},
                 {"scope_backend_type", "AZURE_KEYVAULT"},
                 {"backend_azure_keyvault",
                  {{"resource_id",
                    "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"},
                   {"dns_name", "https://kv.vault.azure.net/"}}}}));
}

TEST_F(DatabricksTest, ListScopesParsesBackends) {
  transport_.Enqueue("GET", "/secrets/scopes/list", 200,
                     R"({"scopes":[{"name":"app","backend_type":"DATABRICKS"},
                                   {"name":"kv","backend_type":"AZURE_KEYVAULT","keyvault_metadata":{"resource_id":"rid","dns_name":"https://kv/"}}]})");
  auto scopes = SecretsApi(client_).ListScopes();
  ASSERT_OK(scopes);
  ASSERT_EQ(scopes->size(), 2u);
  EXPECT_FALSE((*scopes)[0].keyvault.has_value());
  ASSERT_TRUE((*scopes)[1].keyvault.has_value());
  EXPECT_EQ((*scopes)[1].keyvault->dns_name, "https://kv/");
  transport_.Enqueue("GET", "/secrets/scopes/list", 200, "{}");
  auto none = SecretsApi(client_).ListScopes();
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(DatabricksTest, PutSecretIsRetrySafeAndNeverLeaksTheValue) {
  transport_.Enqueue("POST", "/secrets/put", 200, "{}");
  ASSERT_OK(SecretsApi(client_).PutSecret("app", "db-password", "pa55-w0rd-value"));
  EXPECT_EQ(BodyOf(Last()),
            nlohmann::json(
                {{"scope", "app"}, {"key", "db-password"}, {"string_value", "pa55-w0rd-value"}}));
  EXPECT_TRUE(Last().IsIdempotent());

  transport_.Enqueue(
      "POST", "/secrets/put", 400,
      R"({"error_code":"INVALID_PARAMETER_VALUE","message":"bad value pa55-w0rd-value"})");
  absl::Status st = SecretsApi(client_).PutSecret("app", "db-password", "pa55-w0rd-value");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad value")));
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("pa55-w0rd-value")));
}

TEST_F(DatabricksTest, ListSecretsAndAcls) {
  SecretsApi secrets(client_);
  transport_.Enqueue(
      "GET", "/secrets/list", 200,
      R"({"secrets":[{"key":"db-password","last_updated_timestamp":1520467595000}]})");
  auto keys = secrets.ListSecrets("app");
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key, "db-password");
  EXPECT_EQ((*keys)[0].last_updated_timestamp, 1520467595000);
  EXPECT_EQ(QueryOf(Last().url)["scope"], "app");

  transport_.Enqueue("POST", "/secrets/delete", 200, "{}");
  ASSERT_OK(secrets.DeleteSecret("app", "db-password"));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"scope", "app"}, {"key", "db-password"}}));

  transport_.Enqueue("POST", "/secrets/acls/put", 200, "{}");
  ASSERT_OK(secrets.PutAcl("app", "data-eng", "READ"));
  EXPECT_EQ(BodyOf(Last()),
            nlohmann::json({{"scope", "app"}, {"principal", "data-eng"}, {"permission", "READ"}}));
  transport_.Enqueue(
      "GET", "/secrets/acls/list", 200,
      R"({"items":[{"principal":"admins","permission":"MANAGE"},{"principal":"data-eng","permission":"READ"}]})");
  auto acls = secrets.ListAcls("app");
  ASSERT_OK(acls);
  ASSERT_EQ(acls->size(), 2u);
  EXPECT_EQ((*acls)[1].permission, "READ");
  transport_.Enqueue("POST", "/secrets/acls/delete", 200, "{}");
  ASSERT_OK(secrets.DeleteAcl("app", "data-eng"));
  transport_.Enqueue(
      "POST", "/secrets/scopes/delete", 404,
      R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Scope app does not exist!"})");
  EXPECT_THAT(secrets.DeleteScope("app"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Scope app")));
}

// --- DBFS ---

TEST_F(DatabricksTest, SmallFileIsOneInlinePut) {
  transport_.Enqueue("POST", "/dbfs/put", 200, "{}");
  ASSERT_OK(DbfsApi(client_).Put("/tmp/a.txt", "hello", true));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"path", "/tmp/a.txt"},
                                            {"contents", absl::Base64Escape("hello")},
                                            {"overwrite", true}}));
  EXPECT_EQ(transport_.Count(), 1);
}

TEST_F(DatabricksTest, LargeFileStreamsInOneMegabyteBlocks) {
  std::string data(2'500'000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  transport_.Enqueue("POST", "/dbfs/create", 200, R"({"handle":987654321})");
  transport_.Always("POST", "/dbfs/add-block", 200, "{}");
  transport_.Enqueue("POST", "/dbfs/close", 200, "{}");
  ASSERT_OK(DbfsApi(client_).Put("/libs/big.whl", data, true));

  const auto requests = transport_.Requests();
  std::vector<std::string> paths;
  for (const auto& r : requests) paths.push_back(PathOf(r.url));
  EXPECT_THAT(paths, ElementsAre("/api/2.0/dbfs/create", "/api/2.0/dbfs/add-block",
                                 "/api/2.0/dbfs/add-block", "/api/2.0/dbfs/add-block",
                                 "/api/2.0/dbfs/close"));
  EXPECT_EQ(BodyOf(requests[0]), nlohmann::json({{"path", "/libs/big.whl"}, {"overwrite", true}}));
  std::string reassembled;
  for (int i = 1; i <= 3; ++i) {
    const nlohmann::json body = BodyOf(requests[i]);
    EXPECT_EQ(body["handle"], 987654321);
    std::string block;
    ASSERT_TRUE(absl::Base64Unescape(body["data"].get<std::string>(), &block));
    EXPECT_LE(block.size(), kDbfsMaxBlockBytes);
    reassembled += block;
    EXPECT_FALSE(requests[i].IsIdempotent());
  }
  EXPECT_EQ(reassembled, data);
  EXPECT_EQ(BodyOf(requests[4]), nlohmann::json({{"handle", 987654321}}));
}

TEST_F(DatabricksTest, FailedBlockNamesTheBlockAndDoesNotClose) {
  transport_.Enqueue("POST", "/dbfs/create", 200, R"({"handle":7})");
  transport_.Enqueue("POST", "/dbfs/add-block", 200, "{}");
  transport_.Enqueue("POST", "/dbfs/add-block", 400,
                     R"({"error_code":"MAX_BLOCK_SIZE_EXCEEDED","message":"too big"})");
  absl::Status st = DbfsApi(client_, 4).Put("/tmp/x", "0123456789", false);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("block 2 of 3")));
  EXPECT_EQ(transport_.Count("POST", "/dbfs/close"), 0);
}

TEST_F(DatabricksTest, ReadAllReadsWindowsUntilFileSize) {
  transport_.Enqueue("GET", "/dbfs/get-status", 200,
                     R"({"path":"/f","is_dir":false,"file_size":10})");
  transport_.Enqueue(
      "GET", "/dbfs/read", 200,
      nlohmann::json({{"bytes_read", 4}, {"data", absl::Base64Escape("0123")}}).dump());
  transport_.Enqueue(
      "GET", "/dbfs/read", 200,
      nlohmann::json({{"bytes_read", 4}, {"data", absl::Base64Escape("4567")}}).dump());
  transport_.Enqueue(
      "GET", "/dbfs/read", 200,
      nlohmann::json({{"bytes_read", 2}, {"data", absl::Base64Escape("89")}}).dump());
  auto got = DbfsApi(client_, 4).ReadAll("/f");
  ASSERT_OK(got);
  EXPECT_EQ(*got, "0123456789");
  EXPECT_EQ(QueryOf(Last().url)["offset"], "8");
  EXPECT_EQ(QueryOf(Last().url)["length"], "4");
}

TEST_F(DatabricksTest, DbfsStatusListDeleteMkdirs) {
  DbfsApi dbfs(client_);
  transport_.Enqueue(
      "GET", "/dbfs/list", 200,
      R"({"files":[{"path":"/d/a","is_dir":false,"file_size":3,"modification_time":1700000000000},
                                  {"path":"/d/sub","is_dir":true,"file_size":0}]})");
  auto files = dbfs.List("/d");
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 2u);
  EXPECT_TRUE((*files)[1].is_dir);
  EXPECT_EQ((*files)[0].file_size, 3);
  transport_.Enqueue("GET", "/dbfs/list", 200, "{}");
  auto empty = dbfs.List("/empty");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  transport_.Enqueue("POST", "/dbfs/delete", 200, "{}");
  ASSERT_OK(dbfs.Delete("/d", true));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"path", "/d"}, {"recursive", true}}));
  transport_.Enqueue("POST", "/dbfs/mkdirs", 200, "{}");
  ASSERT_OK(dbfs.Mkdirs("/d/e"));
  transport_.Enqueue(
      "GET", "/dbfs/get-status", 404,
      R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"No file or directory exists on path /nope."})");
  EXPECT_THAT(dbfs.GetStatus("/nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nope")));
}

// --- jobs ---

TEST_F(DatabricksTest, SubmitRunAddsIdempotencyTokenAndIsRetrySafe) {
  transport_.Enqueue("POST", "/api/2.1/jobs/runs/submit", 200, R"({"run_id":455644833})");
  const nlohmann::json run = {
      {"run_name", "envctl-check"},
      {"tasks",
       {{{"task_key", "main"},
         {"notebook_task",
          {{"notebook_path", "/Shared/nb"}, {"base_parameters", {{"env", "test"}}}}},
         {"existing_cluster_id", "c-1"}}}}};
  auto id = JobsApi(client_).SubmitRun(run, "envctl-abc123");
  ASSERT_OK(id);
  EXPECT_EQ(*id, 455644833);
  nlohmann::json want = run;
  want["idempotency_token"] = "envctl-abc123";
  EXPECT_EQ(BodyOf(Last()), want);
  EXPECT_TRUE(Last().IsIdempotent());
}

TEST_F(DatabricksTest, SubmitRunGeneratesATokenWhenNoneGivenAndRejectsLongOnes) {
  transport_.Enqueue("POST", "/runs/submit", 200, R"({"run_id":1})");
  ASSERT_OK(JobsApi(client_).SubmitRun({{"run_name", "x"}}, ""));
  const std::string token = BodyOf(Last())["idempotency_token"];
  EXPECT_FALSE(token.empty());
  EXPECT_LE(token.size(), 64u);
  EXPECT_THAT(JobsApi(client_).SubmitRun({{"run_name", "x"}}, std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit is 64")));
  EXPECT_EQ(transport_.Count(), 1);
}

TEST_F(DatabricksTest, GetRunParsesStatesAndTasks) {
  transport_.Enqueue("GET", "/jobs/runs/get", 200, R"({
    "run_id":455644833,"run_name":"envctl-check","run_page_url":"https://adb/run/1",
    "state":{"life_cycle_state":"TERMINATED","result_state":"FAILED","state_message":"Workload failed"},
    "start_time":1700000000000,"end_time":1700000100000,
    "tasks":[{"run_id":455644834,"task_key":"main",
              "state":{"life_cycle_state":"TERMINATED","result_state":"FAILED"},"run_page_url":"https://adb/run/2"}]})");
  auto run = JobsApi(client_).GetRun(455644833);
  ASSERT_OK(run);
  EXPECT_EQ(QueryOf(Last().url)["run_id"], "455644833");
  EXPECT_TRUE(run->state.IsTerminal());
  EXPECT_FALSE(run->state.Succeeded());
  EXPECT_EQ(run->state.result_state, "FAILED");
  EXPECT_EQ(run->state.state_message, "Workload failed");
  EXPECT_EQ(run->run_page_url, "https://adb/run/1");
  ASSERT_EQ(run->tasks.size(), 1u);
  EXPECT_EQ(run->tasks[0].run_id, 455644834);
  EXPECT_EQ(run->tasks[0].task_key, "main");

  transport_.Enqueue("GET", "/jobs/runs/get", 200,
                     R"({"run_id":5,"state":{"life_cycle_state":"RUNNING"}})");
  auto running = JobsApi(client_).GetRun(5);
  ASSERT_OK(running);
  EXPECT_FALSE(running->state.IsTerminal());
  EXPECT_EQ(running->state.result_state, "");
  EXPECT_TRUE(running->tasks.empty());
  EXPECT_TRUE(IsTerminalLifeCycleState("INTERNAL_ERROR"));
  EXPECT_TRUE(IsTerminalLifeCycleState("SKIPPED"));
}

TEST_F(DatabricksTest, GetRunOutputResultOrError) {
  transport_.Enqueue(
      "GET", "/jobs/runs/get-output", 200,
      R"({"notebook_output":{"result":"ok: 42 rows","truncated":false},"metadata":{}})");
  auto out = JobsApi(client_).GetRunOutput(2);
  ASSERT_OK(out);
  ASSERT_TRUE(out->notebook_result.has_value());
  EXPECT_EQ(*out->notebook_result, "ok: 42 rows");
  EXPECT_TRUE(out->error.empty());

  transport_.Enqueue(
      "GET", "/jobs/runs/get-output", 200,
      R"({"error":"ZeroDivisionError: division by zero","error_trace":"Traceback...","notebook_output":{}})");
  auto failed = JobsApi(client_).GetRunOutput(3);
  ASSERT_OK(failed);
  EXPECT_FALSE(failed->notebook_result.has_value());
  EXPECT_EQ(failed->error, "ZeroDivisionError: division by zero");
  EXPECT_EQ(failed->error_trace, "Traceback...");
}

TEST_F(DatabricksTest, CancelAndListRunsWithPaging) {
  transport_.Enqueue("POST", "/jobs/runs/cancel", 200, "{}");
  ASSERT_OK(JobsApi(client_).CancelRun(9));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"run_id", 9}}));

  transport_.Enqueue(
      "GET", "/jobs/runs/list", 200,
      R"({"runs":[{"run_id":3},{"run_id":2}],"has_more":true,"next_page_token":"p2"})");
  transport_.Enqueue("GET", "/jobs/runs/list", 200, R"({"runs":[{"run_id":1}],"has_more":false})");
  ListRunsOptions options;
  options.active_only = true;
  options.run_type = "SUBMIT_RUN";
  auto runs = JobsApi(client_).ListRuns(options);
  ASSERT_OK(runs);
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[2].run_id, 1);
  auto query = QueryOf(Last().url);
  EXPECT_EQ(query["page_token"], "p2");
  EXPECT_EQ(query["active_only"], "true");
  EXPECT_EQ(query["run_type"], "SUBMIT_RUN");
  transport_.Enqueue("GET", "/jobs/runs/list", 200, "{}");
  auto none = JobsApi(client_).ListRuns();
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

// --- tokens ---

TEST_F(DatabricksTest, TokensCreateListDelete) {
  TokensApi tokens(client_);
  transport_.Enqueue("POST", "/token/create", 200,
                     R"({"token_value":"dapi0123456789abcdef0123456789abcdef",
                         "token_info":{"token_id":"t1","creation_time":1,"expiry_time":2,"comment":"envctl"}})");
  auto created = tokens.Create(3600, "envctl");
  ASSERT_OK(created);
  EXPECT_EQ(created->token_value, "dapi0123456789abcdef0123456789abcdef");
  EXPECT_EQ(created->info.token_id, "t1");
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"comment", "envctl"}, {"lifetime_seconds", 3600}}));

  transport_.Enqueue("GET", "/token/list", 200,
                     R"({"token_infos":[{"token_id":"t1","comment":"envctl"},{"token_id":"t2"}]})");
  auto list = tokens.List();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].comment, "envctl");

  transport_.Enqueue("POST", "/token/delete", 200, "{}");
  ASSERT_OK(tokens.Delete("t1"));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"token_id", "t1"}}));

  transport_.Enqueue("POST", "/token/create", 200, R"({"token_info":{}})");
  EXPECT_THAT(tokens.Create(std::nullopt, "x"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no token_value")));
}

// The first token/create makes a token but its answer is lost (503): the retry succeeds
// and the orphan of the first attempt is revoked; a token that existed before is kept.
TEST_F(DatabricksTest, TokenCreateIsRetriedAndTheOrphanRevoked) {
  TokensApi tokens(client_);
  transport_.Enqueue("GET", "/token/list", 200,
                     R"({"token_infos":[{"token_id":"old","comment":"envctl"}]})");
  transport_.Enqueue("POST", "/token/create", 503, R"({"error_code":"TEMPORARILY_UNAVAILABLE"})");
  transport_.Enqueue("POST", "/token/create", 200,
                     R"({"token_value":"dapi0123456789abcdef0123456789abcdef",
                         "token_info":{"token_id":"t2","comment":"envctl"}})");
  transport_.Enqueue("GET", "/token/list", 200,
                     R"({"token_infos":[{"token_id":"old","comment":"envctl"},
                                        {"token_id":"t1","comment":"envctl"},
                                        {"token_id":"t2","comment":"envctl"},
                                        {"token_id":"u1","comment":"someone"}]})");
  transport_.Enqueue("POST", "/token/delete", 200, "{}");
  auto created = tokens.CreateRetrying(3600, "envctl", 3);
  ASSERT_OK(created);
  EXPECT_EQ(created->info.token_id, "t2");
  EXPECT_EQ(transport_.Count("POST", "/token/create"), 2);
  ASSERT_EQ(transport_.Count("POST", "/token/delete"), 1);
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"token_id", "t1"}}));
}

TEST_F(DatabricksTest, TokenCreateGivesUpAfterItsAttemptsAndOnPermanentErrors) {
  TokensApi tokens(client_);
  transport_.Always("GET", "/token/list", 200, R"({"token_infos":[]})");
  transport_.Always("POST", "/token/create", 503, R"({"error_code":"TEMPORARILY_UNAVAILABLE"})");
  EXPECT_THAT(tokens.CreateRetrying(3600, "envctl", 3),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("")));
  EXPECT_EQ(transport_.Count("POST", "/token/create"), 3);

  FakeTransport other;
  DatabricksClient client(other, "adb-1.azuredatabricks.net");
  other.Always("GET", "/token/list", 200, R"({"token_infos":[]})");
  other.Always("POST", "/token/create", 403,
               R"({"error_code":"PERMISSION_DENIED","message":"no"})");
  EXPECT_FALSE(TokensApi(client).CreateRetrying(3600, "envctl", 3).ok());
  EXPECT_EQ(other.Count("POST", "/token/create"), 1);
}

}  // namespace
}  // namespace envctl::cloud::databricks
