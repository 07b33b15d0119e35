// Workspace REST API behaviour: auth, error shapes, workspace import/export, DBFS,
// secrets, tokens and Save/Load. Calls Workspace::Handle directly.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim_databricks/workspace_harness.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloudsim::databricks::testing {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

Json Body(const Response& r) { return Json::parse(r.body); }

TEST(AuthTest, MissingHeaderIs401AndBadTokenIs403) {
  WorkspaceHarness h;
  Response none = h.Send("GET", "/api/2.0/workspace/list", nullptr, {{"path", "/"}}, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Body(none)["error_code"], "UNAUTHENTICATED");
  Response bad =
      h.Send("GET", "/api/2.0/workspace/list", nullptr, {{"path", "/"}}, "eyJ.bad.token");
  EXPECT_EQ(bad.status, 403);
  EXPECT_EQ(Body(bad), Json({{"error_code", "403"}, {"message", "Invalid access token."}}));
  EXPECT_EQ(bad.headers["X-Databricks-Reason-Phrase"], "Invalid access token.");
  EXPECT_EQ(bad.headers["Content-Type"], "application/json");
  Response pat = h.Send("GET", "/api/2.0/workspace/list", nullptr, {{"path", "/"}},
                        "dapi00000000000000000000000000000000");
  EXPECT_EQ(pat.status, 403);
}

TEST(AuthTest, ServicePrincipalManagementHeadersAreAccepted) {
  WorkspaceHarness h;
  Request r;
  r.method = "GET";
  r.path = "/api/2.0/workspace/get-status";
  r.query = {{"path", "/Shared"}};
  r.headers["Authorization"] = std::string("Bearer ") + kAadToken;
  r.headers["X-Databricks-Azure-SP-Management-Token"] = "mgmt";
  r.headers["X-Databricks-Azure-Workspace-Resource-Id"] = "/subscriptions/s/resourceGroups/r";
  r.headers["X-Databricks-Workspace-Id"] = "1234567890123456";
  EXPECT_EQ(h.ws->Handle(r).status, 200);
}

TEST(TokenTest, CreateListRevoke) {
  WorkspaceHarness h;
  Json created = h.Post("/api/2.0/token/create", {{"lifetime_seconds", 3600}, {"comment", "ci"}});
  std::string value = created["token_value"];
  EXPECT_EQ(value.size(), 36u);
  EXPECT_EQ(value.substr(0, 4), "dapi");
  EXPECT_EQ(created["token_info"]["comment"], "ci");
  EXPECT_EQ(created["token_info"]["expiry_time"].get<int64_t>() -
                created["token_info"]["creation_time"].get<int64_t>(),
            3600 * 1000);
  // The PAT works, and list never shows values.
  Response with_pat = h.Send("GET", "/api/2.0/token/list", nullptr, {}, value);
  ASSERT_EQ(with_pat.status, 200);
  EXPECT_THAT(with_pat.body, Not(HasSubstr(value)));
  Json list = Body(with_pat);
  ASSERT_EQ(list["token_infos"].size(), 1u);
  EXPECT_EQ(list["token_infos"][0]["token_id"], created["token_info"]["token_id"]);
  // The state file holds no token value either.
  EXPECT_THAT(h.ws->Save().dump(), Not(HasSubstr(value)));

  h.Post("/api/2.0/token/delete", {{"token_id", created["token_info"]["token_id"]}});
  Response revoked = h.Send("GET", "/api/2.0/token/list", nullptr, {}, value);
  EXPECT_EQ(revoked.status, 403);
  EXPECT_EQ(Body(revoked)["message"], "Invalid access token.");
  EXPECT_EQ(Body(h.Send("POST", "/api/2.0/token/delete", {{"token_id", "nope"}}))["error_code"],
            "RESOURCE_DOES_NOT_EXIST");
}

TEST(TokenTest, ExpiredTokenIsRejected) {
  WorkspaceHarness h;
  std::string value = h.Post("/api/2.0/token/create", {{"lifetime_seconds", 60}})["token_value"];
  EXPECT_EQ(h.Send("GET", "/api/2.0/token/list", nullptr, {}, value).status, 200);
  h.clock.Advance(absl::Seconds(60));
  EXPECT_EQ(h.Send("GET", "/api/2.0/token/list", nullptr, {}, value).status, 403);
}

