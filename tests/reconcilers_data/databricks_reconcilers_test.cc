// DatabricksNotebooks, DatabricksSecretScope and DatabricksLibrary against cloudsim's
// simulated workspace: apply from empty, zero-write reapply, and out-of-band drift
// (deleted or edited notebooks, an overwritten secret, a rotated source, a changed ACL,
// a replaced DBFS file) detected with readable field paths and repaired.
#include "cloud/databricks/dbfs_api.h"
#include "cloud/databricks/secrets_api.h"
#include "cloud/databricks/workspace_api.h"
#include "reconcilers/databricks/notebooks_reconciler.h"
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace dbx = cloud::databricks;

constexpr char kPrepare[] =
    "# Databricks notebook source\nx = 1\n\n# COMMAND "
    "----------\n\ndbutils.notebook.exit(\"ok\")\n";
constexpr char kTrain[] = "# Databricks notebook source\r\nprint('train')\r\n";
constexpr char kQuery[] = "SELECT 1";

class DatabricksTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    url_ = CreateWorkspace("workspace", "dbw-data-test");
    ASSERT_FALSE(url_.empty());
    client_ = std::make_unique<dbx::DatabricksClient>(session_->Databricks(), url_);
  }

  void AddNotebooks() {
    envctl::v1::Resource* r = AddResource("notebooks");
    r->mutable_databricks_notebooks()->set_workspace("workspace");
    r->mutable_databricks_notebooks()->set_source_folder("notebooks");
    r->mutable_databricks_notebooks()->set_target_folder("/Shared/bikeshare");
    notebooks_ = {{"prepare.py", kPrepare},
                  {"ml/train.py", kTrain},
                  {"report.sql", kQuery},
                  {"README.md", "docs"}};
    SetContent("notebooks", notebooks_);
  }

  std::string url_;
  std::unique_ptr<dbx::DatabricksClient> client_;
  std::map<std::string, std::string> notebooks_;
};

// --- Notebooks --------------------------------------------------------------------------

TEST_F(DatabricksTest, NotebooksImportThenPlanNoChangeWithoutExports) {
  AddNotebooks();
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "notebooks");
  ASSERT_EQ(o->action, Action::kCreate) << Describe(plan);
  EXPECT_THAT(Paths(*o), UnorderedElementsAre("notebooks[/Shared/bikeshare/prepare]",
                                              "notebooks[/Shared/bikeshare/ml/train]",
                                              "notebooks[/Shared/bikeshare/report]"));
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "notebooks")->status.ok()) << Describe(applied);

  dbx::WorkspaceApi ws(*client_);
  auto info = ws.GetStatus("/Shared/bikeshare/report");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->language, "SQL");
  EXPECT_EQ(ws.GetStatus("/Shared/bikeshare/ml/train")->language, "PYTHON");
  EXPECT_TRUE(absl::IsNotFound(ws.GetStatus("/Shared/bikeshare/README").status()))
      << "not a notebook";

  controller::EngineResult replan = Plan();
  EXPECT_EQ(Outcome(replan, "notebooks")->action, Action::kNone) << Describe(replan);
  EXPECT_THAT(Requests("GET", "/workspace/export"), IsEmpty())
      << "memory of modified_at avoids exports";
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("databricks"), 0u);
}

TEST_F(DatabricksTest, NotebookDeletedOutOfBandIsRecreated) {
  AddNotebooks();
  Apply();
  dbx::WorkspaceApi ws(*client_);
  ASSERT_OK(ws.Delete("/Shared/bikeshare/prepare", false));
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "notebooks");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_TRUE(o->drift);
  EXPECT_THAT(Paths(*o), ElementsAre("notebooks[/Shared/bikeshare/prepare]"));
  ResetStats();
  Apply();
  EXPECT_TRUE(ws.GetStatus("/Shared/bikeshare/prepare").ok());
  EXPECT_THAT(Requests("POST", "/workspace/import"), ::testing::SizeIs(1))
      << "only the missing notebook";
  EXPECT_EQ(Outcome(Plan(), "notebooks")->action, Action::kNone);
}

