// DataFactoryClient request shapes, run parsing, error mapping and paging.
#include "cloud/datafactory/data_factory_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud_clients/request_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud::datafactory {
namespace {

using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;
using testutil::BodyOf;
using testutil::PathOf;
using testutil::QueryOf;

constexpr char kF[] =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.DataFactory/factories/adf1";

class DataFactoryClientTest : public ::testing::Test {
 protected:
  static arm::ArmClientOptions Options() {
    arm::ArmClientOptions o;
    o.error_service = Service::kDataFactory;
    return o;
  }
  HttpRequest Last() { return transport_.Requests().back(); }

  FakeTransport transport_;
  FakeClock clock_;
  arm::ArmClient arm_{transport_, clock_, "https://arm.test", Options()};
  DataFactoryClient adf_{arm_, "sub1"};
  FactoryRef f_{"rg1", "adf1"};
};

TEST_F(DataFactoryClientTest, FactoryPutReturnsIdentityPrincipal) {
  transport_.Enqueue(
      "PUT", kF, 200,
      R"({"name":"adf1","identity":{"type":"SystemAssigned","principalId":"p-123","tenantId":"t"},
                         "properties":{"provisioningState":"Succeeded"}})");
  auto got =
      adf_.PutFactory(f_, {{"location", "westeurope"}, {"identity", {{"type", "SystemAssigned"}}}});
  ASSERT_OK(got);
  EXPECT_EQ(DataFactoryClient::PrincipalId(*got), "p-123");
  EXPECT_EQ(PathOf(Last().url), kF);
  EXPECT_EQ(QueryOf(Last().url)["api-version"], "2018-06-01");
  EXPECT_EQ(BodyOf(Last())["identity"]["type"], "SystemAssigned");
}

TEST_F(DataFactoryClientTest, FactoryGetPatchDelete) {
  transport_.Enqueue("GET", kF, 404,
                     R"({"error":{"code":"ResourceNotFound","message":"no factory"}})");
  auto missing = adf_.GetFactory(f_);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("Data Factory 404")));
  transport_.Enqueue("PATCH", kF, 200, R"({"name":"adf1","tags":{"a":"1"}})");
  ASSERT_OK(adf_.PatchFactory(f_, {{"tags", {{"a", "1"}}}}));
  EXPECT_EQ(Last().method, "PATCH");
  transport_.Enqueue("DELETE", kF, 204);
  ASSERT_OK(adf_.DeleteFactory(f_));
}

TEST_F(DataFactoryClientTest, EntitiesUseLowerCaseSegmentsAndOptionalIfMatch) {
  const std::pair<EntityKind, const char*> kinds[] = {
      {EntityKind::kLinkedService, "linkedservices"},
      {EntityKind::kDataset, "datasets"},
      {EntityKind::kPipeline, "pipelines"},
      {EntityKind::kTrigger, "triggers"}};
  for (const auto& [kind, segment] : kinds) {
    const std::string path = std::string(kF) + "/" + segment + "/e1";
    transport_.Enqueue("PUT", path, 200, R"({"name":"e1","etag":"e-2","properties":{}})");
    auto got = adf_.PutEntity(f_, kind, "e1", {{"properties", {{"type", "X"}}}}, "e-1");
    ASSERT_OK(got);
    EXPECT_EQ((*got)["etag"], "e-2");
    EXPECT_EQ(PathOf(Last().url), path);
    EXPECT_EQ(Last().headers.at("If-Match"), "e-1");
    EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"properties", {{"type", "X"}}}}));
  }
  transport_.Enqueue("PUT", "/pipelines/p2", 200, R"({"name":"p2"})");
  ASSERT_OK(
      adf_.PutEntity(f_, EntityKind::kPipeline, "p2", {{"properties", nlohmann::json::object()}}));
  EXPECT_EQ(Last().headers.count("If-Match"), 0u);
}

TEST_F(DataFactoryClientTest, EtagMismatchIsFailedPrecondition) {
  transport_.Enqueue("PUT", "/datasets/d", 412,
                     R"({"error":{"code":"PreconditionFailed","message":"etag mismatch"}})");
  auto got = adf_.PutEntity(f_, EntityKind::kDataset, "d", nlohmann::json::object(), "old");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("etag mismatch")));
}

TEST_F(DataFactoryClientTest, StartedTriggerCannotBeUpdated) {
  transport_.Enqueue(
      "PUT", "/triggers/t", 400,
      R"({"error":{"code":"TriggerEnabledCannotUpdate","message":"Cannot update enabled Trigger; the trigger needs to be disabled first. "}})");
  auto got = adf_.PutEntity(f_, EntityKind::kTrigger, "t", nlohmann::json::object());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("disabled first")));
  EXPECT_EQ(ServiceErrorCode(got.status()), "TriggerEnabledCannotUpdate");
}

TEST_F(DataFactoryClientTest, DeleteOfReferencedEntityIsFailedPrecondition) {
  transport_.Enqueue(
      "DELETE", "/linkedservices/kv", 400,
      R"({"error":{"code":"BadRequest","message":"The document cannot be deleted since it is referenced by ds1.","target":null}})");
  absl::Status st = adf_.DeleteEntity(f_, EntityKind::kLinkedService, "kv");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("referenced by ds1")));
  EXPECT_EQ(ServiceErrorCode(st), "BadRequest");
  transport_.Enqueue("DELETE", "/datasets/gone", 204);
  EXPECT_OK(adf_.DeleteEntity(f_, EntityKind::kDataset, "gone"));
}

