// Answers compared with the official REST spec examples (Azure/azure-rest-api-specs):
// Databricks workspaces (2024-05-01 WorkspaceCreate*.json), storage accounts
// (StorageAccountCreate*.json: extendedLocation, encryption services, GRS secondary,
// routing preference, network ACLs after PATCH; BlobServicesGet.json sku) and Data Factory
// linked services (LinkedServices_Create.json: encryptedCredential).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"

namespace envctl::testing {
namespace {

class FidelityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = CloudsimEnv::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    client_ = std::make_unique<SimClient>(*env_);
    ASSERT_EQ(client_->Arm("PUT", client_->Rg("rg") + "?api-version=2022-09-01",
                           {{"location", "westeurope"}}).status, 201);
  }
  std::string Account(const std::string& name) {
    return client_->Rg("rg") + "/providers/Microsoft.Storage/storageAccounts/" + name +
           "?api-version=2025-01-01";
  }
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
};

TEST_F(FidelityTest, DatabricksWorkspaceWithoutSkuKeepsSpecFields) {
  std::string ws = client_->Rg("rg") + "/providers/Microsoft.Databricks/workspaces/uc?api-version=2024-05-01";
  nlohmann::json body = {
      {"location", "westeurope"},
      {"properties",
       {{"managedResourceGroupId", client_->Sub() + "/resourceGroups/uc-managed"},
        {"accessConnector",
         {{"id", client_->Rg("rg") + "/providers/Microsoft.Databricks/accessConnectors/ac"},
          {"identityType", "SystemAssigned"}}},
        {"defaultStorageFirewall", "Enabled"},
        {"defaultCatalog", {{"initialType", "UnityCatalog"}}},
        {"parameters", {{"enableNoPublicIp", {{"value", false}}},
                        {"customVirtualNetworkId", {{"value", "/subscriptions/x/vnet"}}}}}}}};
  cloudsim::Response created = client_->Arm("PUT", ws, body);
  ASSERT_EQ(created.status, 201) << created.body;
  nlohmann::json w = JsonOf(created);
  EXPECT_FALSE(w.contains("sku"));
  const nlohmann::json& p = w["properties"];
  EXPECT_EQ(p["accessConnector"]["identityType"], "SystemAssigned");
  EXPECT_EQ(p["defaultStorageFirewall"], "Enabled");
  EXPECT_EQ(p["defaultCatalog"]["initialType"], "UnityCatalog");
  EXPECT_EQ(p["isUcEnabled"], true);
  EXPECT_EQ(p["parameters"]["enableNoPublicIp"], nlohmann::json({{"type", "Bool"}, {"value", false}}));
  EXPECT_EQ(p["parameters"]["customVirtualNetworkId"]["type"], "String");
  EXPECT_EQ(p["parameters"]["resourceTags"]["type"], "Object");
  EXPECT_EQ(p["parameters"]["storageAccountSkuName"]["value"], "Standard_GRS");

  cloudsim::Response bad_sku = client_->Arm(
      "PUT", client_->Rg("rg") + "/providers/Microsoft.Databricks/workspaces/bad?api-version=2024-05-01",
      {{"location", "westeurope"}, {"sku", {{"name", "gold"}}},
       {"properties", {{"managedResourceGroupId", client_->Sub() + "/resourceGroups/bad-managed"}}}});
  EXPECT_EQ(bad_sku.status, 400);
  EXPECT_EQ(ErrorCode(bad_sku), "InvalidSkuName");
}

