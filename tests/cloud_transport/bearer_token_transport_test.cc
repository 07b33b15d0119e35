#include "cloud/auth/bearer_token_transport.h"

#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::ElementsAre;

constexpr char kVaultUrl[] = "https://kv1.vault.azure.net/secrets/db-password?api-version=7.4";
constexpr char kChallenge[] =
    R"(Bearer authorization="https://login.windows.net/72f988bf-tenant", resource="https://vault.azure.net")";

class RecordingCredential : public TokenCredential {
 public:
  absl::StatusOr<AccessToken> GetToken(const std::string& scope) override {
    absl::MutexLock lock(&mu);  // concurrent senders in one test
    scopes.push_back(scope);
    if (!error.ok()) return error;
    return AccessToken{"tok-for-" + scope, absl::InfiniteFuture()};
  }
  absl::Mutex mu;
  std::vector<std::string> scopes;
  absl::Status error;
};

HttpRequest Get(const char* url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

TEST(BearerChallengeTest, ParsesAllThreeForms) {
  auto a = ParseBearerChallenge(kChallenge);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->TokenScope(), "https://vault.azure.net/.default");
  EXPECT_EQ(a->Tenant(), "72f988bf-tenant");

  auto b = ParseBearerChallenge(
      R"(Bearer authorization_uri="https://login.microsoftonline.com/t2/", resource="https://vault.azure.net/")");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->TokenScope(), "https://vault.azure.net/.default");
  EXPECT_EQ(b->Tenant(), "t2");

  auto c = ParseBearerChallenge(
      R"(Bearer authorization="https://login.microsoftonline.com/t3", resource="https://vault.azure.net", scope="https://vault.azure.net/.default")");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->TokenScope(), "https://vault.azure.net/.default");

  EXPECT_FALSE(ParseBearerChallenge(R"(Basic realm="x")").has_value());
  EXPECT_FALSE(
      ParseBearerChallenge(
          R"(Bearer authorization_uri="https://login.windows.net/", error="invalid_token")")
          .has_value());
}

TEST(BearerTokenTransportTest, AddsTheTokenForItsScope) {
  FakeTransport fake;
  fake.Always("GET", "", 200, "{}");
  RecordingCredential credential;
  BearerTokenTransport t(fake, credential, "https://management.azure.com/.default");
  ASSERT_OK(t.Send(Get("https://management.azure.com/subscriptions")));
  EXPECT_EQ(fake.Requests()[0].headers["Authorization"],
            "Bearer tok-for-https://management.azure.com/.default");
}

TEST(BearerTokenTransportTest, TokenErrorsAreReturnedWithoutSending) {
  FakeTransport fake;
  RecordingCredential credential;
  credential.error = absl::UnauthenticatedError("Entra ID 401: invalid_client");
  BearerTokenTransport t(fake, credential, "s/.default");
  EXPECT_THAT(t.Send(Get("https://x/")),
              StatusIs(absl::StatusCode::kUnauthenticated, "Entra ID 401: invalid_client"));
  EXPECT_EQ(fake.Count(), 0);
}

// A vault whose audience is `wanted`: 401 with its challenge unless the request carries
// the RecordingCredential's token for that audience.
FakeTransport::Handler VaultWanting(const std::string& wanted) {
  return [wanted](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
    auto auth = r.headers.find("Authorization");
    if (auth == r.headers.end() || auth->second != "Bearer tok-for-" + wanted + "/.default") {
      return FakeTransport::Response(
          401, R"({"error":{"code":"Unauthorized","message":"AKV10000"}})",
          {{"WWW-Authenticate",
            "Bearer authorization=\"https://login.windows.net/t\", resource=\"" + wanted + "\""}});
    }
    return FakeTransport::Response(200, R"({"value":"v"})");
  };
}

TEST(ChallengeAuthTransportTest, HandshakeTakesScopeFromChallengeAndRetriesOnce) {
  FakeTransport fake;
  fake.OnRequest(
      "GET", "kv1.vault.azure.net", [](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.headers.count("Authorization") == 0) {
          return FakeTransport::Response(
              401,
              R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})",
              {{"WWW-Authenticate", kChallenge}});
        }
        return FakeTransport::Response(200, R"({"value":"v"})");
      });
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential);

  auto r = t.Send(Get(kVaultUrl));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  auto requests = fake.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.count("Authorization"), 0u);
  EXPECT_EQ(requests[1].headers["Authorization"],
            "Bearer tok-for-https://vault.azure.net/.default");
  EXPECT_THAT(credential.scopes, ElementsAre("https://vault.azure.net/.default"));

  // The scope is remembered for this vault: the next request carries a token at once.
  ASSERT_OK(t.Send(Get(kVaultUrl)));
  EXPECT_EQ(fake.Count(), 3);
  EXPECT_EQ(fake.Requests()[2].headers["Authorization"],
            "Bearer tok-for-https://vault.azure.net/.default");
}

