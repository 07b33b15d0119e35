// Dependencies implied by references: what the controller orders resources by.
#include "spec/references.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/loader.h"
#include "spec/warnings.h"

namespace envctl::spec {
namespace {

using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST(ReferencesTest, ExampleDependenciesFollowFieldsAndOutputs) {
  absl::StatusOr<envctl::v1::Environment> env =
      LoadEnvironment(ENVCTL_SOURCE_DIR "/examples/bikeshare", "test");
  ASSERT_TRUE(env.ok()) << env.status();
  const auto deps = DependencyMap(*env);
  EXPECT_THAT(deps.at("rg"), IsEmpty());
  EXPECT_THAT(deps.at("lake"), UnorderedElementsAre("rg"));
  EXPECT_THAT(deps.at("keyvault"), UnorderedElementsAre("rg", "factory"));
  EXPECT_THAT(deps.at("databricks-token"), UnorderedElementsAre("keyvault", "workspace"));
  EXPECT_EQ(deps.count("secrets"), 0u) << "TEST copies no storage key into a secret scope";
  // The notebooks sign in as the job identity (its client id is a parameter) and need
  // its role on the lake.
  EXPECT_THAT(deps.at("integration-test"),
              UnorderedElementsAre("workspace", "notebooks", "model-library", "job-lake-access",
                                   "job-identity"));
  EXPECT_THAT(deps.at("adf-pipeline-test"),
              UnorderedElementsAre("factory", "adf-definitions", "notebooks", "model-library",
                                   "job-lake-access", "training-run"));
  // The job is written beside the notebooks its tasks run; the run test waits for both.
  EXPECT_THAT(deps.at("training"), UnorderedElementsAre("workspace", "small-clusters"));
  EXPECT_THAT(deps.at("training-permissions"), UnorderedElementsAre("workspace", "training"));
  EXPECT_THAT(deps.at("training-run"), UnorderedElementsAre("training", "notebooks"));
}

TEST(ReferencesTest, DisabledResourcesAreLeftOutOfTheDependencyMap) {
  absl::StatusOr<envctl::v1::Environment> env =
      LoadEnvironment(ENVCTL_SOURCE_DIR "/examples/bikeshare", "dev");
  ASSERT_TRUE(env.ok()) << env.status();
  const auto deps = DependencyMap(*env);
  EXPECT_EQ(deps.count("adf-definitions"), 0u);
  EXPECT_EQ(deps.count("adf-pipeline-test"), 0u);
  EXPECT_EQ(deps.count("training-run"), 0u);
  EXPECT_EQ(deps.size(), 13u);
}

// Issue 17: in a vault in RBAC mode envctl writes secrets with a role assignment of its
// own; each secret waits for the deployer's assignments at the vault or its group (and
// no other assignment), and `validate` warns about a secret with none.
TEST(ReferencesTest, SecretsOfAnRbacVaultWaitForTheDeployersRoleAssignment) {
  envctl::v1::Environment env;
  env.set_name("test");
  auto add = [&env](const std::string& name) {
    envctl::v1::Resource* r = env.add_resources();
    r->set_name(name);
    return r;
  };
  auto* kv = add("kv")->mutable_key_vault();
  kv->set_resource_group("rg");
  kv->set_enable_rbac_authorization(true);
  add("secret")->mutable_key_vault_secret()->set_vault("kv");
  auto* at_vault = add("deployer-at-vault")->mutable_role_assignment();
  at_vault->set_scope("kv");
  at_vault->mutable_principal()->set_deployer(true);
  auto* at_group = add("deployer-at-group")->mutable_role_assignment();
  at_group->set_scope("rg");
  at_group->mutable_principal()->set_deployer(true);
  auto* reader = add("factory-reads")->mutable_role_assignment();
  reader->set_scope("kv");
  reader->mutable_principal()->set_data_factory("factory");
  const auto implied = ImpliedDependencies(env);
  ASSERT_EQ(implied.count("secret"), 1u);
  EXPECT_THAT(implied.at("secret"), UnorderedElementsAre("deployer-at-vault", "deployer-at-group"));
  EXPECT_TRUE(Warnings(env).empty());

  // Access policies instead of RBAC: nothing implied.
  kv->set_enable_rbac_authorization(false);
  EXPECT_THAT(ImpliedDependencies(env), IsEmpty());

  // RBAC without a grant for the deployer: a warning at the secret naming the fix.
  kv->set_enable_rbac_authorization(true);
  env.mutable_resources()->DeleteSubrange(2, 2);
  EXPECT_THAT(ImpliedDependencies(env), IsEmpty());
  const auto warnings = Warnings(env);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].field, "keyVaultSecret.vault");
  EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("Key Vault Secrets Officer"));
}

