// Request shapes and response parsing of the typed ARM clients: resource groups, storage
// accounts (+keys, containers), key vaults (+access policies, deleted vaults), Databricks
// workspaces.
#include "cloud/arm/databricks_workspaces.h"
#include "cloud/arm/key_vaults.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/arm/storage_accounts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::arm {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::BodyOf;
using testutil::PathOf;
using testutil::QueryOf;

constexpr char kRgPath[] = "/subscriptions/sub1/resourceGroups/rg1";
constexpr char kSaPath[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1";
constexpr char kKvPath[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1";
constexpr char kWsPath[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Databricks/workspaces/ws1";

class TypedClientsTest : public ::testing::Test {
 protected:
  HttpRequest Last() { return transport_.Requests().back(); }
  HttpRequest Nth(size_t i) { return transport_.Requests().at(i); }

  FakeTransport transport_;
  FakeClock clock_;
  ArmClient arm_{transport_, clock_, "https://arm.test"};
  ResourceGroupsClient groups_{arm_, "sub1"};
  StorageAccountsClient storage_{arm_, "sub1"};
  KeyVaultsClient vaults_{arm_, "sub1"};
  DatabricksWorkspacesClient workspaces_{arm_, "sub1"};
};

// --- resource groups ---

TEST_F(TypedClientsTest, ResourceGroupCreateSendsLocationAndTags) {
  transport_.Enqueue("PUT", kRgPath, 201, R"({"name":"rg1","location":"westeurope","tags":{"a":"b"},
      "properties":{"provisioningState":"Succeeded"}})");
  auto got = groups_.CreateOrUpdate("rg1", "westeurope", {{"a", "b"}});
  ASSERT_OK(got);
  EXPECT_EQ((*got)["tags"]["a"], "b");
  EXPECT_EQ(Last().method, "PUT");
  EXPECT_EQ(PathOf(Last().url), kRgPath);
  EXPECT_EQ(QueryOf(Last().url)["api-version"], kResourcesApiVersion);
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"location", "westeurope"}, {"tags", {{"a", "b"}}}}));
}

TEST_F(TypedClientsTest, ResourceGroupUpdateTagsPatchesWholeMap) {
  transport_.Enqueue("PATCH", kRgPath, 200, R"({"name":"rg1","tags":{"x":"1"}})");
  ASSERT_OK(groups_.UpdateTags("rg1", {{"x", "1"}}));
  EXPECT_EQ(Last().method, "PATCH");
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"tags", {{"x", "1"}}}}));
}

TEST_F(TypedClientsTest, ResourceGroupGetMissingIsNotFound) {
  transport_.Enqueue(
      "GET", kRgPath, 404,
      R"({"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg1' could not be found."}})");
  auto got = groups_.Get("rg1");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound, HasSubstr("rg1")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "ResourceGroupNotFound");
}

TEST_F(TypedClientsTest, ResourceGroupDeleteFollowsLocation) {
  transport_.Enqueue("DELETE", kRgPath, 202, "",
                     {{"Location", "https://arm.test/subscriptions/sub1/operationresults/x"},
                      {"Retry-After", "15"}});
  transport_.Enqueue("GET", "/operationresults/x", 200);
  ASSERT_OK(groups_.Delete("rg1"));
  EXPECT_EQ(clock_.Sleeps().size(), 1u);
}

TEST_F(TypedClientsTest, ResourceGroupListByTagSendsODataFilter) {
  transport_.Enqueue("GET", "/resourcegroups?", 200, R"({"value":[{"name":"rg1"}]})");
  auto got = groups_.ListByTag("envctl-environment", "o'dev");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(PathOf(Last().url), "/subscriptions/sub1/resourcegroups");
  EXPECT_EQ(QueryOf(Last().url)["$filter"],
            "tagName eq 'envctl-environment' and tagValue eq 'o''dev'");
}

// --- storage accounts ---

