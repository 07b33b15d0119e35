#include "watchers/event_grid.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/status_matchers.h"

namespace envctl::watchers {
namespace {

using ::envctl::testing::StatusIs;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSub[] = "00000000-0000-0000-0000-000000000001";
const std::string kAccount = std::string("/subscriptions/") + kSub +
                             "/resourceGroups/rg-dev/providers/Microsoft.Storage/"
                             "storageAccounts/sadev";
const std::string kVault = std::string("/subscriptions/") + kSub +
                           "/resourceGroups/rg-dev/providers/Microsoft.KeyVault/vaults/kv-dev";

// The validation event exactly as cloudsim (cloudsim/admin/eventgrid.cc) and Azure send it.
json ValidationEvent(const std::string& code) {
  return {
      {"id", "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66"},
      {"topic", std::string("/subscriptions/") + kSub},
      {"subject", ""},
      {"data",
       {{"validationCode", code},
        {"validationUrl", "https://127.0.0.1/eventsubscriptions/cloudsim/validate?id=" + code}}},
      {"eventType", "Microsoft.EventGrid.SubscriptionValidationEvent"},
      {"eventTime", "2018-01-25T22:12:19.4556811Z"},
      {"metadataVersion", "1"},
      {"dataVersion", "1"}};
}

// A resource event shaped like cloudsim's (cloudsim/arm/router.cc EmitEvent).
json ResourceEvent(const std::string& id, bool del) {
  const std::string op =
      std::string("Microsoft.Storage/storageAccounts/") + (del ? "delete" : "write");
  return {{"subject", id},
          {"eventType", del ? "Microsoft.Resources.ResourceDeleteSuccess"
                            : "Microsoft.Resources.ResourceWriteSuccess"},
          {"eventTime", "2018-07-19T18:38:04.6117357Z"},
          {"id", "4db48cba-50a2-455a-93b4-de41a3b5b7f6"},
          {"data",
           {{"authorization", {{"scope", id}, {"action", op}, {"evidence", {{"role", "Owner"}}}}},
            {"correlationId", "c"},
            {"httpRequest",
             {{"clientRequestId", "r"},
              {"clientIpAddress", "127.0.0.1"},
              {"method", del ? "DELETE" : "PUT"},
              {"url", "https://management.azure.com" + id + "?api-version=2023-01-01"}}},
            {"resourceProvider", "Microsoft.Storage"},
            {"resourceUri", id},
            {"operationName", op},
            {"status", "Succeeded"},
            {"subscriptionId", kSub},
            {"tenantId", "t"}}},
          {"dataVersion", "2"},
          {"metadataVersion", "1"},
          {"topic", std::string("/subscriptions/") + kSub + "/resourceGroups/rg-dev"}};
}

const HttpHeaders kNotification = {{"Content-Type", "application/json"},
                                   {"aeg-event-type", "Notification"},
                                   {"aeg-subscription-name", "CLOUDSIM"},
                                   {"aeg-delivery-count", "0"}};

TEST(EventGridTest, ValidationEventIsAnsweredWithItsCode) {
  HttpHeaders headers = {{"aeg-event-type", "SubscriptionValidation"}};
  const std::string body = json::array({ValidationEvent("512d38b6-c7b8")}).dump();
  auto delivery = ParseEventGridDelivery(headers, body);
  ASSERT_OK(delivery);
  EXPECT_TRUE(delivery->is_validation);
  EXPECT_EQ(json::parse(delivery->validation_response),
            json({{"validationResponse", "512d38b6-c7b8"}}));
  EXPECT_TRUE(delivery->resource_ids.empty());
}

TEST(EventGridTest, ValidationHeaderWithoutAValidationEventIsInvalidArgument) {
  HttpHeaders headers = {{"AEG-Event-Type", "SubscriptionValidation"}};
  const std::string body = json::array({ResourceEvent(kAccount, false)}).dump();
  EXPECT_THAT(ParseEventGridDelivery(headers, body),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("holds no Microsoft.EventGrid.SubscriptionValidationEvent")));
}

TEST(EventGridTest, ValidationEventWithoutCodeIsInvalidArgument) {
  json event = ValidationEvent("x");
  event["data"].erase("validationCode");
  EXPECT_THAT(ParseEventGridDelivery({}, json::array({event}).dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("data.validationCode")));
}

TEST(EventGridTest, WriteAndDeleteEventsYieldTheirResourceIds) {
  const std::string body =
      json::array({ResourceEvent(kAccount, false), ResourceEvent(kVault, true)}).dump();
  auto delivery = ParseEventGridDelivery(kNotification, body);
  ASSERT_OK(delivery);
  EXPECT_FALSE(delivery->is_validation);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount, kVault));
  ASSERT_EQ(delivery->changes.size(), 2u);
  EXPECT_FALSE(delivery->changes[0].deleted);
  EXPECT_EQ(delivery->changes[0].event_type, "Microsoft.Resources.ResourceWriteSuccess");
  EXPECT_TRUE(delivery->changes[1].deleted);
  EXPECT_EQ(delivery->ignored_events, 0);
  // Who made the change: the request's x-ms-client-request-id, as ARM records it.
  EXPECT_EQ(delivery->changes[0].client_request_id, "r");
  EXPECT_EQ(delivery->changes[0].version, "");
}