// Every vault of a cloud shares one audience: after the first handshake, a vault not seen
// yet gets a token for the scope learned at once (no bare 401 round trip); a vault that
// wants another scope still gets it from its own challenge.
TEST(ChallengeAuthTransportTest, NewVaultTriesTheLearnedScopeFirstAndFollowsItsOwnChallenge) {
  FakeTransport fake;
  fake.OnRequest("GET", "kv1.vault.azure.net", VaultWanting("https://vault.azure.net"));
  fake.OnRequest("GET", "kv2.vault.azure.net", VaultWanting("https://vault.azure.net"));
  fake.OnRequest("GET", "kv3.vault.example", VaultWanting("https://vault.example"));
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential);

  ASSERT_OK(t.Send(Get(kVaultUrl)));
  EXPECT_EQ(fake.Count(), 2);
  auto second = t.Send(Get("https://kv2.vault.azure.net/secrets/s?api-version=7.4"));
  ASSERT_OK(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(fake.Count(), 3);  // one request, token attached at once
  auto third = t.Send(Get("https://kv3.vault.example/secrets/s?api-version=7.4"));
  ASSERT_OK(third);
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(fake.Count(), 5);  // the guess was refused; its own challenge's scope worked
  EXPECT_EQ(fake.Requests()[4].headers["Authorization"],
            "Bearer tok-for-https://vault.example/.default");
}

// With the cloud's Key Vault audience expected, even the first vault gets a token at once
// (no bare 401 round trip); a vault of another audience still gets its own from its 401.
TEST(ChallengeAuthTransportTest, ExpectedScopeSavesTheFirstHandshake) {
  FakeTransport fake;
  fake.OnRequest("GET", "kv1.vault.azure.net", VaultWanting("https://vault.azure.net"));
  fake.OnRequest("GET", "kv3.vault.example", VaultWanting("https://vault.example"));
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential, "https://vault.azure.net/.default");

  auto first = t.Send(Get(kVaultUrl));
  ASSERT_OK(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(fake.Count(), 1);
  auto other = t.Send(Get("https://kv3.vault.example/secrets/s?api-version=7.4"));
  ASSERT_OK(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(fake.Count(), 3);  // the expected scope was refused; the challenge's worked
}

// 50 environments open their vaults at once: one bare request learns the scope, the
// others wait for it instead of each drawing its own 401 (any interleaving).
TEST(ChallengeAuthTransportTest, ConcurrentFirstRequestsShareOneChallenge) {
  FakeTransport fake;
  for (int i = 0; i < 8; ++i) {
    fake.OnRequest("GET", absl::StrCat("kv", i, ".vault.azure.net"),
                   [](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
                     if (r.headers.count("Authorization") == 0) {
                       return FakeTransport::Response(
                           401, R"({"error":{"code":"Unauthorized","message":"AKV10000"}})",
                           {{"WWW-Authenticate", kChallenge}});
                     }
                     return FakeTransport::Response(200, R"({"value":"v"})");
                   });
  }
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential);
  std::vector<std::thread> threads;
  std::vector<int> statuses(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const std::string url =
          absl::StrCat("https://kv", i, ".vault.azure.net/secrets/s?api-version=7.4");
      auto r = t.Send(Get(url.c_str()));
      statuses[i] = r.ok() ? r->status : -1;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(statuses, ::testing::Each(200));
  int bare = 0;
  for (const auto& r : fake.Requests()) bare += r.headers.count("Authorization") == 0 ? 1 : 0;
  EXPECT_EQ(bare, 1);
  EXPECT_EQ(fake.Count(), 9);
}

TEST(ChallengeAuthTransportTest, PersistentUnauthorizedDoesNotLoop) {
  FakeTransport fake;
  fake.Always("GET", "", 401,
              R"({"error":{"code":"Unauthorized","message":"AKV10032: Invalid issuer."}})",
              {{"WWW-Authenticate", kChallenge}});
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential);
  auto r = t.Send(Get(kVaultUrl));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(fake.Count(), 2);  // the bare request and one retry with a token
  // Later requests already carry a token; a 401 with the same scope is final.
  r = t.Send(Get(kVaultUrl));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(fake.Count(), 3);
}

TEST(ChallengeAuthTransportTest, UnauthorizedWithoutChallengeIsReturned) {
  FakeTransport fake;
  fake.Always("GET", "", 401, "");
  RecordingCredential credential;
  ChallengeAuthTransport t(fake, credential);
  auto r = t.Send(Get(kVaultUrl));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(fake.Count(), 1);
  EXPECT_TRUE(credential.scopes.empty());
}

}  // namespace
}  // namespace envctl::cloud
