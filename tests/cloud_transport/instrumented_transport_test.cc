#include "cloud/transport/instrumented_transport.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "cloud/auth/bearer_token_transport.h"
#include "cloud/auth/client_secret_credential.h"
#include "cloud/transport/redact.h"
#include "common/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every secret the scenario below sends or receives; none may reach the log.
const std::vector<std::string>& Secrets() {
  static const auto* const kSecrets = new std::vector<std::string>{
      "cl13nt-s3cret",  // client secret (form body)
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcm0ifQ.c2lnbmF0dXJl",  // AAD token
      "storage-key-AAAA==",                                                    // listKeys answer
      "kv-secret-value-42",                    // Key Vault set/get body
      "dapi0123456789abcdef0123456789abcdef",  // Databricks PAT
      "sas-sig-value",                         // SAS signature in a URL
  };
  return *kSecrets;
}

TEST(RedactTest, UrlQueryValues) {
  EXPECT_EQ(RedactUrl("https://a.blob.core.windows.net/c?sv=2021&sig=abc%2F&se=1"),
            "https://a.blob.core.windows.net/c?sv=2021&sig=REDACTED&se=1");
  EXPECT_EQ(RedactUrl("https://x/y?api-version=1&client_secret=zz#frag"),
            "https://x/y?api-version=1&client_secret=REDACTED#frag");
  EXPECT_EQ(RedactUrl("https://x/y"), "https://x/y");
}

TEST(RedactTest, Headers) {
  Headers h{{"Authorization", "Bearer abc"}, {"x-identity-header", "h"}, {"Accept", "a"}};
  Headers r = RedactHeaders(h);
  EXPECT_EQ(r["authorization"], "REDACTED");
  EXPECT_EQ(r["X-IDENTITY-HEADER"], "REDACTED");
  EXPECT_EQ(r["Accept"], "a");
}

TEST(RedactTest, Text) {
  EXPECT_EQ(RedactText("client_id=a&client_secret=xyz&scope=s"),
            "client_id=a&client_secret=REDACTED&scope=s");
  EXPECT_EQ(RedactText(R"({"value": "p@ss\"word", "id": "x"})"),
            R"({"value": "REDACTED", "id": "x"})");
  EXPECT_EQ(RedactText(R"({"token_value":"dapi1234","keys":[{"keyName":"key1","value":"k=="}]})"),
            R"({"token_value":"REDACTED","keys":[{"keyName":"key1","value":"REDACTED"}]})");
  EXPECT_EQ(RedactText("authorization: Bearer abc.def"), "authorization: Bearer REDACTED");
  EXPECT_EQ(RedactText("token dapi0123456789abcdef0123456789abcdef-2 expired"),
            "token REDACTED expired");
  EXPECT_THAT(RedactText("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig end"),
              Not(HasSubstr("eyJ")));
}

class InstrumentedTransportTest : public ::testing::Test {
 protected:
  InstrumentedTransport Make(const char* label, Service service) {
    return InstrumentedTransport(
        fake_, clock_, metrics_, label, service,
        [this](const RequestLogRecord& r) { lines_.push_back(FormatRequestLog(r)); });
  }
  double Counter(const char* metric_line) {
    const std::string text = metrics_.Serialize();
    const size_t at = text.find(metric_line);
    if (at == std::string::npos) return 0;
    return std::stod(text.substr(at + strlen(metric_line) + 1));
  }
  FakeClock clock_;
  FakeTransport fake_;
  metrics::Metrics metrics_;
  std::vector<std::string> lines_;
};

TEST_F(InstrumentedTransportTest, RequestsInsideASyncCarryItsIdAsClientRequestId) {
  fake_.Enqueue("GET", "", 200, "{}");
  fake_.Enqueue("GET", "", 200, "{}");
  fake_.Enqueue("GET", "", 200, "{}");
  InstrumentedTransport t = Make("arm", Service::kArm);
  HttpRequest get;
  get.method = "GET";
  get.url = "https://management.azure.com/x";
  ASSERT_OK(t.Send(get));  // outside any sync: no header
  {
    log::ScopedContext sync({{"sync_id", "test-42"}, {"resource", "kv"}});
    ASSERT_OK(t.Send(get));
    HttpRequest own = get;
    own.headers["x-ms-client-request-id"] = "caller-set";
    ASSERT_OK(t.Send(own));  // a caller's own id is kept
  }
  const std::vector<HttpRequest> sent = fake_.Requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].headers.count("x-ms-client-request-id"), 0u);
  EXPECT_EQ(sent[1].headers.at("X-MS-Client-Request-Id"), "test-42");
  EXPECT_EQ(sent[2].headers.at("x-ms-client-request-id"), "caller-set");
}

