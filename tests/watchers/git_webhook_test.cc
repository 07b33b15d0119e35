#include "watchers/git_webhook.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"
#include "watchers/internal/hmac.h"

namespace envctl::watchers {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "s3cr3t-webhook";
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

std::string PushBody(const std::string& ref) {
  return R"({"ref":")" + ref +
         R"(","before":"1111111111111111111111111111111111111111","after":")" + kSha +
         R"(","repository":{"full_name":"org/envs"}})";
}

HttpHeaders GitHub(const std::string& event, const std::string& body,
                   const std::string& secret = kSecret) {
  return {{"X-GitHub-Event", event},
          {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
          {"X-Hub-Signature-256", "sha256=" + internal::HmacSha256Hex(secret, body)},
          {"Content-Type", "application/json"}};
}

GitWebhookOptions Options(const std::string& branch = "main") {
  GitWebhookOptions o;
  o.secret = kSecret;
  o.branch = branch;
  return o;
}

TEST(HmacTest, MatchesGitHubsPublishedExample) {
  // docs.github.com, "Validating webhook deliveries", testing the webhook payload validation.
  EXPECT_EQ(internal::HmacSha256Hex("It's a Secret to Everybody", "Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(GitWebhookTest, GitHubPushToTheWatchedBranchIsRelevant) {
  const std::string body = PushBody("refs/heads/main");
  auto push = ParseGitWebhook(GitHub("push", body), body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  EXPECT_EQ(push->branch, "main");
  EXPECT_EQ(push->after_sha, kSha);
  EXPECT_EQ(push->reason, "github push to main (0123456)");
}

TEST(GitWebhookTest, HeaderNamesAreCaseInsensitive) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {
      {"x-github-event", "push"},
      {"x-hub-signature-256", "sha256=" + internal::HmacSha256Hex(kSecret, body)}};
  auto push = ParseGitWebhook(headers, body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
}

TEST(GitWebhookTest, PushToAnotherBranchIsValidButNotRelevant) {
  const std::string body = PushBody("refs/heads/feature/x");
  auto push = ParseGitWebhook(GitHub("push", body), body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
  EXPECT_EQ(push->branch, "feature/x");
  EXPECT_EQ(push->reason, "github push to feature/x, watching main");
}

TEST(GitWebhookTest, TagPushIsNotRelevant) {
  const std::string body = PushBody("refs/tags/main");
  auto push = ParseGitWebhook(GitHub("push", body), body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
  EXPECT_THAT(push->reason, HasSubstr("not a branch"));
}

TEST(GitWebhookTest, DeletingTheWatchedBranchIsRelevant) {
  const std::string body =
      R"({"ref":"refs/heads/main","after":")" + std::string(40, '0') + R"(","deleted":true})";
  auto push = ParseGitWebhook(GitHub("push", body), body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  EXPECT_EQ(push->reason, "github deleted branch main");
}

TEST(GitWebhookTest, PingIsValidButNotRelevant) {
  const std::string body = R"({"zen":"Keep it logically awesome.","hook_id":1})";
  auto push = ParseGitWebhook(GitHub("ping", body), body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
  EXPECT_EQ(push->reason, "github ping");
}

TEST(GitWebhookTest, OtherGitHubEventsAreIgnored) {
  const std::string body = R"({"action":"opened"})";
  auto push = ParseGitWebhook(GitHub("pull_request", body), body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
  EXPECT_EQ(push->reason, "github event \"pull_request\" ignored");
}

TEST(GitWebhookTest, WrongSignatureIsPermissionDeniedNamingTheHeader) {
  const std::string body = PushBody("refs/heads/main");
  auto push = ParseGitWebhook(GitHub("push", body, "another-secret"), body, Options());
  EXPECT_THAT(push, StatusIs(absl::StatusCode::kPermissionDenied,
                             HasSubstr("X-Hub-Signature-256 does not match")));
}

TEST(GitWebhookTest, TamperedBodyIsPermissionDenied) {
  const std::string body = PushBody("refs/heads/main");
  auto push = ParseGitWebhook(GitHub("push", body), PushBody("refs/heads/dev"), Options());
  EXPECT_THAT(push, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
}

TEST(GitWebhookTest, SignatureWithoutPrefixIsPermissionDenied) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {{"X-GitHub-Event", "push"},
                         {"X-Hub-Signature-256", internal::HmacSha256Hex(kSecret, body)}};
  EXPECT_THAT(ParseGitWebhook(headers, body, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("X-Hub-Signature-256")));
}

TEST(GitWebhookTest, MissingSignatureIsPermissionDeniedNamingTheHeader) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {{"X-GitHub-Event", "push"}};
  EXPECT_THAT(ParseGitWebhook(headers, body, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("missing X-Hub-Signature-256 header")));
}

TEST(GitWebhookTest, ErrorsNeverContainTheSecret) {
  const std::string body = PushBody("refs/heads/main");
  auto push = ParseGitWebhook(GitHub("push", body, "wrong"), body, Options());
  EXPECT_THAT(push, StatusIs(absl::StatusCode::kPermissionDenied, Not(HasSubstr(kSecret))));
}

TEST(GitWebhookTest, NoSecretRefusesDeliveriesUnlessUnsignedAreAllowed) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {{"X-GitHub-Event", "push"}};
  GitWebhookOptions options;
  options.branch = "main";
  EXPECT_THAT(
      ParseGitWebhook(headers, body, options),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no webhook secret is configured")));
  options.allow_unsigned = true;
  auto push = ParseGitWebhook(headers, body, options);
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
}

TEST(GitWebhookTest, MalformedJsonIsInvalidArgumentAfterTheSignatureChecks) {
  const std::string body = "{not json";
  EXPECT_THAT(ParseGitWebhook(GitHub("push", body), body, Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
  // An unsigned garbage body is rejected for its signature, not parsed.
  EXPECT_THAT(ParseGitWebhook({{"X-GitHub-Event", "push"}}, body, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST(GitWebhookTest, PushWithoutRefIsInvalidArgument) {
  const std::string body = R"({"after":"abc"})";
  EXPECT_THAT(ParseGitWebhook(GitHub("push", body), body, Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no \"ref\"")));
}

TEST(GitWebhookTest, GitLabPushWithTheRightTokenIsRelevant) {
  const std::string body = R"({"object_kind":"push","event_name":"push","ref":"refs/heads/main",)"
                           R"("after":")" +
                           kSha + R"("})";
  HttpHeaders headers = {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", kSecret}};
  auto push = ParseGitWebhook(headers, body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  EXPECT_EQ(push->after_sha, kSha);
  EXPECT_EQ(push->reason, "gitlab push to main (0123456)");
}

TEST(GitWebhookTest, GitLabWrongOrMissingTokenIsPermissionDenied) {
  const std::string body = R"({"object_kind":"push","ref":"refs/heads/main"})";
  EXPECT_THAT(
      ParseGitWebhook({{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "nope"}}, body,
                      Options()),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("X-Gitlab-Token does not match")));
  EXPECT_THAT(
      ParseGitWebhook({{"X-Gitlab-Event", "Push Hook"}}, body, Options()),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("missing X-Gitlab-Token header")));
}

TEST(GitWebhookTest, GitLabTagPushIsNotRelevant) {
  const std::string body = R"({"object_kind":"tag_push","ref":"refs/tags/v1"})";
  auto push = ParseGitWebhook({{"X-Gitlab-Event", "Tag Push Hook"}, {"X-Gitlab-Token", kSecret}},
                              body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
}

TEST(GitWebhookTest, GiteaPushWithAValidSignatureIsRelevant) {
  const std::string body = PushBody("refs/heads/dev");
  // Gitea also sends X-GitHub-Event for compatibility; its own headers win.
  HttpHeaders headers = {{"X-Gitea-Event", "push"},
                         {"X-GitHub-Event", "push"},
                         {"X-Gitea-Signature", internal::HmacSha256Hex(kSecret, body)}};
  auto push = ParseGitWebhook(headers, body, Options("dev"));
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  EXPECT_EQ(push->reason, "gitea push to dev (0123456)");
}

TEST(GitWebhookTest, GiteaBadSignatureIsPermissionDeniedNamingTheHeader) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {{"X-Gitea-Event", "push"},
                         {"X-Gitea-Signature", internal::HmacSha256Hex("other", body)}};
  EXPECT_THAT(
      ParseGitWebhook(headers, body, Options()),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("X-Gitea-Signature does not match")));
}

TEST(GitWebhookTest, GenericSenderSigningLikeGiteaIsAccepted) {
  const std::string body = PushBody("refs/heads/main");
  HttpHeaders headers = {{"X-Gitea-Signature", internal::HmacSha256Hex(kSecret, body)}};
  auto push = ParseGitWebhook(headers, body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
}

TEST(GitWebhookTest, UnsignedGenericSenderIsToldWhichHeadersAreAccepted) {
  const std::string body = PushBody("refs/heads/main");
  EXPECT_THAT(ParseGitWebhook({{"Content-Type", "application/json"}}, body, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("expected X-Hub-Signature-256, X-Gitea-Signature, "
                                 "X-Gitlab-Token or Authorization: Basic")));
}

// An Azure DevOps (Azure Repos) service hook, event git.push, as documented in
// "Service hooks event reference" (resource.refUpdates).
std::string AzureDevOpsPush(const std::string& ref, const std::string& new_id = kSha) {
  return R"({"subscriptionId":"00000000-0000-0000-0000-000000000000","notificationId":3,)"
         R"("eventType":"git.push","publisherId":"tfs","resource":{"commits":[],)"
         R"("refUpdates":[{"name":")" +
         ref + R"(","oldObjectId":"aad331d8d3b131fa9ae03cf5e53965b51942618a","newObjectId":")" +
         new_id + R"("}],"repository":{"name":"data-platform"}}})";
}

HttpHeaders BasicAuth(const std::string& user, const std::string& password) {
  return {{"Content-Type", "application/json; charset=utf-8"},
          {"Authorization", "Basic " + absl::Base64Escape(user + ":" + password)}};
}

TEST(GitWebhookTest, AzureDevOpsPushWithTheBasicAuthSecretIsRelevant) {
  const std::string body = AzureDevOpsPush("refs/heads/main");
  auto push = ParseGitWebhook(BasicAuth("envctl", kSecret), body, Options());
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  EXPECT_EQ(push->branch, "main");
  EXPECT_EQ(push->after_sha, kSha);
  EXPECT_EQ(push->reason, "azure-devops push to main (0123456)");
}

TEST(GitWebhookTest, AzureDevOpsPushToAnotherBranchIsNotRelevant) {
  const std::string body = AzureDevOpsPush("refs/heads/feature/x");
  auto push = ParseGitWebhook(BasicAuth("envctl", kSecret), body, Options());
  ASSERT_OK(push);
  EXPECT_FALSE(push->relevant);
  EXPECT_EQ(push->reason, "azure-devops push to refs/heads/feature/x, watching main");
}

TEST(GitWebhookTest, AzureDevOpsWrongPasswordIsPermissionDeniedWithoutTheSecret) {
  const std::string body = AzureDevOpsPush("refs/heads/main");
  auto push = ParseGitWebhook(BasicAuth("envctl", "guess"), body, Options());
  EXPECT_THAT(push, StatusIs(absl::StatusCode::kPermissionDenied,
                             HasSubstr("basic-auth password does not match")));
  EXPECT_THAT(push.status().message(), Not(HasSubstr(kSecret)));
  EXPECT_THAT(push.status().message(), Not(HasSubstr("guess")));
  EXPECT_THAT(ParseGitWebhook({{"Authorization", "Basic !!!"}}, body, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not base64")));
}

TEST(GitWebhookTest, AzureDevOpsOtherEventsAreIgnoredAndPushWithoutRefUpdatesIsInvalid) {
  auto pr = ParseGitWebhook(BasicAuth("u", kSecret),
                            R"({"eventType":"git.pullrequest.created","resource":{}})", Options());
  ASSERT_OK(pr);
  EXPECT_FALSE(pr->relevant);
  EXPECT_EQ(pr->reason, "azure-devops event \"git.pullrequest.created\" ignored");
  EXPECT_THAT(ParseGitWebhook(BasicAuth("u", kSecret), R"({"eventType":"git.push","resource":{}})",
                              Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resource.refUpdates")));
}

TEST(GitWebhookTest, UnsignedAzureDevOpsPushIsReadWhenUnsignedAreAllowed) {
  GitWebhookOptions options;
  options.allow_unsigned = true;
  const std::string body = AzureDevOpsPush("refs/heads/main");
  auto push = ParseGitWebhook({{"Content-Type", "application/json"}}, body, options);
  ASSERT_OK(push);
  EXPECT_TRUE(push->relevant);
  GitWebhookOptions strict;
  EXPECT_THAT(
      ParseGitWebhook({{"Content-Type", "application/json"}}, body, strict),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no webhook secret is configured")));
}

}  // namespace
}  // namespace envctl::watchers
