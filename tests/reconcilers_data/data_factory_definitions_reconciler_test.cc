// DataFactoryDefinitions against cloudsim: deploy a folder in reference order with
// ${resource.output} expansion, converge to a zero-write plan, repair an edited pipeline
// and an edited started trigger (stop, update, start), prune only what envctl deployed.
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using cloud::datafactory::EntityKind;
using reconcilers::Action;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKeyVaultLs[] =
    R"({"name":"AzureKeyVault","properties":{"annotations":[],"type":"AzureKeyVault",
  "typeProperties":{"baseUrl":"${keyvault.vaultUri}"}}})";
constexpr char kBlobLs[] = R"({"name":"Lake","properties":{"type":"AzureBlobFS",
  "typeProperties":{"url":"https://lake.dfs.core.windows.net","accountKey":{"type":"SecureString","value":"inline-secret-key"}}}})";
constexpr char kPipeline[] = R"({"name":"ApplyModel","properties":{"description":"Apply ML model",
  "activities":[{"name":"Wait a bit","type":"Wait","dependsOn":[],"typeProperties":{"waitTimeInSeconds":1}},
                {"name":"Apply","type":"DatabricksNotebook","dependsOn":[{"activity":"Wait a bit","dependencyConditions":["Succeeded"]}],
                 "typeProperties":{"notebookPath":"/Shared/bikeshare/apply"},
                 "linkedServiceName":{"referenceName":"Lake","type":"LinkedServiceReference"}}],
  "parameters":{"storage_account":{"type":"string","defaultValue":"lakeacct"}},"annotations":[]}})";
constexpr char kTrigger[] = R"({"name":"Nightly","properties":{"type":"ScheduleTrigger",
  "typeProperties":{"recurrence":{"frequency":"Day","interval":1,"startTime":"2026-01-01T02:00:00Z","timeZone":"UTC"}},
  "pipelines":[{"pipelineReference":{"referenceName":"ApplyModel","type":"PipelineReference"},"parameters":{}}]}})";

class DataFactoryDefinitionsTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    vault_uri_ = CreateVault("keyvault", "kv-adf-test");
    factory_ = CreateFactory("factory", "adf-data-test");
    envctl::v1::Resource* r = AddResource("adf");
    r->add_depends_on("keyvault");  // the loader adds content references to dependsOn
    r->mutable_data_factory_definitions()->set_data_factory("factory");
    r->mutable_data_factory_definitions()->set_folder("datafactory");
    r->mutable_data_factory_definitions()->add_started_triggers("Nightly");
    files_ = {{"linkedService/AzureKeyVault.json", kKeyVaultLs},
              {"linkedService/Lake.json", kBlobLs},
              {"pipeline/ApplyModel.json", kPipeline},
              {"trigger/Nightly.json", kTrigger}};
    SetContent("adf", files_);
  }

  absl::StatusOr<nlohmann::json> Live(EntityKind kind, const std::string& name) {
    return factories_->GetEntity(factory_, kind, name);
  }

  std::string vault_uri_;
  cloud::datafactory::FactoryRef factory_;
  std::map<std::string, std::string> files_;
};

TEST_F(DataFactoryDefinitionsTest, DeploysInReferenceOrderThenPlansNoChange) {
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_NE(o, nullptr);
  ASSERT_EQ(o->action, Action::kCreate) << Describe(plan);
  EXPECT_THAT(Paths(*o), Contains("pipeline/ApplyModel"));

  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  // Linked services (one wave, written together: either order) before the pipeline that
  // references them, the trigger last.
  std::vector<std::string> puts = Requests("PUT", "/factories/adf-data-test/");
  ASSERT_EQ(puts.size(), 4u);
  EXPECT_THAT((std::vector<std::string>{puts[0], puts[1]}),
              ::testing::UnorderedElementsAre(HasSubstr("/linkedservices/AzureKeyVault"),
                                              HasSubstr("/linkedservices/Lake")));
  EXPECT_THAT(puts[2], HasSubstr("/pipelines/ApplyModel"));
  EXPECT_THAT(puts[3], HasSubstr("/triggers/Nightly"));

  auto ls = Live(EntityKind::kLinkedService, "AzureKeyVault");
  ASSERT_TRUE(ls.ok()) << ls.status();
  EXPECT_EQ((*ls)["properties"]["typeProperties"]["baseUrl"], vault_uri_)
      << "${keyvault.vaultUri} expanded";
  auto trigger = Live(EntityKind::kTrigger, "Nightly");
  ASSERT_TRUE(trigger.ok());
  EXPECT_EQ((*trigger)["properties"]["runtimeState"], "Started") << "listed in startedTriggers";

  // Masked secure strings, runtimeState and other server fields are not drift.
  controller::EngineResult replan = Plan();
  EXPECT_EQ(Outcome(replan, "adf")->action, Action::kNone) << Describe(replan);
  ResetStats();
  Apply();
  EXPECT_EQ(Writes().count("datafactory"), 0u) << "second apply makes zero writes";
  // One read per kind: the two linked services by one list, the lone pipeline and
  // trigger by name.
  EXPECT_THAT(Requests("GET", "/factories/adf-data-test/"),
              ::testing::UnorderedElementsAre(::testing::EndsWith("/linkedservices"),
                                              ::testing::EndsWith("/pipelines/ApplyModel"),
                                              ::testing::EndsWith("/triggers/Nightly")));
}

