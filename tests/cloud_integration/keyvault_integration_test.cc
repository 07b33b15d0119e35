// Key Vault secrets data plane against cloudsim through CloudSession::KeyVault() (the 401
// challenge handshake included): set, get latest and by version, list (paged), versions,
// update attributes and tags, soft delete, get deleted, recover, purge, error codes.
#include "cloud/arm/key_vaults.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/errors.h"
#include "cloud/keyvault/secrets_client.h"
#include "tests/cloud_integration/clients_fixture.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class KeyVaultIntegrationTest : public CloudClientsTest {
 protected:
  void SetUp() override {
    CloudClientsTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string rg = Unique("rg-kvdp-", 60);
    ASSERT_OK(
        arm::ResourceGroupsClient(*arm_, subscription()).CreateOrUpdate(rg, "westeurope", {}));
    const nlohmann::json policy = {
        {"tenantId", endpoints_.tenant_id},
        {"objectId", endpoints_.object_id},
        {"permissions", {{"secrets", {"get", "list", "set", "delete", "recover", "purge"}}}}};
    auto vault = arm::KeyVaultsClient(*arm_, subscription())
                     .CreateOrUpdate(rg, Unique("kv", 24),
                                     {{"location", "westeurope"},
                                      {"properties",
                                       {{"tenantId", endpoints_.tenant_id},
                                        {"sku", {{"family", "A"}, {"name", "standard"}}},
                                        {"accessPolicies", nlohmann::json::array({policy})}}}});
    ASSERT_OK(vault);
    // The raw vaultUri (often with a trailing slash) is what the client must accept.
    vault_uri_ = (*vault)["properties"]["vaultUri"].get<std::string>();
  }

  std::string vault_uri_;
};

TEST_F(KeyVaultIntegrationTest, SecretLifecycle) {
  keyvault::SecretsClient secrets(session_->KeyVault(), vault_uri_);
  const std::string v1 = "first-Secret-Value-0001";
  const std::string v2 = "second-Secret-Value-0002";
  RegisterSecret(v1);
  RegisterSecret(v2);

  keyvault::SetSecretOptions options;
  options.content_type = "text/plain";
  options.tags = {{"owner", "etl"}};
  auto first = secrets.Set("db-password", v1, options);
  ASSERT_OK(first);
  EXPECT_EQ(first->name, "db-password");
  EXPECT_EQ(first->version.size(), 32u);
  EXPECT_EQ(first->content_type, "text/plain");
  auto second = secrets.Set("db-password", v2);
  ASSERT_OK(second);
  EXPECT_NE(second->version, first->version);

  auto latest = secrets.Get("db-password");
  ASSERT_OK(latest);
  EXPECT_EQ(latest->value, v2);
  auto old = secrets.Get("db-password", first->version);
  ASSERT_OK(old);
  EXPECT_EQ(old->value, v1);
  EXPECT_EQ(old->properties.tags.at("owner"), "etl");

  ASSERT_OK(secrets.Set("api-key", "another-value-12345"));
  RegisterSecret("another-value-12345");
  ASSERT_OK(secrets.Set("sas-token", "third-value-67890"));
  RegisterSecret("third-value-67890");
  auto list = secrets.List();  // three secrets, page size 2
  ASSERT_OK(list);
  std::vector<std::string> names;
  for (const auto& p : *list) names.push_back(p.name);
  EXPECT_THAT(names, UnorderedElementsAre("db-password", "api-key", "sas-token"));
  auto versions = secrets.ListVersions("db-password");
  ASSERT_OK(versions);
  EXPECT_EQ(versions->size(), 2u);

  keyvault::SecretUpdate update;
  update.tags = std::map<std::string, std::string>{{"rotated", "yes"}};
  update.content_type = "application/x-password";
  auto updated = secrets.UpdateProperties("db-password", "", update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->version, second->version);
  EXPECT_EQ(updated->tags.at("rotated"), "yes");
  EXPECT_EQ(updated->content_type, "application/x-password");

  auto deleted = secrets.Delete("api-key");
  ASSERT_OK(deleted);
  EXPECT_EQ(deleted->properties.name, "api-key");
  EXPECT_FALSE(deleted->recovery_id.empty());
  EXPECT_THAT(secrets.Get("api-key"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("api-key")));
  auto reuse = secrets.Set("api-key", "new-value-after-delete");
  EXPECT_THAT(reuse, StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_EQ(ServiceInnerErrorCode(reuse.status()), "ObjectIsDeletedButRecoverable");
  EXPECT_THAT(std::string(reuse.status().message()),
              ::testing::Not(HasSubstr("new-value-after-delete")));

  ASSERT_OK(secrets.GetDeleted("api-key"));
  auto recovered = secrets.Recover("api-key");
  ASSERT_OK(recovered);
  EXPECT_EQ(recovered->name, "api-key");
  auto back = secrets.Get("api-key");
  ASSERT_OK(back);
  EXPECT_EQ(back->value, "another-value-12345");

  ASSERT_OK(secrets.Delete("sas-token"));
  ASSERT_OK(secrets.Purge("sas-token"));
  EXPECT_THAT(secrets.GetDeleted("sas-token"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(secrets.Purge("sas-token"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(KeyVaultIntegrationTest, MissingSecretIsNotFoundWithSecretNotFound) {
  keyvault::SecretsClient secrets(session_->KeyVault(), vault_uri_);
  auto got = secrets.Get("never-set");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound, HasSubstr("never-set")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "SecretNotFound");
}

}  // namespace
}  // namespace envctl::cloud