TEST(EventGridTest, AnEventWithoutHttpRequestHasNoClientRequestId) {
  json event = ResourceEvent(kAccount, false);
  event["data"].erase("httpRequest");
  json cloud_event = {
      {"specversion", "1.0"},
      {"id", "x"},
      {"type", "Microsoft.Resources.ResourceWriteSuccess"},
      {"source", kAccount},
      {"subject", ""},
      {"data", {{"resourceUri", kVault}, {"httpRequest", {{"clientRequestId", "envctl-sync-3"}}}}}};
  auto delivery = ParseEventGridDelivery(kNotification, json::array({event, cloud_event}).dump());
  ASSERT_OK(delivery);
  ASSERT_EQ(delivery->changes.size(), 2u);
  EXPECT_EQ(delivery->changes[0].client_request_id, "");
  EXPECT_EQ(delivery->changes[1].client_request_id, "envctl-sync-3");  // CloudEvents schema too
}

TEST(EventGridTest, KeyVaultSecretEventYieldsTheVersionlessSecretId) {
  // As cloudsim (cloudsim/keyvault/data_plane.cc) and Key Vault's system topic send it.
  json event = {
      {"id", "5a6d1f8e-8c1b-4c3e-9f4f-0d2b6c1e7a11"},
      {"topic", kVault},
      {"subject", "databricks-token"},
      {"eventType", "Microsoft.KeyVault.SecretNewVersionCreated"},
      {"eventTime", "2026-12-05T08:00:00Z"},
      {"data",
       {{"Id", "https://kv-dev.vault.azure.net/secrets/databricks-token/0123456789abcdef"},
        {"VaultName", "kv-dev"},
        {"ObjectType", "Secret"},
        {"ObjectName", "databricks-token"},
        {"Version", "0123456789abcdef"},
        {"NBF", nullptr},
        {"EXP", nullptr}}},
      {"dataVersion", "1"},
      {"metadataVersion", "1"}};
  json other = event;
  other["eventType"] = "Microsoft.KeyVault.VaultAccessPolicyChanged";
  auto delivery = ParseEventGridDelivery(kNotification, json::array({event, other}).dump());
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids,
              ElementsAre("https://kv-dev.vault.azure.net/secrets/databricks-token"));
  EXPECT_EQ(delivery->ignored_events, 1);
  // Key Vault events carry no request id; the version says which write it was.
  ASSERT_EQ(delivery->changes.size(), 1u);
  EXPECT_EQ(delivery->changes[0].version, "0123456789abcdef");
  EXPECT_EQ(delivery->changes[0].client_request_id, "");

  // Without data.Version, the version comes from data.Id.
  event["data"].erase("Version");
  delivery = ParseEventGridDelivery(kNotification, json::array({event}).dump());
  ASSERT_OK(delivery);
  ASSERT_EQ(delivery->changes.size(), 1u);
  EXPECT_EQ(delivery->changes[0].version, "0123456789abcdef");
}

TEST(EventGridTest, ActionEventsCountAsChanges) {
  json event = ResourceEvent(kAccount, false);
  event["eventType"] = "Microsoft.Resources.ResourceActionSuccess";
  auto delivery = ParseEventGridDelivery(kNotification, json::array({event}).dump());
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount));
}

TEST(EventGridTest, SubjectIsUsedWhenDataHasNoResourceUri) {
  json event = ResourceEvent(kAccount, false);
  event["data"].erase("resourceUri");
  auto delivery = ParseEventGridDelivery(kNotification, json::array({event}).dump());
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount));
}

