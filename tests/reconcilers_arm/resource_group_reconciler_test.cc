// ResourceGroup against cloudsim: create from empty, converged re-apply makes no write,
// a tag changed in the portal is drift that is shown and repaired, a location change is
// refused with a clear error, prune refuses groups envctl did not create.
#include "cloud/arm/resource_groups.h"
#include "reconcilers/support.h"
#include "tests/reconcilers_arm/arm_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;

class ResourceGroupReconcilerTest : public ArmReconcilerTest {
 protected:
  cloud::arm::ResourceGroupsClient Groups() {
    return cloud::arm::ResourceGroupsClient(*portal_arm_, sim_->subscription_id);
  }
};

TEST_F(ResourceGroupReconcilerTest, CreatesConvergesAndRepairsTagDrift) {
  AddResourceGroup("rg", "demo-dev-rg")->mutable_tags()->insert({"owner", "data-team"});

  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_EQ(Outcome(first, "rg")->action, Action::kCreate);
  auto live = Groups().Get("demo-dev-rg");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["location"], "westeurope");
  EXPECT_EQ((*live)["tags"], (nlohmann::json{{"owner", "data-team"},
                                             {reconcilers::kManagedByTag, "envctl"},
                                             {reconcilers::kEnvironmentTag, "demo/dev"}}));

  // Apply, then plan: no changes; a second apply writes nothing.
  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
  ResetStats();
  controller::EngineResult second = Apply();
  EXPECT_TRUE(second.InSync()) << Describe(second);
  EXPECT_TRUE(Writes().empty());

  // Someone edits the tags in the portal: a changed value and an extra tag.
  nlohmann::json tags = (*live)["tags"];
  tags["owner"] = "someone-else";
  tags["costcenter"] = "42";
  ASSERT_OK(Groups().UpdateTags("demo-dev-rg", tags));
  controller::EngineResult drift = Plan();
  const auto* o = Outcome(drift, "rg");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->action, Action::kUpdate);
  EXPECT_TRUE(o->drift);
  EXPECT_THAT(Paths(*o), Contains("tags.owner"));
  EXPECT_THAT(Paths(*o), Contains("tags.costcenter"));

  ResetStats();
  controller::EngineResult repair = Apply();
  ASSERT_TRUE(repair.ok()) << Describe(repair);
  EXPECT_EQ(Writes()["arm"], 1);  // one PATCH of the tags
  live = Groups().Get("demo-dev-rg");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["tags"]["owner"], "data-team");
  EXPECT_FALSE((*live)["tags"].contains("costcenter"));
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(ResourceGroupReconcilerTest, LocationChangeIsAClearError) {
  AddResourceGroup("rg", "demo-dev-rg");
  ASSERT_TRUE(Apply().ok());
  env_.mutable_resources(0)->mutable_resource_group()->set_location("North Europe");
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "rg");
  ASSERT_NE(o, nullptr);
  EXPECT_THAT(o->status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("resource group \"demo-dev-rg\": location is "
                                 "\"westeurope\" in Azure but the spec says \"North Europe\"")));
  // Same region spelled differently is not a change.
  env_.mutable_resources(0)->mutable_resource_group()->set_location("West Europe");
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(ResourceGroupReconcilerTest, PruneDeletesOwnGroupButRefusesForeignOne) {
  env_.mutable_sync()->set_prune(true);
  AddResourceGroup("rg", "demo-dev-rg");
  AddResourceGroup("other", "not-ours-rg");
  ASSERT_TRUE(Apply().ok());
  // Strip the marker from the second group as if someone else owned it.
  ASSERT_OK(Groups().UpdateTags("not-ours-rg", nlohmann::json::object()));

  env_.clear_resources();
  controller::EngineOptions options;
  options.allow_mass_prune = true;  // a whole group is always guarded
  auto result = engine_->Apply(env_, options);
  ASSERT_OK(result);
  EXPECT_OK(Outcome(*result, "rg")->status);
  EXPECT_TRUE(absl::IsNotFound(Groups().Get("demo-dev-rg").status()));
  EXPECT_THAT(Outcome(*result, "other")->status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not carry the tag envctl-managed-by=envctl")));
  EXPECT_OK(Groups().Get("not-ours-rg"));
}

}  // namespace
}  // namespace envctl::testing