TEST(TokenTest, ListAndRevokeSeeOnlyTheCallersValidTokens) {
  WorkspaceHarness h;
  std::string mine_id =
      h.Post("/api/2.0/token/create", {{"comment", "mine"}})["token_info"]["token_id"];
  std::string short_id =
      h.Post("/api/2.0/token/create", {{"lifetime_seconds", 60}})["token_info"]["token_id"];
  std::string other_id =
      h.Post("/api/2.0/token/create", {{"comment", "theirs"}})["token_info"]["token_id"];
  // Hand the third token to another user, as if they had created it.
  Json state = h.ws->Save();
  state["tokens"][other_id]["owner"] = "someone-else@example.com";
  ASSERT_TRUE(h.ws->Load(state).ok());

  auto listed_ids = [&h] {
    std::vector<std::string> ids;
    Json list = h.Get("/api/2.0/token/list", {});
    for (const Json& t : list.value("token_infos", Json::array())) {
      EXPECT_FALSE(t.contains("created_by_username")) << "PublicTokenInfo has no owner";
      ids.push_back(t["token_id"]);
    }
    return ids;
  };
  EXPECT_THAT(listed_ids(), ::testing::UnorderedElementsAre(mine_id, short_id));
  h.clock.Advance(absl::Seconds(60));
  EXPECT_THAT(listed_ids(), ::testing::ElementsAre(mine_id));

  Response theirs = h.Send("POST", "/api/2.0/token/delete", {{"token_id", other_id}});
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(Body(theirs)["error_code"], "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(h.Send("POST", "/api/2.0/token/delete", {{"token_id", short_id}}).status, 404);
  h.Post("/api/2.0/token/delete", {{"token_id", mine_id}});
  EXPECT_TRUE(listed_ids().empty());
}

TEST(ErrorShapeTest, UnknownEndpointsAndMissingParameters) {
  WorkspaceHarness h;
  Response unknown = h.Send("GET", "/api/2.0/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["error_code"], "ENDPOINT_NOT_FOUND");
  Response wrong_version = h.Send("GET", "/api/2.1/workspace/list", nullptr, {{"path", "/"}});
  EXPECT_EQ(wrong_version.status, 404);
  for (const char* path :
       {"/api/2.0/workspace/get-status", "/api/2.0/workspace/export", "/api/2.0/workspace/list",
        "/api/2.0/secrets/list", "/api/2.0/dbfs/read", "/api/2.0/dbfs/get-status"}) {
    Response r = h.Send("GET", path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(Body(r)["error_code"], "INVALID_PARAMETER_VALUE") << path;
  }
  Request bad_json;
  bad_json.method = "POST";
  bad_json.path = "/api/2.0/workspace/mkdirs";
  bad_json.headers["Authorization"] = std::string("Bearer ") + kAadToken;
  bad_json.body = "{nope";
  Response malformed = h.ws->Handle(bad_json);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Body(malformed)["error_code"], "MALFORMED_REQUEST");
}

TEST(WorkspaceApiTest, ImportExportRoundTripIsExact) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  Json exported =
      h.Get("/api/2.0/workspace/export", {{"path", "/Shared/nb"}, {"format", "SOURCE"}});
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(exported["content"].get<std::string>(), &bytes));
  EXPECT_EQ(bytes, "# Databricks notebook source\nprint(1)");
  EXPECT_EQ(exported["file_type"], "py");
  // Re-importing the export is stable.
  h.ImportNotebook("/Shared/nb", bytes);
  Response direct = h.Send("GET", "/api/2.0/workspace/export", nullptr,
                           {{"path", "/Shared/nb"}, {"direct_download", "true"}});
  EXPECT_EQ(direct.body, "# Databricks notebook source\nprint(1)");
  h.ImportNotebook("/Shared/sc", "val x = 1", "SCALA");
  Response scala = h.Send("GET", "/api/2.0/workspace/export", nullptr,
                          {{"path", "/Shared/sc"}, {"direct_download", "true"}});
  EXPECT_EQ(scala.body, "// Databricks notebook source\nval x = 1");
  Json status = h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared/nb"}});
  EXPECT_EQ(status["object_type"], "NOTEBOOK");
  EXPECT_EQ(status["language"], "PYTHON");
  EXPECT_EQ(status["resource_id"], std::to_string(status["object_id"].get<int64_t>()));
  EXPECT_TRUE(status.contains("created_at"));
  EXPECT_TRUE(status.contains("modified_at"));
}

