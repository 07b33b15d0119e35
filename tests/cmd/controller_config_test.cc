#include "cmd/envctl/controller_config.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ControllerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("envctl-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& text) {
    const fs::path file = dir_ / "controller.yaml";
    std::ofstream(file) << text;
    return file.string();
  }

  fs::path dir_;
};

TEST_F(ControllerConfigTest, TheShippedExampleParses) {
  auto config =
      LoadControllerConfig(std::string(ENVCTL_SOURCE_DIR) + "/deploy/controller.example.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->git_url, "https://github.com/contoso/data-platform.git");
  EXPECT_EQ(config->git_branch, "main");
  EXPECT_EQ(config->git_path, "examples/bikeshare");
  EXPECT_EQ(config->git_token_env, "ENVCTL_GIT_TOKEN");
  EXPECT_EQ(config->poll_interval, absl::Minutes(1));
  EXPECT_EQ(config->environments, (std::set<std::string>{"dev", "test"}));
  EXPECT_EQ(config->state_dir, "/var/lib/envctl");
  EXPECT_EQ(config->grpc_listen, "127.0.0.1:50051");
  EXPECT_EQ(config->grpc_token_env, "ENVCTL_API_TOKEN");
  EXPECT_EQ(config->http_listen, "127.0.0.1:9464");
  EXPECT_EQ(config->webhook_secret_env, "ENVCTL_WEBHOOK_SECRET");
  EXPECT_EQ(config->event_grid_secret_env, "ENVCTL_EVENTGRID_SECRET");
}

TEST_F(ControllerConfigTest, FolderSourceWithDefaultsAndPathsRelativeToTheFile) {
  auto config = Write("source:\n  folder: repo\ncloud: sim/endpoints.json\nstateDir: state\n");
  auto parsed = LoadControllerConfig(config);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->folder, (dir_ / "repo").string());
  EXPECT_EQ(parsed->cloud_file, (dir_ / "sim/endpoints.json").string());
  EXPECT_EQ(parsed->state_dir, (dir_ / "state").string());
  EXPECT_TRUE(parsed->git_url.empty());
  EXPECT_TRUE(parsed->environments.empty());
  EXPECT_EQ(parsed->workers, 16);
  EXPECT_EQ(parsed->grpc_listen, "127.0.0.1:50051");
  EXPECT_EQ(parsed->http_listen, "127.0.0.1:9464");
}

