// What clients discover before their first real call: the provider registry, the
// subscription and tenant lists at every Microsoft.Resources version, the anonymous
// metadata endpoints, the multi-tenant authorities and the managed-identity endpoint.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"

namespace envctl::testing {
namespace {

using ::testing::Contains;

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = CloudsimEnv::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    client_ = std::make_unique<SimClient>(*env_);
  }
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
};

TEST_F(DiscoveryTest, ProviderListAndProviderShowCarryResourceTypesWithApiVersions) {
  cloudsim::Response list =
      client_->Arm("GET", client_->Sub() + "/providers?api-version=2021-04-01");
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> namespaces;
  const nlohmann::json listed = JsonOf(list);
  for (const auto& p : listed["value"]) namespaces.push_back(p["namespace"]);
  EXPECT_THAT(namespaces, Contains("Microsoft.Storage"));
  EXPECT_THAT(namespaces, Contains("Microsoft.KeyVault"));
  EXPECT_THAT(namespaces, Contains("Microsoft.DataFactory"));
  EXPECT_THAT(namespaces, Contains("Microsoft.Databricks"));

  // The registry is Microsoft.Resources: its versions apply whatever namespace is named.
  cloudsim::Response kv =
      client_->Arm("GET", client_->Sub() + "/providers/microsoft.keyvault?api-version=2022-09-01");
  ASSERT_EQ(kv.status, 200) << kv.body;
  nlohmann::json vaults;
  const nlohmann::json provider = JsonOf(kv);
  for (const auto& t : provider["resourceTypes"]) {
    if (t["resourceType"] == "vaults") vaults = t;
  }
  ASSERT_TRUE(vaults.is_object()) << kv.body;
  EXPECT_EQ(vaults["apiVersions"][0], "2026-02-01");           // newest first
  EXPECT_THAT(vaults["apiVersions"], Contains("2016-10-01"));  // hybrid profiles

  cloudsim::Response registered = client_->Arm(
      "POST", client_->Sub() + "/providers/Microsoft.Databricks/register?api-version=2021-04-01");
  ASSERT_EQ(registered.status, 200) << registered.body;
  EXPECT_EQ(JsonOf(registered)["registrationState"], "Registered");
  EXPECT_FALSE(JsonOf(registered)["resourceTypes"].empty());

  // A resource group has no provider list; asking must not crash cloudsim.
  ASSERT_EQ(
      client_
          ->Arm("PUT", client_->Rg("rg1") + "?api-version=2022-09-01", {{"location", "westeurope"}})
          .status,
      201);
  cloudsim::Response rg_providers =
      client_->Arm("GET", client_->Rg("rg1") + "/providers?api-version=2021-04-01");
  EXPECT_EQ(rg_providers.status, 404);
  EXPECT_EQ(ErrorCode(rg_providers), "InvalidResourceNamespace");
}

TEST_F(DiscoveryTest, SubscriptionsAndTenantsAcceptSubscriptionsApiVersions) {
  for (const char* v : {"2016-06-01", "2019-11-01", "2022-12-01", "2021-04-01"}) {
    cloudsim::Response subs = client_->Arm("GET", absl::StrCat("/subscriptions?api-version=", v));
    ASSERT_EQ(subs.status, 200) << v << subs.body;
    EXPECT_EQ(JsonOf(subs)["value"][0]["subscriptionId"], env_->subscription_id);
    cloudsim::Response tenants = client_->Arm("GET", absl::StrCat("/tenants?api-version=", v));
    ASSERT_EQ(tenants.status, 200) << v << tenants.body;
    EXPECT_EQ(JsonOf(tenants)["value"][0]["tenantId"], env_->tenant_id);
  }
  cloudsim::Response bad = client_->Arm("GET", "/subscriptions?api-version=2099-01-01");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "InvalidApiVersionParameter");
}

TEST_F(DiscoveryTest, LocationsListsPublicRegions) {
  cloudsim::Response r = client_->Arm("GET", client_->Sub() + "/locations?api-version=2022-12-01");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> names;
  const nlohmann::json listed = JsonOf(r);
  for (const auto& l : listed["value"]) names.push_back(l["name"]);
  EXPECT_THAT(names, Contains("westeurope"));
}

TEST_F(DiscoveryTest, DeletedManagedHsmsListIsEmpty) {
  cloudsim::Response r = client_->Arm(
      "GET",
      client_->Sub() + "/providers/Microsoft.KeyVault/deletedManagedHSMs?api-version=2022-07-01");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r)["value"], nlohmann::json::array());
}

TEST_F(DiscoveryTest, MetadataEndpointsAreAnonymous) {
  cloudsim::Response legacy = client_->Raw("GET", "/metadata/endpoints?api-version=2015-01-01");
  ASSERT_EQ(legacy.status, 200) << legacy.body;
  nlohmann::json j = JsonOf(legacy);
  EXPECT_EQ(j["authentication"]["loginEndpoint"], env_->arm_endpoint + "/");
  EXPECT_EQ(j["authentication"]["audiences"][0], "https://management.core.windows.net/");
  EXPECT_TRUE(j.contains("graphEndpoint"));

  cloudsim::Response clouds = client_->Raw("GET", "/metadata/endpoints?api-version=2022-09-01");
  ASSERT_EQ(clouds.status, 200);
  EXPECT_EQ(JsonOf(clouds)[0]["resourceManager"], env_->arm_endpoint + "/");
  EXPECT_EQ(client_->Raw("GET", "/metadata/endpoints?api-version=1999-01-01").status, 400);
}

TEST_F(DiscoveryTest, CommonAndOrganizationsAuthoritiesResolveToTheTenant) {
  for (const char* authority : {"common", "organizations"}) {
    cloudsim::Response r =
        client_->Raw("GET", absl::StrCat("/", authority, "/v2.0/.well-known/openid-configuration"));
    ASSERT_EQ(r.status, 200) << authority << r.body;
    EXPECT_EQ(JsonOf(r)["issuer"], absl::StrCat(env_->arm_endpoint, "/", env_->tenant_id, "/v2.0"));
  }
}

TEST_F(DiscoveryTest, ManagedIdentityEndpointIssuesArmAndVaultTokens) {
  cloudsim::Response no_header =
      client_->Raw("POST", "/msi/token", "resource=https://management.core.windows.net/",
                   {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(no_header.status, 400);

  cloudsim::Response arm =
      client_->Raw("POST", "/MSI/token", "resource=https%3A%2F%2Fmanagement.core.windows.net%2F",
                   {{"Content-Type", "application/x-www-form-urlencoded"}, {"Metadata", "true"}});
  ASSERT_EQ(arm.status, 200) << arm.body;
  nlohmann::json token = JsonOf(arm);
  EXPECT_EQ(token["token_type"], "Bearer");
  EXPECT_EQ(token["resource"], "https://management.core.windows.net/");
  cloudsim::Response subs =
      client_->Raw("GET", "/subscriptions?api-version=2019-11-01", "",
                   {{"Authorization", "Bearer " + token["access_token"].get<std::string>()}});
  EXPECT_EQ(subs.status, 200) << subs.body;

  cloudsim::Response imds = client_->Raw(
      "GET",
      "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net", "",
      {{"Metadata", "true"}});
  ASSERT_EQ(imds.status, 200) << imds.body;
  EXPECT_FALSE(JsonOf(imds)["access_token"].get<std::string>().empty());

  cloudsim::Response unknown = client_->Raw("GET", "/msi/token?resource=https://example.invalid",
                                            "", {{"Metadata", "true"}});
  EXPECT_EQ(unknown.status, 400);
}

}  // namespace
}  // namespace envctl::testing