TEST_F(TypedClientsTest, StorageCreateWaitsForLocationOperation) {
  const nlohmann::json body = {
      {"location", "westeurope"},
      {"sku", {{"name", "Standard_LRS"}}},
      {"kind", "StorageV2"},
      {"properties", {{"isHnsEnabled", true}, {"minimumTlsVersion", "TLS1_2"}}}};
  transport_.Enqueue("PUT", kSaPath, 202, "",
                     {{"Location",
                       "https://arm.test/subscriptions/sub1/providers/Microsoft.Storage/"
                       "locations/westeurope/asyncoperations/op?monitor=true"},
                      {"Retry-After", "17"}});
  transport_.Enqueue("GET", "/asyncoperations/op", 202, "", {{"Retry-After", "17"}});
  transport_.Enqueue("GET", "/asyncoperations/op", 200, R"({"name":"sa1"})");
  transport_.Enqueue(
      "GET", kSaPath, 200,
      R"({"name":"sa1","properties":{"provisioningState":"Succeeded","isHnsEnabled":true}})");
  auto got = storage_.Create("rg1", "sa1", body);
  ASSERT_OK(got);
  EXPECT_EQ((*got)["properties"]["isHnsEnabled"], true);
  EXPECT_EQ(BodyOf(Nth(0)), body);
  EXPECT_EQ(QueryOf(Nth(0).url)["api-version"], kStorageApiVersion);
  EXPECT_EQ(clock_.Sleeps().size(), 2u);
}

TEST_F(TypedClientsTest, StorageUpdatePatchesAndDeleteAcceptsNoContent) {
  transport_.Enqueue("PATCH", kSaPath, 200, R"({"name":"sa1","tags":{"t":"1"}})");
  ASSERT_OK(storage_.Update("rg1", "sa1", {{"tags", {{"t", "1"}}}}));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"tags", {{"t", "1"}}}}));
  transport_.Enqueue("DELETE", kSaPath, 204);
  EXPECT_OK(storage_.Delete("rg1", "sa1"));
}

TEST_F(TypedClientsTest, StorageListKeysParsesTypedKeysAndIsARetrySafePost) {
  transport_.Enqueue(
      "POST", "/listKeys", 200,
      R"({"keys":[{"keyName":"key1","permissions":"Full","value":"AAAA111=","creationTime":"2024-01-01T00:00:00Z"},
                                 {"keyName":"key2","permissions":"Full","value":"BBBB222="}]})");
  auto keys = storage_.ListKeys("rg1", "sa1");
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name, "key1");
  EXPECT_EQ((*keys)[0].value, "AAAA111=");
  EXPECT_EQ((*keys)[0].creation_time, "2024-01-01T00:00:00Z");
  EXPECT_EQ((*keys)[1].permissions, "Full");
  EXPECT_EQ(PathOf(Last().url), std::string(kSaPath) + "/listKeys");
  EXPECT_TRUE(Last().body.empty());
  EXPECT_TRUE(Last().IsIdempotent());
}

TEST_F(TypedClientsTest, StorageMalformedKeysErrorNeverQuotesKeyMaterial) {
  transport_.Enqueue("POST", "/listKeys", 200,
                     R"({"keys":[{"permissions":"Full","value":"SECRETKEY=="}]})");
  auto keys = storage_.ListKeys("rg1", "sa1");
  EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInternal, HasSubstr("lacks keyName")));
  EXPECT_THAT(std::string(keys.status().message()), Not(HasSubstr("SECRETKEY")));
}

TEST_F(TypedClientsTest, StorageRegenerateKeySendsKeyNameAndIsNotRetrySafe) {
  transport_.Enqueue("POST", "/regenerateKey", 200,
                     R"({"keys":[{"keyName":"key1","permissions":"Full","value":"NEW="}]})");
  auto keys = storage_.RegenerateKey("rg1", "sa1", "key1");
  ASSERT_OK(keys);
  EXPECT_EQ((*keys)[0].value, "NEW=");
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"keyName", "key1"}}));
  EXPECT_FALSE(Last().IsIdempotent());
}

TEST_F(TypedClientsTest, StorageContainersUseBlobServicesDefaultPath) {
  const std::string container = std::string(kSaPath) + "/blobServices/default/containers/raw";
  transport_.Enqueue("PUT", container, 201,
                     R"({"name":"raw","properties":{"publicAccess":"None"}})");
  ASSERT_OK(
      storage_.PutContainer("rg1", "sa1", "raw", {{"properties", {{"publicAccess", "None"}}}}));
  EXPECT_EQ(PathOf(Last().url), container);
  EXPECT_EQ(BodyOf(Last())["properties"]["publicAccess"], "None");

  transport_.Enqueue("GET", container, 200, R"({"name":"raw"})");
  ASSERT_OK(storage_.GetContainer("rg1", "sa1", "raw"));
  transport_.Enqueue("PATCH", container, 200, R"({"name":"raw"})");
  ASSERT_OK(storage_.UpdateContainer("rg1", "sa1", "raw",
                                     {{"properties", {{"metadata", {{"k", "v"}}}}}}));
  EXPECT_EQ(Last().method, "PATCH");
  transport_.Enqueue("DELETE", container, 200);
  ASSERT_OK(storage_.DeleteContainer("rg1", "sa1", "raw"));
  transport_.Enqueue("GET", "/blobServices/default/containers?", 200,
                     R"({"value":[{"name":"raw"},{"name":"curated"}]})");
  auto list = storage_.ListContainers("rg1", "sa1");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 2u);
}