// A factory created in this pass holds nothing: its definitions are written without a
// single read of them (each one a request a throttled ARM would make wait); the next
// pass reads them again and finds them in sync.
TEST_F(DataFactoryDefinitionsTest, DefinitionsOfAFactoryCreatedInThisPassAreWrittenUnread) {
  stub_.CreateInNextApply("factory");
  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  EXPECT_EQ(Outcome(applied, "adf")->action, Action::kCreate);
  EXPECT_THAT(Requests("GET", "/factories/adf-data-test/"), ::testing::IsEmpty());
  EXPECT_THAT(Requests("PUT", "/factories/adf-data-test/"), ::testing::SizeIs(4));
  auto trigger = Live(EntityKind::kTrigger, "Nightly");
  ASSERT_TRUE(trigger.ok());
  EXPECT_EQ((*trigger)["properties"]["runtimeState"], "Started");

  ResetStats();
  controller::EngineResult again = Apply();
  EXPECT_EQ(Outcome(again, "adf")->action, Action::kNone) << Describe(again);
  EXPECT_THAT(Requests("GET", "/factories/adf-data-test/"), ::testing::Not(::testing::IsEmpty()));
}

TEST_F(DataFactoryDefinitionsTest, PipelineEditedOutOfBandIsRepaired) {
  Apply();
  auto live = Live(EntityKind::kPipeline, "ApplyModel");
  ASSERT_TRUE(live.ok());
  nlohmann::json edited = {{"properties", (*live)["properties"]}};
  edited["properties"]["activities"][1]["typeProperties"]["notebookPath"] =
      "/Shared/elsewhere/apply";
  ASSERT_OK(factories_->PutEntity(factory_, EntityKind::kPipeline, "ApplyModel", edited).status());

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_TRUE(o->drift);
  ASSERT_THAT(Paths(*o),
              ElementsAre("pipeline/ApplyModel.activities[1].typeProperties.notebookPath"));
  EXPECT_EQ(o->fields[0].old_value, "\"/Shared/elsewhere/apply\"");
  EXPECT_EQ(o->fields[0].new_value, "\"/Shared/bikeshare/apply\"");

  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  EXPECT_EQ(Writes()["datafactory"], 1) << "only the pipeline is rewritten";
  EXPECT_EQ((*Live(EntityKind::kPipeline,
                   "ApplyModel"))["properties"]["activities"][1]["typeProperties"]["notebookPath"],
            "/Shared/bikeshare/apply");
  EXPECT_EQ(Outcome(Plan(), "adf")->action, Action::kNone);
}

TEST_F(DataFactoryDefinitionsTest, StartedTriggerChangedOutOfBandIsStoppedUpdatedAndRestarted) {
  Apply();
  // A person stops the trigger, changes its schedule and starts it again.
  ASSERT_OK(factories_->StopTrigger(factory_, "Nightly"));
  auto live = Live(EntityKind::kTrigger, "Nightly");
  ASSERT_TRUE(live.ok());
  nlohmann::json edited = {{"properties", (*live)["properties"]}};
  edited["properties"].erase("runtimeState");
  edited["properties"]["typeProperties"]["recurrence"]["interval"] = 7;
  ASSERT_OK(factories_->PutEntity(factory_, EntityKind::kTrigger, "Nightly", edited).status());
  ASSERT_OK(factories_->StartTrigger(factory_, "Nightly"));

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), ElementsAre("trigger/Nightly.typeProperties.recurrence.interval"));

  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  std::vector<std::string> writes;
  for (const char* m : {"PUT", "POST"}) {
    for (const auto& r : Requests(m, "/triggers/Nightly")) writes.push_back(r);
  }
  EXPECT_THAT(writes, Contains(HasSubstr("/triggers/Nightly/stop")));
  EXPECT_THAT(writes, Contains(HasSubstr("/triggers/Nightly/start")));
  EXPECT_THAT(writes, Contains(::testing::StartsWith("PUT")));
  auto repaired = Live(EntityKind::kTrigger, "Nightly");
  EXPECT_EQ((*repaired)["properties"]["typeProperties"]["recurrence"]["interval"], 1);
  EXPECT_EQ((*repaired)["properties"]["runtimeState"], "Started");
  EXPECT_EQ(Outcome(Plan(), "adf")->action, Action::kNone);
}

