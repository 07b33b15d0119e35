// The standard routes (/metrics, /healthz) on a real HttpServer.
#include "api/routes.h"

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "tests/api/http_test_client.h"
#include "tests/fakes/fake_controller_api.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::api {
namespace {

using ::envctl::api::testing::Fetch;
using ::envctl::api::testing::ParsedResponse;
using ::testing::HasSubstr;

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Samples in a few labelled families, so /metrics has more than build_info.
    metrics_.reconcile_total().Add({{"kind", "StorageAccount"}, {"result", "success"}}).Increment();
    metrics_.cloud_request_duration_seconds()
        .Add({{"service", "arm"}}, metrics::Metrics::DurationBuckets())
        .Observe(0.12);
    metrics_.resources()
        .Add({{"environment", "dev"}, {"kind", "KeyVault"}, {"state", "in_sync"}})
        .Set(3);
    AddStandardRoutes(server_, fake_, metrics_);
    ASSERT_OK(server_.Start("127.0.0.1:0"));
  }

  envctl::testing::FakeControllerApi fake_;
  metrics::Metrics metrics_{"1.2.3"};
  HttpServer server_;
};

TEST_F(RoutesTest, MetricsIsServedInThePrometheusTextFormat) {
  ParsedResponse r = Fetch(server_.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("envctl_build_info{version=\"1.2.3\"} 1"));
  EXPECT_THAT(r.body,
              HasSubstr("envctl_reconcile_total{kind=\"StorageAccount\",result=\"success\"} 1"));
}

TEST_F(RoutesTest, EveryMetricsLineIsACommentOrASample) {
  ParsedResponse r = Fetch(server_.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.eE+-]+|[-+]?Inf|NaN)( -?[0-9]+)?$)");
  int samples = 0;
  for (absl::string_view line : absl::StrSplit(r.body, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') {
      EXPECT_TRUE(absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) << line;
      continue;
    }
    EXPECT_TRUE(std::regex_match(std::string(line), sample)) << "not a sample: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 3);
}

TEST_F(RoutesTest, MetricsPassesPromtoolCheck) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed; install prometheus to run this check";
  }
  ParsedResponse r = Fetch(server_.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  const std::string path = ::testing::TempDir() + "/envctl_metrics.txt";
  std::ofstream(path) << r.body;
  FILE* pipe = popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << "promtool check metrics said:\n" << output;
}

TEST_F(RoutesTest, HealthzIs200OkWhenTheControllerIsHealthy) {
  ParsedResponse r = Fetch(server_.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(RoutesTest, HealthzIs503WithTheReasonWhenTheControllerIsNot) {
  fake_.SetHealthy(false, "source not loaded yet: git clone failed");
  ParsedResponse r = Fetch(server_.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("git clone failed"));
}

TEST_F(RoutesTest, TheStandardRoutesOnlyAnswerGetAndHead) {
  ParsedResponse r = Fetch(server_.port(), "POST", "/metrics", "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  testing::TestConnection c(server_.port());
  c.Send("HEAD /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(c.ReadToEnd(), ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
}  // namespace envctl::api
