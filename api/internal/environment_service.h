// EnvironmentService: the gRPC envctl.v1.EnvironmentService on top of a ControllerApi.
// Each call checks the bearer token (when one is configured), validates the request
// (INVALID_ARGUMENT naming the field), calls the controller and maps its absl::Status onto
// the gRPC code of the same name. No exception escapes a handler. Thread-safe: gRPC calls
// the handlers from many threads at once.
#ifndef ENVCTL_API_INTERNAL_ENVIRONMENT_SERVICE_H_
#define ENVCTL_API_INTERNAL_ENVIRONMENT_SERVICE_H_

#include <atomic>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/internal/token_auth.h"
#include "controller/controller_api.h"
#include "envctl/v1/service.grpc.pb.h"

namespace envctl::api::internal {

class EnvironmentService final : public envctl::v1::EnvironmentService::Service {
 public:
  EnvironmentService(controller::ControllerApi& api, std::string auth_token);

  // Ends every WatchEvents stream (they return UNAVAILABLE) and makes new ones end at once.
  // Call before grpc::Server::Shutdown, which waits for running handlers.
  void BeginShutdown();

  grpc::Status ListEnvironments(grpc::ServerContext* context,
                                const envctl::v1::ListEnvironmentsRequest* request,
                                envctl::v1::ListEnvironmentsResponse* response) override;
  grpc::Status GetEnvironment(grpc::ServerContext* context,
                              const envctl::v1::GetEnvironmentRequest* request,
                              envctl::v1::GetEnvironmentResponse* response) override;
  grpc::Status Plan(grpc::ServerContext* context, const envctl::v1::PlanRequest* request,
                    envctl::v1::PlanResponse* response) override;
  grpc::Status Sync(grpc::ServerContext* context, const envctl::v1::SyncRequest* request,
                    envctl::v1::SyncResponse* response) override;
  grpc::Status Suspend(grpc::ServerContext* context, const envctl::v1::SuspendRequest* request,
                       envctl::v1::SuspendResponse* response) override;
  grpc::Status Resume(grpc::ServerContext* context, const envctl::v1::ResumeRequest* request,
                      envctl::v1::ResumeResponse* response) override;
  grpc::Status RunIntegrationTest(grpc::ServerContext* context,
                                  const envctl::v1::RunIntegrationTestRequest* request,
                                  envctl::v1::RunIntegrationTestResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext* context, const envctl::v1::GetRunRequest* request,
                      envctl::v1::GetRunResponse* response) override;
  grpc::Status Promote(grpc::ServerContext* context, const envctl::v1::PromoteRequest* request,
                       envctl::v1::PromoteResponse* response) override;
  grpc::Status Rollback(grpc::ServerContext* context, const envctl::v1::RollbackRequest* request,
                        envctl::v1::RollbackResponse* response) override;
  grpc::Status Unpin(grpc::ServerContext* context, const envctl::v1::UnpinRequest* request,
                     envctl::v1::UnpinResponse* response) override;
  grpc::Status History(grpc::ServerContext* context, const envctl::v1::HistoryRequest* request,
                       envctl::v1::HistoryResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const envctl::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<envctl::v1::Event>* writer) override;

  // How long WatchEvents waits for an event before it rechecks cancellation.
  static constexpr absl::Duration kWatchPollInterval = absl::Milliseconds(250);

 private:
  // Runs `body` after the auth check, turning an escaping exception into INTERNAL.
  template <typename Body>
  grpc::Status Guarded(grpc::ServerContext* context, const char* method, Body&& body);

  controller::ControllerApi& api_;
  const TokenAuth auth_;
  std::atomic<bool> shutting_down_{false};
  absl::Mutex mu_;
  // Subscriptions of running WatchEvents calls; BeginShutdown closes and forgets them.
  absl::flat_hash_set<controller::EventSubscription*> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::api::internal

#endif  // ENVCTL_API_INTERNAL_ENVIRONMENT_SERVICE_H_