TEST_F(DataFactoryDefinitionsTest, StoppedStartedTriggerIsStartedAgain) {
  Apply();
  ASSERT_OK(factories_->StopTrigger(factory_, "Nightly"));
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), ElementsAre("trigger/Nightly.runtimeState"));
  ResetStats();
  Apply();
  EXPECT_EQ(Writes()["datafactory"], 1) << "one start, no PUT";
  EXPECT_EQ((*Live(EntityKind::kTrigger, "Nightly"))["properties"]["runtimeState"], "Started");
}

// spec.proto: triggers not in startedTriggers stay stopped. Someone starts one by hand: plan
// shows its runtime state as drift, apply stops it (no rewrite), the next plan is empty.
TEST_F(DataFactoryDefinitionsTest, TriggerNotInStartedTriggersStartedByHandIsStopped) {
  envctl::v1::Resource* r = env_.mutable_resources(env_.resources_size() - 1);
  ASSERT_EQ(r->name(), "adf");
  r->mutable_data_factory_definitions()->clear_started_triggers();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  ASSERT_EQ((*Live(EntityKind::kTrigger, "Nightly"))["properties"]["runtimeState"], "Stopped");
  ASSERT_EQ(Outcome(Plan(), "adf")->action, Action::kNone);

  ASSERT_OK(factories_->StartTrigger(factory_, "Nightly"));
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_TRUE(o->drift);
  ASSERT_THAT(Paths(*o), ElementsAre("trigger/Nightly.runtimeState"));
  EXPECT_EQ(o->fields[0].old_value, "\"Started\"");
  EXPECT_EQ(o->fields[0].new_value, "\"Stopped\"");

  ResetStats();
  applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  EXPECT_EQ(Writes()["datafactory"], 1) << "one stop, no PUT";
  EXPECT_THAT(Requests("POST", "/triggers/Nightly/stop"), ::testing::SizeIs(1));
  EXPECT_EQ((*Live(EntityKind::kTrigger, "Nightly"))["properties"]["runtimeState"], "Stopped");
  EXPECT_EQ(Outcome(Plan(), "adf")->action, Action::kNone);
}

TEST_F(DataFactoryDefinitionsTest, RemovedDefinitionsAreDeletedOnlyWhenEnvctlDeployedThem) {
  Apply();
  // Someone else's pipeline in the same factory: never touched.
  ASSERT_OK(factories_
                ->PutEntity(factory_, EntityKind::kPipeline, "Manual",
                            {{"properties",
                              {{"activities",
                                {{{"name", "w"},
                                  {"type", "Wait"},
                                  {"typeProperties", {{"waitTimeInSeconds", 1}}}}}}}}})
                .status());
  // The trigger and the pipeline leave the repo.
  files_.erase("trigger/Nightly.json");
  files_.erase("pipeline/ApplyModel.json");
  env_.mutable_resources()->rbegin()->mutable_data_factory_definitions()->clear_started_triggers();
  SetContent("adf", files_);

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_THAT(Paths(*o), ElementsAre("pipeline/ApplyModel", "trigger/Nightly"));

  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "adf")->status.ok()) << Describe(applied);
  EXPECT_TRUE(absl::IsNotFound(Live(EntityKind::kTrigger, "Nightly").status()));
  EXPECT_TRUE(absl::IsNotFound(Live(EntityKind::kPipeline, "ApplyModel").status()));
  EXPECT_TRUE(Live(EntityKind::kPipeline, "Manual").ok()) << "not envctl's: left alone";
  // The trigger (started) was stopped before its delete, and went before the pipeline.
  std::vector<std::string> deletes = Requests("DELETE", "/factories/adf-data-test/");
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_THAT(deletes[0], HasSubstr("/triggers/Nightly"));
  EXPECT_THAT(deletes[1], HasSubstr("/pipelines/ApplyModel"));
  EXPECT_EQ(Outcome(Plan(), "adf")->action, Action::kNone);
  EXPECT_THAT(store_.Memory("dev", "adf"), Not(HasSubstr("pipeline/ApplyModel")));
}

TEST_F(DataFactoryDefinitionsTest, UnsupportedFolderIsAnErrorNamingTheFile) {
  files_["schedule/Flow.json"] = R"({"name":"Flow","properties":{}})";
  SetContent("adf", files_);
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "adf");
  ASSERT_FALSE(o->status.ok());
  EXPECT_THAT(o->status.message(), HasSubstr("datafactory/schedule/Flow.json"));
  EXPECT_THAT(o->status.message(), HasSubstr("(the ADF Git-mode layout)"));
}

}  // namespace
}  // namespace envctl::testing
