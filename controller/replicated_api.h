// ReplicatedApi: the ControllerApi of one replica of a highly available controller. Any
// replica answers any call: reads come from the shared state (etcd) with each
// environment's `owner`; a mutating call (Sync, Suspend, Resume, RunIntegrationTest,
// Promote, Rollback, Unpin) for an environment another replica owns is written to
// <prefix>/calls/<environment>/<id> (bound to this replica's lease), the owner runs it and
// writes the reply to <prefix>/replies/<id>, which this replica returns. Clients need no
// leader address. Webhooks (source pushes, cloud events) are told to every replica through
// <prefix>/notices/<id>; each acts on what it owns. Calls, notices and replies are seen
// through etcd Watches on those prefixes as soon as they are written; behind the watches
// each replica still looks every `watched_poll_interval` (every `poll_interval` when the
// store cannot watch). Thread-safe.
#ifndef ENVCTL_CONTROLLER_REPLICATED_API_H_
#define ENVCTL_CONTROLLER_REPLICATED_API_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controller/controller_api.h"
#include "controller/kv_store.h"
#include "controller/replica_set.h"
#include "envctl/v1/ha.pb.h"

namespace envctl::controller {

struct ReplicatedApiOptions {
  // How often calls, notices and replies are looked for without a watch.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // The same with watches (only what a broken watch stream missed is left to it).
  absl::Duration watched_poll_interval = absl::Seconds(2);
  // How long a forwarded call waits for the owner's reply (a Sync replies when it ends).
  absl::Duration forward_timeout = absl::Minutes(10);
  // How long a notice stays in etcd for the other replicas to see.
  absl::Duration notice_lifetime = absl::Seconds(10);
};

class ReplicatedApi : public ControllerApi {
 public:
  ReplicatedApi(ControllerApi& local, ReplicaSet& replicas, KvStore& kv,
                ReplicatedApiOptions options = {});
  ~ReplicatedApi() override;
  // Starts serving forwarded calls and notices for the environments this replica owns.
  void Start();
  // Stops serving; calls being run here finish first.
  void Stop();

  envctl::v1::ListEnvironmentsResponse ListEnvironments() override;
  absl::StatusOr<envctl::v1::GetEnvironmentResponse> GetEnvironment(
      const std::string& name) override;
  absl::StatusOr<envctl::v1::PlanResponse> Plan(const envctl::v1::PlanRequest& request) override;
  absl::StatusOr<envctl::v1::SyncResponse> Sync(const envctl::v1::SyncRequest& request) override;
  absl::StatusOr<envctl::v1::SuspendResponse> Suspend(
      const envctl::v1::SuspendRequest& request) override;
  absl::StatusOr<envctl::v1::ResumeResponse> Resume(
      const envctl::v1::ResumeRequest& request) override;
  absl::StatusOr<envctl::v1::RunIntegrationTestResponse> RunIntegrationTest(
      const envctl::v1::RunIntegrationTestRequest& request) override;
  absl::StatusOr<envctl::v1::GetRunResponse> GetRun(
      const envctl::v1::GetRunRequest& request) override;
  absl::StatusOr<envctl::v1::PromoteResponse> Promote(
      const envctl::v1::PromoteRequest& request) override;
  absl::StatusOr<envctl::v1::RollbackResponse> Rollback(
      const envctl::v1::RollbackRequest& request) override;
  absl::StatusOr<envctl::v1::UnpinResponse> Unpin(const envctl::v1::UnpinRequest& request) override;
  absl::StatusOr<envctl::v1::HistoryResponse> History(
      const envctl::v1::HistoryRequest& request) override;
  std::unique_ptr<EventSubscription> Subscribe(const std::string& environment) override;
  bool Healthy(std::string* why) override;
  void OnSourceChanged(const std::string& reason) override;
  void OnCloudResourceChanged(const CloudChange& change) override;

  // One look at forwarded calls and notices (the serving loop's step; tests call it).
  void ServeOnce();

 private:
  // Runs `method` here when this replica owns `environment`, else forwards it.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Route(const std::string& method, const std::string& environment,
                                 const Request& request,
                                 absl::StatusOr<Response> (ControllerApi::*local)(const Request&));
  absl::StatusOr<std::string> Forward(const std::string& environment,
                                      const envctl::v1::ForwardedCall& call);
  // Runs a forwarded call on the local controller.
  envctl::v1::ForwardedReply Run(const envctl::v1::ForwardedCall& call);
  void Notify(const std::string& method, const std::string& payload);
  std::string NewId();
  // The look interval: poll_interval, or watched_poll_interval while watches run.
  absl::Duration LookInterval();

  ControllerApi& local_;
  ReplicaSet& replicas_;
  KvStore& kv_;
  const ReplicatedApiOptions options_;

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> running_ ABSL_GUARDED_BY(mu_);                  // call keys being run here
  std::set<std::string> seen_notices_ ABSL_GUARDED_BY(mu_);             // notice keys handled
  std::map<std::string, absl::Time> own_notices_ ABSL_GUARDED_BY(mu_);  // key -> posted
  std::vector<std::thread> call_threads_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool work_ ABSL_GUARDED_BY(mu_) = false;         // a watch saw a call or notice
  uint64_t replies_ ABSL_GUARDED_BY(mu_) = 0;      // replies a watch saw so far
  std::vector<std::unique_ptr<KvWatch>> watches_;  // set in Start, reset in Stop
  std::atomic<bool> watching_{false};
  std::thread loop_;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_REPLICATED_API_H_