TEST(WorkspaceApiTest, ImportRules) {
  WorkspaceHarness h;
  Json nb = {{"path", "/Shared/nb"},
             {"format", "SOURCE"},
             {"language", "PYTHON"},
             {"content", absl::Base64Escape("x")}};
  h.Post("/api/2.0/workspace/import", nb);
  Response again = h.Send("POST", "/api/2.0/workspace/import", nb);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Body(again), Json({{"error_code", "RESOURCE_ALREADY_EXISTS"},
                               {"message", "Node named 'nb' already exists"}}));
  Json orphan = nb;
  orphan["path"] = "/Shared/missing/nb";
  Response no_parent = h.Send("POST", "/api/2.0/workspace/import", orphan);
  EXPECT_EQ(no_parent.status, 404);
  EXPECT_EQ(Body(no_parent)["message"], "Path (/Shared/missing) doesn't exist.");
  Json no_lang = nb;
  no_lang.erase("language");
  no_lang["path"] = "/Shared/other";
  EXPECT_EQ(h.Send("POST", "/api/2.0/workspace/import", no_lang).status, 400);
  Json big = nb;
  big["path"] = "/Shared/big";
  big["content"] = absl::Base64Escape(std::string(10 * 1024 * 1024 + 1, 'a'));
  Response too_big = h.Send("POST", "/api/2.0/workspace/import", big);
  EXPECT_EQ(Body(too_big)["error_code"], "MAX_NOTEBOOK_SIZE_EXCEEDED");
}

TEST(WorkspaceApiTest, AutoFormatStripsTheExtensionOfNotebooks) {
  WorkspaceHarness h;
  h.Post("/api/2.0/workspace/import",
         {{"path", "/Shared/job.py"},
          {"format", "AUTO"},
          {"content", absl::Base64Escape("# Databricks notebook source\nx = 1")}});
  h.Post(
      "/api/2.0/workspace/import",
      {{"path", "/Shared/util.py"}, {"format", "AUTO"}, {"content", absl::Base64Escape("x = 1")}});
  EXPECT_EQ(h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared/job"}})["object_type"],
            "NOTEBOOK");
  EXPECT_EQ(h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared/util.py"}})["object_type"],
            "FILE");
  Response raw = h.Send("GET", "/api/2.0/workspace/export", nullptr,
                        {{"path", "/Shared/util.py"}, {"direct_download", "true"}});
  EXPECT_EQ(raw.body, "x = 1");
}

TEST(WorkspaceApiTest, MultipartImport) {
  WorkspaceHarness h;
  Request r;
  r.method = "POST";
  r.path = "/api/2.0/workspace/import";
  r.headers["Authorization"] = std::string("Bearer ") + kAadToken;
  r.headers["Content-Type"] = "multipart/form-data; boundary=XyZ";
  r.body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/Shared/up\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\nSOURCE\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nPYTHON\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"up.py\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\nprint(2)\r\n--XyZ--\r\n";
  ASSERT_EQ(h.ws->Handle(r).status, 200);
  Response direct = h.Send("GET", "/api/2.0/workspace/export", nullptr,
                           {{"path", "/Shared/up"}, {"direct_download", "true"}});
  EXPECT_EQ(direct.body, "# Databricks notebook source\nprint(2)");
}

