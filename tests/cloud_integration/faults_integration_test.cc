// The typed clients under cloudsim's injected faults (admin API): a 429 storm with
// Retry-After is survived, a connection reset in the middle of an LRO is recovered, and a
// persistent 503 surfaces as Unavailable once the retry cap is reached.
#include "cloud/arm/resource_groups.h"
#include "cloud/arm/storage_accounts.h"
#include "cloud/errors.h"
#include "tests/cloud_integration/clients_fixture.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

class FaultsIntegrationTest : public CloudClientsTest {
 protected:
  void SetUp() override {
    CloudClientsTest::SetUp();
    if (HasFatalFailure()) return;
    // Take the token first so the faults hit the calls under test, not the authority.
    ASSERT_OK(session_->credential().GetToken(endpoints_.ArmScope()));
  }
};

TEST_F(FaultsIntegrationTest, ThrottlingStormWithRetryAfterIsSurvived) {
  arm::ResourceGroupsClient groups(*arm_, subscription());
  const std::string name = Unique("rg-", 60);
  AddFault({{"service", "arm"},
            {"operation", "*"},
            {"status", 429},
            {"retry_after_s", 3},
            {"count", 4}});
  const size_t sleeps_before = clock_->Sleeps().size();
  auto created = groups.CreateOrUpdate(name, "westeurope", {{"k", "v"}});
  ASSERT_OK(created);
  AddFault({{"service", "arm"},
            {"operation", "GET *"},
            {"status", 429},
            {"retry_after_s", 2},
            {"count", 3}});
  auto got = groups.Get(name);
  ASSERT_OK(got);
  EXPECT_EQ((*got)["tags"]["k"], "v");
  EXPECT_EQ(CountLogs("status=429"), 7);
  // Each 429 was followed by a wait of what the server asked for.
  const auto sleeps = clock_->Sleeps();
  int waited_3s = 0, waited_2s = 0;
  for (size_t i = sleeps_before; i < sleeps.size(); ++i) {
    waited_3s += sleeps[i] == absl::Seconds(3) ? 1 : 0;
    waited_2s += sleeps[i] == absl::Seconds(2) ? 1 : 0;
  }
  EXPECT_EQ(waited_3s, 4);
  EXPECT_EQ(waited_2s, 3);
  EXPECT_THAT(metrics_.Serialize(), HasSubstr(R"(envctl_cloud_throttled_total{service="arm"} 7)"));
}

TEST_F(FaultsIntegrationTest, ConnectionResetMidLroIsRecovered) {
  const std::string rg = Unique("rg-", 60);
  ASSERT_OK(arm::ResourceGroupsClient(*arm_, subscription()).CreateOrUpdate(rg, "westeurope", {}));
  // The first poll of the storage create operation has its connection reset.
  AddFault(
      {{"service", "arm"}, {"operation", "GET */asyncoperations/*"}, {"status", 0}, {"count", 1}});
  arm::StorageAccountsClient storage(*arm_, subscription());
  auto created =
      storage.Create(rg, Unique("sa", 24),
                     {{"location", "westeurope"},
                      {"sku", {{"name", "Standard_LRS"}}},
                      {"kind", "StorageV2"},
                      {"properties", {{"isHnsEnabled", true}, {"minimumTlsVersion", "TLS1_2"}}}});
  ASSERT_OK(created);
  EXPECT_EQ((*created)["properties"]["provisioningState"], "Succeeded");
  // cloudsim's own request log shows the poll whose connection it reset (status 0); the
  // client still finished the operation (the transport reconnected and re-sent the GET).
  auto requests = Admin("GET", "/requests", "");
  ASSERT_OK(requests);
  const nlohmann::json log = nlohmann::json::parse(requests->body, nullptr, false);
  const nlohmann::json& entries =
      log.is_array() ? log : log.value("requests", nlohmann::json::array());
  int reset = 0, polled_ok = 0;
  for (const auto& e : entries) {
    if (e.value("path", "").find("/asyncoperations/") == std::string::npos) continue;
    reset += e.value("status", -1) == 0 ? 1 : 0;
    polled_ok += e.value("status", -1) == 200 || e.value("status", -1) == 202 ? 1 : 0;
  }
  EXPECT_EQ(reset, 1) << requests->body.substr(0, 2000);
  EXPECT_GE(polled_ok, 1);
}

TEST_F(FaultsIntegrationTest, PersistentUnavailabilitySurfacesAfterTheRetryCap) {
  arm::ResourceGroupsClient groups(*arm_, subscription());
  AddFault({{"service", "arm"},
            {"operation", "GET *"},
            {"status", 503},
            {"retry_after_s", 1},
            {"count", -1}});
  auto got = groups.Get(Unique("rg-", 60));
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("after 6 attempts")));
  EXPECT_EQ(HttpStatusOf(got.status()), 503);
  EXPECT_EQ(CountLogs("status=503"), Retry().max_attempts);
  ASSERT_OK(Admin("DELETE", "/faults", ""));
  // Once the outage ends the same call works (NotFound: the group never existed).
  EXPECT_THAT(groups.Get(Unique("rg-", 60)), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace envctl::cloud
