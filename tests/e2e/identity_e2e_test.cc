// End-to-end (issue 17): bikeshare TEST with role assignments instead of keys and a data
// flow; ignoreDifferences (per resource and per kind) keeps a tag someone else owns out of
// plan and apply; a resource that existed before envctl is adopted and prune leaves it;
// and a notebook edited by hand under the controller is repaired by the change poll,
// not the resync.
#include <chrono>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBlobDataContributor[] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

class IdentityE2ETest : public BikeshareE2ETest {
 protected:
  std::string Lake() {
    return Rg() + "/providers/Microsoft.Storage/storageAccounts/bikesharetestlake";
  }
  std::string Factory() {
    return Rg() + "/providers/Microsoft.DataFactory/factories/bikeshare-test-adf";
  }
  // The role assignments at the lake (atScope()).
  absl::StatusOr<nlohmann::json> LakeAssignments() {
    return portal_->Call(
        "GET",
        sim_->arm_endpoint + Lake() +
            "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
            "&%24filter=atScope%28%29",
        "https://management.azure.com/.default");
  }
};

TEST_F(IdentityE2ETest, TestConvergesWithRoleAssignmentsAndADataFlowThenPlanIsEmpty) {
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("factory-lake-access (RoleAssignment) create"));
  EXPECT_THAT(applied.output, HasSubstr("job-lake-access (RoleAssignment) create"));

  auto factory = portal_->Arm("GET", Factory(), "2018-06-01");
  ASSERT_OK(factory);
  const std::string factory_principal = (*factory)["identity"]["principalId"];
  auto identity = portal_->Arm(
      "GET",
      Rg() + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bikeshare-test-jobs",
      "2023-01-31");
  ASSERT_OK(identity);
  const std::string job_principal = (*identity)["properties"]["principalId"];

  auto assignments = LakeAssignments();
  ASSERT_OK(assignments);
  std::set<std::string> principals;
  for (const auto& a : (*assignments)["value"]) {
    EXPECT_THAT(a["properties"]["roleDefinitionId"].get<std::string>(),
                HasSubstr(kBlobDataContributor));
    principals.insert(a["properties"]["principalId"].get<std::string>());
  }
  EXPECT_EQ(principals, (std::set<std::string>{factory_principal, job_principal}));

  auto flow = portal_->Arm("GET", Factory() + "/dataflows/DailyTotals", "2018-06-01");
  ASSERT_OK(flow);
  EXPECT_EQ((*flow)["properties"]["type"], "MappingDataFlow");
  auto globals = portal_->Arm("GET", Factory() + "/globalParameters/default", "2018-06-01");
  ASSERT_OK(globals);
  EXPECT_EQ((*globals)["properties"]["storage_account"]["value"], "bikesharetestlake");

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("No changes."));

  // DEV keeps the key path: no identity, no assignment there.
  RunResult dev = Apply("dev");
  ASSERT_EQ(dev.exit_code, 0) << dev.output;
  EXPECT_THAT(dev.output, Not(HasSubstr("(RoleAssignment)")));
}

TEST_F(IdentityE2ETest, RemovedRoleAssignmentIsDriftAndRecreatedUnderTheSameName) {
  ConvergeTest();
  auto assignments = LakeAssignments();
  ASSERT_OK(assignments);
  ASSERT_EQ((*assignments)["value"].size(), 2u);
  const std::string id = (*assignments)["value"][0]["id"];
  ASSERT_OK(portal_->Arm("DELETE", id, "2022-04-01"));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("(RoleAssignment) [drift]"));
  ASSERT_EQ(Apply().exit_code, 0);
  EXPECT_OK(portal_->Arm("GET", id, "2022-04-01")) << "the deterministic name comes back";
  EXPECT_EQ(Plan().exit_code, 0);
}

// The factory's GET serves the definitions' global parameters (no read of their own):
// a value changed through the globalParameters API is still seen and put back.
TEST_F(IdentityE2ETest, GlobalParameterChangedOutOfBandIsDriftAndRepaired) {
  ConvergeTest();
  ASSERT_OK(portal_->Arm(
      "PUT", Factory() + "/globalParameters/default", "2018-06-01",
      {{"properties", {{"storage_account", {{"type", "String"}, {"value", "elsewhere"}}}}}}));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("storage_account"));
  ASSERT_EQ(Apply().exit_code, 0);
  auto globals = portal_->Arm("GET", Factory() + "/globalParameters/default", "2018-06-01");
  ASSERT_OK(globals);
  EXPECT_EQ((*globals)["properties"]["storage_account"]["value"], "bikesharetestlake");
  EXPECT_EQ(Plan().exit_code, 0);
}

