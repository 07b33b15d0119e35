// ARM front door and resource groups against a running cloudsim.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"
#include "tests/fakes/fake_clock.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ArmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.page_size = 2;
    options.clock = &clock_;  // LROs finish when the test moves simulated time on
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    client_ = std::make_unique<SimClient>(*env_);
  }
  // Polls `url` until it stops answering 202, a simulated second apart (bounded).
  cloudsim::Response PollLocation(const std::string& url) {
    cloudsim::Response r;
    for (int i = 0; i < 600; ++i) {
      r = client_->Arm("GET", url);
      if (r.status != 202) return r;
      clock_.Advance(absl::Seconds(1));
    }
    return r;
  }
  FakeClock clock_;
  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
};

TEST_F(ArmTest, EndpointsFileHasEveryContractField) {
  for (const char* key :
       {"arm_endpoint", "authority_host", "tenant_id", "subscription_id", "client_id",
        "client_secret", "object_id", "ca_cert_file", "admin_endpoint"}) {
    EXPECT_TRUE(env_->endpoints.contains(key)) << key;
  }
  EXPECT_EQ(env_->arm_endpoint, absl::StrCat("https://127.0.0.1:", env_->sim().port()));
  EXPECT_EQ(env_->admin_endpoint, env_->arm_endpoint + "/_cloudsim");
  EXPECT_EQ(env_->ca_cert_file, env_->state_dir() + "/ca.pem");
}

