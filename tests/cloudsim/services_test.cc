// Storage, Key Vault (management + data plane) and LRO timing against a running cloudsim
// driven by a FakeClock (speed 1: nothing completes until the test advances time).
#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr char kStorageApi[] = "?api-version=2025-08-01";
constexpr char kVaultApi[] = "?api-version=2026-02-01";

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.clock = &clock_;
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    client_ = std::make_unique<SimClient>(*env_);
    ASSERT_EQ(client_
                  ->Arm("PUT", client_->Rg("rg1") + "?api-version=2025-04-01",
                        {{"location", "westeurope"}})
                  .status,
              201);
  }
  std::string Account(const std::string& name) {
    return client_->Rg("rg1") + "/providers/Microsoft.Storage/storageAccounts/" + name;
  }
  std::string Vault(const std::string& name) {
    return client_->Rg("rg1") + "/providers/Microsoft.KeyVault/vaults/" + name;
  }
  nlohmann::json VaultBody(const std::string& object_id, nlohmann::json secrets) {
    return {{"location", "westeurope"},
            {"properties",
             {{"tenantId", env_->tenant_id},
              {"sku", {{"family", "A"}, {"name", "standard"}}},
              {"accessPolicies",
               {{{"tenantId", env_->tenant_id},
                 {"objectId", object_id},
                 {"permissions", {{"secrets", secrets}}}}}}}}};
  }

  FakeClock clock_;
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
};

