// Loader round trips: the bikeshare example, YAML vs JSON, JSON-mapping spellings.
#include "spec/loader.h"

#include <algorithm>

#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/kinds.h"
#include "spec/references.h"
#include "tests/fakes/status_matchers.h"
#include "tests/spec/test_repo.h"

namespace envctl::spec {
namespace {

using envctl::v1::Environment;
using envctl::v1::Resource;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempRepo;

constexpr char kExample[] = ENVCTL_SOURCE_DIR "/examples/bikeshare";

const Resource& Find(const Environment& env, const std::string& name) {
  for (const auto& r : env.resources()) {
    if (r.name() == name) return r;
  }
  ADD_FAILURE() << "no resource " << name;
  return Resource::default_instance();
}

const envctl::v1::ResourceContent& ContentOf(const Environment& env, const std::string& name) {
  for (int i = 0; i < env.resources_size(); ++i) {
    if (env.resources(i).name() == name) return env.contents(i);
  }
  ADD_FAILURE() << "no resource " << name;
  return envctl::v1::ResourceContent::default_instance();
}

bool Enabled(const Resource& r) { return !r.has_enabled() || r.enabled().value(); }

TEST(LoaderTest, ExampleLoadsBothEnvironmentsWithoutErrors) {
  LoadResult result = LoadRepo(kExample);
  ASSERT_THAT(result.errors, IsEmpty()) << FormatDiagnostics(result.errors);
  ASSERT_EQ(result.environments.size(), 2u);
  EXPECT_EQ(result.environments[0].name(), "dev");
  EXPECT_EQ(result.environments[1].name(), "test");
  for (const Environment& env : result.environments) {
    EXPECT_EQ(env.project(), "bikeshare");
    // DEV disables the identity and ADF kinds; disabled resources are still loaded.
    EXPECT_EQ(env.resources_size(), 19);
    ASSERT_EQ(env.contents_size(), env.resources_size());
    for (int i = 0; i < env.resources_size(); ++i) {
      EXPECT_EQ(env.contents(i).resource(), env.resources(i).name());
      EXPECT_EQ(env.contents(i).content_hash().size(), 64u);
    }
    EXPECT_EQ(env.azure().location(), "westeurope");
    EXPECT_EQ(env.sync().resync_interval().seconds(), 600);
    EXPECT_EQ(env.sync().default_drift_policy(), envctl::v1::DRIFT_POLICY_ENFORCE);
    EXPECT_TRUE(env.sync().prune());
  }
}

TEST(LoaderTest, ExampleEnvironmentsDifferOnlyByParameters) {
  LoadResult result = LoadRepo(kExample);
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.errors);
  const Environment& dev = result.environments[0];
  const Environment& test = result.environments[1];
  EXPECT_EQ(Find(dev, "lake").storage_account().account_name(), "bikesharedevlake");
  EXPECT_EQ(Find(test, "lake").storage_account().account_name(), "bikesharetestlake");
  EXPECT_EQ(Find(dev, "keyvault").key_vault().vault_name(), "bikeshare-dev-kv");
  EXPECT_EQ(Find(test, "rg").resource_group().group_name(), "bikeshare-test-rg");
  EXPECT_EQ(dev.parameters().at("publish_adf"), "false");
  EXPECT_EQ(test.parameters().at("publish_adf"), "true");
  EXPECT_EQ(dev.parameters().at("environment"), "dev");
  EXPECT_EQ(dev.parameters().at("location"), "westeurope");

