// Answers compared with the official REST spec examples (Azure/azure-rest-api-specs):
// Databricks workspaces (2024-05-01 WorkspaceCreate*.json), storage accounts
// (StorageAccountCreate*.json: extendedLocation, encryption services, GRS secondary,
// routing preference, network ACLs after PATCH; BlobServicesGet.json sku) and Data Factory
// linked services (LinkedServices_Create.json: encryptedCredential); Key Vault vaults
// (2024-11-01 createVault, getVault, updateAccessPoliciesAdd, deleteVault, getDeletedVault,
// listDeletedVaults, purgeDeletedVault, checkVaultNameAvailability) and Data Factory
// (2018-06-01 Factories_CreateOrUpdate, Pipelines_CreateRun, PipelineRuns_Get,
// PipelineRuns_QueryByFactory, PipelineRuns_Cancel, ActivityRuns_QueryByPipelineRun).
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
    ASSERT_EQ(client_
                  ->Arm("PUT", client_->Rg("rg") + "?api-version=2022-09-01",
                        {{"location", "westeurope"}})
                  .status,
              201);
  }
  std::string Account(const std::string& name) {
    return client_->Rg("rg") + "/providers/Microsoft.Storage/storageAccounts/" + name +
           "?api-version=2025-01-01";
  }
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
};