TEST_F(IdentityE2ETest, TagInIgnoreDifferencesChangedOutOfBandIsNeitherShownNorRepaired) {
  // Per resource on the lake, per kind (every ResourceGroup) in the sync defaults.
  Edit("resources/azure.yaml", "name: lake\n",
       "name: lake\nignoreDifferences: [tags.CostCenter]\n");
  Edit("envctl.yaml", "  prune: true\n",
       "  prune: true\n  ignoreDifferences:\n    - kind: ResourceGroup\n      jsonPaths: "
       "[tags.Owner]\n");
  ConvergeTest();

  auto lake = portal_->Arm("GET", Lake(), "2023-01-01");
  ASSERT_OK(lake);
  nlohmann::json tags = (*lake)["tags"];
  tags["CostCenter"] = "4711";  // what an Azure Policy would add
  ASSERT_OK(portal_->Arm("PATCH", Lake(), "2023-01-01", {{"tags", tags}}));
  auto rg = portal_->Arm("GET", Rg(), "2022-09-01");
  ASSERT_OK(rg);
  nlohmann::json rg_tags = (*rg)["tags"];
  rg_tags["Owner"] = "data-team";
  ASSERT_OK(portal_->Arm("PATCH", Rg(), "2022-09-01", {{"tags", rg_tags}}));

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_THAT(plan.output, Not(HasSubstr("CostCenter")));
  EXPECT_THAT(plan.output, Not(HasSubstr("Owner")));

  ASSERT_OK(portal_->ResetStats());
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto writes = portal_->Writes();
  ASSERT_OK(writes);
  EXPECT_EQ(*writes, 0) << applied.output;
  auto after = portal_->Arm("GET", Lake(), "2023-01-01");
  ASSERT_OK(after);
  EXPECT_EQ((*after)["tags"]["CostCenter"], "4711");
  auto rg_after = portal_->Arm("GET", Rg(), "2022-09-01");
  ASSERT_OK(rg_after);
  EXPECT_EQ((*rg_after)["tags"]["Owner"], "data-team");

  // A tag not listed is still drift.
  tags["Team"] = "someone";
  ASSERT_OK(portal_->Arm("PATCH", Lake(), "2023-01-01", {{"tags", tags}}));
  RunResult drift = Plan();
  EXPECT_EQ(drift.exit_code, 2) << drift.output;
  EXPECT_THAT(drift.output, HasSubstr("tags.Team"));
  EXPECT_THAT(drift.output, Not(HasSubstr("CostCenter")));
}

TEST_F(IdentityE2ETest, RepairOfAnotherFieldKeepsAnIgnoredTagsOutOfBandValue) {
  Edit("resources/azure.yaml", "name: lake\n",
       "name: lake\nignoreDifferences: [tags.CostCenter]\n");
  ConvergeTest();

  // An Azure Policy adds CostCenter; someone also lowers the TLS floor (real drift).
  auto lake = portal_->Arm("GET", Lake(), "2023-01-01");
  ASSERT_OK(lake);
  nlohmann::json tags = (*lake)["tags"];
  tags["CostCenter"] = "4711";
  ASSERT_OK(portal_->Arm("PATCH", Lake(), "2023-01-01",
                         {{"tags", tags}, {"properties", {{"minimumTlsVersion", "TLS1_0"}}}}));

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("properties.minimumTlsVersion"));
  EXPECT_THAT(plan.output, Not(HasSubstr("CostCenter")));

  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto after = portal_->Arm("GET", Lake(), "2023-01-01");
  ASSERT_OK(after);
  EXPECT_EQ((*after)["properties"]["minimumTlsVersion"], "TLS1_2") << "the other field is repaired";
  EXPECT_EQ((*after)["tags"]["CostCenter"], "4711")
      << "the ignored tag keeps its out-of-band value";
  RunResult clean = Plan();
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_THAT(clean.output, Not(HasSubstr("CostCenter")));
}