TEST_F(ServicesTest, StorageCreateIsALocationLroThatFinishesWhenSimulatedTimePasses) {
  nlohmann::json body = {{"location", "westeurope"},
                         {"sku", {{"name", "Standard_LRS"}}},
                         {"kind", "StorageV2"},
                         {"properties", {{"isHnsEnabled", true}, {"minimumTlsVersion", "TLS1_2"}}}};
  cloudsim::Response created = client_->Arm("PUT", Account("sa1") + kStorageApi, body);
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_TRUE(created.body.empty());
  EXPECT_EQ(created.headers["Retry-After"], "3");
  std::string location = created.headers["Location"];
  EXPECT_THAT(location,
              HasSubstr("/providers/Microsoft.Storage/locations/westeurope/asyncoperations/"));
  EXPECT_EQ(client_->Arm("GET", location).status, 202);
  EXPECT_EQ(
      JsonOf(client_->Arm("GET", Account("sa1") + kStorageApi))["properties"]["provisioningState"],
      "Creating");
  clock_.Advance(absl::Seconds(3));
  cloudsim::Response done = client_->Arm("GET", location);
  ASSERT_EQ(done.status, 200);
  nlohmann::json account = JsonOf(done);
  EXPECT_EQ(account["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(account["properties"]["isHnsEnabled"], true);
  EXPECT_EQ(account["properties"]["allowBlobPublicAccess"], false);
  EXPECT_EQ(account["properties"]["accessTier"], "Hot");
  EXPECT_EQ(account["properties"]["primaryEndpoints"]["dfs"], "https://sa1.dfs.core.windows.net/");
  EXPECT_EQ(account["sku"]["tier"], "Standard");

  cloudsim::Response hns = client_->Arm("PATCH", Account("sa1") + kStorageApi,
                                        {{"properties", {{"isHnsEnabled", false}}}});
  EXPECT_EQ(hns.status, 400);
  cloudsim::Response patched =
      client_->Arm("PATCH", Account("sa1") + kStorageApi,
                   {{"tags", {{"t", "1"}}}, {"properties", {{"accessTier", "Cool"}}}});
  EXPECT_EQ(JsonOf(patched)["properties"]["accessTier"], "Cool");
  EXPECT_EQ(JsonOf(patched)["properties"]["isHnsEnabled"], true);  // merge keeps the rest

  nlohmann::json keys = JsonOf(client_->Arm("POST", Account("sa1") + "/listKeys" + kStorageApi));
  ASSERT_EQ(keys["keys"].size(), 2u);
  nlohmann::json regenerated = JsonOf(
      client_->Arm("POST", Account("sa1") + "/regenerateKey" + kStorageApi, {{"keyName", "key1"}}));
  EXPECT_NE(regenerated["keys"][0]["value"], keys["keys"][0]["value"]);
  EXPECT_EQ(regenerated["keys"][1]["value"], keys["keys"][1]["value"]);

  std::string container = Account("sa1") + "/blobServices/default/containers/raw";
  EXPECT_EQ(client_->Arm("PUT", container + kStorageApi, nlohmann::json::object()).status, 201);
  EXPECT_EQ(client_->Arm("PUT", container + kStorageApi, nlohmann::json::object()).status, 200);
  cloudsim::Response public_access =
      client_->Arm("PUT", container + kStorageApi, {{"properties", {{"publicAccess", "Blob"}}}});
  EXPECT_EQ(public_access.status, 409);
  EXPECT_EQ(ErrorCode(public_access), "PublicAccessNotPermitted");
  EXPECT_EQ(JsonOf(client_->Arm(
                "GET", Account("sa1") + "/blobServices/default/containers" + kStorageApi))["value"]
                .size(),
            1u);
  EXPECT_EQ(client_->Arm("DELETE", container + kStorageApi).status, 200);
  EXPECT_EQ(ErrorCode(client_->Arm("GET", container + kStorageApi)), "ContainerNotFound");
}

TEST_F(ServicesTest, StorageNamesAreValidatedAndGloballyUnique) {
  nlohmann::json body = {
      {"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}, {"kind", "StorageV2"}};
  cloudsim::Response bad = client_->Arm("PUT", Account("Bad_Name") + kStorageApi, body);
  EXPECT_EQ(ErrorCode(bad), "AccountNameInvalid");
  ASSERT_EQ(client_->Arm("PUT", Account("taken1") + kStorageApi, body).status, 202);
  ASSERT_EQ(
      client_
          ->Arm("PUT", client_->Rg("rg2") + "?api-version=2022-09-01", {{"location", "westeurope"}})
          .status,
      201);
  cloudsim::Response dup = client_->Arm(
      "PUT",
      client_->Rg("rg2") + "/providers/Microsoft.Storage/storageAccounts/taken1" + kStorageApi,
      body);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(ErrorCode(dup), "StorageAccountAlreadyTaken");
  nlohmann::json check = JsonOf(client_->Arm(
      "POST", client_->Sub() + "/providers/Microsoft.Storage/checkNameAvailability" + kStorageApi,
      {{"name", "taken1"}, {"type", "Microsoft.Storage/storageAccounts"}}));
  EXPECT_EQ(check["nameAvailable"], false);
  EXPECT_EQ(check["reason"], "AlreadyExists");
  cloudsim::Response missing = client_->Arm("GET", Account("nosuch") + kStorageApi);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "ResourceNotFound");
}

TEST_F(ServicesTest, KeyVaultDataPlaneChallengesThenEnforcesAccessPolicies) {
  cloudsim::Response created = client_->Arm(
      "PUT", Vault("kv-one") + kVaultApi,
      VaultBody(env_->object_id, {"get", "set", "list", "delete", "recover", "purge"}));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string uri = JsonOf(created)["properties"]["vaultUri"];
  ASSERT_THAT(uri, MatchesRegex("https://127\\.0\\.0\\.1:[0-9]+/"));
  std::string origin = uri.substr(0, uri.size() - 1);

  cloudsim::Response challenge =
      client_->Raw("GET", origin + "/secrets/db-pat/?api%2Dversion=2025-07-01");
  EXPECT_EQ(challenge.status, 401);
  EXPECT_EQ(challenge.headers["WWW-Authenticate"],
            absl::StrCat("Bearer authorization=\"", env_->authority_host, "/", env_->tenant_id,
                         "\", resource=\"https://vault.azure.net\""));

  cloudsim::Response set =
      client_->WithToken(kVaultScope, "PUT", origin + "/secrets/db-pat?api-version=7.4",
                         {{"value", "dapi-1"}, {"contentType", "text/plain"}});
  ASSERT_EQ(set.status, 200) << set.body;
  std::string id1 = JsonOf(set)["id"];
  EXPECT_THAT(id1, MatchesRegex(origin + "/secrets/db-pat/[0-9a-f]{32}"));
  EXPECT_TRUE(JsonOf(set)["attributes"]["created"].is_number_integer());
  client_->WithToken(kVaultScope, "PUT", origin + "/secrets/db-pat?api-version=7.4",
                     {{"value", "dapi-2"}});
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET",
                                      origin + "/secrets/db-pat/?api-version=7.4"))["value"],
            "dapi-2");
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET", id1 + "?api-version=7.4"))["value"],
            "dapi-1");
  nlohmann::json listed =
      JsonOf(client_->WithToken(kVaultScope, "GET", origin + "/secrets?api-version=7.4"));
  ASSERT_EQ(listed["value"].size(), 1u);
  EXPECT_FALSE(listed["value"][0].contains("value"));
  EXPECT_EQ(listed["value"][0]["id"], origin + "/secrets/db-pat");
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET",
                                      origin + "/secrets/db-pat/versions?api-version=7.4"))["value"]
                .size(),
            2u);

  cloudsim::Response missing =
      client_->WithToken(kVaultScope, "GET", origin + "/secrets/nope?api-version=7.4");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "SecretNotFound");

  EXPECT_EQ(
      client_->WithToken(kVaultScope, "DELETE", origin + "/secrets/db-pat?api-version=7.4").status,
      200);
  cloudsim::Response reuse = client_->WithToken(
      kVaultScope, "PUT", origin + "/secrets/db-pat?api-version=7.4", {{"value", "x"}});
  EXPECT_EQ(reuse.status, 409);
  EXPECT_EQ(JsonOf(reuse)["error"]["innererror"]["code"], "ObjectIsDeletedButRecoverable");
  EXPECT_EQ(
      client_->WithToken(kVaultScope, "GET", origin + "/deletedsecrets/db-pat?api-version=7.4")
          .status,
      200);
  EXPECT_EQ(client_
                ->WithToken(kVaultScope, "POST",
                            origin + "/deletedsecrets/db-pat/recover?api-version=7.4")
                .status,
            200);
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET",
                                      origin + "/secrets/db-pat?api-version=7.4"))["value"],
            "dapi-2");

  // Narrow the policy to "list": reads are now forbidden with Key Vault's message.
  ASSERT_EQ(client_
                ->Arm("PUT", Vault("kv-one") + "/accessPolicies/replace" + kVaultApi,
                      {{"properties",
                        {{"accessPolicies",
                          {{{"tenantId", env_->tenant_id},
                            {"objectId", env_->object_id},
                            {"permissions", {{"secrets", {"list"}}}}}}}}}})
                .status,
            200);
  cloudsim::Response forbidden =
      client_->WithToken(kVaultScope, "GET", origin + "/secrets/db-pat?api-version=7.4");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_THAT(JsonOf(forbidden)["error"]["message"].get<std::string>(),
              HasSubstr("does not have secrets get permission on key vault 'kv-one"));
  EXPECT_THAT(forbidden.body, HasSubstr(env_->object_id));
}

