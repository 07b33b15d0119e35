// Key Vault secrets data plane: request shapes, bundle parsing, paging, error mapping and
// keeping secret values out of statuses.
#include "cloud/keyvault/secrets_client.h"

#include "cloud/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::keyvault {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::BodyOf;
using testutil::PathOf;
using testutil::QueryOf;

constexpr char kBundle[] = R"({"value":"s3cr3t-value",
  "id":"https://kv1.vault.test/secrets/db-password/03bcccc7c8cf4546a0e3e21e52560441",
  "contentType":"text/plain","tags":{"owner":"etl"},
  "attributes":{"enabled":true,"created":1493938459,"updated":1493938460,
                "recoveryLevel":"Recoverable+Purgeable","exp":1900000000}})";

class SecretsClientTest : public ::testing::Test {
 protected:
  HttpRequest Last() { return transport_.Requests().back(); }
  FakeTransport transport_;
  // Trailing slash as ARM often returns it.
  SecretsClient secrets_{transport_, "https://kv1.vault.test/"};
};

TEST_F(SecretsClientTest, SetSendsValueOptionsAndReturnsPropertiesOnly) {
  transport_.Enqueue("PUT", "/secrets/db-password?", 200, kBundle);
  SetSecretOptions options;
  options.content_type = "text/plain";
  options.tags = {{"owner", "etl"}};
  options.enabled = true;
  options.expires = 1900000000;
  auto got = secrets_.Set("db-password", "s3cr3t-value", options);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "db-password");
  EXPECT_EQ(got->version, "03bcccc7c8cf4546a0e3e21e52560441");
  EXPECT_EQ(got->content_type, "text/plain");
  EXPECT_EQ(got->tags.at("owner"), "etl");
  EXPECT_EQ(got->enabled, true);
  EXPECT_EQ(got->created, 1493938459);
  EXPECT_EQ(got->expires, 1900000000);
  EXPECT_EQ(got->recovery_level, "Recoverable+Purgeable");

  const HttpRequest r = Last();
  EXPECT_EQ(r.url, "https://kv1.vault.test/secrets/db-password?api-version=7.4");
  EXPECT_EQ(BodyOf(r), nlohmann::json({{"value", "s3cr3t-value"},
                                       {"contentType", "text/plain"},
                                       {"tags", {{"owner", "etl"}}},
                                       {"attributes", {{"enabled", true}, {"exp", 1900000000}}}}));
}

TEST_F(SecretsClientTest, SetWithoutOptionsSendsOnlyTheValue) {
  transport_.Enqueue("PUT", "/secrets/a?", 200, kBundle);
  ASSERT_OK(secrets_.Set("a", "v1"));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"value", "v1"}}));
}

TEST_F(SecretsClientTest, GetLatestAndByVersion) {
  transport_.Enqueue("GET", "/secrets/db-password?", 200, kBundle);
  auto latest = secrets_.Get("db-password");
  ASSERT_OK(latest);
  EXPECT_EQ(latest->value, "s3cr3t-value");
  EXPECT_EQ(latest->properties.version, "03bcccc7c8cf4546a0e3e21e52560441");
  transport_.Enqueue("GET", "/secrets/db-password/v2?", 200, kBundle);
  ASSERT_OK(secrets_.Get("db-password", "v2"));
  EXPECT_EQ(PathOf(Last().url), "/secrets/db-password/v2");
  EXPECT_EQ(QueryOf(Last().url)["api-version"], "7.4");
}

TEST_F(SecretsClientTest, MissingSecretIsNotFoundWithCode) {
  transport_.Enqueue(
      "GET", "/secrets/nope", 404,
      R"({"error":{"code":"SecretNotFound","message":"A secret with (name/id) nope was not found in this key vault."}})");
  auto got = secrets_.Get("nope");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound, HasSubstr("GET /secrets/nope")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "SecretNotFound");
}

TEST_F(SecretsClientTest, SoftDeletedNameConflictCarriesInnerCode) {
  transport_.Enqueue(
      "PUT", "/secrets/old", 409,
      R"({"error":{"code":"Conflict","message":"Secret old is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.","innererror":{"code":"ObjectIsDeletedButRecoverable"}}})");
  auto got = secrets_.Set("old", "value-xyz");
  EXPECT_THAT(got,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("recovered or purged")));
  EXPECT_EQ(ServiceInnerErrorCode(got.status()), "ObjectIsDeletedButRecoverable");
}

TEST_F(SecretsClientTest, ErrorThatEchoesTheValueIsScrubbed) {
  transport_.Enqueue(
      "PUT", "/secrets/bad", 400,
      R"({"error":{"code":"BadParameter","message":"Value 'hunter2-super-secret' is not allowed"}})");
  auto got = secrets_.Set("bad", "hunter2-super-secret");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BadParameter")));
  EXPECT_THAT(std::string(got.status().message()), Not(HasSubstr("hunter2-super-secret")));
}

TEST_F(SecretsClientTest, MalformedBundleErrorDoesNotQuoteTheBody) {
  transport_.Enqueue("GET", "/secrets/x", 200, "value=topsecret-not-json");
  auto got = secrets_.Get("x");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kInternal, HasSubstr("not JSON")));
  EXPECT_THAT(std::string(got.status().message()), Not(HasSubstr("topsecret")));
}

