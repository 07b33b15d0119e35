#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "cloud/auth/caching_credential.h"
#include "cloud/auth/client_secret_credential.h"
#include "cloud/auth/default_credential.h"
#include "cloud/auth/managed_identity_credential.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "s3cr3t+/=value";

class ClientSecretCredentialTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeTransport fake_;
  ClientSecretCredential credential_{fake_,      clock_,  "https://login.example/",
                                     "tenant-1", "app-1", kSecret};
};

TEST_F(ClientSecretCredentialTest, PostsTheV2FormAndParsesTheToken) {
  fake_.Enqueue("POST", "https://login.example/tenant-1/oauth2/v2.0/token", 200,
                R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok-1"})");
  auto token = credential_.GetToken("https://management.azure.com/.default");
  ASSERT_OK(token);
  EXPECT_EQ(token->token, "tok-1");
  EXPECT_EQ(token->expires_on, clock_.Now() + absl::Seconds(3599));
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers["Content-Type"], "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].body,
            "client_id=app-1&client_secret=s3cr3t%2B%2F%3Dvalue&grant_type=client_credentials"
            "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  EXPECT_TRUE(requests[0].IsIdempotent());
}

TEST_F(ClientSecretCredentialTest, WrongSecretIsUnauthenticatedWithAadstsButNoSecret) {
  fake_.Enqueue(
      "POST", "/oauth2/v2.0/token", 401,
      R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: abc","error_codes":[7000215]})");
  auto token = credential_.GetToken("https://management.azure.com/.default");
  EXPECT_THAT(token,
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("getting a token for scope "
                                       "https://management.azure.com/.default as client "
                                       "app-1 in tenant tenant-1"),
                             HasSubstr("invalid_client: AADSTS7000215: Invalid client secret"),
                             Not(HasSubstr("s3cr3t")), Not(HasSubstr("Trace ID")))));
}

TEST_F(ClientSecretCredentialTest, UnknownAppIsReported) {
  fake_.Enqueue(
      "POST", "", 400,
      R"({"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'app-1' was not found in the directory 'tenant-1'."})");
  EXPECT_THAT(credential_.GetToken("x/.default"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("AADSTS700016")));
}

TEST_F(ClientSecretCredentialTest, SuccessWithoutTokenIsAnError) {
  fake_.Enqueue("POST", "", 200, R"({"token_type":"Bearer"})");
  EXPECT_THAT(
      credential_.GetToken("x/.default"),
      StatusIs(absl::StatusCode::kUnavailable, "Entra ID answered 200 without an access_token"));
}

TEST(ManagedIdentityCredentialTest, ImdsRequestAndStringNumbers) {
  FakeClock clock;
  FakeTransport fake;
  fake.Enqueue(
      "GET",
      "http://imds.test/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com",
      200,
      R"({"access_token":"mi-tok","expires_in":"3599","expires_on":"1800003600","resource":"https://management.azure.com/","token_type":"Bearer"})");
  ManagedIdentityOptions options;
  options.imds_endpoint = "http://imds.test/token";
  ManagedIdentityCredential credential(fake, clock, options);
  auto token = credential.GetToken("https://management.azure.com/.default");
  ASSERT_OK(token);
  EXPECT_EQ(token->token, "mi-tok");
  EXPECT_EQ(token->expires_on, absl::FromUnixSeconds(1800003600));
  EXPECT_EQ(fake.Requests()[0].headers["Metadata"], "true");
}

TEST(ManagedIdentityCredentialTest, AppServiceVariantUsesIdentityHeader) {
  FakeClock clock;
  FakeTransport fake;
  fake.Enqueue(
      "GET",
      "http://appsvc.test/msi/"
      "token?api-version=2019-08-01&resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d&client_id=uai",
      200, R"({"access_token":"as-tok","expires_on":1800000100})");
  ManagedIdentityOptions options = ManagedIdentityOptions::FromEnvironment(
      [](const std::string& name) -> std::optional<std::string> {
        if (name == "IDENTITY_ENDPOINT") return "http://appsvc.test/msi/token";
        if (name == "IDENTITY_HEADER") return "hdr-secret";
        if (name == "AZURE_CLIENT_ID") return "uai";
        return std::nullopt;
      });
  ManagedIdentityCredential credential(fake, clock, options);
  auto token = credential.GetToken("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default");
  ASSERT_OK(token);
  EXPECT_EQ(token->token, "as-tok");
  EXPECT_EQ(fake.Requests()[0].headers["X-IDENTITY-HEADER"], "hdr-secret");
}

TEST(ManagedIdentityCredentialTest, MissingIdentityNamesTheFallback) {
  FakeClock clock;
  FakeTransport fake;
  fake.Enqueue("GET", "", absl::UnavailableError("connect: network unreachable"));
  ManagedIdentityCredential credential(fake, clock, {});
  EXPECT_THAT(
      credential.GetToken("https://management.azure.com/.default"),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("managed identity token"), HasSubstr("no AZURE_CLIENT_SECRET set"),
                     HasSubstr("network unreachable"))));
}