TEST(WorkspaceApiTest, ListMkdirsAndDelete) {
  WorkspaceHarness h;
  h.Post("/api/2.0/workspace/mkdirs", {{"path", "/Shared/a/b/c"}});
  h.Post("/api/2.0/workspace/mkdirs", {{"path", "/Shared/a/b/c"}});  // existing is fine
  EXPECT_EQ(h.Get("/api/2.0/workspace/list", {{"path", "/Shared/a/b/c"}}), Json::object());
  h.ImportNotebook("/Shared/a/nb", "x");
  Json list = h.Get("/api/2.0/workspace/list", {{"path", "/Shared/a"}});
  ASSERT_EQ(list["objects"].size(), 2u);
  EXPECT_EQ(list["objects"][0]["path"], "/Shared/a/b");
  EXPECT_EQ(list["objects"][0]["object_type"], "DIRECTORY");
  EXPECT_EQ(list["objects"][1]["path"], "/Shared/a/nb");
  Response under_nb = h.Send("POST", "/api/2.0/workspace/mkdirs", {{"path", "/Shared/a/nb/x"}});
  EXPECT_EQ(Body(under_nb)["error_code"], "RESOURCE_ALREADY_EXISTS");
  Response not_empty = h.Send("POST", "/api/2.0/workspace/delete", {{"path", "/Shared/a"}});
  EXPECT_EQ(not_empty.status, 400);
  EXPECT_EQ(Body(not_empty)["error_code"], "DIRECTORY_NOT_EMPTY");
  h.Post("/api/2.0/workspace/delete", {{"path", "/Shared/a"}, {"recursive", true}});
  EXPECT_EQ(
      h.Send("GET", "/api/2.0/workspace/get-status", nullptr, {{"path", "/Shared/a/nb"}}).status,
      404);
  Response gone = h.Send("POST", "/api/2.0/workspace/delete", {{"path", "/Shared/a"}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(Body(gone)["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

TEST(DbfsApiTest, StreamingUploadBecomesVisibleAtClose) {
  WorkspaceHarness h;
  int64_t handle = h.Post("/api/2.0/dbfs/create",
                          {{"path", "dbfs:/libs/app.jar"}, {"overwrite", true}})["handle"]
                       .get<int64_t>();
  h.Post("/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", absl::Base64Escape("hello ")}});
  h.Post("/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", absl::Base64Escape("world")}});
  EXPECT_EQ(h.Send("GET", "/api/2.0/dbfs/get-status", nullptr, {{"path", "/libs/app.jar"}}).status,
            404);
  h.Post("/api/2.0/dbfs/close", {{"handle", handle}});
  Json info = h.Get("/api/2.0/dbfs/get-status", {{"path", "/libs/app.jar"}});
  EXPECT_EQ(info["file_size"], 11);
  EXPECT_EQ(info["is_dir"], false);
  Json read = h.Get("/api/2.0/dbfs/read",
                    {{"path", "dbfs:/libs/app.jar"}, {"offset", "6"}, {"length", "100"}});
  EXPECT_EQ(read["bytes_read"], 5);
  EXPECT_EQ(read["data"], absl::Base64Escape("world"));
  Response closed = h.Send("POST", "/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", ""}});
  EXPECT_EQ(closed.status, 404);
}

