#include "cmd/envctl/plan_render.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace envctl::cli {
namespace {

using reconcilers::Action;
using ::testing::HasSubstr;
using ::testing::Not;

ResourceOutcome Make(const std::string& name, const std::string& kind, int wave, Action action) {
  ResourceOutcome o;
  o.name = name;
  o.kind = kind;
  o.wave = wave;
  o.action = action;
  return o;
}

EngineResult Sample() {
  EngineResult r;
  r.environment = "test";
  ResourceOutcome create = Make("storage", "StorageAccount", 1, Action::kCreate);
  ResourceOutcome update = Make("vault", "KeyVault", 1, Action::kUpdate);
  update.drift = true;
  update.fields.push_back({"properties.sku.name", "\"premium\"", "\"standard\"", false});
  ResourceOutcome secret = Make("token", "KeyVaultSecret", 2, Action::kUpdate);
  secret.fields.push_back({"value", "(sensitive)", "(sensitive)", true});
  ResourceOutcome reported = Make("pipeline", "DataFactory", 3, Action::kUpdate);
  reported.reported_only = true;
  ResourceOutcome same = Make("rg", "ResourceGroup", 0, Action::kNone);
  r.resources = {same, create, update, secret, reported};
  ResourceOutcome gone = Make("old", "DatabricksLibrary", 0, Action::kDelete);
  r.prunes = {gone};
  return r;
}

TEST(PlanRenderTest, TextUsesSymbolsAndHidesUnchanged) {
  std::string text = RenderPlanText(Sample());
  EXPECT_THAT(text, HasSubstr("  + storage (StorageAccount)"));
  EXPECT_THAT(text, HasSubstr("  ~ vault (KeyVault) [drift]"));
  EXPECT_THAT(text, HasSubstr("properties.sku.name: \"premium\" -> \"standard\""));
  EXPECT_THAT(text, HasSubstr("value: (sensitive) -> (sensitive)"));
  EXPECT_THAT(text, HasSubstr("  ! pipeline (DataFactory)"));
  EXPECT_THAT(text, HasSubstr("  - old (DatabricksLibrary)"));
  EXPECT_THAT(text, Not(HasSubstr("rg (ResourceGroup)")));
  EXPECT_THAT(text, HasSubstr("Plan: 1 to create, 2 to update, 1 to delete"));
}

TEST(PlanRenderTest, JsonListsEveryResourceWithActions) {
  nlohmann::json j = RenderPlanJson(Sample());
  EXPECT_EQ(j["environment"], "test");
  EXPECT_FALSE(j["inSync"].get<bool>());
  EXPECT_EQ(j["changes"].size(), 6u);
  EXPECT_EQ(j["changes"][4]["action"], "drift");
  EXPECT_EQ(j["changes"][3]["fields"][0]["sensitive"], true);
  EXPECT_EQ(j["summary"]["create"], 1);
}

TEST(PlanRenderTest, EmptyPlanSaysNoChanges) {
  EngineResult r;
  r.environment = "dev";
  r.resources.push_back(Make("rg", "ResourceGroup", 0, Action::kNone));
  EXPECT_THAT(RenderPlanText(r), HasSubstr("No changes. 1 resource(s) in sync."));
}

}  // namespace
}  // namespace envctl::cli