TEST_F(DataFactoryClientTest, ListEntitiesPages) {
  transport_.Enqueue("GET", "/pipelines?", 200,
                     R"({"value":[{"name":"a"}],"nextLink":"https://arm.test/next-pipelines"})");
  transport_.Enqueue("GET", "/next-pipelines", 200, R"({"value":[{"name":"b"}]})");
  auto got = adf_.ListEntities(f_, EntityKind::kPipeline);
  ASSERT_OK(got);
  EXPECT_EQ(got->size(), 2u);
}

TEST_F(DataFactoryClientTest, TriggerStartStopAndRuntimeState) {
  transport_.Enqueue("POST", "/triggers/t1/start", 200);
  ASSERT_OK(adf_.StartTrigger(f_, "t1"));
  EXPECT_EQ(PathOf(Last().url), std::string(kF) + "/triggers/t1/start");
  EXPECT_TRUE(Last().body.empty());
  transport_.Enqueue("POST", "/triggers/t1/stop", 200);
  ASSERT_OK(adf_.StopTrigger(f_, "t1"));
  transport_.Enqueue("GET", "/triggers/t1", 200, R"({"properties":{"runtimeState":"Started"}})");
  auto state = adf_.TriggerRuntimeState(f_, "t1");
  ASSERT_OK(state);
  EXPECT_EQ(*state, "Started");
}

TEST_F(DataFactoryClientTest, CreateRunSendsParametersAndIsNotRetrySafe) {
  transport_.Enqueue("POST", "/pipelines/p1/createRun", 200, R"({"runId":"run-1"})");
  auto run_id = adf_.CreateRun(f_, "p1", {{"runDate", "2024-01-01"}});
  ASSERT_OK(run_id);
  EXPECT_EQ(*run_id, "run-1");
  EXPECT_EQ(BodyOf(Last()), nlohmann::json({{"runDate", "2024-01-01"}}));
  EXPECT_FALSE(Last().IsIdempotent());

  transport_.Enqueue("POST", "/pipelines/p2/createRun", 200, R"({"runId":"run-2"})");
  ASSERT_OK(adf_.CreateRun(f_, "p2", nullptr));
  EXPECT_EQ(Last().body, "{}");

  transport_.Enqueue("POST", "/pipelines/p3/createRun", 200, R"({})");
  EXPECT_THAT(adf_.CreateRun(f_, "p3", nullptr),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no runId")));
}

TEST_F(DataFactoryClientTest, PipelineRunParsesStatusAndMessage) {
  transport_.Enqueue(
      "GET", "/pipelineruns/r1", 200,
      R"({"runId":"r1","pipelineName":"p1","status":"Failed","message":"Activity failed",
                         "runStart":"2024-01-01T00:00:00Z","runEnd":"2024-01-01T00:01:00Z"})");
  auto run = adf_.GetPipelineRun(f_, "r1");
  ASSERT_OK(run);
  EXPECT_EQ(run->status, RunStatus::kFailed);
  EXPECT_TRUE(IsTerminal(run->status));
  EXPECT_EQ(run->message, "Activity failed");
  EXPECT_EQ(run->pipeline_name, "p1");
  EXPECT_EQ(run->run_end, "2024-01-01T00:01:00Z");

  const std::pair<const char*, RunStatus> statuses[] = {
      {"Queued", RunStatus::kQueued},       {"InProgress", RunStatus::kInProgress},
      {"Succeeded", RunStatus::kSucceeded}, {"Canceling", RunStatus::kCanceling},
      {"Cancelled", RunStatus::kCancelled}, {"Weird", RunStatus::kUnknown}};
  for (const auto& [text, want] : statuses) {
    EXPECT_EQ(ParseRunStatus(text), want) << text;
  }
  EXPECT_FALSE(IsTerminal(RunStatus::kCanceling));
  EXPECT_STREQ(RunStatusName(RunStatus::kCancelled), "Cancelled");
}

TEST_F(DataFactoryClientTest, UnknownRunIsNotFound) {
  transport_.Enqueue(
      "GET", "/pipelineruns/nope", 404,
      R"({"error":{"code":"PipelineRunNotFound","message":"Pipeline run nope not found"}})");
  EXPECT_THAT(adf_.GetPipelineRun(f_, "nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope not found")));
}

TEST_F(DataFactoryClientTest, CancelRunWithRecursiveFlag) {
  transport_.Enqueue("POST", "/pipelineruns/r1/cancel", 200);
  ASSERT_OK(adf_.CancelPipelineRun(f_, "r1", /*recursive=*/true));
  EXPECT_EQ(QueryOf(Last().url)["isRecursive"], "true");
}

TEST_F(DataFactoryClientTest, QueryActivityRunsSendsWindowAndFollowsContinuationToken) {
  transport_.Enqueue("POST", "/queryActivityruns", 200,
                     R"({"value":[{"activityName":"A"}],"continuationToken":"tok2"})");
  transport_.Enqueue("POST", "/queryActivityruns", 200, R"({"value":[{"activityName":"B"}]})");
  const absl::Time after = absl::FromUnixSeconds(1'700'000'000);
  auto got = adf_.QueryActivityRuns(f_, "r1", after, after + absl::Hours(1));
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1]["activityName"], "B");
  const auto requests = transport_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  const nlohmann::json first = BodyOf(requests[0]);
  EXPECT_EQ(first["lastUpdatedAfter"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(first["lastUpdatedBefore"], "2023-11-14T23:13:20Z");
  EXPECT_FALSE(first.contains("continuationToken"));
  EXPECT_EQ(BodyOf(requests[1])["continuationToken"], "tok2");
  EXPECT_EQ(PathOf(requests[0].url), std::string(kF) + "/pipelineruns/r1/queryActivityruns");
}

}  // namespace
}  // namespace envctl::cloud::datafactory