TEST_F(InstrumentedTransportTest, CountsRequestsThrottlesAndDurations) {
  fake_.Enqueue("GET", "", 429, "", {{"x-ms-request-id", "r1"}});
  fake_.OnRequest("GET", "", [this](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    clock_.Advance(absl::Milliseconds(250));
    return FakeTransport::Response(200, "{}", {{"x-ms-request-id", "r2"}});
  });
  fake_.Enqueue("PUT", "", absl::UnavailableError("connection reset"));
  InstrumentedTransport t = Make("arm", Service::kArm);
  HttpRequest get;
  get.method = "GET";
  get.url = "https://management.azure.com/x";
  ASSERT_OK(t.Send(get));
  ASSERT_OK(t.Send(get));
  HttpRequest put = get;
  put.method = "put";
  put.attempt = 2;
  EXPECT_FALSE(t.Send(put).ok());

  EXPECT_EQ(Counter(R"(envctl_cloud_requests_total{code="429",method="GET",service="arm"})"), 1);
  EXPECT_EQ(Counter(R"(envctl_cloud_requests_total{code="200",method="GET",service="arm"})"), 1);
  EXPECT_EQ(Counter(R"(envctl_cloud_requests_total{code="error",method="PUT",service="arm"})"), 1);
  EXPECT_EQ(Counter(R"(envctl_cloud_throttled_total{service="arm"})"), 1);
  EXPECT_EQ(Counter(R"(envctl_cloud_request_duration_seconds_count{service="arm"})"), 3);
  EXPECT_EQ(Counter(R"(envctl_cloud_request_duration_seconds_sum{service="arm"})"), 0.25);

  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(
      lines_[1],
      R"(service=arm method=GET url="https://management.azure.com/x" status=200 duration_ms=250 attempt=1 request_id="r2")");
  EXPECT_THAT(
      lines_[2],
      HasSubstr(
          R"(method=PUT url="https://management.azure.com/x" status=0 duration_ms=0 attempt=2 error="UNAVAILABLE: connection reset")"));
}

TEST_F(InstrumentedTransportTest, SecretsNeverReachTheLog) {
  const auto& s = Secrets();
  // AAD token exchange (secret in the form body, token in the answer).
  fake_.Always("POST", "/oauth2/v2.0/token", 200,
               R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + s[1] + "\"}");
  // listKeys answers keys; KV get answers the value; Databricks token/create answers a PAT.
  fake_.Always("POST", "/listKeys", 200,
               R"({"keys":[{"keyName":"key1","value":")" + s[2] + "\"}]}");
  fake_.Always("GET", "vault.azure.net/secrets/", 200, R"({"value":")" + s[3] + "\"}");
  fake_.Always("PUT", "vault.azure.net/secrets/", 400,
               R"({"error":{"code":"BadParameter","message":"bad value )" + s[3] + "\"}}");
  fake_.Always("POST", "/api/2.0/token/create", 200, R"({"token_value":")" + s[4] + "\"}");
  fake_.Always(
      "POST", "/api/2.0/secrets/put", 403,
      R"({"error_code":"PERMISSION_DENIED","message":"token )" + s[4] + " is not allowed\"}");
  fake_.Always("GET", "blob.core.windows.net", 200, "");

  InstrumentedTransport aad = Make("aad", Service::kAad);
  ClientSecretCredential credential(aad, clock_, "https://login.test", "t", "app", s[0]);
  InstrumentedTransport arm_log = Make("arm", Service::kArm);
  BearerTokenTransport arm(arm_log, credential, "https://management.azure.com/.default");
  InstrumentedTransport kv = Make("keyvault", Service::kKeyVault);
  InstrumentedTransport dbx = Make("databricks", Service::kDatabricks);

  auto send = [](HttpTransport& t, const char* method, std::string url, std::string body,
                 Headers headers = {}) {
    HttpRequest r;
    r.method = method;
    r.url = std::move(url);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return t.Send(r);
  };
  ASSERT_OK(send(arm, "POST", "https://management.azure.com/sa/listKeys?api-version=1", ""));
  ASSERT_OK(send(kv, "GET", "https://kv.vault.azure.net/secrets/a?api-version=7.4", "",
                 {{"Authorization", "Bearer " + s[1]}}));
  ASSERT_OK(send(kv, "PUT", "https://kv.vault.azure.net/secrets/a?api-version=7.4",
                 R"({"value":")" + s[3] + "\"}", {{"Authorization", "Bearer " + s[1]}}));
  ASSERT_OK(send(dbx, "POST", "https://adb.azuredatabricks.net/api/2.0/token/create", "{}",
                 {{"Authorization", "Bearer " + s[4]}}));
  ASSERT_OK(send(dbx, "POST", "https://adb.azuredatabricks.net/api/2.0/secrets/put",
                 R"({"scope":"x","key":"y","string_value":")" + s[3] + "\"}",
                 {{"Authorization", "Bearer " + s[4]}}));
  ASSERT_OK(send(dbx, "GET", "https://a.blob.core.windows.net/c?sv=1&sig=" + s[5], ""));

  const std::string log = absl::StrJoin(lines_, "\n");
  EXPECT_EQ(lines_.size(), 7u) << log;  // the token request is logged too
  EXPECT_THAT(log, HasSubstr("service=aad method=POST"));
  EXPECT_THAT(log, HasSubstr("BadParameter"));
  EXPECT_THAT(log, HasSubstr("PERMISSION_DENIED"));
  for (const std::string& secret : s) {
    EXPECT_THAT(log, Not(HasSubstr(secret))) << "leaked: " << secret.substr(0, 4);
  }
}

}  // namespace
}  // namespace envctl::cloud