TEST_F(SecretsClientTest, ListFollowsNextLinkAndCarriesNoValues) {
  transport_.Enqueue(
      "GET", "/secrets?api-version", 200,
      R"({"value":[{"id":"https://kv1.vault.test/secrets/a","attributes":{"enabled":true}},
                                  {"id":"https://kv1.vault.test/secrets/b","managed":true}],
                         "nextLink":"https://kv1.vault.test:443/secrets?api-version=7.4&$skiptoken=T2&maxresults=2"})");
  transport_.Enqueue("GET", "skiptoken=T2", 200,
                     R"({"value":[{"id":"https://kv1.vault.test/secrets/c"}],"nextLink":null})");
  auto got = secrets_.List();
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].name, "a");
  EXPECT_EQ((*got)[0].version, "");
  EXPECT_TRUE((*got)[1].managed);
  EXPECT_EQ((*got)[2].name, "c");
  EXPECT_EQ(Last().url,
            "https://kv1.vault.test:443/secrets?api-version=7.4&$skiptoken=T2&maxresults=2");
}

TEST_F(SecretsClientTest, ListVersionsUsesVersionsPath) {
  transport_.Enqueue(
      "GET", "/secrets/a/versions", 200,
      R"({"value":[{"id":"https://kv1.vault.test/secrets/a/v1"},{"id":"https://kv1.vault.test/secrets/a/v2"}]})");
  auto got = secrets_.ListVersions("a");
  ASSERT_OK(got);
  std::vector<std::string> versions;
  for (const auto& p : *got) versions.push_back(p.version);
  EXPECT_THAT(versions, ElementsAre("v1", "v2"));
}

TEST_F(SecretsClientTest, UpdatePropertiesPatchesOnlyGivenFields) {
  transport_.Enqueue("PATCH", "/secrets/a/v1", 200,
                     R"({"id":"https://kv1.vault.test/secrets/a/v1","tags":{"k":"v"}})");
  SecretUpdate update;
  update.tags = std::map<std::string, std::string>{{"k", "v"}};
  update.enabled = false;
  auto got = secrets_.UpdateProperties("a", "v1", update);
  ASSERT_OK(got);
  EXPECT_EQ(got->tags.at("k"), "v");
  EXPECT_EQ(BodyOf(Last()),
            nlohmann::json({{"tags", {{"k", "v"}}}, {"attributes", {{"enabled", false}}}}));
}

TEST_F(SecretsClientTest, UpdatePropertiesWithoutVersionTargetsLatest) {
  transport_.Enqueue("GET", "/secrets/db-password?", 200, kBundle);
  transport_.Enqueue(
      "PATCH", "/secrets/db-password/03bcccc7c8cf4546a0e3e21e52560441", 200,
      R"({"id":"https://kv1.vault.test/secrets/db-password/03bcccc7c8cf4546a0e3e21e52560441"})");
  SecretUpdate update;
  update.content_type = "application/json";
  ASSERT_OK(secrets_.UpdateProperties("db-password", "", update));
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"contentType", "application/json"}}));
}

TEST_F(SecretsClientTest, DeleteGetDeletedPurgeRecover) {
  transport_.Enqueue(
      "DELETE", "/secrets/a?", 200,
      R"({"recoveryId":"https://kv1.vault.test/deletedsecrets/a","deletedDate":1493938433,
                         "scheduledPurgeDate":1501714433,"id":"https://kv1.vault.test/secrets/a/v9",
                         "attributes":{"enabled":true}})");
  auto deleted = secrets_.Delete("a");
  ASSERT_OK(deleted);
  EXPECT_EQ(deleted->recovery_id, "https://kv1.vault.test/deletedsecrets/a");
  EXPECT_EQ(deleted->deleted_date, 1493938433);
  EXPECT_EQ(deleted->scheduled_purge_date, 1501714433);
  EXPECT_EQ(deleted->properties.name, "a");

  transport_.Enqueue(
      "GET", "/deletedsecrets/a?", 200,
      R"({"recoveryId":"https://kv1.vault.test/deletedsecrets/a","id":"https://kv1.vault.test/secrets/a/v9"})");
  ASSERT_OK(secrets_.GetDeleted("a"));

  transport_.Enqueue("DELETE", "/deletedsecrets/a?", 204);
  ASSERT_OK(secrets_.Purge("a"));
  EXPECT_EQ(PathOf(Last().url), "/deletedsecrets/a");

  transport_.Enqueue("POST", "/deletedsecrets/b/recover", 200,
                     R"({"id":"https://kv1.vault.test/secrets/b/v1"})");
  auto recovered = secrets_.Recover("b");
  ASSERT_OK(recovered);
  EXPECT_EQ(recovered->version, "v1");
  EXPECT_TRUE(Last().IsIdempotent());
}

TEST_F(SecretsClientTest, PurgeOfUnknownIsNotFound) {
  transport_.Enqueue(
      "DELETE", "/deletedsecrets/x", 404,
      R"({"error":{"code":"SecretNotFound","message":"Deleted Secret not found: x"}})");
  EXPECT_THAT(secrets_.Purge("x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Deleted Secret not found")));
}

TEST(SecretPropertiesTest, ParsesIdsWithPortsAndDeletedIds) {
  auto p = ParseSecretProperties({{"id", "https://127.0.0.1:4443/secrets/n1/abc"}});
  EXPECT_EQ(p.name, "n1");
  EXPECT_EQ(p.version, "abc");
  auto q = ParseSecretProperties(nlohmann::json::object());
  EXPECT_EQ(q.name, "");
  EXPECT_FALSE(q.enabled.has_value());
}

}  // namespace
}  // namespace envctl::cloud::keyvault