TEST(DbfsApiTest, HandlesExpireAfterTenIdleMinutes) {
  WorkspaceHarness h;
  int64_t handle = h.Post("/api/2.0/dbfs/create", {{"path", "/x"}})["handle"].get<int64_t>();
  h.clock.Advance(absl::Minutes(9));
  h.Post("/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", "YQ=="}});
  h.clock.Advance(absl::Minutes(10));
  Response expired = h.Send("POST", "/api/2.0/dbfs/close", {{"handle", handle}});
  EXPECT_EQ(expired.status, 404);
  EXPECT_EQ(Body(expired)["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

TEST(DbfsApiTest, LimitsAndConflicts) {
  WorkspaceHarness h;
  std::string mb_plus_one = absl::Base64Escape(std::string(1024 * 1024 + 1, 'x'));
  Response big = h.Send("POST", "/api/2.0/dbfs/put", {{"path", "/big"}, {"contents", mb_plus_one}});
  EXPECT_EQ(Body(big)["error_code"], "MAX_BLOCK_SIZE_EXCEEDED");
  int64_t handle = h.Post("/api/2.0/dbfs/create", {{"path", "/big"}})["handle"].get<int64_t>();
  Response block =
      h.Send("POST", "/api/2.0/dbfs/add-block", {{"handle", handle}, {"data", mb_plus_one}});
  EXPECT_EQ(Body(block)["error_code"], "MAX_BLOCK_SIZE_EXCEEDED");
  h.Post("/api/2.0/dbfs/put", {{"path", "/a/b.txt"}, {"contents", "YQ=="}});
  Response exists =
      h.Send("POST", "/api/2.0/dbfs/put", {{"path", "/a/b.txt"}, {"contents", "YQ=="}});
  EXPECT_EQ(exists.status, 400);
  EXPECT_EQ(Body(exists)["message"],
            "A file or directory already exists at the input path dbfs:/a/b.txt.");
  Response read_big =
      h.Send("GET", "/api/2.0/dbfs/read", nullptr, {{"path", "/a/b.txt"}, {"length", "2000000"}});
  EXPECT_EQ(Body(read_big)["error_code"], "MAX_READ_SIZE_EXCEEDED");
  Response read_dir = h.Send("GET", "/api/2.0/dbfs/read", nullptr, {{"path", "/a"}});
  EXPECT_EQ(Body(read_dir)["error_code"], "INVALID_PARAMETER_VALUE");
}

TEST(DbfsApiTest, ListMoveDeleteAndMultipartPut) {
  WorkspaceHarness h;
  Request r;
  r.method = "POST";
  r.path = "/api/2.0/dbfs/put";
  r.headers["Authorization"] = std::string("Bearer ") + kAadToken;
  r.headers["Content-Type"] = "multipart/form-data; boundary=b";
  r.body =
      "--b\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/d/one.txt\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"contents\"; "
      "filename=\"one.txt\"\r\n\r\n1\r\n--b--\r\n";
  ASSERT_EQ(h.ws->Handle(r).status, 200);
  h.Post("/api/2.0/dbfs/mkdirs", {{"path", "/d/sub"}});
  Json list = h.Get("/api/2.0/dbfs/list", {{"path", "/d"}});
  ASSERT_EQ(list["files"].size(), 2u);
  h.Post("/api/2.0/dbfs/move", {{"source_path", "/d"}, {"destination_path", "/e"}});
  EXPECT_EQ(h.Get("/api/2.0/dbfs/get-status", {{"path", "/e/one.txt"}})["file_size"], 1);
  EXPECT_EQ(h.Send("GET", "/api/2.0/dbfs/list", nullptr, {{"path", "/d"}}).status, 404);
  Response not_empty = h.Send("POST", "/api/2.0/dbfs/delete", {{"path", "/e"}});
  EXPECT_EQ(Body(not_empty)["error_code"], "IO_ERROR");
  h.Post("/api/2.0/dbfs/delete", {{"path", "/e"}, {"recursive", true}});
  EXPECT_EQ(h.Get("/api/2.0/dbfs/list", {{"path", "/"}}), Json::object());
}

TEST(SecretsApiTest, ScopesSecretsAndAcls) {
  WorkspaceHarness h;
  h.Post("/api/2.0/secrets/scopes/create",
         {{"scope", "App"}, {"initial_manage_principal", "users"}});
  Response dup = h.Send("POST", "/api/2.0/secrets/scopes/create", {{"scope", "app"}});
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(Body(dup)["error_code"], "RESOURCE_ALREADY_EXISTS");
  Response bad_name = h.Send("POST", "/api/2.0/secrets/scopes/create", {{"scope", "has space"}});
  EXPECT_EQ(Body(bad_name)["error_code"], "INVALID_PARAMETER_VALUE");
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "pw"}, {"string_value", "v1"}});
  Response both =
      h.Send("POST", "/api/2.0/secrets/put",
             {{"scope", "app"}, {"key", "pw"}, {"string_value", "a"}, {"bytes_value", "YQ=="}});
  EXPECT_EQ(Body(both)["error_code"], "MALFORMED_REQUEST");
  Response bad_key = h.Send("POST", "/api/2.0/secrets/put",
                            {{"scope", "app"}, {"key", "a/b"}, {"string_value", "a"}});
  EXPECT_EQ(Body(bad_key)["error_code"], "INVALID_PARAMETER_VALUE");
  Response no_scope = h.Send("POST", "/api/2.0/secrets/put",
                             {{"scope", "nope"}, {"key", "k"}, {"string_value", "a"}});
  EXPECT_EQ(no_scope.status, 404);
  EXPECT_EQ(Body(no_scope)["message"], "Scope nope does not exist!");
  Response list = h.Send("GET", "/api/2.0/secrets/list", nullptr, {{"scope", "app"}});
  EXPECT_THAT(list.body, Not(HasSubstr("v1")));
  EXPECT_EQ(Body(list)["secrets"][0]["key"], "pw");

  Json acls = h.Get("/api/2.0/secrets/acls/list", {{"scope", "app"}});
  ASSERT_EQ(acls["items"].size(), 1u);
  EXPECT_EQ(acls["items"][0], Json({{"principal", "users"}, {"permission", "MANAGE"}}));
  h.Post("/api/2.0/secrets/acls/put",
         {{"scope", "app"}, {"principal", "data-eng"}, {"permission", "READ"}});
  EXPECT_EQ(h.Get("/api/2.0/secrets/acls/get", {{"scope", "app"}, {"principal", "data-eng"}}),
            Json({{"principal", "data-eng"}, {"permission", "READ"}}));
  Response bad_perm = h.Send("POST", "/api/2.0/secrets/acls/put",
                             {{"scope", "app"}, {"principal", "x"}, {"permission", "OWN"}});
  EXPECT_EQ(Body(bad_perm)["error_code"], "INVALID_PARAMETER_VALUE");
  h.Post("/api/2.0/secrets/acls/delete", {{"scope", "app"}, {"principal", "data-eng"}});
  EXPECT_EQ(h.Send("GET", "/api/2.0/secrets/acls/get", nullptr,
                   {{"scope", "app"}, {"principal", "data-eng"}})
                .status,
            404);
  h.Post("/api/2.0/secrets/delete", {{"scope", "app"}, {"key", "pw"}});
  EXPECT_EQ(h.Get("/api/2.0/secrets/list", {{"scope", "app"}}), Json::object());
  h.Post("/api/2.0/secrets/scopes/delete", {{"scope", "APP"}});
  EXPECT_EQ(h.Get("/api/2.0/secrets/scopes/list", {}), Json::object());
}