TEST_F(IdentityE2ETest, PreexistingIdentityIsAdoptedAndPruneLeavesIt) {
  const std::string path =
      Rg() + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bikeshare-test-jobs";
  ASSERT_OK(portal_->Arm("PUT", Rg(), "2022-09-01", {{"location", "westeurope"}}));
  ASSERT_OK(portal_->Arm("PUT", path, "2023-01-31", {{"location", "westeurope"}}));
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("& job-identity (UserAssignedIdentity) [adopt]"));
  ConvergeTest();
  EXPECT_EQ(Plan().exit_code, 0);

  // The identity and its assignment leave the repo (TEST's notebooks go back to the
  // account key): the assignment envctl made is deleted, the adopted identity stays.
  Edit("environments/test.yaml",
       "  use_account_key: \"false\"\n  lake_auth: identity\n  lake_client_id: "
       "${job-identity.clientId}\n"
       "  lake_access: job-lake-access\n",
       "");
  Edit("resources/identity.yaml", "name: job-lake-access\n", "name: job-lake-access-gone\n");
  std::string text = ReadFile(repo_ / "resources/identity.yaml");
  text = text.substr(0, text.find("name: job-identity")) +
         text.substr(text.find("---\nname: factory-lake-access") + 4);
  text = text.substr(0, text.find("---\nname: job-lake-access-gone"));
  WriteFile(repo_ / "resources/identity.yaml", text);
  RunResult pruned = Apply();
  ASSERT_EQ(pruned.exit_code, 0) << pruned.output;
  EXPECT_OK(portal_->Arm("GET", path, "2023-01-31")) << pruned.output;
  auto assignments = LakeAssignments();
  ASSERT_OK(assignments);
  EXPECT_EQ((*assignments)["value"].size(), 1u) << pruned.output;
  EXPECT_EQ(Plan().exit_code, 0);
}

// Key Vault in RBAC mode: no access policies; data access comes from role assignments
// only, for envctl too (as in Azure, owning the subscription grants no data actions, and
// cloudsim enforces that). Without a role of its own at the vault, envctl's secret writes
// are refused with Key Vault's ForbiddenByRbac; with `Key Vault Secrets Officer` for the
// deployer (which the secrets then wait for) TEST converges, the secrets are written and
// readable, the factory holds `Key Vault Secrets User`, and the plan is empty after.
TEST_F(IdentityE2ETest, RbacVaultWithARoleAssignmentInsteadOfAccessPoliciesConverges) {
  Edit("resources/azure.yaml",
       "  accessPolicies:\n"
       "    - principal: {deployer: true}\n"
       "      secretPermissions: [get, list, set, delete, recover, purge]\n"
       "    # Data Factory reads the Databricks token through its managed identity.\n"
       "    - principal: {dataFactory: factory}\n"
       "      secretPermissions: [get, list]\n",
       "  enableRbacAuthorization: true\n");
  WriteFile(repo_ / "resources/vault_access.yaml",
            "name: factory-vault-access\n"
            "roleAssignment:\n"
            "  scope: keyvault\n"
            "  role: Key Vault Secrets User\n"
            "  principal: {dataFactory: factory}\n");
  RunResult warned = Run("validate " + repo_.string());
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_THAT(warned.output, HasSubstr("keyVaultSecret.vault"));
  EXPECT_THAT(warned.output,
              HasSubstr("role: Key Vault Secrets Officer, principal: {deployer: true}"));
  RunResult refused = Apply();
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("not authorized to perform action")) << refused.output;

  WriteFile(repo_ / "resources/vault_access.yaml",
            "name: factory-vault-access\n"
            "roleAssignment:\n"
            "  scope: keyvault\n"
            "  role: Key Vault Secrets User\n"
            "  principal: {dataFactory: factory}\n"
            "---\n"
            "name: deployer-vault-access\n"
            "roleAssignment:\n"
            "  scope: keyvault\n"
            "  role: Key Vault Secrets Officer\n"
            "  principal: {deployer: true}\n");
  RunResult clean = Run("validate " + repo_.string());
  EXPECT_THAT(clean.output, Not(HasSubstr("warning:"))) << clean.output;
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("deployer-vault-access (RoleAssignment) create"));
  EXPECT_LT(applied.output.find("deployer-vault-access (RoleAssignment)"),
            applied.output.find("databricks-token (KeyVaultSecret)"))
      << "the secret waits for the grant it is written with: " << applied.output;

  const std::string vault_path = Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv";
  auto vault = portal_->Arm("GET", vault_path, "2023-07-01");
  ASSERT_OK(vault);
  EXPECT_EQ((*vault)["properties"]["enableRbacAuthorization"], true);
  auto assignments =
      portal_->Call("GET",
                    sim_->arm_endpoint + vault_path +
                        "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
                        "&%24filter=atScope%28%29",
                    "https://management.azure.com/.default");
  ASSERT_OK(assignments);
  EXPECT_EQ((*assignments)["value"].size(), 2u) << assignments->dump();
  // The secret is there, read with the same grant (never printed).
  std::string vault_uri = (*vault)["properties"].value("vaultUri", "");
  if (!vault_uri.empty() && vault_uri.back() == '/') vault_uri.pop_back();
  auto secret = portal_->Call("GET", vault_uri + "/secrets/databricks-token?api-version=7.4",
                              "https://vault.azure.net/.default");
  ASSERT_OK(secret);
  EXPECT_FALSE(secret->value("value", "").empty());

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("No changes."));
}

