// GrpcServer with TLS and mutual TLS: certificates made by the openssl CLI into a temp dir,
// a real loopback server and channel.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/grpc_server.h"
#include "envctl/v1/service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_controller_api.h"
#include "tests/fakes/status_matchers.h"
#include "tests/fakes/test_certificates.h"

namespace envctl::api {
namespace {

namespace fs = std::filesystem;
using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("envctl-grpc-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    fake_.AddEnvironment("dev");
    ASSERT_TRUE(envctl::testing::MakeTestCertificates(dir_)) << "openssl failed";
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    fs::remove_all(dir_);
  }

  GrpcServerOptions Options(bool mtls) {
    GrpcServerOptions o;
    o.listen = "127.0.0.1:0";
    o.shutdown_deadline = absl::Seconds(1);
    o.tls_cert_file = (dir_ / "server.pem").string();
    o.tls_key_file = (dir_ / "server.key").string();
    if (mtls) o.tls_client_ca_file = (dir_ / "ca.pem").string();
    return o;
  }

  grpc::Status List(const std::shared_ptr<grpc::ChannelCredentials>& creds) {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), creds);
    auto stub = envctl::v1::EnvironmentService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    envctl::v1::ListEnvironmentsResponse response;
    grpc::Status s = stub->ListEnvironments(&context, {}, &response);
    if (s.ok()) {
      EXPECT_EQ(response.environments_size(), 1);
    }
    return s;
  }

  grpc::SslCredentialsOptions Trusting(bool with_client_cert) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(dir_ / "ca.pem");
    if (with_client_cert) {
      o.pem_cert_chain = Read(dir_ / "client.pem");
      o.pem_private_key = Read(dir_ / "client.key");
    }
    return o;
  }

  fs::path dir_;
  envctl::testing::FakeControllerApi fake_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(GrpcTlsTest, TlsServerAnswersATrustingClientAndRefusesPlaintext) {
  auto server = GrpcServer::Start(fake_, Options(/*mtls=*/false));
  ASSERT_OK(server);
  server_ = *std::move(server);
  EXPECT_TRUE(List(grpc::SslCredentials(Trusting(false))).ok());
  EXPECT_EQ(List(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, MutualTlsNeedsAClientCertificateSignedByTheCa) {
  auto server = GrpcServer::Start(fake_, Options(/*mtls=*/true));
  ASSERT_OK(server);
  server_ = *std::move(server);
  EXPECT_TRUE(List(grpc::SslCredentials(Trusting(true))).ok());
  EXPECT_EQ(List(grpc::SslCredentials(Trusting(false))).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, UnreadableOrHalfConfiguredTlsIsAnErrorNamingTheFile) {
  GrpcServerOptions o = Options(false);
  o.tls_key_file = (dir_ / "missing.key").string();
  EXPECT_THAT(GrpcServer::Start(fake_, o),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.key: cannot read it")));
  o.tls_key_file.clear();
  EXPECT_THAT(GrpcServer::Start(fake_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("both the certificate file and the key file")));
}

}  // namespace
}  // namespace envctl::api