  // Data Factory definitions and their smoke test exist only where ADF is published.
  EXPECT_FALSE(Enabled(Find(dev, "adf-definitions")));
  EXPECT_FALSE(Enabled(Find(dev, "adf-pipeline-test")));
  EXPECT_TRUE(Enabled(Find(test, "adf-definitions")));
  EXPECT_TRUE(Enabled(Find(test, "adf-pipeline-test")));
}

TEST(LoaderTest, ExampleFieldsAreLoaded) {
  absl::StatusOr<Environment> env = LoadEnvironment(kExample, "test");
  ASSERT_OK(env);
  const auto& lake = Find(*env, "lake").storage_account();
  EXPECT_TRUE(lake.hierarchical_namespace());
  EXPECT_EQ(lake.kind(), "StorageV2");
  EXPECT_EQ(lake.sku(), "Standard_LRS");
  ASSERT_EQ(lake.containers_size(), 1);
  EXPECT_EQ(lake.containers(0).name(), "bikeshare");

  const auto& kv = Find(*env, "keyvault").key_vault();
  ASSERT_EQ(kv.access_policies_size(), 2);
  EXPECT_TRUE(kv.access_policies(0).principal().deployer());
  EXPECT_EQ(kv.access_policies(1).principal().data_factory(), "factory");

  const auto& token = Find(*env, "databricks-token").key_vault_secret();
  EXPECT_EQ(token.value().output().resource(), "workspace");
  EXPECT_EQ(token.value().output().output(), "token");

  // TEST copies no storage key into a secret scope: the notebooks sign in as the job
  // identity, which holds a role on the lake.
  EXPECT_FALSE(Enabled(Find(*env, "secrets")));
  const auto& it = Find(*env, "integration-test").integration_test();
  EXPECT_EQ(it.notebook_path(), "/Shared/bikeshare/integration_test");
  EXPECT_EQ(it.timeout().seconds(), 1800);
  EXPECT_THAT(it.covers(), ElementsAre("notebooks", "model-library", "job-lake-access"));
  EXPECT_EQ(it.parameters().at("lake_auth"), "identity");
  EXPECT_EQ(it.parameters().at("lake_client_id"), "${job-identity.clientId}");
  EXPECT_TRUE(Find(*env, "factory").data_factory().repo_configuration().has_enabled());
  EXPECT_FALSE(Find(*env, "factory").data_factory().repo_configuration().enabled().value());

  absl::StatusOr<Environment> dev = LoadEnvironment(kExample, "dev");
  ASSERT_OK(dev);
  const auto& scope = Find(*dev, "secrets").databricks_secret_scope();
  EXPECT_EQ(scope.scope_name(), "bikeshare");
  EXPECT_EQ(scope.secrets(0).key(), "storagekey");
  EXPECT_EQ(scope.secrets(0).value().output().output(), "primaryKey");
  EXPECT_THAT(Find(*dev, "integration-test").integration_test().covers(),
              ElementsAre("notebooks", "model-library", "secrets"));
  EXPECT_EQ(Find(*dev, "integration-test").integration_test().parameters().at("lake_auth"), "key");
  const auto& repo = Find(*dev, "factory").data_factory().repo_configuration();
  EXPECT_TRUE(repo.enabled().value());
  EXPECT_EQ(repo.provider(), "github");
  EXPECT_EQ(repo.repository_name(), "bikeshare");

  EXPECT_EQ(Find(*env, "lake").source().file(), "resources/azure.yaml");
  EXPECT_EQ(Find(*env, "lake").source().line(), 6);
  EXPECT_EQ(Find(*env, "lake").source().column(), 1);
  EXPECT_EQ(Find(*env, "adf-definitions").source().file(), "resources/datafactory.json");
}

TEST(LoaderTest, ExampleFilesAreLoadedWithHashes) {
  absl::StatusOr<Environment> env = LoadEnvironment(kExample, "test");
  ASSERT_OK(env);
  const auto& notebooks = ContentOf(*env, "notebooks");
  std::vector<std::string> paths;
  for (const auto& f : notebooks.files()) {
    paths.push_back(f.path());
    EXPECT_EQ(f.sha256(), Sha256Hex(f.content()));
    EXPECT_THAT(f.content(), ::testing::StartsWith("# Databricks notebook source\n"));
  }
  EXPECT_THAT(paths, ElementsAre("apply.py", "integration_test.py", "lake_access.py", "prepare.py",
                                 "train.py"));

  const auto& library = ContentOf(*env, "model-library");
  ASSERT_EQ(library.files_size(), 1);
  EXPECT_EQ(library.files(0).path(), "libs/bikeshare_model.py");

  const auto& defs = ContentOf(*env, "adf-definitions");
  ASSERT_EQ(defs.files_size(), 9);  // + Lake, 2 datasets, a data flow, factory/ global parameters
  EXPECT_EQ(defs.files(0).path(), "linkedService/AzureDatabricks.json");
  EXPECT_EQ(defs.files(1).path(), "linkedService/AzureKeyVault.json");
  EXPECT_EQ(defs.files(5).path(), "pipeline/ApplyModel.json");
  EXPECT_EQ(defs.files(6).path(), "trigger/HourlyApplyModel.json");
  EXPECT_EQ(defs.files(7).path(), "dataflow/DailyTotals.json");
  EXPECT_EQ(defs.files(8).path(), "factory/factory.json");
  EXPECT_THAT(defs.files(6).content(), HasSubstr("\"storage_account\":\"bikesharetestlake\""));
  // Parameters are substituted, output references stay for the reconciler.
  EXPECT_THAT(defs.files(0).content(), HasSubstr("\"secretName\":\"databricks-token\""));
  EXPECT_THAT(defs.files(0).content(), HasSubstr("https://${workspace.workspaceUrl}"));
  EXPECT_THAT(defs.files(1).content(), HasSubstr("\"baseUrl\":\"${keyvault.vaultUri}\""));
  EXPECT_THAT(defs.files(5).content(), HasSubstr("\"notebookPath\":\"/Shared/bikeshare/apply\""));
  EXPECT_THAT(defs.files(5).content(), HasSubstr("\"defaultValue\":\"bikesharetestlake\""));
  EXPECT_EQ(defs.files(5).sha256(), Sha256Hex(defs.files(5).content()));

  // Output references in the files order the definitions after their producers (the
  // pipeline passes the job identity's client id, a parameter holding an output).
  EXPECT_THAT(defs.files(5).content(),
              HasSubstr("\"lake_client_id\":\"${job-identity.clientId}\""));
  const auto deps = ResourceDependencies(Find(*env, "adf-definitions"));
  EXPECT_THAT(deps, ::testing::UnorderedElementsAre("factory", "databricks-token", "notebooks",
                                                    "keyvault", "workspace", "job-identity"));
}

TEST(LoaderTest, JsonAndYamlResourceFilesGiveTheSameProto) {
  TempRepo yaml;
  yaml.Write("resources/rg.yaml", testing::kResourceGroup);
  yaml.Write("resources/lake.yaml",
             "name: lake\n"
             "tags: {owner: data-team}\n"
             "driftPolicy: report\n"
             "storageAccount:\n"
             "  accountName: demo${suffix}lake\n"
             "  resourceGroup: rg\n"
             "  hierarchicalNamespace: true\n"
             "  containers:\n"
             "    - name: raw\n"
             "      metadata: {tier: bronze}\n");
  TempRepo json;
  json.Write("resources/rg.yaml", testing::kResourceGroup);
  json.Write(
      "resources/lake.json",
      "{\n"
      "\t\"storageAccount\": {\"accountName\": \"demo${suffix}lake\", \"resourceGroup\": \"rg\",\n"
      "\t  \"hierarchicalNamespace\": true,\n"
      "\t  \"containers\": [{\"name\": \"raw\", \"metadata\": {\"tier\": \"bronze\"}}]},\n"
      "\t\"name\": \"lake\", \"driftPolicy\": \"DRIFT_POLICY_REPORT\",\n"
      "\t\"tags\": {\"owner\": \"data-team\"}\n"
      "}\n");
  LoadResult a = LoadRepo(yaml.dir());
  LoadResult b = LoadRepo(json.dir());
  ASSERT_TRUE(a.ok()) << FormatDiagnostics(a.errors);
  ASSERT_TRUE(b.ok()) << FormatDiagnostics(b.errors);
  for (size_t e = 0; e < 2; ++e) {
    Resource ra = Find(a.environments[e], "lake");
    Resource rb = Find(b.environments[e], "lake");
    EXPECT_EQ(rb.source().file(), "resources/lake.json");
    ra.clear_source();
    rb.clear_source();
    EXPECT_EQ(ra.DebugString(), rb.DebugString());
    EXPECT_EQ(ContentOf(a.environments[e], "lake").content_hash(),
              ContentOf(b.environments[e], "lake").content_hash());
  }
  EXPECT_EQ(Find(a.environments[1], "lake").storage_account().account_name(), "demotestlake");
  EXPECT_EQ(Find(a.environments[0], "lake").drift_policy(), envctl::v1::DRIFT_POLICY_REPORT);
}

TEST(LoaderTest, ProtoFieldNamesEnumsAndDurationsFollowTheJsonMapping) {
  TempRepo repo;
  repo.Write("envctl.yaml",
             "project: demo\nenvironments: [dev]\n"
             "azure: {location: westeurope}\n"
             "sync: {resync_interval: 1h30m, default_drift_policy: IGNORE, max_prune: 3}\n");
  repo.Write("environments/dev.yaml", "sync: {resyncInterval: 90s}\n");
  repo.Write("resources/all.yaml",
             "name: rg\n"
             "drift_policy: Report\n"
             "resource_group: {group_name: demo-rg}\n"
             "---\n"
             "- name: ws\n"
             "  databricksWorkspace:\n"
             "    existing: {workspace_url: 'https://adb-1.2.azuredatabricks.net'}\n"
             "    tokenLifetime: 720h\n");
  LoadResult result = LoadRepo(repo.dir());
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.errors);
  const Environment& env = result.environments[0];
  EXPECT_EQ(env.sync().resync_interval().seconds(), 90);  // the environment wins
  EXPECT_EQ(env.sync().default_drift_policy(), envctl::v1::DRIFT_POLICY_IGNORE);
  EXPECT_EQ(env.sync().max_prune(), 3);
  EXPECT_EQ(Find(env, "rg").drift_policy(), envctl::v1::DRIFT_POLICY_REPORT);
  EXPECT_EQ(Find(env, "rg").resource_group().group_name(), "demo-rg");
  EXPECT_EQ(Find(env, "ws").databricks_workspace().token_lifetime().seconds(), 720 * 3600);
  EXPECT_EQ(KindName(Find(env, "ws")), "DatabricksWorkspace");
}