TEST_F(DatabricksTest, NotebookEditedOutOfBandIsReimportedAndStrayNotebookDeleted) {
  AddNotebooks();
  Apply();
  dbx::WorkspaceApi ws(*client_);
  clock_.Advance(absl::Minutes(1));  // a person edits later
  ASSERT_OK(ws.ImportSource("/Shared/bikeshare/prepare", "x = 2\n", dbx::Language::kPython, true));
  ASSERT_OK(
      ws.ImportSource("/Shared/bikeshare/scratch", "print(1)\n", dbx::Language::kPython, false));
  ASSERT_OK(ws.Mkdirs("/Shared/elsewhere"));
  ASSERT_OK(ws.ImportSource("/Shared/elsewhere/keep", "print(1)\n", dbx::Language::kPython, false));

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "notebooks");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), UnorderedElementsAre("notebooks[/Shared/bikeshare/prepare]",
                                              "notebooks[/Shared/bikeshare/scratch]"));
  EXPECT_THAT(Requests("GET", "/workspace/export"), ::testing::SizeIs(1))
      << "only the touched notebook";
  Apply();
  auto source = ws.ExportSource("/Shared/bikeshare/prepare");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(reconcilers::NormalizeNotebookSource(*source),
            reconcilers::NormalizeNotebookSource(kPrepare));
  EXPECT_TRUE(absl::IsNotFound(ws.GetStatus("/Shared/bikeshare/scratch").status()));
  EXPECT_TRUE(ws.GetStatus("/Shared/elsewhere/keep").ok())
      << "outside the target folder: untouched";
  EXPECT_EQ(Outcome(Plan(), "notebooks")->action, Action::kNone);
}

TEST(NotebookSourceTest, NormalizesHeaderLineEndingsAndTrailingBlankLines) {
  using reconcilers::NormalizeNotebookSource;
  EXPECT_EQ(NormalizeNotebookSource("# Databricks notebook source\r\nprint(1)\r\n\r\n"),
            "print(1)");
  EXPECT_EQ(NormalizeNotebookSource("print(1)"), "print(1)");
  EXPECT_EQ(
      NormalizeNotebookSource("// Databricks notebook source exported at 2020\nval x = 1  \n"),
      "val x = 1");
  EXPECT_EQ(NormalizeNotebookSource("-- Databricks notebook source\nSELECT 1"), "SELECT 1");
  EXPECT_NE(NormalizeNotebookSource("print(1)"), NormalizeNotebookSource("print(2)"));
}

// --- Secret scopes ----------------------------------------------------------------------

class SecretScopeTest : public DatabricksTest {
 protected:
  void SetUp() override {
    DatabricksTest::SetUp();
    AddResource("lake")->mutable_storage_account()->set_account_name("lakeacct");
    Publish("key1@t1", "storage-key-one");
    envctl::v1::Resource* r = AddResource("secrets");
    auto* spec = r->mutable_databricks_secret_scope();
    spec->set_workspace("workspace");
    spec->set_scope_name("bikeshare");
    spec->set_initial_manage_principal("users");
    auto* s = spec->add_secrets();
    s->set_key("storagekey");
    s->mutable_value()->mutable_output()->set_resource("lake");
    s->mutable_value()->mutable_output()->set_output("primaryKey");
    auto* acl = spec->add_acls();
    acl->set_principal("data-eng");
    acl->set_permission("READ");
    SetContent("secrets", {});
  }
  void Publish(const std::string& fingerprint, const std::string& value) {
    reconcilers::OutputValue v;
    v.sensitive = true;
    v.fingerprint = fingerprint;
    v.mint = [this, fingerprint, value]() -> absl::StatusOr<reconcilers::OutputValue> {
      ++mints_;
      reconcilers::OutputValue m;
      m.value = value;
      m.sensitive = true;
      m.fingerprint = fingerprint;
      return m;
    };
    stub_.Set("lake", "primaryKey", v);
  }
  int mints_ = 0;
};

TEST_F(SecretScopeTest, CreatesScopeSecretAndAclThenNoWrites) {
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "secrets")->status.ok()) << Describe(applied);
  dbx::SecretsApi api(*client_);
  auto secrets = api.ListSecrets("bikeshare");
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  ASSERT_EQ(secrets->size(), 1u);
  EXPECT_EQ((*secrets)[0].key, "storagekey");
  auto acls = api.ListAcls("bikeshare");
  ASSERT_TRUE(acls.ok());
  bool found = false;
  for (const auto& a : *acls) found |= a.principal == "data-eng" && a.permission == "READ";
  EXPECT_TRUE(found);

  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "secrets")->action, Action::kNone) << Describe(plan);
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("databricks"), 0u);
  EXPECT_EQ(mints_, 1);
}

