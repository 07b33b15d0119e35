#include "reconcilers/datafactory/definition_order.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcilers/runs/covered_hash.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::reconcilers::datafactory {
namespace {

using nlohmann::json;

Entity Make(EntityType type, const std::string& name, json properties) {
  return Entity{type, name, std::move(properties)};
}

json Ref(const std::string& name, const std::string& type) {
  return {{"referenceName", name}, {"type", type}};
}

TEST(DefinitionOrderTest, ReferencedEntitiesDeployFirst) {
  std::vector<Entity> entities = {
      Make(EntityType::kTrigger, "Nightly",
           {{"pipelines",
             json::array({{{"pipelineReference", Ref("ApplyModel", "PipelineReference")}}})}}),
      Make(EntityType::kPipeline, "ApplyModel",
           {{"activities", json::array({{{"linkedServiceName",
                                          Ref("AzureDatabricks", "LinkedServiceReference")}}})}}),
      // Databricks' token comes from the Key Vault linked service, so the vault goes first
      // even though "AzureDatabricks" sorts before "AzureKeyVault".
      Make(EntityType::kLinkedService, "AzureDatabricks",
           {{"typeProperties",
             {{"accessToken", {{"store", Ref("AzureKeyVault", "LinkedServiceReference")}}}}}}),
      Make(EntityType::kLinkedService, "AzureKeyVault", {{"type", "AzureKeyVault"}}),
  };
  auto ordered = DeployOrder(entities);
  ASSERT_OK(ordered);
  std::vector<std::string> keys;
  for (const auto& e : *ordered) keys.push_back(e.Key());
  EXPECT_THAT(keys,
              ::testing::ElementsAre("linkedService/AzureKeyVault", "linkedService/AzureDatabricks",
                                     "pipeline/ApplyModel", "trigger/Nightly"));
}

TEST(DefinitionOrderTest, CycleIsReported) {
  std::vector<Entity> entities = {
      Make(EntityType::kPipeline, "A", {{"x", Ref("B", "PipelineReference")}}),
      Make(EntityType::kPipeline, "B", {{"x", Ref("A", "PipelineReference")}}),
  };
  EXPECT_THAT(DeployOrder(entities),
              envctl::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                        ::testing::HasSubstr("pipeline/A, pipeline/B")));
}

TEST(DefinitionOrderTest, TypeFromPathFollowsGitModeLayout) {
  EXPECT_EQ(*TypeFromPath("linkedService/AzureKeyVault.json"), EntityType::kLinkedService);
  EXPECT_EQ(*TypeFromPath("trigger/Nightly.json"), EntityType::kTrigger);
  EXPECT_FALSE(TypeFromPath("notebooks/x.json").ok());  // factory/ is global parameters now
  EXPECT_STREQ(CollectionOf(EntityType::kDataset), "datasets");
}

TEST(CoveredHashTest, ChangesWhenACoveredResourceChangesOnly) {
  envctl::v1::Environment env;
  for (const char* name : {"notebooks", "library", "unrelated", "test"}) {
    auto* c = env.add_contents();
    c->set_resource(name);
    c->set_content_hash(std::string("h-") + name);
  }
  google::protobuf::RepeatedPtrField<std::string> covers;
  covers.Add("notebooks");
  covers.Add("library");
  const std::string before = CoveredHash(env, "test", covers);
  env.mutable_contents(2)->set_content_hash("h-unrelated-2");
  EXPECT_EQ(CoveredHash(env, "test", covers), before);
  env.mutable_contents(0)->set_content_hash("h-notebooks-2");
  EXPECT_NE(CoveredHash(env, "test", covers), before);
  google::protobuf::RepeatedPtrField<std::string> reordered;
  reordered.Add("library");
  reordered.Add("notebooks");
  EXPECT_EQ(CoveredHash(env, "test", reordered), CoveredHash(env, "test", covers));
}

