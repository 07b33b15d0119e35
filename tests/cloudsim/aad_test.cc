#include "absl/strings/str_cat.h"
#include "cloudsim/aad/authority.h"
#include "cloudsim/aad/tokens.h"
#include "cloudsim/http/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_clock.h"

namespace envctl::cloudsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuthorityTest : public ::testing::Test {
 protected:
  AuthorityTest() : tokens_("k3y", "tenant-1", &clock_, absl::Hours(1)) {
    id_.tenant_id = "tenant-1";
    id_.subscription_id = "sub-1";
    id_.client_id = "client-1";
    id_.client_secret = "s3cret~value";
    id_.object_id = "oid-1";
  }
  Response Post(const std::string& path, const std::string& form) {
    Request r;
    r.method = "POST";
    r.path = path;
    r.host = "127.0.0.1:8443";
    r.body = form;
    return HandleAuthority(r, id_, tokens_, &clock_);
  }
  Response Token(const std::string& extra) {
    return Post("/tenant-1/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=client-1&" + extra);
  }

  FakeClock clock_;
  TokenService tokens_;
  Identity id_;
};

TEST_F(AuthorityTest, OpenIdConfigurationUsesTheHostTheClientAddressed) {
  Request r;
  r.method = "GET";
  r.path = "/tenant-1/v2.0/.well-known/openid-configuration";
  r.host = "127.0.0.1:8443";
  Response resp = HandleAuthority(r, id_, tokens_, &clock_);
  ASSERT_EQ(resp.status, 200);
  nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["issuer"], "https://127.0.0.1:8443/tenant-1/v2.0");
  EXPECT_EQ(j["token_endpoint"], "https://127.0.0.1:8443/tenant-1/oauth2/v2.0/token");
  EXPECT_TRUE(j.contains("authorization_endpoint"));
  EXPECT_TRUE(j.contains("jwks_uri"));
}

TEST_F(AuthorityTest, ClientCredentialsV2IssuesAnArmTokenWithIntegerExpiry) {
  Response resp = Token("client_secret=" + PercentEncode("s3cret~value") +
                        "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  ASSERT_EQ(resp.status, 200) << resp.body;
  nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_TRUE(j["expires_in"].is_number_integer());
  EXPECT_EQ(j["expires_in"], 3600);
  auto claims = tokens_.Validate(j["access_token"].get<std::string>(), {kArmAudience});
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->oid, "oid-1");
  EXPECT_EQ(claims->appid, "client-1");
  EXPECT_EQ(claims->tid, "tenant-1");
}

TEST_F(AuthorityTest, V1TokenEndpointTakesResourceAndAnswersStringExpiry) {
  Response resp =
      Post("/tenant-1/oauth2/token",
           "grant_type=client_credentials&client_id=client-1&client_secret=" +
               PercentEncode("s3cret~value") + "&resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  ASSERT_EQ(resp.status, 200) << resp.body;
  nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["expires_in"], "3600");
  EXPECT_TRUE(tokens_.Validate(j["access_token"].get<std::string>(), {kDatabricksAudience}).ok());
}

TEST_F(AuthorityTest, WrongSecretIsInvalidClient7000215WithoutEchoingTheSecret) {
  Response resp = Token("client_secret=guess-123&scope=https%3A%2F%2Fvault.azure.net%2F.default");
  EXPECT_EQ(resp.status, 401);
  nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["error"], "invalid_client");
  EXPECT_THAT(j["error_description"].get<std::string>(),
              HasSubstr("AADSTS7000215: Invalid client secret"));
  EXPECT_EQ(j["error_codes"][0], 7000215);
  EXPECT_THAT(resp.body, Not(HasSubstr("guess-123")));
  EXPECT_THAT(resp.body, Not(HasSubstr("s3cret")));
}

TEST_F(AuthorityTest, UnknownClientIsUnauthorizedClient700016) {
  Response resp =
      Post("/tenant-1/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=nobody&client_secret=x&scope=a/.default");
  EXPECT_EQ(resp.status, 400);
  nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["error"], "unauthorized_client");
  EXPECT_THAT(j["error_description"].get<std::string>(),
              HasSubstr("AADSTS700016: Application with identifier 'nobody' was not found"));
}

TEST_F(AuthorityTest, ScopeWithoutDefaultSuffixIsInvalidScope) {
  Response resp = Token("client_secret=" + PercentEncode("s3cret~value") +
                        "&scope=https%3A%2F%2Fmanagement.azure.com%2Fuser_impersonation");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(nlohmann::json::parse(resp.body)["error"], "invalid_scope");
}

TEST_F(AuthorityTest, UnknownTenantIs90002) {
  Response resp = Post("/other/oauth2/v2.0/token", "grant_type=client_credentials");
  EXPECT_EQ(resp.status, 400);
  EXPECT_THAT(resp.body, HasSubstr("AADSTS90002: Tenant 'other' not found"));
}

TEST(TokenServiceTest, TokensExpireAfterTheirLifetime) {
  FakeClock clock;
  TokenService tokens("key", "t", &clock, absl::Minutes(10));
  std::string token = tokens.Issue(kVaultAudience, "oid", "app");
  EXPECT_TRUE(tokens.Validate("Bearer " + token, {kVaultAudience}).ok());
  clock.Advance(absl::Minutes(10));
  auto expired = tokens.Validate(token, {kVaultAudience});
  EXPECT_TRUE(absl::IsDeadlineExceeded(expired.status())) << expired.status();
  EXPECT_THAT(std::string(expired.status().message()),
              HasSubstr("is earlier than current UTC time"));
}

TEST(TokenServiceTest, RejectsWrongAudienceForgedSignatureAndOtherKeys) {
  FakeClock clock;
  TokenService tokens("key", "t", &clock, absl::Hours(1));
  std::string token = tokens.Issue(kVaultAudience, "oid", "app");
  EXPECT_TRUE(absl::IsPermissionDenied(tokens.Validate(token, {kArmAudience}).status()));
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(absl::IsUnauthenticated(tokens.Validate(forged, {kVaultAudience}).status()));
  TokenService other("other-key", "t", &clock, absl::Hours(1));
  EXPECT_TRUE(absl::IsUnauthenticated(other.Validate(token, {kVaultAudience}).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(tokens.Validate("not-a-jwt", {kVaultAudience}).status()));
  // Audiences compare without a trailing slash, as ARM's do.
  std::string arm = tokens.Issue("https://management.azure.com", "oid", "app");
  EXPECT_TRUE(tokens.Validate(arm, {kArmAudience}).ok());
}

}  // namespace
}  // namespace envctl::cloudsim