// scopes/create is safe to retry: a transient 503 no longer fails the pass.
TEST_F(SecretScopeTest, TransientFailureOfScopeCreateIsRetried) {
  Admin(
      "POST", "/faults",
      R"({"service":"databricks","operation":"POST /api/2.0/secrets/scopes/create","status":503,"retry_after_s":1,"count":1})");
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "secrets")->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/secrets/scopes/create"), ::testing::SizeIs(2));
  auto scopes = dbx::SecretsApi(*client_).ListScopes();
  ASSERT_TRUE(scopes.ok()) << scopes.status();
  int named = 0;
  for (const auto& scope : *scopes) named += scope.name == "bikeshare";
  EXPECT_EQ(named, 1);
  Admin("DELETE", "/faults");
}

TEST_F(SecretScopeTest, RotatedSourceAndOverwrittenSecretAreRewrittenOnce) {
  Apply();
  Publish("key1@t2", "storage-key-two");
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "secrets");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  ASSERT_THAT(Paths(*o), ElementsAre("secrets[storagekey]"));
  EXPECT_EQ(o->fields[0].old_value, "(value of fingerprint key1@t1)");
  EXPECT_EQ(o->fields[0].new_value, "(value of fingerprint key1@t2)");
  ResetStats();
  Apply();
  EXPECT_EQ(Writes()["databricks"], 1) << "one secrets/put";
  EXPECT_EQ(Outcome(Plan(), "secrets")->action, Action::kNone);

  // Someone overwrites the secret in the workspace later.
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(dbx::SecretsApi(*client_).PutSecret("bikeshare", "storagekey", "not-the-key"));
  controller::EngineResult drift = Plan();
  const auto* d = Outcome(drift, "secrets");
  ASSERT_EQ(d->action, Action::kUpdate) << Describe(drift);
  EXPECT_EQ(d->fields[0].old_value, "(overwritten outside envctl)");
  Apply();
  EXPECT_EQ(Outcome(Plan(), "secrets")->action, Action::kNone);
}

TEST_F(SecretScopeTest, ChangedAclIsRepairedAndUnmanagedAclLeftAlone) {
  Apply();
  dbx::SecretsApi api(*client_);
  ASSERT_OK(api.PutAcl("bikeshare", "data-eng", "MANAGE"));
  ASSERT_OK(api.PutAcl("bikeshare", "auditors", "READ"));
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "secrets");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  ASSERT_THAT(Paths(*o), ElementsAre("acls[data-eng]"));
  EXPECT_EQ(o->fields[0].old_value, "\"MANAGE\"");
  EXPECT_EQ(o->fields[0].new_value, "\"READ\"");
  Apply();
  auto acls = api.ListAcls("bikeshare");
  ASSERT_TRUE(acls.ok());
  std::map<std::string, std::string> by;
  for (const auto& a : *acls) by[a.principal] = a.permission;
  EXPECT_EQ(by["data-eng"], "READ");
  EXPECT_EQ(by["auditors"], "READ") << "not declared, never set by envctl: left alone";
}

// ACLs are listed only where envctl manages some: declared ones, or ones it set before
// and must now remove. A scope with neither costs no acls/list on a resync.
TEST_F(SecretScopeTest, AclsAreListedOnlyWhileDeclaredOrToRemoveThem) {
  envctl::v1::Resource* scope = nullptr;
  for (auto& r : *env_.mutable_resources()) {
    if (r.name() == "secrets") scope = &r;
  }
  ASSERT_NE(scope, nullptr);
  Apply();
  ResetStats();
  Apply();
  EXPECT_THAT(Requests("GET", "/secrets/acls/list"), ::testing::SizeIs(1)) << "declared: verified";

  // The ACL leaves the spec: the next pass lists once more and removes it.
  scope->mutable_databricks_secret_scope()->clear_acls();
  SetContent("secrets", {});
  ResetStats();
  controller::EngineResult removed = Apply();
  ASSERT_TRUE(Outcome(removed, "secrets")->status.ok()) << Describe(removed);
  EXPECT_THAT(Requests("GET", "/secrets/acls/list"), ::testing::SizeIs(1));
  EXPECT_THAT(Requests("POST", "/secrets/acls/delete"), ::testing::SizeIs(1));
  auto acls = dbx::SecretsApi(*client_).ListAcls("bikeshare");
  ASSERT_TRUE(acls.ok());
  for (const auto& a : *acls) EXPECT_NE(a.principal, "data-eng");

  // Nothing declared, nothing left to remove: no listing at all.
  ResetStats();
  controller::EngineResult noop = Apply();
  EXPECT_EQ(Outcome(noop, "secrets")->action, Action::kNone) << Describe(noop);
  EXPECT_THAT(Requests("GET", "/secrets/acls/list"), ::testing::IsEmpty());
  EXPECT_EQ(Writes().count("databricks"), 0u);
}

