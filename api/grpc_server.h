// GrpcServer: serves envctl.v1.EnvironmentService (backed by a ControllerApi), the standard
// gRPC health service and server reflection on one listening address.
//
//   ASSIGN_OR_RETURN(auto server, GrpcServer::Start(controller, {.listen = "127.0.0.1:50051"}));
//   ...
//   server->Shutdown();  // also done by the destructor
//
// With a non-empty auth_token every EnvironmentService call must carry the metadata
// `authorization: Bearer <token>` (UNAUTHENTICATED otherwise); health and reflection stay
// open so load balancers and grpcurl work without it. The token is never logged.
// Thread-safe: port() and Shutdown() may be called from any thread.
#ifndef ENVCTL_API_GRPC_SERVER_H_
#define ENVCTL_API_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/controller_api.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace envctl::api {

namespace internal {
class EnvironmentService;
}  // namespace internal

struct GrpcServerOptions {
  // host:port to listen on; port 0 picks a free one (see GrpcServer::port()).
  std::string listen = "127.0.0.1:50051";
  // When non-empty, required as `authorization: Bearer <auth_token>` on every
  // EnvironmentService call.
  std::string auth_token;
  // How long Shutdown() lets running calls finish before it cancels them.
  absl::Duration shutdown_deadline = absl::Seconds(5);
  // TLS: PEM files of the server certificate chain and its private key. Both empty:
  // plaintext (callers refuse that beyond loopback unless told it is intended).
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle; when set, clients must present a certificate it signed (mTLS).
  std::string tls_client_ca_file;
  // Upper bound on server threads (each open WatchEvents stream holds one); calls beyond
  // it fail with RESOURCE_EXHAUSTED.
  int max_threads = 64;
};

class GrpcServer {
 public:
  // Starts serving; the controller must outlive the server. InvalidArgument for a
  // malformed listen address or an incomplete TLS pair, NotFound naming an unreadable
  // TLS file, Unavailable (naming the address) when it cannot listen,
  // e.g. because the port is taken.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(controller::ControllerApi& api,
                                                           const GrpcServerOptions& options);
  ~GrpcServer();

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The port actually listened on.
  int port() const { return port_; }

  // Stops accepting calls, ends every WatchEvents stream (UNAVAILABLE), waits up to
  // shutdown_deadline for running calls and then cancels them. Idempotent.
  void Shutdown();

 private:
  GrpcServer(std::unique_ptr<internal::EnvironmentService> service,
             std::unique_ptr<grpc::Server> server, int port, absl::Duration shutdown_deadline);

  const std::unique_ptr<internal::EnvironmentService> service_;
  const std::unique_ptr<grpc::Server> server_;
  const int port_;
  const absl::Duration shutdown_deadline_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace envctl::api

#endif  // ENVCTL_API_GRPC_SERVER_H_