TEST_F(ArmTest, ResourceGroupLifecycleWithLowerCasePathsAndHeaders) {
  std::string rg = client_->Sub() + "/resourcegroups/My-RG?api-version=2025-04-01";
  cloudsim::Response created =
      client_->Arm("PUT", rg, {{"location", "westeurope"}, {"tags", {{"env", "dev"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(JsonOf(created)["id"], client_->Rg("My-RG"));
  EXPECT_EQ(JsonOf(created)["properties"]["provisioningState"], "Succeeded");
  EXPECT_FALSE(created.headers["x-ms-request-id"].empty());
  EXPECT_FALSE(created.headers["x-ms-ratelimit-remaining-subscription-writes"].empty());

  cloudsim::Response replaced = client_->Arm(
      "PUT", client_->Rg("my-rg") + "?api-version=2022-09-01", {{"location", "WestEurope"}});
  EXPECT_EQ(replaced.status, 200);
  EXPECT_EQ(JsonOf(replaced)["tags"], nlohmann::json::object());  // PUT replaces tags
  EXPECT_EQ(JsonOf(replaced)["name"], "My-RG");                   // casing from creation

  cloudsim::Response patched = client_->Arm("PATCH", rg, {{"tags", {{"a", "1"}}}});
  EXPECT_EQ(JsonOf(patched)["tags"], nlohmann::json({{"a", "1"}}));

  cloudsim::Response got = client_->Arm("GET", rg);
  EXPECT_EQ(got.status, 200);
  EXPECT_FALSE(got.headers["x-ms-ratelimit-remaining-subscription-reads"].empty());
  EXPECT_EQ(client_->Arm("HEAD", rg).status, 204);

  cloudsim::Response moved = client_->Arm("PUT", rg, {{"location", "eastus"}});
  EXPECT_EQ(moved.status, 409);
  EXPECT_EQ(ErrorCode(moved), "InvalidResourceGroupLocation");

  cloudsim::Response deleting = client_->Arm("DELETE", rg);
  ASSERT_EQ(deleting.status, 202);
  EXPECT_THAT(deleting.headers["Location"], StartsWith(env_->arm_endpoint));
  EXPECT_FALSE(deleting.headers["Retry-After"].empty());
  EXPECT_EQ(PollLocation(deleting.headers["Location"]).status, 200);
  cloudsim::Response gone = client_->Arm("GET", rg);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "ResourceGroupNotFound");
  EXPECT_THAT(JsonOf(gone)["error"]["message"].get<std::string>(),
              HasSubstr("Resource group 'My-RG' could not be found."));
  EXPECT_EQ(client_->Arm("HEAD", rg).status, 404);
}

TEST_F(ArmTest, ListsPageWithAbsoluteNextLinkAndTagFilter) {
  for (int i = 0; i < 5; ++i) {
    nlohmann::json body = {{"location", "westeurope"}};
    if (i % 2 == 0) body["tags"] = {{"team", "data"}};
    ASSERT_EQ(
        client_->Arm("PUT", client_->Rg(absl::StrCat("rg", i)) + "?api-version=2022-09-01", body)
            .status,
        201);
  }
  std::vector<std::string> names;
  std::string next = client_->Sub() + "/resourcegroups?api-version=2022-09-01";
  for (int page = 0; page < 10 && !next.empty(); ++page) {
    nlohmann::json j = JsonOf(client_->Arm("GET", next));
    ASSERT_TRUE(j.is_object());
    EXPECT_LE(j["value"].size(), 2u);
    for (const auto& rg : j["value"]) names.push_back(rg["name"]);
    next = j.value("nextLink", "");
    if (!next.empty()) {
      EXPECT_THAT(next, StartsWith(env_->arm_endpoint));
      EXPECT_THAT(next, HasSubstr("skiptoken"));
    }
  }
  EXPECT_EQ(names.size(), 5u);
  nlohmann::json filtered = JsonOf(
      client_->Arm("GET", client_->Sub() + "/resourcegroups?api-version=2022-09-01&%24filter=" +
                              cloudsim::PercentEncode("tagName eq 'team' and tagValue eq 'data'") +
                              "&%24top=10"));
  size_t count = filtered["value"].size();
  if (filtered.contains("nextLink")) count += 1;  // page size 2 caps the first page
  EXPECT_GE(count, 2u);
  for (const auto& rg : filtered["value"]) EXPECT_EQ(rg["tags"]["team"], "data");
}

TEST_F(ArmTest, RequestErrorsUseTheArmEnvelopeAndCodes) {
  cloudsim::Response no_version = client_->Arm("GET", client_->Rg("x"));
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(ErrorCode(no_version), "MissingApiVersionParameter");

  cloudsim::Response bad_version =
      client_->Arm("GET", client_->Rg("x") + "?api-version=2099-01-01");
  EXPECT_EQ(bad_version.status, 400);
  EXPECT_EQ(ErrorCode(bad_version), "InvalidApiVersionParameter");
  EXPECT_THAT(bad_version.body, HasSubstr("2099-01-01"));

  cloudsim::Response anonymous = client_->Raw("GET", client_->Rg("x") + "?api-version=2022-09-01");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(ErrorCode(anonymous), "AuthenticationFailed");
  EXPECT_THAT(anonymous.headers["WWW-Authenticate"], StartsWith("Bearer authorization_uri="));

  cloudsim::Response vault_token =
      client_->WithToken(kVaultScope, "GET", client_->Rg("x") + "?api-version=2022-09-01");
  EXPECT_EQ(vault_token.status, 401);
  EXPECT_EQ(ErrorCode(vault_token), "InvalidAuthenticationTokenAudience");

  cloudsim::Response garbage = client_->Raw("GET", client_->Rg("x") + "?api-version=2022-09-01", "",
                                            {{"Authorization", "Bearer abc.def.ghi"}});
  EXPECT_EQ(ErrorCode(garbage), "InvalidAuthenticationToken");

  cloudsim::Response missing_rg = client_->Arm(
      "GET", client_->Rg("nope") +
                 "/providers/Microsoft.Storage/storageAccounts/sa?api-version=2023-05-01");
  EXPECT_EQ(missing_rg.status, 404);
  EXPECT_EQ(ErrorCode(missing_rg), "ResourceGroupNotFound");

  cloudsim::Response no_location =
      client_->Arm("PUT", client_->Rg("x") + "?api-version=2022-09-01", nlohmann::json::object());
  EXPECT_EQ(ErrorCode(no_location), "LocationRequired");

  cloudsim::Response no_region = client_->Arm("PUT", client_->Rg("x") + "?api-version=2022-09-01",
                                              {{"location", "marsnorth"}});
  EXPECT_EQ(no_region.status, 400);
  EXPECT_EQ(ErrorCode(no_region), "LocationNotAvailableForResourceGroup");
  EXPECT_THAT(no_region.body, HasSubstr("'marsnorth'"));
  // Display names are regions too, as in ARM.
  cloudsim::Response display = client_->Arm("PUT", client_->Rg("x") + "?api-version=2022-09-01",
                                            {{"location", "West Europe"}});
  EXPECT_EQ(display.status, 201) << display.body;
  cloudsim::Response bad_account = client_->Arm(
      "PUT",
      client_->Rg("x") +
          "/providers/Microsoft.Storage/storageAccounts/sanowhere?api-version=2023-05-01",
      {{"location", "marsnorth"}, {"sku", {{"name", "Standard_LRS"}}}, {"kind", "StorageV2"}});
  EXPECT_EQ(bad_account.status, 400);
  EXPECT_EQ(ErrorCode(bad_account), "LocationNotAvailableForResourceType");
  EXPECT_THAT(bad_account.body, HasSubstr("'Microsoft.Storage/storageAccounts'"));

  cloudsim::Response other_sub = client_->Arm(
      "GET",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2022-09-01");
  EXPECT_EQ(ErrorCode(other_sub), "SubscriptionNotFound");
}

TEST_F(ArmTest, TokenRequestWithWrongSecretIsRejected) {
  cloudsim::Response r = client_->TokenRequest(
      "grant_type=client_credentials&client_id=" + env_->client_id +
      "&client_secret=wrong&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("AADSTS7000215"));
}

}  // namespace
}  // namespace envctl::testing