TEST(EventGridTest, RepeatedIdsAreListedOnceIgnoringCase) {
  std::string upper = kAccount;
  upper.replace(upper.find("resourceGroups"), 14, "RESOURCEGROUPS");
  const std::string body =
      json::array({ResourceEvent(kAccount, false), ResourceEvent(upper, false)}).dump();
  auto delivery = ParseEventGridDelivery(kNotification, body);
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount));
  EXPECT_EQ(delivery->changes.size(), 2u);
}

TEST(EventGridTest, UnknownAndFailedEventTypesAreIgnoredAndCounted) {
  json failure = ResourceEvent(kAccount, false);
  failure["eventType"] = "Microsoft.Resources.ResourceWriteFailure";
  json blob = {{"id", "1"},
               {"eventType", "Microsoft.Storage.BlobCreated"},
               {"subject", "/blobServices/default/containers/c/blobs/b"},
               {"data", json::object()},
               {"eventTime", "2019-11-18T15:13:39Z"},
               {"dataVersion", ""}};
  const std::string body = json::array({failure, blob, ResourceEvent(kVault, false)}).dump();
  auto delivery = ParseEventGridDelivery(kNotification, body);
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kVault));
  EXPECT_EQ(delivery->ignored_events, 2);
}

TEST(EventGridTest, CloudEventsBatchIsParsed) {
  json event = {{"specversion", "1.0"},
                {"type", "Microsoft.Resources.ResourceWriteSuccess"},
                {"source", std::string("/subscriptions/") + kSub + "/resourceGroups/rg-dev"},
                {"id", "9aeb0fdf"},
                {"time", "2019-11-18T15:13:39.4589254Z"},
                {"subject", kAccount},
                {"data", {{"resourceUri", kAccount}, {"operationName", "x/write"}}}};
  auto delivery = ParseEventGridDelivery(
      {{"Content-Type", "application/cloudevents-batch+json; charset=utf-8"}},
      json::array({event}).dump());
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount));
  EXPECT_EQ(delivery->changes[0].event_id, "9aeb0fdf");
}

TEST(EventGridTest, SingleStructuredCloudEventWithRelativeSubjectIsResolvedAgainstSource) {
  json event = {{"specversion", "1.0"},
                {"type", "Microsoft.Resources.ResourceDeleteSuccess"},
                {"source", std::string("/subscriptions/") + kSub + "/resourceGroups/rg-dev"},
                {"id", "e1"},
                {"subject", "providers/Microsoft.KeyVault/vaults/kv-dev"}};
  auto delivery =
      ParseEventGridDelivery({{"Content-Type", "application/cloudevents+json"}}, event.dump());
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kVault));
  EXPECT_TRUE(delivery->changes[0].deleted);
}

TEST(EventGridTest, BinaryModeCloudEventReadsAttributesFromHeaders) {
  HttpHeaders headers = {{"ce-specversion", "1.0"},
                         {"ce-type", "Microsoft.Resources.ResourceWriteSuccess"},
                         {"ce-source", "/subscriptions/x"},
                         {"ce-id", "b1"},
                         {"ce-subject", kAccount}};
  auto delivery = ParseEventGridDelivery(headers, R"({"status":"Succeeded"})");
  ASSERT_OK(delivery);
  EXPECT_THAT(delivery->resource_ids, ElementsAre(kAccount));
}

TEST(EventGridTest, CloudEventsAbuseProtectionEchoesTheOrigin) {
  auto origin = CloudEventsAllowedOrigin({{"WebHook-Request-Origin", "eventgrid.azure.net"}});
  ASSERT_OK(origin);
  EXPECT_EQ(*origin, "eventgrid.azure.net");
  EXPECT_THAT(CloudEventsAllowedOrigin({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("WebHook-Request-Origin")));
}

TEST(EventGridTest, MalformedBodiesAreInvalidArgument) {
  EXPECT_THAT(ParseEventGridDelivery(kNotification, "[{\"eventType\":"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(ParseEventGridDelivery(kNotification, "\"hello\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON array")));
  EXPECT_THAT(ParseEventGridDelivery(kNotification, "[1]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event [0]")));
  EXPECT_THAT(ParseEventGridDelivery(kNotification, R"([{"id":"1","subject":"/x"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has no \"eventType\" (Event Grid schema) or \"type\"")));
}

}  // namespace
}  // namespace envctl::watchers
