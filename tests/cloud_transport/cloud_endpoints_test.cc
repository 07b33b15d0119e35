#include "cloud/cloud_endpoints.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "sim-secret-123";

class CloudEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "endpoints-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/ca.pem") << "-----BEGIN CERTIFICATE-----\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& body) {
    const std::string path = dir_ + "/endpoints.json";
    std::ofstream(path) << body;
    return path;
  }
  std::string Valid() {
    return std::string(
               R"({"arm_endpoint": "https://127.0.0.1:8443/", "authority_host": "https://127.0.0.1:8443",
      "tenant_id": "t1", "subscription_id": "sub1", "client_id": "c1", "client_secret": ")") +
           kSecret + R"(", "object_id": "o1", "ca_cert_file": "ca.pem",
      "admin_endpoint": "https://127.0.0.1:8443/_cloudsim"})";
  }
  EnvLookup Env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string dir_;
};

TEST_F(CloudEndpointsTest, LoadsCloudsimFile) {
  auto e = LoadEndpointsFile(Write(Valid()));
  ASSERT_OK(e);
  EXPECT_EQ(e->arm_endpoint, "https://127.0.0.1:8443");  // trailing slash dropped
  EXPECT_EQ(e->tenant_id, "t1");
  EXPECT_EQ(e->subscription_id, "sub1");
  EXPECT_EQ(e->client_secret, kSecret);
  EXPECT_EQ(e->object_id, "o1");
  EXPECT_EQ(e->ca_cert_file, dir_ + "/ca.pem");  // relative to the file
  EXPECT_EQ(e->ArmScope(), "https://management.azure.com/.default");
}

TEST_F(CloudEndpointsTest, DebugStringNeverShowsTheSecret) {
  auto e = LoadEndpointsFile(Write(Valid()));
  ASSERT_OK(e);
  EXPECT_THAT(e->DebugString(), AllOf(HasSubstr("client_secret=<set>"), HasSubstr("tenant=t1"),
                                      Not(HasSubstr(kSecret))));
}

TEST_F(CloudEndpointsTest, ErrorsNameTheFileAndField) {
  const std::string path = Write(R"({"arm_endpoint": "https://x", "authority_host": "https://x"})");
  EXPECT_THAT(LoadEndpointsFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                                path + ": field \"tenant_id\" is missing"));
  Write(R"({"arm_endpoint": "management.azure.com"})");
  EXPECT_THAT(LoadEndpointsFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": field \"arm_endpoint\" must be an http(s) URL, got "
                              "\"management.azure.com\""));
  Write(R"({"arm_endpoint": 5})");
  EXPECT_THAT(LoadEndpointsFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": field \"arm_endpoint\" must be a string"));
  Write("not json");
  EXPECT_THAT(LoadEndpointsFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
  EXPECT_THAT(LoadEndpointsFile(dir_ + "/missing.json"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("missing.json: cannot read the cloud endpoints file")));
}

TEST_F(CloudEndpointsTest, MissingCaFileIsReported) {
  std::string body = Valid();
  body.replace(body.find("ca.pem"), 6, "nope.pem");
  const std::string path = Write(body);
  EXPECT_THAT(LoadEndpointsFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("field \"ca_cert_file\" names"), HasSubstr("nope.pem"),
                             HasSubstr("does not exist"), Not(HasSubstr(kSecret)))));
}

TEST_F(CloudEndpointsTest, ResolutionOrderFlagThenEnvThenPublic) {
  const std::string path = Write(Valid());
  auto env = Env({{"ENVCTL_CLOUD", "/does/not/exist.json"},
                  {"AZURE_TENANT_ID", "pt"},
                  {"AZURE_CLIENT_ID", "pc"},
                  {"AZURE_CLIENT_SECRET", "ps"},
                  {"AZURE_SUBSCRIPTION_ID", "psub"}});
  auto flag = ResolveEndpoints(path, env);
  ASSERT_OK(flag);
  EXPECT_EQ(flag->tenant_id, "t1");

  EXPECT_THAT(ResolveEndpoints("", env), StatusIs(absl::StatusCode::kNotFound,
                                                  HasSubstr("ENVCTL_CLOUD: /does/not/exist.json")));

  auto pub =
      ResolveEndpoints("", Env({{"AZURE_TENANT_ID", "pt"}, {"AZURE_SUBSCRIPTION_ID", "psub"}}));
  ASSERT_OK(pub);
  EXPECT_EQ(pub->arm_endpoint, "https://management.azure.com");
  EXPECT_EQ(pub->authority_host, "https://login.microsoftonline.com");
  EXPECT_EQ(pub->tenant_id, "pt");
  EXPECT_EQ(pub->subscription_id, "psub");
  EXPECT_EQ(pub->ArmScope(), "https://management.azure.com/.default");
  EXPECT_EQ(pub->source, "public Azure cloud");
}

}  // namespace
}  // namespace envctl::cloud
