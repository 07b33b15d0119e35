// Typed ARM clients against cloudsim through a real CloudSession: resource groups, storage
// accounts (LRO via Location, keys, containers), key vaults (access policies, soft delete,
// purge) and Databricks workspaces (LRO via Azure-AsyncOperation).
#include "cloud/arm/databricks_workspaces.h"
#include "cloud/arm/key_vaults.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/arm/resource_id.h"
#include "cloud/arm/storage_accounts.h"
#include "cloud/errors.h"
#include "tests/cloud_integration/clients_fixture.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

class ArmIntegrationTest : public CloudClientsTest {
 protected:
  std::string MakeGroup(const std::string& prefix) {
    const std::string name = Unique(prefix, 60);
    arm::ResourceGroupsClient groups(*arm_, subscription());
    auto rg = groups.CreateOrUpdate(name, "westeurope", {{"env", "it"}});
    EXPECT_OK(rg);
    return name;
  }
};

TEST_F(ArmIntegrationTest, ResourceGroupLifecycle) {
  arm::ResourceGroupsClient groups(*arm_, subscription());
  const std::string name = Unique("rg-", 60);
  auto created = groups.CreateOrUpdate(name, "westeurope", {{"envctl-environment", "dev"}});
  ASSERT_OK(created);
  EXPECT_TRUE(arm::SameResourceId((*created)["id"].get<std::string>(), groups.Id(name)));

  auto got = groups.Get(name);
  ASSERT_OK(got);
  EXPECT_EQ((*got)["tags"]["envctl-environment"], "dev");

  auto patched = groups.UpdateTags(name, {{"envctl-environment", "dev"}, {"owner", "data"}});
  ASSERT_OK(patched);
  EXPECT_EQ((*patched)["tags"].size(), 2u);

  // Three more groups with the tag so the tag filter has to page (page size 2).
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(groups.CreateOrUpdate(absl::StrCat(name, "-", i), "westeurope",
                                    {{"envctl-environment", "dev-" + name}}));
  }
  auto tagged = groups.ListByTag("envctl-environment", "dev-" + name);
  ASSERT_OK(tagged);
  EXPECT_EQ(tagged->size(), 3u);
  auto all = groups.List();
  ASSERT_OK(all);
  EXPECT_GE(all->size(), 4u);

  ASSERT_OK(groups.Delete(name));
  EXPECT_THAT(groups.Get(name), StatusIs(absl::StatusCode::kNotFound, HasSubstr(name)));
  EXPECT_EQ(ServiceErrorCode(groups.Get(name).status()), "ResourceGroupNotFound");
  // Deleting again is fine: the contract is "gone afterwards".
  EXPECT_OK(groups.Delete(name));
}

