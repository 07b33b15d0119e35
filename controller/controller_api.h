// ControllerApi: what the running controller offers to its front ends — the gRPC
// EnvironmentService, the HTTP webhooks and health endpoint (api/), and `envctl up`.
// The messages are the gRPC API's own (service.proto), so api/ is a thin adapter that maps
// absl::Status codes onto gRPC codes. Implemented by controller::Controller; tests of the
// front ends use a fake. All methods are thread-safe and never return secret values.
#ifndef ENVCTL_CONTROLLER_CONTROLLER_API_H_
#define ENVCTL_CONTROLLER_CONTROLLER_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "envctl/v1/service.pb.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller {

// A live feed of controller events (WatchEvents). Events published after Subscribe()
// are delivered in order; a subscriber that falls far behind loses the oldest ones.
class EventSubscription {
 public:
  virtual ~EventSubscription() = default;
  // Waits up to `timeout` for the next event. False on timeout or after Close().
  virtual bool Next(envctl::v1::Event* event, absl::Duration timeout) = 0;
  // Wakes a blocked Next() and ends the subscription.
  virtual void Close() = 0;
};

// One change a cloud event reported (Event Grid), reduced to what the controller needs
// to tell a person's change from the echo of envctl's own write.
struct CloudChange {
  // An ARM id, or a Key Vault secret's versionless id (https://<vault>/secrets/<name>).
  std::string resource_id;
  // ARM events: the x-ms-client-request-id of the request that made the change
  // (data.httpRequest.clientRequestId); envctl sends its sync id there. "" when unknown.
  std::string client_request_id;
  // Key Vault secret events: the version the event announces ("" otherwise).
  std::string version;
  bool deleted = false;  // ResourceDeleteSuccess
};

class ControllerApi {
 public:
  virtual ~ControllerApi() = default;

  virtual envctl::v1::ListEnvironmentsResponse ListEnvironments() = 0;
  // NotFound for an unknown environment (also for every method below taking one).
  virtual absl::StatusOr<envctl::v1::GetEnvironmentResponse> GetEnvironment(
      const std::string& name) = 0;
  // Reads live state; writes nothing.
  virtual absl::StatusOr<envctl::v1::PlanResponse> Plan(const envctl::v1::PlanRequest& request) = 0;
  // Queues a sync. With wait, blocks until it finished or `timeout` (default 10m) passed
  // (DeadlineExceeded, the sync goes on). FailedPrecondition when suspended.
  virtual absl::StatusOr<envctl::v1::SyncResponse> Sync(const envctl::v1::SyncRequest& request) = 0;
  virtual absl::StatusOr<envctl::v1::SuspendResponse> Suspend(
      const envctl::v1::SuspendRequest& request) = 0;
  virtual absl::StatusOr<envctl::v1::ResumeResponse> Resume(
      const envctl::v1::ResumeRequest& request) = 0;
  // NotFound when `test` is not an IntegrationTest or PipelineRunTest of the environment.
  virtual absl::StatusOr<envctl::v1::RunIntegrationTestResponse> RunIntegrationTest(
      const envctl::v1::RunIntegrationTestRequest& request) = 0;
  // NotFound for an unknown run id.
  virtual absl::StatusOr<envctl::v1::GetRunResponse> GetRun(
      const envctl::v1::GetRunRequest& request) = 0;
  // Approves a revision (default: the pending one) of an environment whose promotion
  // requires approval. FailedPrecondition when nothing is pending and none is named.
  virtual absl::StatusOr<envctl::v1::PromoteResponse> Promote(
      const envctl::v1::PromoteRequest& request) = 0;
  // Pins the environment to an earlier revision until Unpin. FailedPrecondition when the
  // revision cannot be loaded.
  virtual absl::StatusOr<envctl::v1::RollbackResponse> Rollback(
      const envctl::v1::RollbackRequest& request) = 0;
  virtual absl::StatusOr<envctl::v1::UnpinResponse> Unpin(
      const envctl::v1::UnpinRequest& request) = 0;
  // The environment's last revisions, newest first.
  virtual absl::StatusOr<envctl::v1::HistoryResponse> History(
      const envctl::v1::HistoryRequest& request) = 0;
  // Events of `environment` ("" = all).
  virtual std::unique_ptr<EventSubscription> Subscribe(const std::string& environment) = 0;

  // True once the source was loaded and the workers run; otherwise `why` says what is wrong.
  virtual bool Healthy(std::string* why) = 0;
  // A push webhook said the source changed: fetch it now instead of at the next poll.
  virtual void OnSourceChanged(const std::string& reason) = 0;
  // Azure Event Grid reported a write or delete of `change.resource_id`: repair the
  // resources that manage it (level-triggered: the event only names what to look at),
  // unless the change is the echo of envctl's own write.
  virtual void OnCloudResourceChanged(const CloudChange& change) = 0;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_CONTROLLER_API_H_
