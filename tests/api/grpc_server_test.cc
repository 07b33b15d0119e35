// GrpcServer through a real loopback server and channel, against FakeControllerApi.
#include "api/grpc_server.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/internal/status_convert.h"
#include "api/internal/token_auth.h"
#include "envctl/v1/service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_controller_api.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::api {
namespace {

using ::envctl::testing::FakeControllerApi;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::envctl::v1;

constexpr char kToken[] = "s3cr3t-token-value";

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddEnvironment("dev", {"smoke"});
    fake_.AddEnvironment("test");
  }

  void StartServer(const std::string& token = "") {
    GrpcServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth_token = token;
    options.shutdown_deadline = absl::Seconds(2);
    auto server = GrpcServer::Start(fake_, options);
    ASSERT_OK(server);
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::EnvironmentService::NewStub(channel_);
  }

  // A client context with a deadline, so a broken server fails the test instead of hanging.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
    return context;
  }

  grpc::Status Plan(const std::string& environment, const std::string& authorization = "") {
    v1::PlanRequest request;
    request.set_environment(environment);
    v1::PlanResponse response;
    return stub_->Plan(Context(authorization).get(), request, &response);
  }

  static v1::Event MakeEvent(const std::string& environment, const std::string& message) {
    v1::Event event;
    event.set_type(v1::EVENT_TYPE_RESOURCE_RECONCILED);
    event.set_environment(environment);
    event.set_message(message);
    return event;
  }

  FakeControllerApi fake_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EnvironmentService::Stub> stub_;
};

// --- Every RPC: happy path and errors ------------------------------------------------

TEST_F(GrpcServerTest, ListEnvironmentsReturnsEveryEnvironment) {
  StartServer();
  v1::ListEnvironmentsResponse response;
  ASSERT_TRUE(stub_->ListEnvironments(Context().get(), {}, &response).ok());
  ASSERT_EQ(response.environments_size(), 2);
  EXPECT_EQ(response.environments(0).name(), "dev");
  EXPECT_EQ(response.environments(1).name(), "test");
}

TEST_F(GrpcServerTest, GetEnvironmentReturnsSpecAndStatus) {
  StartServer();
  v1::GetEnvironmentRequest request;
  request.set_name("dev");
  v1::GetEnvironmentResponse response;
  ASSERT_TRUE(stub_->GetEnvironment(Context().get(), request, &response).ok());
  EXPECT_EQ(response.spec().name(), "dev");
  EXPECT_EQ(response.status().name(), "dev");
}

TEST_F(GrpcServerTest, GetEnvironmentOfAnUnknownEnvironmentIsNotFound) {
  StartServer();
  v1::GetEnvironmentRequest request;
  request.set_name("prod");
  v1::GetEnvironmentResponse response;
  grpc::Status status = stub_->GetEnvironment(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("prod"));
}

TEST_F(GrpcServerTest, GetEnvironmentWithoutANameIsInvalidArgumentNamingTheField) {
  StartServer();
  v1::GetEnvironmentResponse response;
  grpc::Status status = stub_->GetEnvironment(Context().get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("name: required"));
}

TEST_F(GrpcServerTest, PlanReturnsTheControllersChanges) {
  StartServer();
  v1::PlanRequest request;
  request.set_environment("dev");
  v1::PlanResponse response;
  ASSERT_TRUE(stub_->Plan(Context().get(), request, &response).ok());
  EXPECT_EQ(response.environment(), "dev");
  ASSERT_EQ(response.changes_size(), 1);
  EXPECT_EQ(response.changes(0).action(), v1::CHANGE_ACTION_CREATE);
  EXPECT_FALSE(response.in_sync());
}