TEST(DefinitionOrderTest, GraphNamesEachEntitysReferencesAsItsPrerequisites) {
  std::vector<Entity> entities = {
      Make(EntityType::kDataFlow, "DailyTotals",
           {{"typeProperties",
             {{"sources", json::array({{{"dataset", Ref("Hourly", "DatasetReference")}}})}}}}),
      Make(EntityType::kDataset, "Hourly",
           {{"linkedServiceName", Ref("Lake", "LinkedServiceReference")}}),
      Make(EntityType::kDataset, "Daily",
           {{"linkedServiceName", Ref("Lake", "LinkedServiceReference")}}),
      Make(EntityType::kLinkedService, "Lake",
           {{"credential", Ref("JobIdentity", "CredentialReference")},
            {"connectVia", Ref("ManagedIR", "IntegrationRuntimeReference")}}),
      Make(EntityType::kCredential, "JobIdentity", {{"type", "ManagedIdentity"}}),
      Make(EntityType::kIntegrationRuntime, "ManagedIR",
           {{"type", "Managed"},
            {"managedVirtualNetwork", Ref("default", "ManagedVirtualNetworkReference")}}),
      Make(EntityType::kManagedVirtualNetwork, "default", json::object()),
      Make(EntityType::kManagedPrivateEndpoint, "default/lake-dfs", {{"groupId", "dfs"}}),
      Make(EntityType::kGlobalParameters, "default",
           {{"env", {{"type", "String"}, {"value", "test"}}}}),
  };
  auto graph = DeployGraphOf(entities);
  ASSERT_OK(graph);
  ASSERT_EQ(graph->order.size(), entities.size());
  ASSERT_EQ(graph->after.size(), entities.size());
  std::map<std::string, std::vector<std::string>> after;
  for (size_t i = 0; i < graph->order.size(); ++i) {
    auto& keys = after[graph->order[i].Key()];
    for (size_t d : graph->after[i]) {
      EXPECT_LT(d, i) << graph->order[i].Key() << " comes before what it references";
      keys.push_back(graph->order[d].Key());
    }
  }
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  using ::testing::Pair;
  using ::testing::UnorderedElementsAre;
  EXPECT_THAT(
      after,
      UnorderedElementsAre(
          Pair("managedVirtualNetwork/default", IsEmpty()),
          Pair("credential/JobIdentity", IsEmpty()), Pair("globalParameters/default", IsEmpty()),
          Pair("managedPrivateEndpoint/default/lake-dfs",
               ElementsAre("managedVirtualNetwork/default")),
          Pair("integrationRuntime/ManagedIR", ElementsAre("managedVirtualNetwork/default")),
          Pair("linkedService/Lake",
               UnorderedElementsAre("credential/JobIdentity", "integrationRuntime/ManagedIR")),
          Pair("dataset/Daily", ElementsAre("linkedService/Lake")),
          Pair("dataset/Hourly", ElementsAre("linkedService/Lake")),
          Pair("dataflow/DailyTotals", ElementsAre("dataset/Hourly"))));
}

TEST(DefinitionOrderTest, GitLayoutPathsAndKeysOfTheNestedKinds) {
  auto type = [](const std::string& path) {
    absl::StatusOr<EntityType> t = TypeFromPath(path);
    return t.ok() ? static_cast<int>(*t) : -1;
  };
  EXPECT_EQ(type("managedVirtualNetwork/default/managedPrivateEndpoint/lake.json"),
            static_cast<int>(EntityType::kManagedPrivateEndpoint));
  EXPECT_EQ(type("managedPrivateEndpoint/default/lake"),
            static_cast<int>(EntityType::kManagedPrivateEndpoint));
  EXPECT_EQ(type("managedVirtualNetwork/default.json"),
            static_cast<int>(EntityType::kManagedVirtualNetwork));
  EXPECT_EQ(type("factory/bikeshare-test-adf.json"),
            static_cast<int>(EntityType::kGlobalParameters));
  EXPECT_EQ(type("dataflow/DailyTotals.json"), static_cast<int>(EntityType::kDataFlow));
  EXPECT_EQ(type("notebooks/x.json"), -1);
}

}  // namespace
}  // namespace envctl::reconcilers::datafactory