TEST(LoaderTest, LoadEnvironmentReportsUnknownEnvironmentsAndErrors) {
  EXPECT_THAT(LoadEnvironment(kExample, "prod"),
              envctl::testing::StatusIs(absl::StatusCode::kNotFound,
                                        HasSubstr("environment \"prod\" is not declared")));
  TempRepo repo;
  repo.Write("resources/rg.yaml", "name: rg\nresourceGroup: {groupName: bad.}\n");
  EXPECT_THAT(LoadEnvironment(repo.dir(), "dev"),
              envctl::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  HasSubstr("resources/rg.yaml:2:28: resourceGroup.groupName: invalid resource "
                            "group name \"bad.\"")));
}

TEST(LoaderTest, KindNamesCoverEveryKind) {
  std::vector<std::string> names;
  for (Kind k : AllKinds()) names.push_back(KindName(k));
  EXPECT_EQ(names.size(), 19u);
  EXPECT_THAT(names, ::testing::Contains("StorageAccount"));
  EXPECT_THAT(names, ::testing::Contains("DataFactoryDefinitions"));
  EXPECT_EQ(KindField(Resource::kKeyVaultSecret), "keyVaultSecret");
  EXPECT_EQ(KindName(Resource()), "");
  EXPECT_TRUE(HasOutput(Resource::kDatabricksWorkspace, "workspaceUrl"));
  EXPECT_FALSE(HasOutput(Resource::kKeyVault, "token"));
}

}  // namespace
}  // namespace envctl::spec
