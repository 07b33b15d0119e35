#include "api/internal/environment_service.h"

#include <chrono>
#include <exception>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/status_convert.h"
#include "google/protobuf/util/time_util.h"

namespace envctl::api::internal {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kDefaultSyncTimeout = absl::Minutes(10);

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

grpc::Status Required(const char* field, const char* what) {
  return Invalid(absl::StrCat(field, ": required (", what, ")"));
}

// The time left until the client's deadline, or InfiniteDuration when it set none.
absl::Duration RemainingUntilDeadline(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteDuration();
  return absl::FromChrono(deadline - std::chrono::system_clock::now());
}

}  // namespace

EnvironmentService::EnvironmentService(controller::ControllerApi& api, std::string auth_token)
    : api_(api), auth_(std::move(auth_token)) {}

void EnvironmentService::BeginShutdown() {
  shutting_down_.store(true);
  absl::MutexLock lock(&mu_);
  for (controller::EventSubscription* sub : watches_) sub->Close();
  watches_.clear();
}

template <typename Body>
grpc::Status EnvironmentService::Guarded(grpc::ServerContext* context, const char* method,
                                         Body&& body) {
  grpc::Status auth = auth_.Check(*context);
  if (!auth.ok()) return auth;
  try {
    return body();
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method, ": internal error: ", e.what()));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat(method, ": internal error"));
  }
}