// Counts calls and hands out tokens that live `lifetime`.
class CountingCredential : public TokenCredential {
 public:
  CountingCredential(Clock& clock, absl::Duration lifetime) : clock_(clock), lifetime_(lifetime) {}
  absl::StatusOr<AccessToken> GetToken(const std::string& scope) override {
    const int n = ++calls;
    if (gate != nullptr) gate->WaitForNotification();
    if (fail) return absl::UnauthenticatedError("AADSTS7000222: expired secret");
    return AccessToken{absl::StrCat(scope, "#", n), clock_.Now() + lifetime_};
  }
  std::atomic<int> calls{0};
  absl::Notification* gate = nullptr;
  bool fail = false;

 private:
  Clock& clock_;
  absl::Duration lifetime_;
};

TEST(CachingCredentialTest, CachesPerScopeAndRefreshesBeforeExpiry) {
  FakeClock clock;
  auto inner = std::make_unique<CountingCredential>(clock, absl::Minutes(60));
  CountingCredential* counter = inner.get();
  CachingCredential cache(std::move(inner), clock, absl::Minutes(5));
  EXPECT_EQ(cache.GetToken("a")->token, "a#1");
  EXPECT_EQ(cache.GetToken("a")->token, "a#1");
  EXPECT_EQ(cache.GetToken("b")->token, "b#2");
  clock.Advance(absl::Minutes(54));
  EXPECT_EQ(cache.GetToken("a")->token, "a#1");  // 6 min left: still fine
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(cache.GetToken("a")->token, "a#3");  // 4 min left: refreshed
  EXPECT_EQ(counter->calls, 3);
}

TEST(CachingCredentialTest, FailedRefreshKeepsAStillValidToken) {
  FakeClock clock;
  auto inner = std::make_unique<CountingCredential>(clock, absl::Minutes(60));
  CountingCredential* counter = inner.get();
  CachingCredential cache(std::move(inner), clock, absl::Minutes(5));
  ASSERT_OK(cache.GetToken("a"));
  counter->fail = true;
  clock.Advance(absl::Minutes(57));
  EXPECT_EQ(cache.GetToken("a")->token, "a#1");
  clock.Advance(absl::Minutes(4));
  EXPECT_THAT(cache.GetToken("a"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("AADSTS7000222")));
}

TEST(CachingCredentialTest, ConcurrentCallersShareOneRefresh) {
  FakeClock clock;
  auto inner = std::make_unique<CountingCredential>(clock, absl::Minutes(60));
  CountingCredential* counter = inner.get();
  absl::Notification gate;
  counter->gate = &gate;
  CachingCredential cache(std::move(inner), clock);
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { tokens[i] = cache.GetToken("scope")->token; });
  }
  // Let the first caller into the inner credential, then release it; the rest must have
  // waited for it instead of starting their own requests.
  while (counter->calls == 0) std::this_thread::yield();
  gate.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter->calls, 1);
  for (const auto& t : tokens) EXPECT_EQ(t, "scope#1");
}

TEST(DefaultCredentialTest, SecretWithoutTenantIsAClearError) {
  FakeClock clock;
  FakeTransport fake;
  CloudEndpoints e;
  e.source = "public Azure cloud";
  e.client_id = "app";
  e.client_secret = kSecret;
  auto c = CreateDefaultCredential(e, fake, clock);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("public Azure cloud: a client secret is set but the "
                                          "tenant id is missing"),
                                HasSubstr("AZURE_TENANT_ID"), Not(HasSubstr("s3cr3t")))));
}

TEST(DefaultCredentialTest, UsesClientSecretWhenConfigured) {
  FakeClock clock;
  FakeTransport fake;
  fake.Always("POST", "https://login.test/t/oauth2/v2.0/token", 200,
              R"({"access_token":"cs","expires_in":3600})");
  CloudEndpoints e;
  e.authority_host = "https://login.test";
  e.tenant_id = "t";
  e.client_id = "app";
  e.client_secret = kSecret;
  auto c = CreateDefaultCredential(e, fake, clock);
  ASSERT_OK(c);
  EXPECT_EQ((*c)->GetToken("s/.default")->token, "cs");
  EXPECT_EQ((*c)->GetToken("s/.default")->token, "cs");
  EXPECT_EQ(fake.Count(), 1);  // cached
}

TEST(DefaultCredentialTest, FallsBackToManagedIdentity) {
  FakeClock clock;
  FakeTransport fake;
  fake.Always("GET", "http://imds.test/", 200, R"({"access_token":"mi","expires_in":"3600"})");
  CloudEndpoints e;
  DefaultCredentialOptions options;
  options.managed_identity.imds_endpoint = "http://imds.test/";
  auto c = CreateDefaultCredential(e, fake, clock, options);
  ASSERT_OK(c);
  EXPECT_EQ((*c)->GetToken("s/.default")->token, "mi");
}

}  // namespace
}  // namespace envctl::cloud