TEST(SecretsApiTest, KeyVaultScopesAreReadOnly) {
  WorkspaceHarness h;
  Response no_backend = h.Send("POST", "/api/2.0/secrets/scopes/create",
                               {{"scope", "kv"}, {"scope_backend_type", "AZURE_KEYVAULT"}});
  EXPECT_EQ(Body(no_backend)["error_code"], "INVALID_PARAMETER_VALUE");
  h.Post("/api/2.0/secrets/scopes/create",
         {{"scope", "kv"},
          {"scope_backend_type", "AZURE_KEYVAULT"},
          {"backend_azure_keyvault",
           {{"resource_id", "/subscriptions/s/x"}, {"dns_name", "https://v.vault.azure.net/"}}}});
  Json scopes = h.Get("/api/2.0/secrets/scopes/list", {});
  EXPECT_EQ(scopes["scopes"][0]["backend_type"], "AZURE_KEYVAULT");
  EXPECT_EQ(scopes["scopes"][0]["keyvault_metadata"]["dns_name"], "https://v.vault.azure.net/");
  Response put = h.Send("POST", "/api/2.0/secrets/put",
                        {{"scope", "kv"}, {"key", "k"}, {"string_value", "v"}});
  EXPECT_EQ(put.status, 400);
  EXPECT_EQ(Body(put)["error_code"], "BAD_REQUEST");
  Response del = h.Send("POST", "/api/2.0/secrets/delete", {{"scope", "kv"}, {"key", "k"}});
  EXPECT_EQ(Body(del)["error_code"], "BAD_REQUEST");
}

TEST(SecretsApiTest, KeyVaultScopeNeedsAnEntraIdTokenNotAPat) {
  WorkspaceHarness h;
  std::string pat = h.Post("/api/2.0/token/create", {{"comment", "ci"}})["token_value"];
  Json create = {
      {"scope", "kv"},
      {"scope_backend_type", "AZURE_KEYVAULT"},
      {"backend_azure_keyvault",
       {{"resource_id", "/subscriptions/s/x"}, {"dns_name", "https://v.vault.azure.net/"}}}};
  Response with_pat = h.Send("POST", "/api/2.0/secrets/scopes/create", create, {}, pat);
  EXPECT_EQ(with_pat.status, 400);
  EXPECT_EQ(Body(with_pat),
            Json({{"error_code", "INVALID_PARAMETER_VALUE"},
                  {"message", "Scope with Azure KeyVault must have userAADToken defined!"}}));
  EXPECT_EQ(h.Get("/api/2.0/secrets/scopes/list", {}), Json::object());
  // A Databricks-backed scope is fine with a PAT, and the Entra ID token creates the AKV one.
  EXPECT_EQ(h.Send("POST", "/api/2.0/secrets/scopes/create", {{"scope", "plain"}}, {}, pat).status,
            200);
  h.Post("/api/2.0/secrets/scopes/create", create);
  EXPECT_EQ(h.Get("/api/2.0/secrets/scopes/list", {})["scopes"].size(), 2u);
}