// Data Factory's credential/ and managedVirtualNetwork/ folders (issue 17): the jobs'
// user-assigned identity attached to the factory, a credential for it, the factory's
// managed virtual network and a
// managed private endpoint to the lake's dfs endpoint, from a second definitions folder
// of TEST, are created by apply, plan is empty after, and the identity detached and both
// entities deleted by hand are drift that the next apply puts back.
TEST_F(IdentityE2ETest, CredentialAndManagedPrivateEndpointConvergeAndAreRepairedAfterDeletion) {
  auto Write = [](const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    WriteFile(p, content);
  };
  Write(repo_ / "datafactory_network/credential/JobIdentity.json",
        R"({"name": "JobIdentity", "properties": {"type": "ManagedIdentity",)"
        R"( "typeProperties": {"resourceId": "${job-identity.id}"}}})");
  Write(repo_ / "datafactory_network/managedVirtualNetwork/default.json",
        R"({"name": "default", "properties": {}})");
  Write(repo_ /
            "datafactory_network/managedVirtualNetwork/default/managedPrivateEndpoint/"
            "lake-dfs.json",
        R"({"name": "lake-dfs", "properties": {"privateLinkResourceId": "${lake.id}",)"
        R"( "groupId": "dfs"}})");
  WriteFile(repo_ / "resources/adf_network.yaml",
            "name: adf-network\n"
            "enabled: ${use_rbac}\n"
            "dataFactoryDefinitions:\n"
            "  dataFactory: factory\n"
            "  folder: datafactory_network\n");
  // The credential's identity is attached to the factory (next to its system identity).
  Edit("resources/azure.yaml", "  factoryName: ${data_factory}\n",
       "  factoryName: ${data_factory}\n  userAssignedIdentities: [job-identity]\n");
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("adf-network (DataFactoryDefinitions) create"));

  auto identity = portal_->Arm(
      "GET",
      Rg() + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bikeshare-test-jobs",
      "2023-01-31");
  ASSERT_OK(identity);
  const std::string credential_path = Factory() + "/credentials/JobIdentity";
  const std::string endpoint_path =
      Factory() + "/managedVirtualNetworks/default/managedPrivateEndpoints/lake-dfs";
  auto check = [&]() {
    auto factory = portal_->Arm("GET", Factory(), "2018-06-01");
    ASSERT_OK(factory);
    EXPECT_EQ((*factory)["identity"]["type"], "SystemAssigned,UserAssigned");
    bool attached = false;
    for (const auto& [id, v] : (*factory)["identity"]["userAssignedIdentities"].items())
      attached |= absl::EqualsIgnoreCase(id, (*identity)["id"].get<std::string>());
    EXPECT_TRUE(attached) << factory->dump();
    auto credential = portal_->Arm("GET", credential_path, "2018-06-01");
    ASSERT_OK(credential);
    EXPECT_EQ((*credential)["properties"]["type"], "ManagedIdentity");
    EXPECT_EQ((*credential)["properties"]["typeProperties"]["resourceId"], (*identity)["id"]);
    auto vnet = portal_->Arm("GET", Factory() + "/managedVirtualNetworks/default", "2018-06-01");
    ASSERT_OK(vnet);
    auto endpoint = portal_->Arm("GET", endpoint_path, "2018-06-01");
    ASSERT_OK(endpoint);
    EXPECT_EQ((*endpoint)["properties"]["groupId"], "dfs");
    EXPECT_TRUE(absl::EqualsIgnoreCase((*endpoint)["properties"].value("privateLinkResourceId", ""),
                                       Lake()))
        << endpoint->dump();
  };
  check();
  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("No changes."));

  ASSERT_OK(portal_->Arm("DELETE", credential_path, "2018-06-01"));
  ASSERT_OK(portal_->Arm("DELETE", endpoint_path, "2018-06-01"));
  ASSERT_OK(
      portal_->Arm("PATCH", Factory(), "2018-06-01", {{"identity", {{"type", "SystemAssigned"}}}}));
  RunResult drift = Plan();
  EXPECT_EQ(drift.exit_code, 2) << drift.output;
  EXPECT_THAT(drift.output, HasSubstr("identity.userAssignedIdentities"));
  EXPECT_THAT(drift.output, HasSubstr("JobIdentity"));
  EXPECT_THAT(drift.output, HasSubstr("lake-dfs"));
  RunResult repaired = Apply();
  ASSERT_EQ(repaired.exit_code, 0) << repaired.output;
  check();
  RunResult after = Plan();
  EXPECT_EQ(after.exit_code, 0) << after.output;
  EXPECT_THAT(after.output, HasSubstr("No changes."));
}