TEST_F(FidelityTest, DatabricksWorkspaceWithoutSkuKeepsSpecFields) {
  std::string ws =
      client_->Rg("rg") + "/providers/Microsoft.Databricks/workspaces/uc?api-version=2024-05-01";
  nlohmann::json body = {
      {"location", "westeurope"},
      {"properties",
       {{"managedResourceGroupId", client_->Sub() + "/resourceGroups/uc-managed"},
        {"accessConnector",
         {{"id", client_->Rg("rg") + "/providers/Microsoft.Databricks/accessConnectors/ac"},
          {"identityType", "SystemAssigned"}}},
        {"defaultStorageFirewall", "Enabled"},
        {"defaultCatalog", {{"initialType", "UnityCatalog"}}},
        {"parameters",
         {{"enableNoPublicIp", {{"value", false}}},
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
  EXPECT_EQ(p["parameters"]["enableNoPublicIp"],
            nlohmann::json({{"type", "Bool"}, {"value", false}}));
  EXPECT_EQ(p["parameters"]["customVirtualNetworkId"]["type"], "String");
  EXPECT_EQ(p["parameters"]["resourceTags"]["type"], "Object");
  EXPECT_EQ(p["parameters"]["storageAccountSkuName"]["value"], "Standard_GRS");

  cloudsim::Response bad_sku = client_->Arm(
      "PUT",
      client_->Rg("rg") + "/providers/Microsoft.Databricks/workspaces/bad?api-version=2024-05-01",
      {{"location", "westeurope"},
       {"sku", {{"name", "gold"}}},
       {"properties",
        {{"managedResourceGroupId", client_->Sub() + "/resourceGroups/bad-managed"}}}});
  EXPECT_EQ(bad_sku.status, 400);
  EXPECT_EQ(ErrorCode(bad_sku), "InvalidSkuName");
}

TEST_F(FidelityTest, StorageAccountDerivedFields) {
  cloudsim::Response created =
      client_->Arm("PUT", Account("geo1"),
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
  cloudsim::Response patched =
      client_->Arm("PATCH", Account("geo1"),
                   {{"sku", {{"name", "Standard_LRS"}}},
                    {"properties", {{"networkAcls", {{"defaultAction", "Deny"}}}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  nlohmann::json after = JsonOf(patched);
  const nlohmann::json& acls = after["properties"]["networkAcls"];
  EXPECT_EQ(acls["defaultAction"], "Deny");
  EXPECT_EQ(acls["bypass"], "AzureServices");
  EXPECT_EQ(acls["ipRules"], nlohmann::json::array());
  EXPECT_EQ(acls["virtualNetworkRules"], nlohmann::json::array());
  EXPECT_FALSE(after["properties"].contains("secondaryLocation"));
  EXPECT_EQ(after["extendedLocation"]["name"], "losangeles001");

  cloudsim::Response blob_service =
      client_->Arm("GET", client_->Rg("rg") +
                              "/providers/Microsoft.Storage/storageAccounts/geo1/blobServices/"
                              "default?api-version=2025-01-01");
  ASSERT_EQ(blob_service.status, 200) << blob_service.body;
  EXPECT_EQ(JsonOf(blob_service)["sku"]["name"], "Standard_LRS");
}

TEST_F(FidelityTest, LinkedServiceWithInlineSecretReturnsEncryptedCredential) {
  std::string factory = client_->Rg("rg") + "/providers/Microsoft.DataFactory/factories/fid";
  ASSERT_EQ(
      client_->Arm("PUT", factory + "?api-version=2018-06-01", {{"location", "westeurope"}}).status,
      200);
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
      {{"properties",
        {{"type", "HttpServer"}, {"typeProperties", {{"url", "https://example.invalid"}}}}}});
  ASSERT_EQ(by_reference.status, 200) << by_reference.body;
  EXPECT_FALSE(
      JsonOf(by_reference)["properties"]["typeProperties"].contains("encryptedCredential"));
}

TEST_F(FidelityTest, KeyVaultAnswersLikeTheSpecExamples) {
  const std::string vault = client_->Rg("rg") + "/providers/Microsoft.KeyVault/vaults/sample-vault";
  const std::string api = "?api-version=2024-11-01";
  nlohmann::json policy = {
      {"tenantId", env_->tenant_id},
      {"objectId", env_->object_id},
      {"permissions",
       {{"keys", {"get"}}, {"secrets", {"get", "list", "set"}}, {"certificates", {"get"}}}}};
  // createVault.json: 201 (then 200 on update) with the full vault.
  nlohmann::json body = {{"location", "westus"},
                         {"properties",
                          {{"tenantId", env_->tenant_id},
                           {"sku", {{"family", "A"}, {"name", "standard"}}},
                           {"accessPolicies", {policy}},
                           {"enabledForDeployment", true},
                           {"enabledForDiskEncryption", true},
                           {"enabledForTemplateDeployment", true},
                           {"publicNetworkAccess", "Enabled"}}}};
  cloudsim::Response created = client_->Arm("PUT", vault + api, body);
  ASSERT_EQ(created.status, 201) << created.body;
  nlohmann::json v = JsonOf(created);
  EXPECT_EQ(v["name"], "sample-vault");
  EXPECT_EQ(v["type"], "Microsoft.KeyVault/vaults");
  EXPECT_EQ(v["location"], "westus");
  EXPECT_TRUE(v["tags"].is_object()) << v.dump();
  EXPECT_TRUE(v.contains("systemData")) << v.dump();
  const nlohmann::json& p = v["properties"];
  EXPECT_EQ(p["sku"], nlohmann::json({{"family", "A"}, {"name", "standard"}}));
  EXPECT_EQ(p["tenantId"], env_->tenant_id);
  EXPECT_EQ(p["accessPolicies"][0]["permissions"]["secrets"],
            nlohmann::json({"get", "list", "set"}));
  EXPECT_EQ(p["enabledForDeployment"], true);
  EXPECT_EQ(p["enabledForDiskEncryption"], true);
  EXPECT_EQ(p["enabledForTemplateDeployment"], true);
  EXPECT_EQ(p["publicNetworkAccess"], "Enabled");
  EXPECT_EQ(p["provisioningState"], "Succeeded");
  EXPECT_TRUE(p["vaultUri"].is_string());
  EXPECT_EQ(client_->Arm("PUT", vault + api, body).status, 200) << "an existing vault: 200";
  EXPECT_EQ(client_->Arm("GET", vault + api).status, 200);

  // updateAccessPoliciesAdd.json: the policies sub-resource.
  cloudsim::Response added =
      client_->Arm("PUT", vault + "/accessPolicies/add" + api,
                   {{"properties",
                     {{"accessPolicies",
                       {{{"tenantId", env_->tenant_id},
                         {"objectId", "00000000-0000-0000-0000-000000000001"},
                         {"permissions", {{"secrets", {"get"}}}}}}}}}});
  ASSERT_TRUE(added.status == 200 || added.status == 201) << added.body;
  nlohmann::json a = JsonOf(added);
  EXPECT_EQ(a["type"], "Microsoft.KeyVault/vaults/accessPolicies");
  EXPECT_THAT(a["id"].get<std::string>(),
              ::testing::EndsWith("/vaults/sample-vault/accessPolicies/"));
  EXPECT_EQ(a["properties"]["accessPolicies"].size(), 1u) << "the policies sent, as the example";

  // checkVaultNameAvailability.json: {"nameAvailable": true} for a free name.
  nlohmann::json free = JsonOf(client_->Arm(
      "POST", client_->Sub() + "/providers/Microsoft.KeyVault/checkNameAvailability" + api,
      {{"name", "free-vault-name"}, {"type", "Microsoft.KeyVault/vaults"}}));
  EXPECT_EQ(free, nlohmann::json({{"nameAvailable", true}}));

  // deleteVault.json: 200, then 204 for a vault that is not there.
  EXPECT_EQ(client_->Arm("DELETE", vault + api).status, 200);
  EXPECT_EQ(client_->Arm("DELETE", vault + api).status, 204);

  // getDeletedVault.json / listDeletedVaults.json.
  const std::string deleted =
      client_->Sub() + "/providers/Microsoft.KeyVault/locations/westus/deletedVaults/sample-vault";
  cloudsim::Response got = client_->Arm("GET", deleted + api);
  ASSERT_EQ(got.status, 200) << got.body;
  nlohmann::json d = JsonOf(got);
  EXPECT_EQ(d["name"], "sample-vault");
  EXPECT_EQ(d["type"], "Microsoft.KeyVault/deletedVaults");
  EXPECT_THAT(d["id"].get<std::string>(),
              ::testing::EndsWith(
                  "/providers/Microsoft.KeyVault/locations/westus/deletedVaults/sample-vault"));
  EXPECT_THAT(d["properties"]["vaultId"].get<std::string>(),
              ::testing::EndsWith("/providers/Microsoft.KeyVault/vaults/sample-vault"));
  EXPECT_EQ(d["properties"]["location"], "westus");
  EXPECT_TRUE(d["properties"]["tags"].is_object()) << d.dump();
  EXPECT_TRUE(d["properties"]["deletionDate"].is_string());
  EXPECT_TRUE(d["properties"]["scheduledPurgeDate"].is_string());
  EXPECT_TRUE(d["properties"]["purgeProtectionEnabled"].is_boolean()) << d.dump();
  nlohmann::json list = JsonOf(
      client_->Arm("GET", client_->Sub() + "/providers/Microsoft.KeyVault/deletedVaults" + api));
  ASSERT_TRUE(list["value"].is_array());
  EXPECT_EQ(list["value"][0]["type"], "Microsoft.KeyVault/deletedVaults");

  // purgeDeletedVault.json: 200, or 202 with a Location to poll.
  cloudsim::Response purged = client_->Arm("POST", deleted + "/purge" + api);
  ASSERT_TRUE(purged.status == 200 || purged.status == 202) << purged.body;
  if (purged.status == 202) {
    EXPECT_FALSE(purged.headers["Location"].empty());
  }
}

TEST_F(FidelityTest, DataFactoryAnswersLikeTheSpecExamples) {
  const std::string api = "?api-version=2018-06-01";
  const std::string factory =
      client_->Rg("rg") + "/providers/Microsoft.DataFactory/factories/exampleFactoryName";
  // Factories_CreateOrUpdate.json: 200 with the factory, createTime, version, eTag.
  cloudsim::Response created = client_->Arm("PUT", factory + api, {{"location", "East US"}});
  ASSERT_EQ(created.status, 200) << created.body;
  nlohmann::json f = JsonOf(created);
  EXPECT_EQ(f["name"], "exampleFactoryName");
  EXPECT_EQ(f["type"], "Microsoft.DataFactory/factories");
  EXPECT_EQ(f["location"], "East US");
  EXPECT_EQ(f["properties"]["provisioningState"], "Succeeded");
  EXPECT_TRUE(f["properties"]["createTime"].is_string()) << f.dump();
  EXPECT_EQ(f["properties"]["version"], "2018-06-01");
  EXPECT_TRUE(f["eTag"].is_string()) << f.dump();

  ASSERT_EQ(client_
                ->Arm("PUT", factory + "/pipelines/examplePipeline" + api,
                      {{"properties",
                        {{"activities",
                          {{{"name", "w"},
                            {"type", "Wait"},
                            {"typeProperties", {{"waitTimeInSeconds", 1}}}}}},
                         {"parameters", {{"OutputBlobNameList", {{"type", "Array"}}}}}}}})
                .status,
            200);
  // Pipelines_CreateRun.json: 200 {"runId": ...}.
  cloudsim::Response run =
      client_->Arm("POST", factory + "/pipelines/examplePipeline/createRun" + api,
                   {{"OutputBlobNameList", {"exampleoutput.csv"}}});
  ASSERT_EQ(run.status, 200) << run.body;
  const std::string run_id = JsonOf(run)["runId"];
  EXPECT_EQ(JsonOf(run).size(), 1u) << run.body;

  // PipelineRuns_Get.json: the run's fields.
  nlohmann::json r = JsonOf(client_->Arm("GET", factory + "/pipelineruns/" + run_id + api));
  EXPECT_EQ(r["runId"], run_id);
  EXPECT_EQ(r["runGroupId"], run_id);
  EXPECT_EQ(r["isLatest"], true);
  EXPECT_EQ(r["pipelineName"], "examplePipeline");
  EXPECT_TRUE(r["parameters"].contains("OutputBlobNameList")) << r.dump();
  EXPECT_TRUE(r["invokedBy"].contains("name") && r["invokedBy"].contains("id")) << r.dump();
  EXPECT_TRUE(r["lastUpdated"].is_string());
  EXPECT_TRUE(r["runStart"].is_string())
      << "the example's queued/in-progress run has runStart: " << r.dump();
  EXPECT_TRUE(r["status"].is_string());
  EXPECT_TRUE(r["message"].is_string());

  // PipelineRuns_QueryByFactory.json: {"value": [...]} filtered by pipeline name.
  nlohmann::json q = JsonOf(client_->Arm("POST", factory + "/queryPipelineRuns" + api,
                                         {{"lastUpdatedAfter", "2018-06-16T00:36:44.3345758Z"},
                                          {"lastUpdatedBefore", "2100-06-16T00:49:48.3686473Z"},
                                          {"filters",
                                           {{{"operand", "PipelineName"},
                                             {"operator", "Equals"},
                                             {"values", {"examplePipeline"}}}}}}));
  ASSERT_TRUE(q["value"].is_array()) << q.dump();
  ASSERT_EQ(q["value"].size(), 1u);
  EXPECT_EQ(q["value"][0]["runId"], run_id);

  // PipelineRuns_Cancel.json: 200, no body needed.
  EXPECT_EQ(client_->Arm("POST", factory + "/pipelineruns/" + run_id + "/cancel" + api).status,
            200);

  // ActivityRuns_QueryByPipelineRun.json: {"value": [...]}.
  nlohmann::json acts =
      JsonOf(client_->Arm("POST", factory + "/pipelineruns/" + run_id + "/queryActivityruns" + api,
                          {{"lastUpdatedAfter", "2018-06-16T00:36:44.3345758Z"},
                           {"lastUpdatedBefore", "2100-06-16T00:49:48.3686473Z"}}));
  EXPECT_TRUE(acts["value"].is_array()) << acts.dump();
}

}  // namespace
}  // namespace envctl::testing
