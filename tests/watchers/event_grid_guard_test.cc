#include "watchers/event_grid_guard.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::watchers {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kSecret[] = "s3cret-0123456789";
const std::string kTopic = "/subscriptions/00000000-0000-0000-0000-000000000001";
const std::string kVault = kTopic + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";

std::string Delivery(const std::string& id, const std::string& topic = kTopic,
                     const std::string& client_request_id = "") {
  nlohmann::json data = {{"resourceUri", id}};
  if (!client_request_id.empty()) data["httpRequest"] = {{"clientRequestId", client_request_id}};
  return nlohmann::json::array({{{"id", "e1"},
                                 {"topic", topic},
                                 {"subject", id},
                                 {"eventType", "Microsoft.Resources.ResourceWriteSuccess"},
                                 {"data", data}}})
      .dump();
}

std::string SecretDelivery(const std::string& version) {
  return nlohmann::json::array({{{"id", "e-" + version},
                                 {"topic", kVault},
                                 {"subject", "s"},
                                 {"eventType", "Microsoft.KeyVault.SecretNewVersionCreated"},
                                 {"data",
                                  {{"Id", "https://kv.vault.azure.net/secrets/s/" + version},
                                   {"ObjectName", "s"},
                                   {"Version", version}}}}})
      .dump();
}

// The endpoint as controller_host wires it: authenticate, parse, admit; every admitted
// id is one targeted reconcile, the only path from a delivery to a cloud request.
class Endpoint {
 public:
  Endpoint(EventGridGuardOptions options, Clock& clock) : guard_(std::move(options), clock) {}

  absl::Status Post(const std::string& query, const std::string& body) {
    if (absl::Status auth = guard_.Authenticate(query); !auth.ok()) return auth;
    absl::StatusOr<EventGridDelivery> delivery = ParseEventGridDelivery({}, body);
    if (!delivery.ok()) return delivery.status();
    for (const ResourceChange& change : guard_.Admit(*delivery)) {
      reconciled_.push_back(change.resource_id);
      origins_.push_back(change.client_request_id + change.version);
    }
    return absl::OkStatus();
  }
  const std::vector<std::string>& reconciled() const { return reconciled_; }
  // Per admitted change: its client request id or secret version.
  const std::vector<std::string>& origins() const { return origins_; }
  EventGridGuard& guard() { return guard_; }

 private:
  EventGridGuard guard_;
  std::vector<std::string> reconciled_;
  std::vector<std::string> origins_;
};

EventGridGuardOptions WithSecret() {
  EventGridGuardOptions o;
  o.secret = kSecret;
  return o;
}

TEST(EventGridGuardTest, HundredForgedDeliveriesReachNoResource) {
  FakeClock clock;
  Endpoint endpoint(WithSecret(), clock);
  const std::vector<std::string> forged = {"",
                                           "code=",
                                           "code=wrong",
                                           "key=s3cret",
                                           std::string("code=") + kSecret + "x",
                                           std::string("x=") + kSecret};
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(endpoint.Post(forged[i % forged.size()], Delivery(kVault + std::to_string(i))),
                StatusIs(absl::StatusCode::kPermissionDenied, ::testing::HasSubstr("?code=")));
  }
  EXPECT_THAT(endpoint.reconciled(), IsEmpty());
  EXPECT_EQ(endpoint.guard().counters().admitted, 0);
}

TEST(EventGridGuardTest, ValidSecretInCodeOrKeyIsAccepted) {
  FakeClock clock;
  Endpoint endpoint(WithSecret(), clock);
  EXPECT_TRUE(endpoint.Post(std::string("code=") + kSecret, Delivery(kVault)).ok());
  EXPECT_TRUE(
      endpoint.Post(std::string("api-version=1&key=") + kSecret, Delivery(kVault + "2")).ok());
  EXPECT_THAT(endpoint.reconciled(), ElementsAre(kVault, kVault + "2"));
}

TEST(EventGridGuardTest, OneReadPerResourcePerWindow) {
  FakeClock clock;
  Endpoint endpoint(WithSecret(), clock);
  const std::string query = std::string("code=") + kSecret;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(endpoint.Post(query, Delivery(kVault)).ok());
  EXPECT_EQ(endpoint.reconciled().size(), 1u);
  EXPECT_EQ(endpoint.guard().counters().deduplicated, 99);
  clock.Advance(absl::Seconds(31));
  ASSERT_TRUE(endpoint.Post(query, Delivery(kVault)).ok());
  EXPECT_EQ(endpoint.reconciled().size(), 2u);
}

// envctl's repair of a resource comes back as an event carrying its sync id; a person's
// change a second later carries another request id and must not be deduplicated away.
TEST(EventGridGuardTest, ChangesWithDifferentRequestIdsAreDistinctWithinTheWindow) {
  FakeClock clock;
  Endpoint endpoint(WithSecret(), clock);
  const std::string query = std::string("code=") + kSecret;
  ASSERT_TRUE(endpoint.Post(query, Delivery(kVault, kTopic, "test-7")).ok());
  ASSERT_TRUE(endpoint.Post(query, Delivery(kVault, kTopic, "test-7")).ok());  // redelivered
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(endpoint.Post(query, Delivery(kVault, kTopic, "portal-guid")).ok());
  EXPECT_THAT(endpoint.reconciled(), ElementsAre(kVault, kVault));
  EXPECT_THAT(endpoint.origins(), ElementsAre("test-7", "portal-guid"));
  EXPECT_EQ(endpoint.guard().counters().deduplicated, 1);

  // Key Vault events carry no request id: each new version is a change of its own.
  ASSERT_TRUE(endpoint.Post(query, SecretDelivery("v1")).ok());
  ASSERT_TRUE(endpoint.Post(query, SecretDelivery("v2")).ok());
  ASSERT_TRUE(endpoint.Post(query, SecretDelivery("v2")).ok());
  EXPECT_THAT(endpoint.origins(), ElementsAre("test-7", "portal-guid", "v1", "v2"));
}

TEST(EventGridGuardTest, EachSourceAndAllSourcesAreRateLimited) {
  FakeClock clock;
  EventGridGuardOptions options = WithSecret();
  options.per_source_per_minute = 10;
  options.total_per_minute = 25;
  Endpoint endpoint(options, clock);
  const std::string query = std::string("code=") + kSecret;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(endpoint.Post(query, Delivery(kVault + std::to_string(i), "/topic-a")).ok());
  }
  EXPECT_EQ(endpoint.reconciled().size(), 10u);
  for (int s = 0; s < 5; ++s) {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          endpoint
              .Post(query, Delivery(kVault + "-" + std::to_string(s) + "-" + std::to_string(i),
                                    "/topic-" + std::to_string(s)))
              .ok());
    }
  }
  EXPECT_EQ(endpoint.reconciled().size(), 25u);  // the total budget
  clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(endpoint.Post(query, Delivery(kVault + "-next", "/topic-a")).ok());
  EXPECT_EQ(endpoint.reconciled().size(), 26u);
}

TEST(EventGridGuardTest, WithoutASecretDeliveriesAreStillDeduplicated) {
  FakeClock clock;
  Endpoint endpoint(EventGridGuardOptions{}, clock);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(endpoint.Post("", Delivery(kVault)).ok());
  EXPECT_THAT(endpoint.reconciled(), ElementsAre(kVault));
}

}  // namespace
}  // namespace envctl::watchers