TEST_F(IdentityE2ETest, ValidateWarnsWhenTheDeployerMaySetButNotRecoverSecrets) {
  RunResult clean = Run("validate " + repo_.string());
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_THAT(clean.output, Not(HasSubstr("warning:")));
  Edit("resources/azure.yaml", "[get, list, set, delete, recover, purge]",
       "[get, list, set, delete, purge]");
  RunResult warned = Run("validate " + repo_.string());
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_THAT(warned.output, HasSubstr("warning: resources/azure.yaml:"));
  EXPECT_THAT(warned.output, HasSubstr("keyVault.accessPolicies[0].secretPermissions"));
  EXPECT_THAT(warned.output, HasSubstr("falls back to purge-and-set"));
}

TEST_F(IdentityE2ETest, SecretDeletedOutOfBandIsRecoveredWithoutANewVersion) {
  ConvergeTest();
  auto vault = portal_->Arm("GET", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv",
                            "2023-07-01");
  ASSERT_OK(vault);
  std::string uri = (*vault)["properties"]["vaultUri"];
  if (!uri.empty() && uri.back() == '/') uri.pop_back();
  ASSERT_OK(portal_->Call("DELETE", uri + "/secrets/databricks-token?api-version=7.4",
                          "https://vault.azure.net/.default"));

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("databricks-token (KeyVaultSecret) [recover] [drift]"));

  auto before = portal_->Admin("GET", "/requests");
  ASSERT_OK(before);
  const size_t puts_before = Indexes(*before, "PUT", "/secrets/databricks-token").size();
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto after = portal_->Admin("GET", "/requests");
  ASSERT_OK(after);
  EXPECT_EQ(Indexes(*after, "PUT", "/secrets/databricks-token").size(), puts_before)
      << "the recovered version still carries the current token: nothing new is written";
  EXPECT_EQ(Indexes(*after, "POST", "/deletedsecrets/databricks-token/recover").size(), 1u);
  EXPECT_EQ(Plan().exit_code, 0);
}

// DEV's factory is in ADF Git mode; envctl keeps its Git link as the repo declares it.
TEST_F(IdentityE2ETest, DevFactoryGitLinkIsSetShownAndRepaired) {
  RunResult applied = Apply("dev");
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  const std::string dev_rg = portal_->RgPath("bikeshare-dev-rg");
  const std::string factory =
      dev_rg + "/providers/Microsoft.DataFactory/factories/bikeshare-dev-adf";
  auto live = portal_->Arm("GET", factory, "2018-06-01");
  ASSERT_OK(live);
  nlohmann::json repo = (*live)["properties"]["repoConfiguration"];
  EXPECT_EQ(repo["type"], "FactoryGitHubConfiguration");
  EXPECT_EQ(repo["accountName"], "contoso-data");
  EXPECT_EQ(repo["repositoryName"], "bikeshare");
  EXPECT_EQ(repo["collaborationBranch"], "main");
  EXPECT_EQ(repo["rootFolder"], "/examples/bikeshare/datafactory");
  EXPECT_EQ(Plan("dev").exit_code, 0);

  // Someone points the studio at another branch (the portal calls configureFactoryRepo).
  repo["collaborationBranch"] = "hotfix";
  const std::string subscription = dev_rg.substr(0, dev_rg.find("/resourceGroups"));
  ASSERT_OK(portal_->Arm(
      "POST",
      subscription + "/providers/Microsoft.DataFactory/locations/westeurope/configureFactoryRepo",
      "2018-06-01", {{"factoryResourceId", (*live)["id"]}, {"repoConfiguration", repo}}));
  RunResult plan = Plan("dev");
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("factory (DataFactory) [drift]"));
  EXPECT_THAT(plan.output, HasSubstr("properties.repoConfiguration.collaborationBranch"));
  EXPECT_THAT(plan.output, HasSubstr("hotfix"));
  ASSERT_EQ(Apply("dev").exit_code, 0);
  auto repaired = portal_->Arm("GET", factory, "2018-06-01");
  ASSERT_OK(repaired);
  EXPECT_EQ((*repaired)["properties"]["repoConfiguration"]["collaborationBranch"], "main");
  EXPECT_EQ(Plan("dev").exit_code, 0);
}