TEST_F(TypedClientsTest, StoragePutContainerWithNullBodySendsEmptyObject) {
  transport_.Enqueue("PUT", "/containers/raw", 201, R"({"name":"raw"})");
  ASSERT_OK(storage_.PutContainer("rg1", "sa1", "raw", nullptr));
  EXPECT_EQ(Last().body, "{}");
}

// --- key vaults ---

TEST_F(TypedClientsTest, KeyVaultCreateSendsBodyAndReturnsVault) {
  const nlohmann::json body = {{"location", "westeurope"},
                               {"properties",
                                {{"tenantId", "t1"},
                                 {"sku", {{"family", "A"}, {"name", "standard"}}},
                                 {"accessPolicies", nlohmann::json::array()}}}};
  transport_.Enqueue(
      "PUT", kKvPath, 201,
      R"({"name":"kv1","properties":{"provisioningState":"Succeeded","vaultUri":"https://kv1.vault.test/"}})");
  auto got = vaults_.CreateOrUpdate("rg1", "kv1", body);
  ASSERT_OK(got);
  EXPECT_EQ(KeyVaultsClient::VaultUri(*got), "https://kv1.vault.test");
  EXPECT_EQ(BodyOf(Last()), body);
  EXPECT_EQ(QueryOf(Last().url)["api-version"], kKeyVaultApiVersion);
}

TEST_F(TypedClientsTest, KeyVaultNameHeldBySoftDeletedVaultIsAConflict) {
  transport_.Enqueue(
      "PUT", kKvPath, 409,
      R"({"error":{"code":"ConflictError","message":"A vault with the same name already exists in deleted state."}})");
  auto got = vaults_.CreateOrUpdate("rg1", "kv1", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("deleted state")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "ConflictError");
}

TEST_F(TypedClientsTest, KeyVaultAccessPolicyOperationsUseTheirPaths) {
  const nlohmann::json policies = nlohmann::json::array(
      {{{"tenantId", "t1"}, {"objectId", "o1"}, {"permissions", {{"secrets", {"get", "list"}}}}}});
  const std::pair<AccessPolicyOperation, const char*> ops[] = {
      {AccessPolicyOperation::kAdd, "add"},
      {AccessPolicyOperation::kReplace, "replace"},
      {AccessPolicyOperation::kRemove, "remove"}};
  for (const auto& [op, name] : ops) {
    transport_.Enqueue("PUT", std::string("/accessPolicies/") + name, 200,
                       nlohmann::json({{"properties", {{"accessPolicies", policies}}}}).dump());
    auto got = vaults_.UpdateAccessPolicies("rg1", "kv1", op, policies);
    ASSERT_OK(got);
    EXPECT_EQ(*got, policies);
    EXPECT_EQ(PathOf(Last().url), std::string(kKvPath) + "/accessPolicies/" + name);
    EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"properties", {{"accessPolicies", policies}}}}));
  }
}

TEST_F(TypedClientsTest, KeyVaultDeletedVaultsUseLocationScopedPaths) {
  const std::string deleted =
      "/subscriptions/sub1/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1";
  transport_.Enqueue(
      "GET", deleted, 200,
      R"({"name":"kv1","properties":{"scheduledPurgeDate":"2030-01-01T00:00:00Z"}})");
  ASSERT_OK(vaults_.GetDeleted("West Europe", "kv1"));
  EXPECT_EQ(PathOf(Last().url), deleted);

  transport_.Enqueue("POST", deleted + "/purge", 202, "",
                     {{"Location", "https://arm.test/purgeops/1"}});
  transport_.Enqueue("GET", "/purgeops/1", 200);
  ASSERT_OK(vaults_.Purge("westeurope", "kv1"));

  transport_.Enqueue("GET", "/deletedVaults?", 200, R"({"value":[{"name":"kv1"}]})");
  auto list = vaults_.ListDeleted();
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(PathOf(Last().url), "/subscriptions/sub1/providers/Microsoft.KeyVault/deletedVaults");
}

