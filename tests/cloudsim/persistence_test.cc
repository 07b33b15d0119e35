// Restarting cloudsim on the same state dir keeps every resource, secret, identity, CA
// and data-plane origin.
#include "cloudsim/core/util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::testing {
namespace {

TEST(PersistenceTest, RestartWithTheSameStateDirKeepsAllResources) {
  FakeClock clock;  // the workspace becomes ready when the test moves simulated time on
  cloudsim::Options options;
  options.clock = &clock;
  auto env = CloudsimEnv::Start(options);
  ASSERT_TRUE(env.ok()) << env.status();
  CloudsimEnv& e = **env;
  SimClient c(e);
  std::string rg = c.Rg("keep");
  ASSERT_EQ(c.Arm("PUT", rg + "?api-version=2022-09-01",
                  {{"location", "westeurope"}, {"tags", {{"a", "b"}}}})
                .status,
            201);
  ASSERT_EQ(
      c.Arm(
           "PUT", rg + "/providers/Microsoft.Storage/storageAccounts/keepsa?api-version=2023-05-01",
           {{"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}, {"kind", "StorageV2"}})
          .status,
      202);
  cloudsim::Response vault =
      c.Arm("PUT", rg + "/providers/Microsoft.KeyVault/vaults/keep-kv?api-version=2023-07-01",
            {{"location", "westeurope"},
             {"properties",
              {{"tenantId", e.tenant_id},
               {"sku", {{"family", "A"}, {"name", "standard"}}},
               {"accessPolicies",
                {{{"tenantId", e.tenant_id},
                  {"objectId", e.object_id},
                  {"permissions", {{"secrets", {"get", "set"}}}}}}}}}});
  ASSERT_EQ(vault.status, 201);
  std::string vault_uri = JsonOf(vault)["properties"]["vaultUri"];
  ASSERT_EQ(
      c.WithToken(kVaultScope, "PUT", vault_uri + "secrets/s1?api-version=7.4", {{"value", "v1"}})
          .status,
      200);
  cloudsim::Response factory = c.Arm(
      "PUT", rg + "/providers/Microsoft.DataFactory/factories/keep-adf?api-version=2018-06-01",
      {{"location", "westeurope"}, {"identity", {{"type", "SystemAssigned"}}}});
  ASSERT_EQ(factory.status, 200);
  std::string ws =
      rg + "/providers/Microsoft.Databricks/workspaces/keep-dbw?api-version=2023-02-01";
  ASSERT_EQ(c.Arm("PUT", ws,
                  {{"location", "westeurope"},
                   {"sku", {{"name", "premium"}}},
                   {"properties", {{"managedResourceGroupId", c.Rg("keep-dbw-managed")}}}})
                .status,
            201);
  std::string workspace_url;
  for (int i = 0; i < 300 && workspace_url.empty(); ++i) {
    workspace_url = JsonOf(c.Arm("GET", ws))["properties"].value("workspaceUrl", "");
    if (workspace_url.empty()) clock.Advance(absl::Seconds(1));
  }
  ASSERT_FALSE(workspace_url.empty());
  auto ca_before = cloudsim::ReadFile(e.ca_cert_file);
  std::string secret_before = e.client_secret;
  std::string arm_before = e.arm_endpoint;

  ASSERT_TRUE(e.Restart().ok());
  SimClient after(e);
  EXPECT_EQ(e.client_secret, secret_before);
  EXPECT_EQ(e.arm_endpoint, arm_before);
  EXPECT_EQ(*cloudsim::ReadFile(e.ca_cert_file), *ca_before);
  nlohmann::json rg_after = JsonOf(after.Arm("GET", rg + "?api-version=2022-09-01"));
  EXPECT_EQ(rg_after["tags"]["a"], "b");
  EXPECT_EQ(
      JsonOf(after.Arm(
          "GET", rg + "/providers/Microsoft.Storage/storageAccounts/keepsa?api-version=2023-05-01"))
          ["name"],
      "keepsa");
  nlohmann::json vault_after = JsonOf(
      after.Arm("GET", rg + "/providers/Microsoft.KeyVault/vaults/keep-kv?api-version=2023-07-01"));
  EXPECT_EQ(vault_after["properties"]["vaultUri"], vault_uri);  // same port reopened
  EXPECT_EQ(JsonOf(after.WithToken(kVaultScope, "GET",
                                   vault_uri + "secrets/s1?api-version=7.4"))["value"],
            "v1");
  nlohmann::json factory_after = JsonOf(after.Arm(
      "GET", rg + "/providers/Microsoft.DataFactory/factories/keep-adf?api-version=2018-06-01"));
  EXPECT_EQ(factory_after["identity"]["principalId"], JsonOf(factory)["identity"]["principalId"]);
  EXPECT_EQ(JsonOf(after.Arm("GET", ws))["properties"]["workspaceUrl"], workspace_url);
  nlohmann::json resources = JsonOf(after.Arm("GET", rg + "/resources?api-version=2021-04-01"));
  EXPECT_EQ(resources["value"].size(), 4u);
  // The workspace origin answers again (its API is the databricks module's; any HTTP answer will
  // do).
  cloudsim::Response ws_answer = after.WithToken(
      kDatabricksScope, "GET", "https://" + workspace_url + "/api/2.0/workspace/list?path=/");
  EXPECT_GT(ws_answer.status, 0);
}

TEST(PersistenceTest, CorruptStateFileIsAClearStartError) {
  auto env = CloudsimEnv::Start();
  ASSERT_TRUE(env.ok());
  std::string dir = (*env)->state_dir();
  cloudsim::Options options = (*env)->options();
  (*env)->Stop();
  ASSERT_TRUE(cloudsim::WriteFileAtomic(dir + "/state.json", "{not json").ok());
  auto again = cloudsim::Cloudsim::Start(options);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.status().message()), ::testing::HasSubstr("state.json is corrupt"));
}

}  // namespace
}  // namespace envctl::testing