TEST_F(ServicesTest, VaultSoftDeleteBlocksTheNameUntilRecoveredOrPurged) {
  ASSERT_EQ(
      client_->Arm("PUT", Vault("kv-two") + kVaultApi, VaultBody(env_->object_id, {"get"})).status,
      201);
  cloudsim::Response add =
      client_->Arm("PUT", Vault("kv-two") + "/accessPolicies/add" + kVaultApi,
                   {{"properties",
                     {{"accessPolicies",
                       {{{"tenantId", env_->tenant_id},
                         {"objectId", env_->object_id},
                         {"permissions", {{"secrets", {"list", "get"}}}}}}}}}});
  ASSERT_EQ(add.status, 200);
  nlohmann::json vault = JsonOf(client_->Arm("GET", Vault("kv-two") + kVaultApi));
  EXPECT_EQ(vault["properties"]["accessPolicies"][0]["permissions"]["secrets"],
            nlohmann::json({"get", "list"}));

  EXPECT_EQ(client_->Arm("DELETE", Vault("kv-two") + kVaultApi).status, 200);
  EXPECT_EQ(client_->Arm("GET", Vault("kv-two") + kVaultApi).status, 404);
  nlohmann::json deleted = JsonOf(client_->Arm(
      "GET", client_->Sub() + "/providers/Microsoft.KeyVault/deletedVaults" + kVaultApi));
  ASSERT_EQ(deleted["value"].size(), 1u);
  EXPECT_EQ(deleted["value"][0]["properties"]["vaultId"], vault["id"]);
  cloudsim::Response reuse =
      client_->Arm("PUT", Vault("kv-two") + kVaultApi, VaultBody(env_->object_id, {"get"}));
  EXPECT_EQ(reuse.status, 409);
  EXPECT_EQ(ErrorCode(reuse), "ConflictError");

  nlohmann::json recover = VaultBody(env_->object_id, {"get"});
  recover["properties"]["createMode"] = "recover";
  cloudsim::Response recovered = client_->Arm("PUT", Vault("kv-two") + kVaultApi, recover);
  ASSERT_EQ(recovered.status, 200) << recovered.body;
  EXPECT_EQ(JsonOf(recovered)["properties"]["accessPolicies"][0]["permissions"]["secrets"],
            nlohmann::json({"get", "list"}));

  EXPECT_EQ(client_->Arm("DELETE", Vault("kv-two") + kVaultApi).status, 200);
  EXPECT_EQ(
      client_
          ->Arm(
              "POST",
              client_->Sub() +
                  "/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-two/purge" +
                  kVaultApi)
          .status,
      200);
  EXPECT_EQ(
      client_->Arm("PUT", Vault("kv-two") + kVaultApi, VaultBody(env_->object_id, {"get"})).status,
      201);
}