// A self-hosted integration runtime from the ADF folder whose first auth key a Key Vault
// secret takes through an output.
class RuntimeKeyE2ETest : public IdentityE2ETest {
 protected:
  void AddRuntimeAndKeySecret() {
    fs::create_directories(repo_ / "datafactory/integrationRuntime");
    WriteFile(
        repo_ / "datafactory/integrationRuntime/OnPremIR.json",
        R"({"name": "OnPremIR", "properties": {"type": "SelfHosted", "description": "on-premises sources"}})");
    WriteFile(repo_ / "resources/runtime.yaml",
              "# The key a self-hosted runtime's installer registers with, kept in Key Vault.\n"
              "name: onprem-ir-key\n"
              "enabled: ${publish_adf}\n"
              "keyVaultSecret:\n"
              "  vault: keyvault\n"
              "  secretName: onprem-ir-key\n"
              "  value: {output: adf-definitions.OnPremIR-authKey1}\n");
  }
  std::string Runtime() { return Factory() + "/integrationRuntimes/OnPremIR"; }
  // The runtime's keys as the service lists them: {authKey1, authKey2}.
  nlohmann::json Keys() {
    auto keys = portal_->Arm("POST", Runtime() + "/listAuthKeys", "2018-06-01");
    EXPECT_OK(keys);
    return keys.ok() ? *keys : nlohmann::json::object();
  }
  // The current value of the vault secret onprem-ir-key, or "".
  std::string SecretValue() {
    auto vault = portal_->Arm(
        "GET", Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv", "2023-07-01");
    EXPECT_OK(vault);
    if (!vault.ok()) return "";
    std::string uri = (*vault)["properties"]["vaultUri"];
    if (!uri.empty() && uri.back() == '/') uri.pop_back();
    auto secret = portal_->Call("GET", uri + "/secrets/onprem-ir-key?api-version=7.4",
                                "https://vault.azure.net/.default");
    EXPECT_OK(secret);
    return secret.ok() ? secret->value("value", "") : "";
  }
  RunResult JsonPlan() { return Run("plan " + repo_.string() + " --env test --json" + Common()); }
  RunResult Status() {
    return Run("status --state-dir " + (work_ / "state").string() + " --env test --json");
  }
};

// Its auth key reaches the secret, and no output of envctl ever shows a key.
TEST_F(RuntimeKeyE2ETest, SelfHostedRuntimeKeyReachesAVaultSecretAndIsNeverShown) {
  AddRuntimeAndKeySecret();
  RunResult planned = Plan();
  EXPECT_EQ(planned.exit_code, 2) << planned.output;
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;

  auto runtime = portal_->Arm("GET", Runtime(), "2018-06-01");
  ASSERT_OK(runtime);
  EXPECT_EQ((*runtime)["properties"]["type"], "SelfHosted");
  const nlohmann::json keys = Keys();
  const std::string key1 = keys.value("authKey1", ""), key2 = keys.value("authKey2", "");
  ASSERT_FALSE(key1.empty());
  EXPECT_EQ(SecretValue(), key1);

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 0) << plan.output;
  RunResult json_plan = JsonPlan();
  RunResult status = Status();
  EXPECT_EQ(status.exit_code, 0) << status.output;
  for (const RunResult* out : {&planned, &applied, &plan, &json_plan, &status}) {
    EXPECT_EQ(out->output.find(key1), std::string::npos) << out->output;
    EXPECT_EQ(out->output.find(key2), std::string::npos) << out->output;
  }
}