TEST_F(ArmIntegrationTest, StorageAccountLifecycleWithKeysAndContainers) {
  const std::string rg = MakeGroup("rg-sa-");
  arm::StorageAccountsClient storage(*arm_, subscription());
  const std::string account = Unique("sa", 24);
  const nlohmann::json body = {{"location", "westeurope"},
                               {"sku", {{"name", "Standard_LRS"}}},
                               {"kind", "StorageV2"},
                               {"tags", {{"env", "dev"}}},
                               {"properties",
                                {{"isHnsEnabled", true},
                                 {"minimumTlsVersion", "TLS1_2"},
                                 {"allowBlobPublicAccess", false}}}};
  auto created = storage.Create(rg, account, body);
  ASSERT_OK(created);
  EXPECT_EQ((*created)["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ((*created)["properties"]["isHnsEnabled"], true);
  EXPECT_GE(CountLogs("asyncoperations"), 1) << "create should have been an LRO via Location";

  auto patched = storage.Update(rg, account, {{"tags", {{"env", "test"}}}});
  ASSERT_OK(patched);
  EXPECT_EQ((*patched)["tags"]["env"], "test");
  ASSERT_OK(storage.Get(rg, account));
  auto list = storage.List(rg);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);

  auto keys = storage.ListKeys(rg, account);
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : *keys) RegisterSecret(k.value);
  auto rotated = storage.RegenerateKey(rg, account, "key1");
  ASSERT_OK(rotated);
  for (const auto& k : *rotated) RegisterSecret(k.value);
  ASSERT_EQ((*rotated)[0].name, "key1");
  EXPECT_NE((*rotated)[0].value, (*keys)[0].value);
  EXPECT_EQ((*rotated)[1].value, (*keys)[1].value);

  for (const char* c : {"raw", "curated", "published"}) {
    ASSERT_OK(storage.PutContainer(rg, account, c, {{"properties", {{"publicAccess", "None"}}}}));
  }
  auto container = storage.UpdateContainer(rg, account, "raw",
                                           {{"properties", {{"metadata", {{"owner", "etl"}}}}}});
  ASSERT_OK(container);
  auto got_container = storage.GetContainer(rg, account, "raw");
  ASSERT_OK(got_container);
  EXPECT_EQ((*got_container)["properties"]["metadata"]["owner"], "etl");
  auto containers = storage.ListContainers(rg, account);
  ASSERT_OK(containers);
  EXPECT_EQ(containers->size(), 3u);  // two pages
  ASSERT_OK(storage.DeleteContainer(rg, account, "published"));
  EXPECT_THAT(storage.GetContainer(rg, account, "published"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  ASSERT_OK(storage.Delete(rg, account));
  EXPECT_THAT(storage.Get(rg, account), StatusIs(absl::StatusCode::kNotFound, HasSubstr(account)));
}

TEST_F(ArmIntegrationTest, StorageAccountInMissingGroupIsNotFound) {
  arm::StorageAccountsClient storage(*arm_, subscription());
  auto got = storage.Create(
      "rg-does-not-exist", Unique("sa", 24),
      {{"location", "westeurope"}, {"sku", {{"name", "Standard_LRS"}}}, {"kind", "StorageV2"}});
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound, HasSubstr("rg-does-not-exist")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "ResourceGroupNotFound");
}

TEST_F(ArmIntegrationTest, KeyVaultLifecycleWithAccessPoliciesSoftDeleteAndPurge) {
  const std::string rg = MakeGroup("rg-kv-");
  arm::KeyVaultsClient vaults(*arm_, subscription());
  const std::string name = Unique("kv", 24);
  const nlohmann::json policy = {{"tenantId", endpoints_.tenant_id},
                                 {"objectId", endpoints_.object_id},
                                 {"permissions", {{"secrets", {"get", "list", "set"}}}}};
  const nlohmann::json body = {{"location", "westeurope"},
                               {"properties",
                                {{"tenantId", endpoints_.tenant_id},
                                 {"sku", {{"family", "A"}, {"name", "standard"}}},
                                 {"accessPolicies", nlohmann::json::array({policy})}}}};
  auto created = vaults.CreateOrUpdate(rg, name, body);
  ASSERT_OK(created);
  EXPECT_FALSE(arm::KeyVaultsClient::VaultUri(*created).empty());
  EXPECT_NE(arm::KeyVaultsClient::VaultUri(*created).back(), '/');

  auto patched = vaults.Update(rg, name, {{"tags", {{"env", "dev"}}}});
  ASSERT_OK(patched);
  EXPECT_EQ((*patched)["tags"]["env"], "dev");
  auto list = vaults.List(rg);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);

  const nlohmann::json reader = {{"tenantId", endpoints_.tenant_id},
                                 {"objectId", "11111111-1111-1111-1111-111111111111"},
                                 {"permissions", {{"secrets", {"get"}}}}};
  auto added = vaults.UpdateAccessPolicies(rg, name, arm::AccessPolicyOperation::kAdd,
                                           nlohmann::json::array({reader}));
  ASSERT_OK(added);
  auto after_add = vaults.Get(rg, name);
  ASSERT_OK(after_add);
  EXPECT_EQ((*after_add)["properties"]["accessPolicies"].size(), 2u);
  ASSERT_OK(vaults.UpdateAccessPolicies(rg, name, arm::AccessPolicyOperation::kRemove,
                                        nlohmann::json::array({reader})));
  auto after_remove = vaults.Get(rg, name);
  ASSERT_OK(after_remove);
  EXPECT_EQ((*after_remove)["properties"]["accessPolicies"].size(), 1u);
  ASSERT_OK(vaults.UpdateAccessPolicies(rg, name, arm::AccessPolicyOperation::kReplace,
                                        nlohmann::json::array({policy})));

  ASSERT_OK(vaults.Delete(rg, name));
  EXPECT_THAT(vaults.Get(rg, name), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  auto deleted = vaults.GetDeleted("westeurope", name);
  ASSERT_OK(deleted);
  EXPECT_TRUE(arm::SameResourceId((*deleted)["properties"]["vaultId"].get<std::string>(),
                                  vaults.Id(rg, name)));
  auto all_deleted = vaults.ListDeleted();
  ASSERT_OK(all_deleted);
  bool found = false;
  for (const auto& v : *all_deleted) found |= v.value("name", "") == name;
  EXPECT_TRUE(found);

  // The name is reserved while soft-deleted.
  auto reuse = vaults.CreateOrUpdate(rg, name, body);
  EXPECT_FALSE(reuse.ok());
  EXPECT_THAT(ServiceErrorCode(reuse.status()),
              ::testing::AnyOf("ConflictError", "VaultAlreadyExists"));

  ASSERT_OK(vaults.Purge("westeurope", name));
  EXPECT_THAT(vaults.GetDeleted("westeurope", name),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK(vaults.CreateOrUpdate(rg, name, body));
}

TEST_F(ArmIntegrationTest, DatabricksWorkspaceLifecycle) {
  const std::string rg = MakeGroup("rg-dbw-");
  arm::DatabricksWorkspacesClient workspaces(*arm_, subscription());
  const std::string name = Unique("ws-", 40);
  auto created = workspaces.CreateOrUpdate(
      rg, name,
      {{"location", "westeurope"},
       {"sku", {{"name", "premium"}}},
       {"properties",
        {{"managedResourceGroupId", absl::StrCat("/subscriptions/", subscription(),
                                                 "/resourceGroups/databricks-rg-", name)}}}});
  ASSERT_OK(created);
  EXPECT_EQ((*created)["properties"]["provisioningState"], "Succeeded");
  const std::string url = arm::DatabricksWorkspacesClient::WorkspaceUrl(*created);
  EXPECT_EQ(url.rfind("https://", 0), 0u) << url;

  auto patched = workspaces.UpdateTags(rg, name, {{"env", "dev"}});
  ASSERT_OK(patched);
  EXPECT_EQ((*patched)["tags"]["env"], "dev");
  auto list = workspaces.List(rg);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);

  ASSERT_OK(workspaces.Delete(rg, name));
  EXPECT_THAT(workspaces.Get(rg, name), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace envctl::cloud