TEST_F(FidelityTest, StorageAccountDerivedFields) {
  cloudsim::Response created = client_->Arm(
      "PUT", Account("geo1"),
      {{"location", "westeurope"},
       {"kind", "StorageV2"},
       {"sku", {{"name", "Standard_RAGRS"}}},
       {"extendedLocation", {{"type", "EdgeZone"}, {"name", "losangeles001"}}},
       {"properties",
        {{"routingPreference",
          {{"routingChoice", "MicrosoftRouting"},
           {"publishMicrosoftEndpoints", true},
           {"publishInternetEndpoints", true}}}}}});
  ASSERT_LT(created.status, 300) << created.body;
  cloudsim::Response got = client_->Arm("GET", Account("geo1"));
  ASSERT_EQ(got.status, 200) << got.body;
  nlohmann::json a = JsonOf(got);
  EXPECT_EQ(a["extendedLocation"]["name"], "losangeles001");
  const nlohmann::json& p = a["properties"];
  const nlohmann::json& blob = p["encryption"]["services"]["blob"];
  EXPECT_EQ(blob["enabled"], true);
  EXPECT_EQ(blob["keyType"], "Account");
  EXPECT_TRUE(blob["lastEnabledTime"].is_string());
  EXPECT_EQ(p["secondaryLocation"], "northeurope");
  EXPECT_EQ(p["statusOfSecondary"], "available");
  EXPECT_EQ(p["secondaryEndpoints"]["blob"], "https://geo1-secondary.blob.core.windows.net/");
  EXPECT_EQ(p["primaryEndpoints"]["microsoftEndpoints"]["dfs"],
            "https://geo1-microsoftrouting.dfs.core.windows.net/");
  EXPECT_EQ(p["primaryEndpoints"]["internetEndpoints"]["blob"],
            "https://geo1-internetrouting.blob.core.windows.net/");
  EXPECT_FALSE(p["primaryEndpoints"]["internetEndpoints"].contains("queue"));

  // PATCH with a partial networkAcls keeps the defaults of what it leaves out; LRS has
  // no secondary.
  cloudsim::Response patched = client_->Arm(
      "PATCH", Account("geo1"),
      {{"sku", {{"name", "Standard_LRS"}}}, {"properties", {{"networkAcls", {{"defaultAction", "Deny"}}}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  nlohmann::json after = JsonOf(patched);
  const nlohmann::json& acls = after["properties"]["networkAcls"];
  EXPECT_EQ(acls["defaultAction"], "Deny");
  EXPECT_EQ(acls["bypass"], "AzureServices");
  EXPECT_EQ(acls["ipRules"], nlohmann::json::array());
  EXPECT_EQ(acls["virtualNetworkRules"], nlohmann::json::array());
  EXPECT_FALSE(after["properties"].contains("secondaryLocation"));
  EXPECT_EQ(after["extendedLocation"]["name"], "losangeles001");

  cloudsim::Response blob_service = client_->Arm(
      "GET", client_->Rg("rg") +
                 "/providers/Microsoft.Storage/storageAccounts/geo1/blobServices/default?api-version=2025-01-01");
  ASSERT_EQ(blob_service.status, 200) << blob_service.body;
  EXPECT_EQ(JsonOf(blob_service)["sku"]["name"], "Standard_LRS");
}

TEST_F(FidelityTest, LinkedServiceWithInlineSecretReturnsEncryptedCredential) {
  std::string factory = client_->Rg("rg") + "/providers/Microsoft.DataFactory/factories/fid";
  ASSERT_EQ(client_->Arm("PUT", factory + "?api-version=2018-06-01", {{"location", "westeurope"}}).status, 200);
  cloudsim::Response inline_secret = client_->Arm(
      "PUT", factory + "/linkedservices/blob?api-version=2018-06-01",
      {{"properties",
        {{"type", "AzureStorage"},
         {"typeProperties",
          {{"connectionString",
            {{"type", "SecureString"},
             {"value", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0"}}}}}}}});
  ASSERT_EQ(inline_secret.status, 200) << inline_secret.body;
  nlohmann::json tp = JsonOf(inline_secret)["properties"]["typeProperties"];
  ASSERT_TRUE(tp["encryptedCredential"].is_string());
  EXPECT_EQ(tp["encryptedCredential"].get<std::string>().find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(tp["connectionString"]["value"], "**********");

  cloudsim::Response by_reference = client_->Arm(
      "PUT", factory + "/linkedservices/web?api-version=2018-06-01",
      {{"properties", {{"type", "HttpServer"}, {"typeProperties", {{"url", "https://example.invalid"}}}}}});
  ASSERT_EQ(by_reference.status, 200) << by_reference.body;
  EXPECT_FALSE(JsonOf(by_reference)["properties"]["typeProperties"].contains("encryptedCredential"));
}

}  // namespace
}  // namespace envctl::testing