TEST(ReferencesTest, OutputPlaceholdersInStringFieldsAreReferences) {
  envctl::v1::Resource r;
  r.set_name("test");
  auto* t = r.mutable_integration_test();
  t->set_workspace("ws");
  (*t->mutable_parameters())["url"] = "https://${ws.workspaceUrl}/x";
  (*r.mutable_tags())["vault"] = "${kv.vaultUri}";
  r.add_depends_on("other");
  const auto refs = References(r);
  ASSERT_EQ(refs.size(), 4u);
  EXPECT_EQ(refs[0].path, "dependsOn[0]");
  EXPECT_EQ(refs[1].path, "integrationTest.workspace");
  EXPECT_EQ(refs[1].expected_kind, envctl::v1::Resource::kDatabricksWorkspace);
  bool saw_param = false;
  for (const auto& ref : refs) {
    if (ref.path == "integrationTest.parameters.url") {
      saw_param = true;
      EXPECT_EQ(ref.target, "ws");
      EXPECT_EQ(ref.output, "workspaceUrl");
    }
  }
  EXPECT_TRUE(saw_param);
  EXPECT_THAT(ResourceDependencies(r), UnorderedElementsAre("ws", "kv", "other"));
}

// A job's notebooks and libraries are run-time references: still references (validated),
// but the job does not wait for them; its run test does. dependsOn still orders the job.
TEST(ReferencesTest, JobTaskNotebooksAndLibrariesAreWaitedForByTheRunTestNotTheJob) {
  envctl::v1::Environment env;
  envctl::v1::Resource* job = env.add_resources();
  job->set_name("job");
  job->mutable_databricks_job()->set_workspace("ws");
  auto* task = job->mutable_databricks_job()->add_tasks();
  task->mutable_notebook()->mutable_notebook()->set_notebooks("nbs");
  task->add_libraries("lib");
  task->set_existing_cluster("cluster");
  envctl::v1::Resource* test = env.add_resources();
  test->set_name("job-run");
  test->mutable_job_run_test()->set_job("job");
  int run_time = 0;
  for (const Reference& ref : References(*job)) {
    if (ref.run_time) {
      ++run_time;
      EXPECT_TRUE(ref.target == "nbs" || ref.target == "lib") << ref.path;
    }
  }
  EXPECT_EQ(run_time, 2);
  EXPECT_THAT(ResourceDependencies(*job), UnorderedElementsAre("ws", "cluster"));
  const auto implied = ImpliedDependencies(env);
  ASSERT_EQ(implied.count("job-run"), 1u);
  EXPECT_THAT(implied.at("job-run"), UnorderedElementsAre("nbs", "lib"));
  job->add_depends_on("nbs");
  EXPECT_THAT(ResourceDependencies(*job), UnorderedElementsAre("ws", "cluster", "nbs"));
}

TEST(ReferencesTest, ContentReferencesComeFromDefinitionFiles) {
  envctl::v1::ResourceContent content;
  auto* f = content.add_files();
  f->set_path("linkedService/Kv.json");
  f->set_content(R"({"baseUrl":"${keyvault.vaultUri}","domain":"https://${ws.workspaceUrl}"})");
  const auto refs = ContentReferences(content);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].path, "files/linkedService/Kv.json");
  EXPECT_EQ(refs[0].target, "keyvault");
  EXPECT_EQ(refs[1].output, "workspaceUrl");
}

}  // namespace
}  // namespace envctl::spec