TEST_F(GrpcServerTest, PlanWithoutAnEnvironmentIsInvalidArgumentNamingTheField) {
  StartServer();
  grpc::Status status = Plan("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("environment: required"));
}

TEST_F(GrpcServerTest, PlanOfAnUnknownEnvironmentIsNotFound) {
  StartServer();
  EXPECT_EQ(Plan("prod").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, EveryControllerErrorKeepsItsCodeAndMessage) {
  StartServer();
  for (int code = 1; code <= 16; ++code) {
    SCOPED_TRACE(absl::StrCat("absl code ", code));
    fake_.FailNext("Plan",
                   absl::Status(static_cast<absl::StatusCode>(code), "boom from controller"));
    grpc::Status status = Plan("dev");
    EXPECT_EQ(static_cast<int>(status.error_code()), code);
    EXPECT_EQ(status.error_message(), "boom from controller");
  }
}

TEST_F(GrpcServerTest, StatusCodesMapOneToOne) {
  EXPECT_EQ(internal::ToGrpcCode(absl::StatusCode::kNotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(internal::ToGrpcCode(absl::StatusCode::kFailedPrecondition),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(internal::ToGrpcCode(absl::StatusCode::kDeadlineExceeded),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(internal::ToGrpcCode(absl::StatusCode::kInvalidArgument),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(internal::ToGrpcCode(absl::StatusCode::kUnauthenticated),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(internal::ToGrpcCode(static_cast<absl::StatusCode>(99)), grpc::StatusCode::UNKNOWN);
  EXPECT_TRUE(internal::ToGrpcStatus(absl::OkStatus()).ok());
}

TEST_F(GrpcServerTest, SyncReturnsASyncId) {
  StartServer();
  v1::SyncRequest request;
  request.set_environment("dev");
  v1::SyncResponse response;
  ASSERT_TRUE(stub_->Sync(Context().get(), request, &response).ok());
  EXPECT_THAT(response.sync_id(), HasSubstr("sync-"));
  EXPECT_FALSE(response.converged());
}

TEST_F(GrpcServerTest, SyncWithWaitReturnsTheStatusAfterTheSync) {
  StartServer();
  v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);
  request.mutable_timeout()->set_seconds(5);
  v1::SyncResponse response;
  ASSERT_TRUE(stub_->Sync(Context().get(), request, &response).ok());
  EXPECT_TRUE(response.converged());
  EXPECT_EQ(response.status().name(), "dev");
  ASSERT_EQ(fake_.sync_requests().size(), 1u);
  EXPECT_EQ(fake_.sync_requests()[0].timeout().seconds(), 5);
}

TEST_F(GrpcServerTest, SyncWaitStopsWaitingAtTheClientsDeadline) {
  StartServer();
  v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);  // default timeout: 10m, far beyond the 10s client deadline
  v1::SyncResponse response;
  ASSERT_TRUE(stub_->Sync(Context().get(), request, &response).ok());
  ASSERT_EQ(fake_.sync_requests().size(), 1u);
  const google::protobuf::Duration timeout = fake_.sync_requests()[0].timeout();
  EXPECT_LE(timeout.seconds(), 10);
  EXPECT_GT(timeout.seconds() * 1'000'000'000LL + timeout.nanos(), 0);
}

TEST_F(GrpcServerTest, SyncWithANegativeTimeoutIsInvalidArgumentNamingTheField) {
  StartServer();
  v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);
  request.mutable_timeout()->set_seconds(-5);
  v1::SyncResponse response;
  grpc::Status status = stub_->Sync(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("timeout:"));
  EXPECT_TRUE(fake_.sync_requests().empty());
}

TEST_F(GrpcServerTest, SyncOfASuspendedEnvironmentIsFailedPrecondition) {
  StartServer();
  v1::SuspendRequest suspend;
  suspend.set_environment("dev");
  v1::SuspendResponse suspended;
  ASSERT_TRUE(stub_->Suspend(Context().get(), suspend, &suspended).ok());
  v1::SyncRequest request;
  request.set_environment("dev");
  v1::SyncResponse response;
  grpc::Status status = stub_->Sync(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("suspended"));
}

TEST_F(GrpcServerTest, SyncThatTimesOutInTheControllerIsDeadlineExceeded) {
  StartServer();
  fake_.FailNext("Sync", absl::DeadlineExceededError("sync still running after 5s"));
  v1::SyncRequest request;
  request.set_environment("dev");
  request.set_wait(true);
  v1::SyncResponse response;
  grpc::Status status = stub_->Sync(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(status.error_message(), "sync still running after 5s");
}

TEST_F(GrpcServerTest, SyncWithoutAnEnvironmentIsInvalidArgument) {
  StartServer();
  v1::SyncResponse response;
  grpc::Status status = stub_->Sync(Context().get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("environment: required"));
}

TEST_F(GrpcServerTest, SuspendThenResumeFlipsTheSuspendedFlag) {
  StartServer();
  v1::SuspendRequest suspend;
  suspend.set_environment("dev");
  suspend.set_reason("maintenance");
  v1::SuspendResponse suspended;
  ASSERT_TRUE(stub_->Suspend(Context().get(), suspend, &suspended).ok());
  EXPECT_TRUE(suspended.status().suspended());
  v1::ResumeRequest resume;
  resume.set_environment("dev");
  v1::ResumeResponse resumed;
  ASSERT_TRUE(stub_->Resume(Context().get(), resume, &resumed).ok());
  EXPECT_FALSE(resumed.status().suspended());
}

TEST_F(GrpcServerTest, SuspendAndResumeValidateAndMapNotFound) {
  StartServer();
  v1::SuspendResponse suspended;
  EXPECT_EQ(stub_->Suspend(Context().get(), {}, &suspended).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ResumeRequest resume;
  resume.set_environment("prod");
  v1::ResumeResponse resumed;
  EXPECT_EQ(stub_->Resume(Context().get(), resume, &resumed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ResumeResponse empty;
  grpc::Status status = stub_->Resume(Context().get(), {}, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("environment: required"));
}

TEST_F(GrpcServerTest, RunIntegrationTestStartsARunThatGetRunReturns) {
  StartServer();
  v1::RunIntegrationTestRequest request;
  request.set_environment("dev");
  request.set_test("smoke");
  request.set_wait(true);
  v1::RunIntegrationTestResponse started;
  ASSERT_TRUE(stub_->RunIntegrationTest(Context().get(), request, &started).ok());
  EXPECT_EQ(started.run().test(), "smoke");
  EXPECT_EQ(started.run().result(), v1::RUN_RESULT_SUCCEEDED);

  v1::GetRunRequest get;
  get.set_run_id(started.run().run_id());
  v1::GetRunResponse run;
  ASSERT_TRUE(stub_->GetRun(Context().get(), get, &run).ok());
  EXPECT_EQ(run.run().run_id(), started.run().run_id());
  EXPECT_EQ(run.run().environment(), "dev");
}

TEST_F(GrpcServerTest, RunIntegrationTestOfAnUnknownTestIsNotFound) {
  StartServer();
  v1::RunIntegrationTestRequest request;
  request.set_environment("dev");
  request.set_test("nope");
  v1::RunIntegrationTestResponse response;
  grpc::Status status = stub_->RunIntegrationTest(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nope"));
}

TEST_F(GrpcServerTest, RunIntegrationTestNamesTheMissingField) {
  StartServer();
  v1::RunIntegrationTestRequest request;
  v1::RunIntegrationTestResponse response;
  grpc::Status status = stub_->RunIntegrationTest(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("environment: required"));
  request.set_environment("dev");
  status = stub_->RunIntegrationTest(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("test: required"));
}

TEST_F(GrpcServerTest, GetRunOfAnUnknownRunIsNotFoundAndOfNoRunIsInvalid) {
  StartServer();
  v1::GetRunRequest request;
  v1::GetRunResponse response;
  grpc::Status status = stub_->GetRun(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("run_id: required"));
  request.set_run_id("run-404");
  EXPECT_EQ(stub_->GetRun(Context().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// --- Auth ----------------------------------------------------------------------------

TEST_F(GrpcServerTest, WithATokenACallWithoutAuthorizationIsUnauthenticated) {
  StartServer(kToken);
  grpc::Status status = Plan("dev");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("Bearer"));
}

TEST_F(GrpcServerTest, WithATokenAWrongTokenIsUnauthenticatedAndNotEchoed) {
  StartServer(kToken);
  for (const std::string& header :
       {std::string("Bearer wrong"), absl::StrCat("Bearer ", kToken, "x"),
        std::string("Bearer ") + std::string(kToken).substr(1), std::string(kToken),
        std::string("Basic ") + kToken, std::string("Bearer")}) {
    SCOPED_TRACE(header);
    grpc::Status status = Plan("dev", header);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), Not(HasSubstr(kToken)));
  }
}

TEST_F(GrpcServerTest, WithATokenTheRightBearerTokenIsAccepted) {
  StartServer(kToken);
  EXPECT_TRUE(Plan("dev", absl::StrCat("Bearer ", kToken)).ok());
  EXPECT_TRUE(Plan("dev", absl::StrCat("bearer ", kToken)).ok());
  v1::ListEnvironmentsResponse response;
  EXPECT_TRUE(
      stub_->ListEnvironments(Context(absl::StrCat("Bearer ", kToken)).get(), {}, &response).ok());
}

TEST_F(GrpcServerTest, WithATokenWatchEventsNeedsItToo) {
  StartServer(kToken);
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), {});
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(fake_.subscriptions_total(), 0);
}

TEST_F(GrpcServerTest, PromotionRpcsNeedTheTokenAndRecordWhoAsked) {
  StartServer(kToken);
  v1::PromoteRequest promote;
  promote.set_environment("test");
  promote.set_revision("abc123");
  promote.set_requested_by("alice");
  v1::PromoteResponse promoted;
  EXPECT_EQ(stub_->Promote(Context().get(), promote, &promoted).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string bearer = absl::StrCat("Bearer ", kToken);
  ASSERT_TRUE(stub_->Promote(Context(bearer).get(), promote, &promoted).ok());
  ASSERT_EQ(promoted.promotion().approvals_size(), 1);
  EXPECT_EQ(promoted.promotion().approvals(0).by(), "alice");

  v1::RollbackRequest rollback;
  rollback.set_environment("test");
  v1::RollbackResponse rolled;
  grpc::Status missing = stub_->Rollback(Context(bearer).get(), rollback, &rolled);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(missing.error_message(), HasSubstr("to_revision: required"));
  rollback.set_to_revision("abc000");  // no requested_by: the peer address is recorded
  ASSERT_TRUE(stub_->Rollback(Context(bearer).get(), rollback, &rolled).ok());
  EXPECT_EQ(rolled.promotion().pinned_revision(), "abc000");
  EXPECT_THAT(rolled.promotion().pinned_by(), HasSubstr("127.0.0.1"));

  v1::UnpinRequest unpin;
  unpin.set_environment("test");
  v1::UnpinResponse unpinned;
  ASSERT_TRUE(stub_->Unpin(Context(bearer).get(), unpin, &unpinned).ok());
  EXPECT_EQ(unpinned.promotion().pinned_revision(), "");

  v1::HistoryRequest history;
  history.set_environment("prod");
  v1::HistoryResponse got;
  EXPECT_EQ(stub_->History(Context(bearer).get(), history, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// --- Health and reflection -----------------------------------------------------------

grpc::health::v1::HealthCheckResponse::ServingStatus CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    grpc::Status* status) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  *status = stub->Check(&context, request, &response);
  return response.status();
}

TEST_F(GrpcServerTest, HealthReportsServingForTheServerAndTheServiceWithoutAToken) {
  StartServer(kToken);
  grpc::Status status;
  EXPECT_EQ(CheckHealth(channel_, "", &status), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(CheckHealth(channel_, "envctl.v1.EnvironmentService", &status),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_TRUE(status.ok()) << status.error_message();
  CheckHealth(channel_, "no.such.Service", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

// Asks the reflection service to list services, the way `grpcurl list` does. libgrpc++
// ships no reflection client headers, but its descriptors are in the generated pool, so
// the response is decoded with a dynamic message.
std::string ListServicesViaReflection(const std::shared_ptr<grpc::Channel>& channel,
                                      grpc::Status* status) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* request_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
  const auto* response_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request_type == nullptr || response_type == nullptr) return "(no reflection descriptors)";
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(request_type)->New());
  if (!google::protobuf::TextFormat::ParseFromString("list_services: \"*\"", request.get())) {
    return "(cannot build request)";
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::internal::RpcMethod method("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                   grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(), method, &context));
  std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer out(&slice, 1);
  std::string text;
  if (stream->Write(out)) {
    stream->WritesDone();
    grpc::ByteBuffer in;
    while (stream->Read(&in)) {
      std::vector<grpc::Slice> slices;
      (void)in.Dump(&slices);
      std::string raw;
      for (const auto& s : slices) raw.append(reinterpret_cast<const char*>(s.begin()), s.size());
      std::unique_ptr<google::protobuf::Message> response(
          factory.GetPrototype(response_type)->New());
      if (response->ParseFromString(raw)) text += response->DebugString();
    }
  }
  *status = stream->Finish();
  return text;
}

TEST_F(GrpcServerTest, ReflectionListsTheEnvironmentServiceWithoutAToken) {
  StartServer(kToken);
  grpc::Status status;
  std::string listing = ListServicesViaReflection(channel_, &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(listing, HasSubstr("name: \"envctl.v1.EnvironmentService\""));
  EXPECT_THAT(listing, HasSubstr("name: \"grpc.health.v1.Health\""));
}

// --- WatchEvents -------------------------------------------------------------------------

TEST_F(GrpcServerTest, WatchEventsDeliversEventsInOrder) {
  StartServer();
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), {});
  ASSERT_TRUE(fake_.WaitForOpenSubscriptions(1));
  for (int i = 0; i < 5; ++i) fake_.Publish(MakeEvent("dev", absl::StrCat("event ", i)));
  std::vector<std::string> got;
  v1::Event event;
  while (got.size() < 5 && reader->Read(&event)) got.push_back(event.message());
  EXPECT_THAT(got, ElementsAre("event 0", "event 1", "event 2", "event 3", "event 4"));
  context->TryCancel();
  EXPECT_TRUE(fake_.WaitForOpenSubscriptions(0));
}

TEST_F(GrpcServerTest, WatchEventsOfOneEnvironmentSkipsTheOthers) {
  StartServer();
  auto context = Context();
  v1::WatchEventsRequest request;
  request.set_environment("test");
  auto reader = stub_->WatchEvents(context.get(), request);
  ASSERT_TRUE(fake_.WaitForOpenSubscriptions(1));
  fake_.Publish(MakeEvent("dev", "for dev"));
  fake_.Publish(MakeEvent("test", "for test"));
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.message(), "for test");
  EXPECT_EQ(event.environment(), "test");
  context->TryCancel();
}

TEST_F(GrpcServerTest, WatchEventsEndsAndClosesTheSubscriptionWhenTheClientCancels) {
  StartServer();
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), {});
  ASSERT_TRUE(fake_.WaitForOpenSubscriptions(1));
  context->TryCancel();
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(fake_.WaitForOpenSubscriptions(0));
}

TEST_F(GrpcServerTest, WatchEventsEndsWhenTheServerShutsDown) {
  StartServer();
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), {});
  ASSERT_TRUE(fake_.WaitForOpenSubscriptions(1));
  const absl::Time start = absl::Now();
  server_->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));  // not the cancel-at-deadline path
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(fake_.WaitForOpenSubscriptions(0));
}

// --- Lifecycle -----------------------------------------------------------------------

TEST_F(GrpcServerTest, StartOnATakenPortIsUnavailableNamingTheAddress) {
  StartServer();
  GrpcServerOptions options;
  options.listen = absl::StrCat("127.0.0.1:", server_->port());
  auto second = GrpcServer::Start(fake_, options);
  EXPECT_THAT(second, testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr(options.listen)));
}

TEST_F(GrpcServerTest, StartWithAMalformedListenAddressIsInvalidArgument) {
  for (const char* listen : {"", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":50051"}) {
    SCOPED_TRACE(listen);
    GrpcServerOptions options;
    options.listen = listen;
    EXPECT_THAT(GrpcServer::Start(fake_, options),
                testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host:port")));
  }
}

TEST_F(GrpcServerTest, ShutdownTwiceIsHarmlessAndRefusesNewCalls) {
  StartServer();
  server_->Shutdown();
  server_->Shutdown();
  EXPECT_EQ(Plan("dev").error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace envctl::api