TEST_F(ServicesTest, ResourceGroupDeleteSoftDeletesVaultsAndRemovesChildren) {
  ASSERT_EQ(
      client_->Arm("PUT", Vault("kv-rg") + kVaultApi, VaultBody(env_->object_id, {"get"})).status,
      201);
  ASSERT_EQ(client_
                ->Arm("PUT", Account("sarg") + kStorageApi,
                      {{"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}})
                .status,
            202);
  EXPECT_EQ(
      JsonOf(client_->Arm("GET", client_->Rg("rg1") + "/resources?api-version=2021-04-01"))["value"]
          .size(),
      2u);
  cloudsim::Response deleting =
      client_->Arm("DELETE", client_->Rg("rg1") + "?api-version=2025-04-01");
  ASSERT_EQ(deleting.status, 202);
  EXPECT_EQ(
      JsonOf(client_->Arm("GET", client_->Rg("rg1") +
                                     "?api-version=2025-04-01"))["properties"]["provisioningState"],
      "Deleting");
  EXPECT_EQ(
      ErrorCode(client_->Arm("PUT", Account("sa9") + kStorageApi,
                             {{"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}})),
      "ResourceGroupBeingDeleted");
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(client_->Arm("GET", deleting.headers["Location"]).status, 200);
  EXPECT_EQ(client_->Arm("GET", client_->Rg("rg1") + "?api-version=2025-04-01").status, 404);
  nlohmann::json deleted = JsonOf(client_->Arm(
      "GET", client_->Sub() + "/providers/Microsoft.KeyVault/deletedVaults" + kVaultApi));
  EXPECT_EQ(deleted["value"].size(), 1u);
}

TEST_F(ServicesTest, SecretBackupRestoresVersionsAndHidesTheValue) {
  cloudsim::Response created = client_->Arm(
      "PUT", Vault("kv-bak") + kVaultApi,
      VaultBody(env_->object_id, {"get", "set", "list", "delete", "purge", "backup", "restore"}));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string uri = JsonOf(created)["properties"]["vaultUri"];
  std::string origin = uri.substr(0, uri.size() - 1);
  const std::string api = "?api-version=7.4";
  std::string v1 =
      JsonOf(client_->WithToken(kVaultScope, "PUT", origin + "/secrets/pat" + api,
                                {{"value", "first-value"}, {"tags", {{"k", "v"}}}}))["id"];
  client_->WithToken(kVaultScope, "PUT", origin + "/secrets/pat" + api,
                     {{"value", "second-value"}});

  cloudsim::Response backup =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/pat/backup" + api);
  ASSERT_EQ(backup.status, 200) << backup.body;
  std::string blob = JsonOf(backup)["value"];
  auto raw = cloudsim::Base64UrlDecode(blob);
  ASSERT_TRUE(raw.ok());
  EXPECT_THAT(*raw, ::testing::Not(HasSubstr("first-value")));
  EXPECT_THAT(*raw, ::testing::Not(HasSubstr("second-value")));

  // Restoring over a live secret, or a blob that was tampered with, is refused.
  cloudsim::Response exists =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/restore" + api, {{"value", blob}});
  EXPECT_EQ(exists.status, 409);
  EXPECT_EQ(ErrorCode(exists), "Conflict");
  std::string tampered = *raw;
  tampered[tampered.size() / 2] ^= 1;
  cloudsim::Response corrupt =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/restore" + api,
                         {{"value", cloudsim::Base64UrlEncode(tampered)}});
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_EQ(ErrorCode(corrupt), "BadParameter");
  EXPECT_THAT(JsonOf(corrupt)["error"]["message"].get<std::string>(),
              HasSubstr("integrity check failed"));

  // Soft-deleted: restore is 409 ObjectIsDeletedButRecoverable; after purge it brings both
  // versions back.
  ASSERT_EQ(client_->WithToken(kVaultScope, "DELETE", origin + "/secrets/pat" + api).status, 200);
  cloudsim::Response deleted =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/restore" + api, {{"value", blob}});
  EXPECT_EQ(deleted.status, 409);
  EXPECT_EQ(JsonOf(deleted)["error"]["innererror"]["code"], "ObjectIsDeletedButRecoverable");
  ASSERT_EQ(client_->WithToken(kVaultScope, "DELETE", origin + "/deletedsecrets/pat" + api).status,
            204);
  cloudsim::Response restored =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/restore" + api, {{"value", blob}});
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_FALSE(JsonOf(restored).contains("value"));
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET", v1 + api))["value"], "first-value");
  EXPECT_EQ(JsonOf(client_->WithToken(kVaultScope, "GET", origin + "/secrets/pat" + api))["value"],
            "second-value");

  cloudsim::Response missing =
      client_->WithToken(kVaultScope, "POST", origin + "/secrets/nope/backup" + api);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "SecretNotFound");
}

TEST_F(ServicesTest, DeletedSecretItemsCarryTagsAndContentType) {
  cloudsim::Response created = client_->Arm("PUT", Vault("kv-dti") + kVaultApi,
                                            VaultBody(env_->object_id, {"set", "list", "delete"}));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string uri = JsonOf(created)["properties"]["vaultUri"];
  std::string origin = uri.substr(0, uri.size() - 1);
  client_->WithToken(
      kVaultScope, "PUT", origin + "/secrets/tagged?api-version=7.4",
      {{"value", "x"}, {"contentType", "text/plain"}, {"tags", {{"owner", "data"}}}});
  ASSERT_EQ(
      client_->WithToken(kVaultScope, "DELETE", origin + "/secrets/tagged?api-version=7.4").status,
      200);
  nlohmann::json listed =
      JsonOf(client_->WithToken(kVaultScope, "GET", origin + "/deletedsecrets?api-version=7.4"));
  ASSERT_EQ(listed["value"].size(), 1u);
  EXPECT_EQ(listed["value"][0]["tags"], nlohmann::json({{"owner", "data"}}));
  EXPECT_EQ(listed["value"][0]["contentType"], "text/plain");
  EXPECT_FALSE(listed["value"][0].contains("value"));
}

TEST_F(ServicesTest, VaultsListThroughGenericResourcesWithApiVersion20151101) {
  // @azure/arm-keyvault 5 vaults.list(): GET /resources with a resourceType filter at 2015-11-01.
  ASSERT_EQ(
      client_->Arm("PUT", Vault("kv-gen") + kVaultApi, VaultBody(env_->object_id, {"get"})).status,
      201);
  ASSERT_EQ(client_
                ->Arm("PUT", Account("sagen") + kStorageApi,
                      {{"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}})
                .status,
            202);
  cloudsim::Response r = client_->Arm(
      "GET", client_->Sub() + "/resources?%24filter=" +
                 cloudsim::PercentEncode("resourceType eq 'Microsoft.KeyVault/vaults'") +
                 "&api%2Dversion=2015-11-01");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = JsonOf(r);
  ASSERT_EQ(j["value"].size(), 1u);
  EXPECT_EQ(j["value"][0]["name"], "kv-gen");
  EXPECT_EQ(j["value"][0]["type"], "Microsoft.KeyVault/vaults");
}

}  // namespace
}  // namespace envctl::testing
