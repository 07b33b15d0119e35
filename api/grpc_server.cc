#include "api/grpc_server.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/internal/environment_service.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"

namespace envctl::api {
namespace {

constexpr char kServiceName[] = "envctl.v1.EnvironmentService";

// host:port with a numeric port in [0, 65535]; IPv6 hosts in brackets.
absl::Status ValidateListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("gRPC listen address \"", listen,
                                                   "\": expected host:port, e.g. 127.0.0.1:50051"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  if (in.is_open()) ss << in.rdbuf();
  if (!in.is_open() || ss.str().empty()) {
    return absl::NotFoundError(
        absl::StrCat("gRPC TLS ", what, " ", path, ": cannot read it (or it is empty)"));
  }
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> CredentialsFor(
    const GrpcServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    if (!o.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "gRPC TLS: a client CA needs the server certificate and key too");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("gRPC TLS: set both the certificate file and the key file");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(o.tls_cert_file, "certificate"));
  ASSIGN_OR_RETURN(pair.private_key, ReadPem(o.tls_key_file, "key"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!o.tls_client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_client_ca_file, "client CA"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(controller::ControllerApi& api,
                                                              const GrpcServerOptions& options) {
  if (absl::Status s = ValidateListen(options.listen); !s.ok()) return s;
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, CredentialsFor(options));

  // Both are process-wide switches read when a ServerBuilder is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto service = std::make_unique<internal::EnvironmentService>(api, options.auth_token);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen, credentials, &selected_port);
  // gRPC sets SO_REUSEPORT by default, which would let a second controller silently share
  // the port with the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("envctl-grpc");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options.listen,
                     ": address in use or not available; pick another with --grpc-listen"));
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus("", true);
    health->SetServingStatus(kServiceName, true);
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(service), std::move(server),
                                                    selected_port, options.shutdown_deadline));
}

GrpcServer::GrpcServer(std::unique_ptr<internal::EnvironmentService> service,
                       std::unique_ptr<grpc::Server> server, int port,
                       absl::Duration shutdown_deadline)
    : service_(std::move(service)),
      server_(std::move(server)),
      port_(port),
      shutdown_deadline_(shutdown_deadline) {}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  service_->BeginShutdown();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(shutdown_deadline_));
  server_->Wait();
}

}  // namespace envctl::api