TEST(SecretsApiTest, GetReturnsTheValueAsBase64) {
  WorkspaceHarness h;
  h.Post("/api/2.0/secrets/scopes/create", {{"scope", "app"}});
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "pw"}, {"string_value", "v1"}});
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "raw"}, {"bytes_value", "AAH/"}});
  EXPECT_EQ(h.Get("/api/2.0/secrets/get", {{"scope", "APP"}, {"key", "pw"}}),
            Json({{"key", "pw"}, {"value", absl::Base64Escape("v1")}}));
  EXPECT_EQ(h.Get("/api/2.0/secrets/get", {{"scope", "app"}, {"key", "raw"}})["value"], "AAH/");

  Response no_key =
      h.Send("GET", "/api/2.0/secrets/get", nullptr, {{"scope", "app"}, {"key", "nope"}});
  EXPECT_EQ(no_key.status, 404);
  EXPECT_EQ(Body(no_key)["error_code"], "RESOURCE_DOES_NOT_EXIST");
  Response no_scope =
      h.Send("GET", "/api/2.0/secrets/get", nullptr, {{"scope", "x"}, {"key", "pw"}});
  EXPECT_EQ(no_scope.status, 404);
  EXPECT_EQ(Body(no_scope)["message"], "Scope x does not exist!");
  Response missing = h.Send("GET", "/api/2.0/secrets/get", nullptr, {{"scope", "app"}});
  EXPECT_EQ(Body(missing)["error_code"], "INVALID_PARAMETER_VALUE");

  // An AZURE_KEYVAULT scope reads through to the vault.
  h.Post("/api/2.0/secrets/scopes/create",
         {{"scope", "kv"},
          {"scope_backend_type", "AZURE_KEYVAULT"},
          {"backend_azure_keyvault",
           {{"resource_id", "/subscriptions/s/x"}, {"dns_name", "https://v/"}}}});
  h.key_vault["https://v/|db"] = "from-vault";
  EXPECT_EQ(h.Get("/api/2.0/secrets/get", {{"scope", "kv"}, {"key", "db"}})["value"],
            absl::Base64Escape("from-vault"));
  EXPECT_EQ(
      h.Send("GET", "/api/2.0/secrets/get", nullptr, {{"scope", "kv"}, {"key", "other"}}).status,
      404);
}

TEST(PersistenceTest, SaveLoadRoundTripKeepsEverything) {
  WorkspaceHarness h;
  h.ImportNotebook("/Shared/nb", "print(1)");
  h.Post("/api/2.0/secrets/scopes/create", {{"scope", "app"}});
  h.Post("/api/2.0/secrets/put", {{"scope", "app"}, {"key", "k"}, {"string_value", "v"}});
  h.Post("/api/2.0/dbfs/put", {{"path", "/f"}, {"contents", "YWJj"}});
  std::string pat = h.Post("/api/2.0/token/create", Json::object())["token_value"];
  Json saved = h.ws->Save();
  h.Reset(1.0);
  ASSERT_OK(h.ws->Load(saved));
  EXPECT_EQ(h.ws->Save(), saved);
  EXPECT_EQ(h.Send("GET", "/api/2.0/workspace/export", nullptr,
                   {{"path", "/Shared/nb"}, {"direct_download", "true"}}, pat)
                .body,
            "# Databricks notebook source\nprint(1)");
  EXPECT_EQ(h.Get("/api/2.0/dbfs/read", {{"path", "/f"}})["data"], "YWJj");
  EXPECT_EQ(h.Get("/api/2.0/secrets/list", {{"scope", "app"}})["secrets"][0]["key"], "k");
}

TEST(PersistenceTest, LoadRejectsBadDocuments) {
  WorkspaceHarness h;
  EXPECT_THAT(h.ws->Load(Json::array()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"format\": 1")));
  EXPECT_THAT(
      h.ws->Load({{"format", 1}, {"workspace", 3}}),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt Databricks workspace state")));
  // A failed load leaves the workspace as it was.
  EXPECT_EQ(h.Get("/api/2.0/workspace/get-status", {{"path", "/Shared"}})["object_type"],
            "DIRECTORY");
}

}  // namespace
}  // namespace envctl::cloudsim::databricks::testing