grpc::Status EnvironmentService::ListEnvironments(grpc::ServerContext* context,
                                                  const envctl::v1::ListEnvironmentsRequest*,
                                                  envctl::v1::ListEnvironmentsResponse* response) {
  return Guarded(context, "ListEnvironments", [&] {
    *response = api_.ListEnvironments();
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::GetEnvironment(grpc::ServerContext* context,
                                                const envctl::v1::GetEnvironmentRequest* request,
                                                envctl::v1::GetEnvironmentResponse* response) {
  return Guarded(context, "GetEnvironment", [&] {
    if (request->name().empty()) return Required("name", "the environment to get");
    auto result = api_.GetEnvironment(request->name());
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Plan(grpc::ServerContext* context,
                                      const envctl::v1::PlanRequest* request,
                                      envctl::v1::PlanResponse* response) {
  return Guarded(context, "Plan", [&] {
    if (request->environment().empty()) return Required("environment", "the environment to plan");
    auto result = api_.Plan(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Sync(grpc::ServerContext* context,
                                      const envctl::v1::SyncRequest* request,
                                      envctl::v1::SyncResponse* response) {
  return Guarded(context, "Sync", [&] {
    if (request->environment().empty()) return Required("environment", "the environment to sync");
    envctl::v1::SyncRequest effective = *request;
    if (request->has_timeout()) {
      const auto& t = request->timeout();
      if (t.seconds() < 0 || t.nanos() < 0 || t.nanos() > 999'999'999 ||
          t.seconds() > TimeUtil::kDurationMaxSeconds) {
        return Invalid(
            absl::StrCat("timeout: must be a non-negative duration (got seconds=", t.seconds(),
                         " nanos=", t.nanos(), "); omit it for the default 10m"));
      }
    }
    if (request->wait()) {
      // A wait longer than the client will listen only keeps a server thread busy: stop
      // waiting at the client's deadline (the sync itself goes on either way).
      absl::Duration timeout = kDefaultSyncTimeout;
      if (request->has_timeout() && (request->timeout().seconds() || request->timeout().nanos())) {
        timeout = absl::Seconds(request->timeout().seconds()) +
                  absl::Nanoseconds(request->timeout().nanos());
      }
      const absl::Duration remaining = RemainingUntilDeadline(*context);
      if (remaining < timeout) {
        // At least 1ms: a zero timeout would mean "the default" to the controller.
        timeout = std::max(remaining, absl::Milliseconds(1));
        *effective.mutable_timeout() =
            TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(timeout));
      }
    }
    auto result = api_.Sync(effective);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Suspend(grpc::ServerContext* context,
                                         const envctl::v1::SuspendRequest* request,
                                         envctl::v1::SuspendResponse* response) {
  return Guarded(context, "Suspend", [&] {
    if (request->environment().empty()) {
      return Required("environment", "the environment to suspend");
    }
    auto result = api_.Suspend(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

namespace {
// Who asked, for the history: the client's own name when it sent one, else its address.
std::string Requester(const std::string& requested_by, const grpc::ServerContext& context) {
  return requested_by.empty() ? context.peer() : requested_by;
}
}  // namespace

grpc::Status EnvironmentService::Promote(grpc::ServerContext* context,
                                         const envctl::v1::PromoteRequest* request,
                                         envctl::v1::PromoteResponse* response) {
  return Guarded(context, "Promote", [&] {
    if (request->environment().empty())
      return Required("environment", "the environment to promote");
    envctl::v1::PromoteRequest effective = *request;
    effective.set_requested_by(Requester(request->requested_by(), *context));
    auto result = api_.Promote(effective);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Rollback(grpc::ServerContext* context,
                                          const envctl::v1::RollbackRequest* request,
                                          envctl::v1::RollbackResponse* response) {
  return Guarded(context, "Rollback", [&] {
    if (request->environment().empty())
      return Required("environment", "the environment to roll back");
    if (request->to_revision().empty())
      return Required("to_revision", "the revision to go back to");
    envctl::v1::RollbackRequest effective = *request;
    effective.set_requested_by(Requester(request->requested_by(), *context));
    auto result = api_.Rollback(effective);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Unpin(grpc::ServerContext* context,
                                       const envctl::v1::UnpinRequest* request,
                                       envctl::v1::UnpinResponse* response) {
  return Guarded(context, "Unpin", [&] {
    if (request->environment().empty()) return Required("environment", "the environment to unpin");
    envctl::v1::UnpinRequest effective = *request;
    effective.set_requested_by(Requester(request->requested_by(), *context));
    auto result = api_.Unpin(effective);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::History(grpc::ServerContext* context,
                                         const envctl::v1::HistoryRequest* request,
                                         envctl::v1::HistoryResponse* response) {
  return Guarded(context, "History", [&] {
    if (request->environment().empty()) return Required("environment", "the environment");
    auto result = api_.History(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::Resume(grpc::ServerContext* context,
                                        const envctl::v1::ResumeRequest* request,
                                        envctl::v1::ResumeResponse* response) {
  return Guarded(context, "Resume", [&] {
    if (request->environment().empty()) return Required("environment", "the environment to resume");
    auto result = api_.Resume(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::RunIntegrationTest(
    grpc::ServerContext* context, const envctl::v1::RunIntegrationTestRequest* request,
    envctl::v1::RunIntegrationTestResponse* response) {
  return Guarded(context, "RunIntegrationTest", [&] {
    if (request->environment().empty()) {
      return Required("environment", "the environment the test belongs to");
    }
    if (request->test().empty()) {
      return Required("test", "the name of an IntegrationTest or PipelineRunTest resource");
    }
    auto result = api_.RunIntegrationTest(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::GetRun(grpc::ServerContext* context,
                                        const envctl::v1::GetRunRequest* request,
                                        envctl::v1::GetRunResponse* response) {
  return Guarded(context, "GetRun", [&] {
    if (request->run_id().empty()) return Required("run_id", "the id of the run to get");
    auto result = api_.GetRun(*request);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  });
}

grpc::Status EnvironmentService::WatchEvents(grpc::ServerContext* context,
                                             const envctl::v1::WatchEventsRequest* request,
                                             grpc::ServerWriter<envctl::v1::Event>* writer) {
  return Guarded(context, "WatchEvents", [&] {
    std::unique_ptr<controller::EventSubscription> sub = api_.Subscribe(request->environment());
    if (sub == nullptr) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "WatchEvents: controller refused to subscribe");
    }
    {
      absl::MutexLock lock(&mu_);
      // Checked under the lock so a concurrent BeginShutdown either sees this
      // subscription or this call sees the flag.
      if (shutting_down_.load()) {
        sub->Close();
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
      }
      watches_.insert(sub.get());
    }
    bool client_gone = false;
    envctl::v1::Event event;
    while (!context->IsCancelled() && !shutting_down_.load()) {
      if (!sub->Next(&event, kWatchPollInterval)) continue;
      if (!writer->Write(event)) {
        client_gone = true;
        break;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      // Not in the set any more means BeginShutdown already closed it.
      if (watches_.erase(sub.get()) > 0) sub->Close();
    }
    if (shutting_down_.load()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
    }
    if (client_gone || context->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled the stream");
    }
    return grpc::Status::OK;
  });
}

}  // namespace envctl::api::internal