// Someone regenerates the key in place (the portal's "Regenerate key" calls
// regenerateAuthKey; the runtime's etag stays): plan shows the secret's source changed,
// apply writes the new key once, and the other key's regeneration touches nothing.
TEST_F(RuntimeKeyE2ETest, KeyRegeneratedInPlaceIsNoticedAndReachesTheSecretWithoutBeingShown) {
  AddRuntimeAndKeySecret();
  ConvergeTest();
  const std::string old_key1 = Keys().value("authKey1", "");
  ASSERT_EQ(SecretValue(), old_key1);
  auto before = portal_->Arm("GET", Runtime(), "2018-06-01");
  ASSERT_OK(before);

  ASSERT_OK(portal_->Arm("POST", Runtime() + "/regenerateAuthKey", "2018-06-01",
                         {{"keyName", "authKey1"}}));
  auto after = portal_->Arm("GET", Runtime(), "2018-06-01");
  ASSERT_OK(after);
  ASSERT_EQ((*after)["etag"], (*before)["etag"]) << "the runtime itself did not change";
  const nlohmann::json keys = Keys();
  const std::string key1 = keys.value("authKey1", ""), key2 = keys.value("authKey2", "");
  ASSERT_NE(key1, old_key1);

  RunResult plan = Plan();
  EXPECT_EQ(plan.exit_code, 2) << plan.output;
  EXPECT_THAT(plan.output, HasSubstr("onprem-ir-key (KeyVaultSecret)"));
  EXPECT_THAT(plan.output, Not(HasSubstr("adf-definitions (DataFactoryDefinitions)")))
      << "the runtime is as declared; only what reads its key changes";
  RunResult json_plan = JsonPlan();
  RunResult applied = Apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_EQ(SecretValue(), key1);
  RunResult replan = Plan();
  EXPECT_EQ(replan.exit_code, 0) << replan.output;

  // The second key is read by nothing: regenerating it changes no plan.
  ASSERT_OK(portal_->Arm("POST", Runtime() + "/regenerateAuthKey", "2018-06-01",
                         {{"keyName", "authKey2"}}));
  RunResult unaffected = Plan();
  EXPECT_EQ(unaffected.exit_code, 0) << unaffected.output;
  const std::string new_key2 = Keys().value("authKey2", "");

  RunResult status = Status();
  for (const RunResult* out : {&plan, &json_plan, &applied, &replan, &unaffected, &status}) {
    for (const std::string& key : {old_key1, key1, key2, new_key2}) {
      EXPECT_EQ(out->output.find(key), std::string::npos) << out->output;
    }
  }
}

class ChangePollE2ETest : public BikeshareE2ETest {
 protected:
  // The controller for TEST with a resync too long to matter and a 2 s change poll.
  fs::path WriteConfig() {
    Edit("envctl.yaml", "resyncInterval: 10m", "resyncInterval: 1h");
    return WriteFolderControllerConfig(
        std::string("environments: [test]\nworkers: 2\ndrift:\n  pollInterval: 2s\n") +
        kLoopbackListeners + "log:\n  level: info\n");
  }
  // Starts the controller (JSON logs) and waits for its first converged sync of TEST.
  void StartConverged(ControllerProcess& ctl) {
    ASSERT_TRUE(ctl.Start(
        work_, {"controller", "--config", WriteConfig().string(), "--log-format", "json"}));
    auto first =
        ctl.WaitForLogLine(Event("sync_end", {{"environment", "test"}, {"outcome", "converged"}}));
    ASSERT_TRUE(first.has_value()) << ctl.Stdout() << ctl.Stderr();
  }
  // Waits (60 s) for `resource`'s drift_repaired line and returns in `start` the
  // sync_start line of the sync that repaired it.
  void WaitForRepairSync(ControllerProcess& ctl, const std::string& resource,
                         nlohmann::json* start) {
    auto repaired = ctl.WaitForLogLine(Event("drift_repaired", {{"resource", resource}}),
                                       std::chrono::seconds(60));
    ASSERT_TRUE(repaired.has_value()) << ctl.Stderr();
    const std::string sync_id = (*repaired)["sync_id"];
    auto started =
        ctl.WaitForLogLine(Event("sync_start", {{"sync_id", sync_id}}), std::chrono::seconds(5));
    ASSERT_TRUE(started.has_value()) << ctl.Stderr();
    *start = *started;
  }
};