TEST_F(SecretScopeTest, KeyVaultBackedScopeUsesTheVaultOutputs) {
  const std::string uri = CreateVault("keyvault", "kv-scope-test");
  envctl::v1::Resource* r = AddResource("kv-scope");
  r->mutable_databricks_secret_scope()->set_workspace("workspace");
  r->mutable_databricks_secret_scope()->set_scope_name("from-vault");
  r->mutable_databricks_secret_scope()->set_key_vault("keyvault");
  r->mutable_databricks_secret_scope()->set_initial_manage_principal("users");
  SetContent("kv-scope", {});
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "kv-scope")->status.ok()) << Describe(applied);
  auto scopes = dbx::SecretsApi(*client_).ListScopes();
  ASSERT_TRUE(scopes.ok());
  bool found = false;
  for (const auto& s : *scopes) {
    if (s.name != "from-vault") continue;
    found = true;
    EXPECT_EQ(s.backend_type, "AZURE_KEYVAULT");
    ASSERT_TRUE(s.keyvault.has_value());
    EXPECT_THAT(s.keyvault->resource_id, HasSubstr("/vaults/kv-scope-test"));
    EXPECT_THAT(s.keyvault->dns_name, HasSubstr(uri.substr(8)));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Outcome(Plan(), "kv-scope")->action, Action::kNone);

  // A Databricks-backed scope of the same name cannot become Key Vault-backed silently.
  r->mutable_databricks_secret_scope()->set_scope_name("bikeshare");
  controller::EngineResult conflict = Plan();
  EXPECT_THAT(Outcome(conflict, "kv-scope")->status.message(),
              HasSubstr("exists with backend DATABRICKS but the spec wants AZURE_KEYVAULT"));
}

// --- Libraries --------------------------------------------------------------------------

class LibraryTest : public DatabricksTest {
 protected:
  void AddLibrary(const std::string& content) {
    if (library_ == nullptr) {
      library_ = AddResource("model-library");
      library_->mutable_databricks_library()->set_workspace("workspace");
      library_->mutable_databricks_library()->set_source_file("libs/model.py");
      library_->mutable_databricks_library()->set_dbfs_path("dbfs:/FileStore/bikeshare/model.py");
    }
    SetContent("model-library", {{"libs/model.py", content}});
  }
  envctl::v1::Resource* library_ = nullptr;
};

TEST_F(LibraryTest, UploadsSmallAndStreamsLargeFilesThenNoWrites) {
  AddLibrary("def predict(x):\n    return 2 * x\n");
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "model-library")->status.ok()) << Describe(applied);
  dbx::DbfsApi dbfs(*client_);
  EXPECT_EQ(*dbfs.ReadAll("/FileStore/bikeshare/model.py"), "def predict(x):\n    return 2 * x\n");
  EXPECT_THAT(Requests("POST", "/dbfs/put"), ::testing::SizeIs(1));
  ResetStats();
  EXPECT_EQ(Outcome(Apply(), "model-library")->action, Action::kNone);
  EXPECT_EQ(Writes().count("databricks"), 0u);
  EXPECT_THAT(Requests("GET", "/dbfs/read"), IsEmpty()) << "size and mtime unchanged: no read back";

  // A 2.5 MB file goes through create / add-block / close.
  std::string big(2'500'000, 'x');
  AddLibrary(big);
  controller::EngineResult streamed = Apply();
  ASSERT_TRUE(Outcome(streamed, "model-library")->status.ok()) << Describe(streamed);
  EXPECT_THAT(Requests("POST", "/dbfs/add-block"), ::testing::SizeIs(3));
  EXPECT_EQ(dbfs.GetStatus("/FileStore/bikeshare/model.py")->file_size, 2'500'000);
  EXPECT_EQ(Outcome(Plan(), "model-library")->action, Action::kNone);
}

TEST_F(LibraryTest, FileReplacedOutOfBandWithSameSizeIsDetectedByHash) {
  AddLibrary("AAAA");
  Apply();
  clock_.Advance(absl::Minutes(1));
  dbx::DbfsApi dbfs(*client_);
  ASSERT_OK(dbfs.Put("/FileStore/bikeshare/model.py", "BBBB", true));
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "model-library");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  ASSERT_THAT(Paths(*o), ElementsAre("content"));
  EXPECT_THAT(Requests("GET", "/dbfs/read"), ::testing::SizeIs(1))
      << "read back only when mtime moved";
  Apply();
  EXPECT_EQ(*dbfs.ReadAll("/FileStore/bikeshare/model.py"), "AAAA");
  EXPECT_EQ(Outcome(Plan(), "model-library")->action, Action::kNone);
}

}  // namespace
}  // namespace envctl::testing
