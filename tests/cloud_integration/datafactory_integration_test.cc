// DataFactoryClient against cloudsim through CloudSession::DataFactory(): factory with a
// managed identity, linked services / datasets / pipelines / triggers with etags, trigger
// start/stop, reference-integrity errors, pipeline runs to completion and cancellation,
// activity-run queries.
#include "cloud/arm/resource_groups.h"
#include "cloud/datafactory/data_factory_client.h"
#include "cloud/errors.h"
#include "tests/cloud_integration/clients_fixture.h"

namespace envctl::cloud {
namespace {

using datafactory::DataFactoryClient;
using datafactory::EntityKind;
using datafactory::FactoryRef;
using datafactory::RunStatus;
using ::envctl::testing::StatusIs;
using ::testing::HasSubstr;

nlohmann::json WaitPipeline(int seconds) {
  auto wait = [seconds](const char* name, const char* after) {
    nlohmann::json a = {
        {"name", name}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", seconds}}}};
    a["dependsOn"] = nlohmann::json::array();
    if (after != nullptr) {
      a["dependsOn"].push_back({{"activity", after}, {"dependencyConditions", {"Succeeded"}}});
    }
    return a;
  };
  return {{"properties",
           {{"parameters", {{"runDate", {{"type", "String"}, {"defaultValue", "2024-01-01"}}}}},
            {"activities", {wait("W1", nullptr), wait("W2", "W1"), wait("W3", "W2")}}}}};
}

class DataFactoryIntegrationTest : public CloudClientsTest {
 protected:
  void SetUp() override {
    CloudClientsTest::SetUp();
    if (HasFatalFailure()) return;
    factory_ = {Unique("rg-adf-", 60), Unique("adf-", 40)};
    ASSERT_OK(arm::ResourceGroupsClient(*arm_, subscription())
                  .CreateOrUpdate(factory_.resource_group, "westeurope", {}));
    adf_ = std::make_unique<DataFactoryClient>(*factory_arm_, subscription());
    auto f = adf_->PutFactory(factory_, {{"location", "westeurope"},
                                         {"identity", {{"type", "SystemAssigned"}}},
                                         {"properties", nlohmann::json::object()}});
    ASSERT_OK(f);
    principal_ = DataFactoryClient::PrincipalId(*f);
  }

  // Polls the run on the shared simulated clock until it is terminal (bounded).
  absl::StatusOr<datafactory::PipelineRun> WaitForRun(const std::string& run_id) {
    for (int i = 0; i < 600; ++i) {
      auto run = adf_->GetPipelineRun(factory_, run_id);
      if (!run.ok() || datafactory::IsTerminal(run->status)) return run;
      clock_->SleepFor(absl::Seconds(1));
    }
    return absl::DeadlineExceededError("run did not finish in 600 simulated seconds");
  }

  FactoryRef factory_;
  std::unique_ptr<DataFactoryClient> adf_;
  std::string principal_;
};

TEST_F(DataFactoryIntegrationTest, FactoryIdentityGetPatchListDelete) {
  EXPECT_FALSE(principal_.empty());
  auto got = adf_->GetFactory(factory_);
  ASSERT_OK(got);
  EXPECT_EQ(DataFactoryClient::PrincipalId(*got), principal_);
  auto patched = adf_->PatchFactory(factory_, {{"tags", {{"env", "dev"}}}});
  ASSERT_OK(patched);
  EXPECT_EQ((*patched)["tags"]["env"], "dev");
  ASSERT_OK(adf_->DeleteFactory(factory_));
  auto missing = adf_->GetFactory(factory_);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("Data Factory")));
}

TEST_F(DataFactoryIntegrationTest, EntitiesEtagsTriggersAndReferences) {
  auto ls = adf_->PutEntity(factory_, EntityKind::kLinkedService, "ls-kv",
                            {{"properties",
                              {{"type", "AzureKeyVault"},
                               {"typeProperties", {{"baseUrl", "https://kv.vault.azure.net/"}}}}}});
  ASSERT_OK(ls);
  auto ds =
      adf_->PutEntity(factory_, EntityKind::kDataset, "ds1",
                      {{"properties",
                        {{"type", "Json"},
                         {"linkedServiceName",
                          {{"referenceName", "ls-kv"}, {"type", "LinkedServiceReference"}}}}}});
  ASSERT_OK(ds);
  auto pipeline = adf_->PutEntity(factory_, EntityKind::kPipeline, "p1", WaitPipeline(1));
  ASSERT_OK(pipeline);
  const std::string etag = pipeline->value("etag", "");
  ASSERT_FALSE(etag.empty());
  // Matching etag succeeds; a stale one is a precondition failure.
  auto updated = adf_->PutEntity(factory_, EntityKind::kPipeline, "p1", WaitPipeline(2), etag);
  ASSERT_OK(updated);
  auto stale = adf_->PutEntity(factory_, EntityKind::kPipeline, "p1", WaitPipeline(3), etag);
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));

  for (int i = 2; i <= 3; ++i) {
    ASSERT_OK(
        adf_->PutEntity(factory_, EntityKind::kPipeline, absl::StrCat("p", i), WaitPipeline(1)));
  }
  auto pipelines = adf_->ListEntities(factory_, EntityKind::kPipeline);  // pages of 2
  ASSERT_OK(pipelines);
  EXPECT_EQ(pipelines->size(), 3u);

  const nlohmann::json trigger = {
      {"properties",
       {{"type", "ScheduleTrigger"},
        {"typeProperties",
         {{"recurrence",
           {{"frequency", "Hour"},
            {"interval", 1},
            {"startTime", "2030-01-01T00:00:00Z"},
            {"timeZone", "UTC"}}}}},
        {"pipelines",
         {{{"pipelineReference", {{"referenceName", "p1"}, {"type", "PipelineReference"}}}}}}}}};
  ASSERT_OK(adf_->PutEntity(factory_, EntityKind::kTrigger, "hourly", trigger));
  auto state = adf_->TriggerRuntimeState(factory_, "hourly");
  ASSERT_OK(state);
  EXPECT_EQ(*state, "Stopped");
  ASSERT_OK(adf_->StartTrigger(factory_, "hourly"));
  state = adf_->TriggerRuntimeState(factory_, "hourly");
  ASSERT_OK(state);
  EXPECT_EQ(*state, "Started");
  auto blocked = adf_->PutEntity(factory_, EntityKind::kTrigger, "hourly", trigger);
  EXPECT_THAT(blocked,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("disabled first")));
  EXPECT_EQ(ServiceErrorCode(blocked.status()), "TriggerEnabledCannotUpdate");
  ASSERT_OK(adf_->StopTrigger(factory_, "hourly"));
  ASSERT_OK(adf_->DeleteEntity(factory_, EntityKind::kTrigger, "hourly"));

  absl::Status referenced = adf_->DeleteEntity(factory_, EntityKind::kLinkedService, "ls-kv");
  EXPECT_THAT(referenced,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("referenced by ds1")));
  ASSERT_OK(adf_->DeleteEntity(factory_, EntityKind::kDataset, "ds1"));
  ASSERT_OK(adf_->DeleteEntity(factory_, EntityKind::kLinkedService, "ls-kv"));
  EXPECT_THAT(adf_->GetEntity(factory_, EntityKind::kLinkedService, "ls-kv"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_OK(adf_->DeleteEntity(factory_, EntityKind::kLinkedService, "ls-kv"));
}

TEST_F(DataFactoryIntegrationTest, PipelineRunCompletesAndActivityRunsPage) {
  ASSERT_OK(adf_->PutEntity(factory_, EntityKind::kPipeline, "p1", WaitPipeline(2)));
  const absl::Time start = clock_->Now();
  auto run_id = adf_->CreateRun(factory_, "p1", {{"runDate", "2024-02-02"}});
  ASSERT_OK(run_id);
  auto run = WaitForRun(*run_id);
  ASSERT_OK(run);
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->status_text << ": " << run->message;
  EXPECT_EQ(run->pipeline_name, "p1");
  EXPECT_FALSE(run->run_end.empty());

  auto activities = adf_->QueryActivityRuns(factory_, *run_id, start - absl::Hours(1),
                                            clock_->Now() + absl::Hours(1));
  ASSERT_OK(activities);
  EXPECT_EQ(activities->size(), 3u);
  for (const auto& a : *activities) EXPECT_EQ(a.value("status", ""), "Succeeded") << a.dump();

  EXPECT_THAT(adf_->GetPipelineRun(factory_, "00000000-0000-0000-0000-000000000000"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(adf_->CreateRun(factory_, "no-such-pipeline", nullptr),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DataFactoryIntegrationTest, CancelledRunEndsCancelled) {
  ASSERT_OK(adf_->PutEntity(factory_, EntityKind::kPipeline, "slow", WaitPipeline(3600)));
  auto run_id = adf_->CreateRun(factory_, "slow", nullptr);
  ASSERT_OK(run_id);
  ASSERT_OK(adf_->CancelPipelineRun(factory_, *run_id, /*recursive=*/true));
  auto run = WaitForRun(*run_id);
  ASSERT_OK(run);
  EXPECT_EQ(run->status, RunStatus::kCancelled) << run->status_text;
}

}  // namespace
}  // namespace envctl::cloud
