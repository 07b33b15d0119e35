// Security defaults of `envctl controller`: plaintext listeners beyond loopback are refused
// unless the config says `insecure: true` (then a warning line is logged), and a Git
// webhook without a configured secret is refused (401) unless webhooks.allowUnsigned.
#include <regex>
#include <string>

#include "cloudsim/http/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

class ControllerSecurityE2ETest : public BikeshareE2ETest {
 protected:
  fs::path WriteConfig(const std::string& grpc, const std::string& http,
                       const std::string& extra = "") {
    return WriteFolderControllerConfig("environments: [test]\ngrpc:\n" + grpc + "http:\n" + http +
                                       extra);
  }
  // The HTTP address the controller printed ("HTTP  http://127.0.0.1:PORT").
  static std::string HttpAddress(ControllerProcess& ctl) {
    for (int i = 0; i < 2000; ++i) {
      std::smatch m;
      const std::string out = ctl.Stdout();
      if (std::regex_search(out, m, std::regex("HTTP  https?://([0-9.:]+)"))) return m[1];
      if (!ctl.Running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }
  static absl::StatusOr<cloudsim::Response> PushUnsigned(const std::string& address) {
    return cloudsim::Fetch(
        "POST", "http://" + address + "/webhooks/git",
        {{"Content-Type", "application/json"}, {"X-GitHub-Event", "push"}},
        R"({"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567"})");
  }
};

TEST_F(ControllerSecurityE2ETest, PlaintextGrpcBeyondLoopbackIsRefusedNamingTheFix) {
  const fs::path config = WriteConfig("  listen: 0.0.0.0:0\n", "  listen: 127.0.0.1:0\n");
  RunResult r = Run("controller --config " + config.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output,
              HasSubstr("grpc.listen 0.0.0.0:0 is beyond loopback without TLS: set "
                        "grpc.tls.certFile and grpc.tls.keyFile, or set grpc.insecure: true"));
}

TEST_F(ControllerSecurityE2ETest, PlaintextHttpBeyondLoopbackIsRefused) {
  const fs::path config = WriteConfig("  listen: 127.0.0.1:0\n", "  listen: 0.0.0.0:0\n");
  RunResult r = Run("controller --config " + config.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("http.listen 0.0.0.0:0 is beyond loopback without TLS"));
  EXPECT_THAT(r.output, HasSubstr("http.insecure: true"));
}

TEST_F(ControllerSecurityE2ETest, InsecureTrueStartsWithAWarningAndUnsignedWebhooksAreRefused) {
  const fs::path config =
      WriteConfig("  listen: 0.0.0.0:0\n  insecure: true\n", "  listen: 127.0.0.1:0\n");
  ControllerProcess ctl;
  ASSERT_TRUE(
      ctl.Start(work_, {"controller", "--config", config.string(), "--log-format", "json"}));
  auto warning = ctl.WaitForLogLine(Event("insecure_listener", {{"listener", "grpc"}}),
                                    std::chrono::seconds(60));
  ASSERT_TRUE(warning.has_value()) << ctl.Stdout() << ctl.Stderr();
  EXPECT_EQ((*warning)["level"], "warning");

  const std::string address = HttpAddress(ctl);
  ASSERT_FALSE(address.empty()) << ctl.Stdout() << ctl.Stderr();
  auto refused = PushUnsigned(address);
  ASSERT_OK(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_THAT(refused->body, HasSubstr("webhooks.allowUnsigned"));
  auto logged =
      ctl.WaitForLogLine(Event("webhook_refused", {{"webhook", "git"}}), std::chrono::seconds(10));
  ASSERT_TRUE(logged.has_value()) << ctl.Stderr();
  EXPECT_THAT((*logged)["reason"].get<std::string>(), HasSubstr("no webhook secret is configured"));
  EXPECT_EQ(ctl.Stop(), 0);
}

TEST_F(ControllerSecurityE2ETest, HttpTlsBeyondLoopbackStartsAndServesHttps) {
  const fs::path tls = work_ / "tls";
  fs::create_directories(tls);
  const std::string script =
      "cd " + tls.string() +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key "
      "-out server.pem -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
  ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
  const fs::path config = WriteConfig(
      "  listen: 127.0.0.1:0\n",
      "  listen: 0.0.0.0:0\n  tls:\n    certFile: tls/server.pem\n    keyFile: tls/server.key\n",
      "webhooks:\n  allowUnsigned: true\n");
  ControllerProcess ctl;
  ASSERT_TRUE(
      ctl.Start(work_, {"controller", "--config", config.string(), "--log-format", "json"}));
  const std::string address = HttpAddress(ctl);
  ASSERT_FALSE(address.empty()) << ctl.Stdout() << ctl.Stderr();
  EXPECT_THAT(ctl.Stdout(), HasSubstr("HTTP  https://"));
  const std::string port = address.substr(address.rfind(':') + 1);
  cloudsim::ClientOptions trusted;
  trusted.ca_file = (tls / "server.pem").string();
  auto healthz = cloudsim::Fetch("GET", "https://127.0.0.1:" + port + "/healthz", {}, "", trusted);
  ASSERT_OK(healthz);
  EXPECT_EQ(healthz->status, 200);
  EXPECT_THAT(ctl.Stderr(), ::testing::Not(HasSubstr("insecure_listener")));
  EXPECT_EQ(ctl.Stop(), 0);
}

TEST_F(ControllerSecurityE2ETest, AllowUnsignedAcceptsAnUnsignedPush) {
  const fs::path config = WriteConfig("  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n",
                                      "webhooks:\n  allowUnsigned: true\n");
  ControllerProcess ctl;
  ASSERT_TRUE(
      ctl.Start(work_, {"controller", "--config", config.string(), "--log-format", "json"}));
  const std::string address = HttpAddress(ctl);
  ASSERT_FALSE(address.empty()) << ctl.Stdout() << ctl.Stderr();
  auto accepted = PushUnsigned(address);
  ASSERT_OK(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;
  auto logged =
      ctl.WaitForLogLine(Event("webhook_accepted", {{"webhook", "git"}}), std::chrono::seconds(10));
  ASSERT_TRUE(logged.has_value()) << ctl.Stderr();
  EXPECT_EQ(ctl.Stop(), 0);
}

}  // namespace
}  // namespace envctl::testing