TEST_F(ControllerConfigTest, LogFormatAndLevelDefaultToTextInfoAndAreChecked) {
  auto parsed = LoadControllerConfig(Write("source:\n  folder: repo\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->log_format, "text");
  EXPECT_EQ(parsed->log_level, "info");
  parsed = LoadControllerConfig(
      Write("source:\n  folder: repo\nlog:\n  format: json\n  level: debug\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->log_format, "json");
  EXPECT_EQ(parsed->log_level, "debug");
  const std::string file = Write("source:\n  folder: repo\nlog:\n  format: xml\n  level: loud\n");
  parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr(file + ":4:11: log.format: expected text or json"));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr(file + ":5:10: log.level: expected debug, info, warn, error or off"));
}

TEST_F(ControllerConfigTest, TlsInsecureAndAllowUnsignedAreRead) {
  auto parsed = LoadControllerConfig(Write(
      "source:\n  folder: repo\ngrpc:\n  listen: 0.0.0.0:50051\n  insecure: true\n"
      "  tls:\n    certFile: tls/server.pem\n    keyFile: /etc/envctl/server.key\n"
      "    clientCaFile: tls/ca.pem\nhttp:\n  insecure: true\nwebhooks:\n  allowUnsigned: true\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->grpc_insecure);
  EXPECT_TRUE(parsed->http_insecure);
  EXPECT_TRUE(parsed->webhooks_allow_unsigned);
  EXPECT_EQ(parsed->grpc_tls_cert_file, (dir_ / "tls/server.pem").string());
  EXPECT_EQ(parsed->grpc_tls_key_file, "/etc/envctl/server.key");
  EXPECT_EQ(parsed->grpc_tls_client_ca_file, (dir_ / "tls/ca.pem").string());
  parsed = LoadControllerConfig(Write("source:\n  folder: repo\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->grpc_insecure);
  EXPECT_FALSE(parsed->webhooks_allow_unsigned);
}

// The fuzz corpus' hostile inputs (fuzz/corpus/controller_config): located errors, fast.
TEST_F(ControllerConfigTest, HostileYamlIsALocatedErrorNotARunaway) {
  const std::string runaway = Write(", b:, c");  // made yaml-cpp grow without bound
  auto parsed = LoadControllerConfig(runaway);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(runaway + ":1:"));

  const std::string deep = Write(std::string(100000, '[') + std::string(100000, ']'));
  parsed = LoadControllerConfig(deep);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("nest"));

  const std::string bad_utf8 = Write("source:\n  folder: \xff\xfe\n");
  parsed = LoadControllerConfig(bad_utf8);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(bad_utf8 + ":2:"));
}

TEST_F(ControllerConfigTest, HttpTlsIsReadLikeGrpcTls) {
  auto parsed = LoadControllerConfig(
      Write("source:\n  folder: repo\nhttp:\n  listen: 0.0.0.0:9464\n"
            "  tls:\n    certFile: tls/http.pem\n    keyFile: /etc/envctl/http.key\n"
            "    clientCaFile: tls/ca.pem\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->http_tls_cert_file, (dir_ / "tls/http.pem").string());
  EXPECT_EQ(parsed->http_tls_key_file, "/etc/envctl/http.key");
  EXPECT_EQ(parsed->http_tls_client_ca_file, (dir_ / "tls/ca.pem").string());
  EXPECT_FALSE(parsed->http_insecure);

  const std::string file =
      Write("source:\n  folder: repo\nhttp:\n  tls:\n    keyFile: a.key\n    clientCa: x\n");
  parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("http.tls: set both certFile and keyFile"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("clientCa"));
}

TEST_F(ControllerConfigTest, HalfATlsPairAndNonBooleansAreErrors) {
  const std::string file =
      Write("source:\n  folder: repo\ngrpc:\n  insecure: maybe\n  tls:\n    certFile: a.pem\n");
  auto parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("grpc.insecure: expected true or false"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("grpc.tls: set both certFile and keyFile"));
}

TEST_F(ControllerConfigTest, AbsolutePathsAreKept) {
  auto parsed = LoadControllerConfig(Write("source:\n  folder: /srv/repo\nstateDir: /var/lib/x\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->folder, "/srv/repo");
  EXPECT_EQ(parsed->state_dir, "/var/lib/x");
}

TEST_F(ControllerConfigTest, MissingFileSaysSoAndPointsAtTheExample) {
  auto parsed = LoadControllerConfig((dir_ / "nope.yaml").string());
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(parsed.status().message(), HasSubstr("nope.yaml: no such config file"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("deploy/controller.example.yaml"));
}

TEST_F(ControllerConfigTest, YamlSyntaxErrorNamesLineAndColumn) {
  const std::string file = Write("source:\n  folder: [unclosed\n");
  auto parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(file + ":"));
}

TEST_F(ControllerConfigTest, UnknownKeysAreErrorsWithTheirLocationAndTheAllowedKeys) {
  const std::string file =
      Write("source:\n  folder: repo\n  polInterval: 5m\ngrpc:\n  listn: 127.0.0.1:1\n");
  auto parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr(file + ":3:3: source.polInterval: unknown key; expected one of"));
  EXPECT_THAT(message, HasSubstr("pollInterval"));
  EXPECT_THAT(
      message,
      HasSubstr(file +
                ":5:3: grpc.listn: unknown key; expected one of insecure, listen, tls, tokenEnv"));
}

TEST_F(ControllerConfigTest, SourceIsRequiredAndExclusive) {
  auto none = LoadControllerConfig(Write("workers: 2\n"));
  ASSERT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(),
              HasSubstr("source: required: set source.git.url or source.folder"));

  auto both = LoadControllerConfig(
      Write("source:\n  folder: a\n  git:\n    url: https://example.com/r.git\n"));
  ASSERT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(both.status().message(), HasSubstr("set source.git or source.folder, not both"));

  auto no_url = LoadControllerConfig(Write("source:\n  git:\n    branch: main\n"));
  ASSERT_EQ(no_url.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_url.status().message(), HasSubstr(":3:5: source.git.url: required"));
}

TEST_F(ControllerConfigTest, BadValuesAreReportedTogether) {
  const std::string file = Write(
      "source:\n  folder: repo\n  pollInterval: soon\nworkers: 0\nenvironments: dev\ngrpc: "
      "50051\n");
  auto parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(parsed.status().message());
  EXPECT_THAT(message,
              HasSubstr(file + ":3:17: source.pollInterval: expected a positive duration"));
  EXPECT_THAT(message, HasSubstr(file + ":4:10: workers: expected a number from 1 to 64"));
  EXPECT_THAT(message,
              HasSubstr(file + ":5:15: environments: expected a list of environment names"));
  EXPECT_THAT(message, HasSubstr(file + ":6:7: grpc: expected a mapping"));
}

TEST_F(ControllerConfigTest, ListenAddressesNeedHostAndPort) {
  const std::string file =
      Write("source:\n  folder: r\ngrpc:\n  listen: 50051\nhttp:\n  listen: 127.0.0.1:99999\n");
  auto parsed = LoadControllerConfig(file);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr(file + ":4:11: grpc.listen: expected HOST:PORT"));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr(file + ":6:11: http.listen: expected HOST:PORT"));

  auto ok = LoadControllerConfig(Write("source:\n  folder: r\ngrpc:\n  listen: '[::1]:0'\n"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->grpc_listen, "[::1]:0");
}

TEST_F(ControllerConfigTest, NonMappingDocumentIsRejected) {
  auto parsed = LoadControllerConfig(Write("- just\n- a list\n"));
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("expected a YAML mapping"));
}

TEST_F(ControllerConfigTest, DurationsAcceptGoStyleUnits) {
  auto parsed = LoadControllerConfig(Write("source:\n  folder: r\n  pollInterval: 90s\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->poll_interval, absl::Seconds(90));
}

}  // namespace
}  // namespace envctl::cli