TEST_F(ChangePollE2ETest, NotebookEditedByHandIsRepairedByTheChangePollWithin60s) {
  ControllerProcess ctl;
  ASSERT_NO_FATAL_FAILURE(StartConverged(ctl));

  // A person edits a notebook in the workspace (same API as the UI's save).
  ASSERT_OK(portal_->Databricks(
      "bikeshare-test-rg", "bikeshare-test-dbw", "POST", "/api/2.0/workspace/import",
      {{"path", "/Shared/bikeshare/train"},
       {"format", "SOURCE"},
       {"language", "PYTHON"},
       {"overwrite", true},
       {"content", "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQpwcmludCgnZWRpdGVkIGJ5IGhhbmQnKQo="}}));

  auto poll =
      ctl.WaitForLogLine(Event("change_poll", {{"environment", "test"}}), std::chrono::seconds(60));
  ASSERT_TRUE(poll.has_value()) << ctl.Stderr();
  EXPECT_THAT((*poll)["resources"].get<std::string>(), HasSubstr("notebooks"));
  nlohmann::json start;
  ASSERT_NO_FATAL_FAILURE(WaitForRepairSync(ctl, "notebooks", &start));
  // The repair was a targeted sync (the change poll's), not the hourly resync.
  EXPECT_EQ(start.value("targets", ""), "notebooks");

  auto exported =
      portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                          "/api/2.0/workspace/export?path=/Shared/bikeshare/train&format=SOURCE");
  ASSERT_OK(exported);
  EXPECT_NE((*exported)["content"].get<std::string>(),
            "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQpwcmludCgnZWRpdGVkIGJ5IGhhbmQnKQo=");
  EXPECT_EQ(ctl.Stop(), 0) << ctl.Stderr();
}

// Issue 17: the change poll covers jobs too (one jobs listing per workspace per poll): a
// schedule changed by hand under the controller is repaired by the poll's targeted sync,
// not the hourly resync; the job's permissions (whose hint is the job) are planned in
// the same targeted sync.
TEST_F(ChangePollE2ETest, JobEditedByHandIsRepairedByTheChangePollWithin60s) {
  ControllerProcess ctl;
  ASSERT_NO_FATAL_FAILURE(StartConverged(ctl));

  auto job = [&]() -> absl::StatusOr<nlohmann::json> {
    auto list = portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                                    "/api/2.2/jobs/list?name=bikeshare-training");
    if (!list.ok()) return list.status();
    if (!list->contains("jobs") || (*list)["jobs"].size() != 1)
      return absl::NotFoundError(list->dump());
    const std::string id = std::to_string((*list)["jobs"][0]["job_id"].get<int64_t>());
    return portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "GET",
                               "/api/2.2/jobs/get?job_id=" + id);
  };
  auto before = job();
  ASSERT_OK(before);
  const std::string cron = (*before)["settings"]["schedule"]["quartz_cron_expression"];
  // A person moves the schedule in the UI (the UI saves with jobs/reset).
  nlohmann::json settings = (*before)["settings"];
  settings["schedule"]["quartz_cron_expression"] = "0 15 4 * * ?";
  ASSERT_OK(portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "POST",
                                "/api/2.2/jobs/reset",
                                {{"job_id", (*before)["job_id"]}, {"new_settings", settings}}));

  auto poll = ctl.WaitForLogLine(
      [](const nlohmann::json& l) {
        return l.value("event", "") == "change_poll" &&
               absl::StrContains(l.value("resources", ""), "training");
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(poll.has_value()) << ctl.Stderr();
  EXPECT_THAT((*poll)["resources"].get<std::string>(), HasSubstr("training-permissions"));
  EXPECT_THAT((*poll)["resources"].get<std::string>(), Not(HasSubstr("notebooks")));
  nlohmann::json start;
  ASSERT_NO_FATAL_FAILURE(WaitForRepairSync(ctl, "training", &start));
  EXPECT_THAT(start.value("targets", ""), HasSubstr("training"));
  auto ended = ctl.WaitForLogLine(Event("sync_end", {{"sync_id", start.value("sync_id", "")}}),
                                  std::chrono::seconds(60));
  ASSERT_TRUE(ended.has_value()) << ctl.Stderr();

  auto after = job();
  ASSERT_OK(after);
  EXPECT_EQ((*after)["settings"]["schedule"]["quartz_cron_expression"], cron);
  EXPECT_EQ(ctl.Stop(), 0) << ctl.Stderr();
}

}  // namespace
}  // namespace envctl::testing