TEST_F(TypedClientsTest, KeyVaultPatchGetDelete) {
  transport_.Enqueue("PATCH", kKvPath, 200, R"({"name":"kv1"})");
  ASSERT_OK(vaults_.Update("rg1", "kv1", {{"tags", {{"a", "1"}}}}));
  transport_.Enqueue("GET", kKvPath, 200, R"({"name":"kv1"})");
  ASSERT_OK(vaults_.Get("rg1", "kv1"));
  transport_.Enqueue("DELETE", kKvPath, 200);
  ASSERT_OK(vaults_.Delete("rg1", "kv1"));
}

TEST(VaultUriTest, ToleratesTrailingSlashAndAbsence) {
  EXPECT_EQ(KeyVaultsClient::VaultUri({{"properties", {{"vaultUri", "https://a.b/"}}}}),
            "https://a.b");
  EXPECT_EQ(KeyVaultsClient::VaultUri({{"properties", {{"vaultUri", "https://a.b"}}}}),
            "https://a.b");
  EXPECT_EQ(KeyVaultsClient::VaultUri({{"properties", nlohmann::json::object()}}), "");
}

// --- Databricks workspaces ---

TEST_F(TypedClientsTest, DatabricksWorkspaceCreateFollowsAsyncOperationAndReadsUrl) {
  transport_.Enqueue("PUT", kWsPath, 201, R"({"properties":{"provisioningState":"Accepted"}})",
                     {{"Azure-AsyncOperation", "https://arm.test/wsops/1"}, {"Retry-After", "10"}});
  transport_.Enqueue("GET", "/wsops/1", 200, R"({"status":"Succeeded"})");
  transport_.Enqueue(
      "GET", kWsPath, 200,
      R"({"properties":{"provisioningState":"Succeeded","workspaceUrl":"adb-5.1.azuredatabricks.net"}})");
  auto got = workspaces_.CreateOrUpdate(
      "rg1", "ws1",
      {{"location", "westeurope"},
       {"sku", {{"name", "premium"}}},
       {"properties", {{"managedResourceGroupId", "/subscriptions/sub1/resourceGroups/m"}}}});
  ASSERT_OK(got);
  EXPECT_EQ(DatabricksWorkspacesClient::WorkspaceUrl(*got), "https://adb-5.1.azuredatabricks.net");
  EXPECT_EQ(QueryOf(Nth(0).url)["api-version"], kDatabricksApiVersion);
}

TEST_F(TypedClientsTest, DatabricksWorkspaceDeleteAndPatch) {
  transport_.Enqueue("DELETE", kWsPath, 202, "",
                     {{"Azure-AsyncOperation", "https://arm.test/wsops/d"}});
  transport_.Enqueue("GET", "/wsops/d", 200, R"({"status":"InProgress"})");
  transport_.Enqueue("GET", "/wsops/d", 200, R"({"status":"Succeeded"})");
  ASSERT_OK(workspaces_.Delete("rg1", "ws1"));
  transport_.Enqueue("PATCH", kWsPath, 200, R"({"properties":{"provisioningState":"Succeeded"}})");
  ASSERT_OK(workspaces_.UpdateTags("rg1", "ws1", {{"t", "1"}}));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"tags", {{"t", "1"}}}}));
}

TEST(WorkspaceUrlTest, AddsSchemeOnlyWhenMissing) {
  EXPECT_EQ(
      DatabricksWorkspacesClient::WorkspaceUrl({{"properties", {{"workspaceUrl", "adb-1.2.net"}}}}),
      "https://adb-1.2.net");
  EXPECT_EQ(DatabricksWorkspacesClient::WorkspaceUrl(
                {{"properties", {{"workspaceUrl", "https://127.0.0.1:4443/"}}}}),
            "https://127.0.0.1:4443");
  EXPECT_EQ(DatabricksWorkspacesClient::WorkspaceUrl({{"properties", nlohmann::json::object()}}),
            "");
}

}  // namespace
}  // namespace envctl::cloud::arm
