// DataFactory against cloudsim: create with a system-assigned identity and publish its
// principalId, converged re-apply writes nothing, portal tag drift is repaired with a
// PATCH (never a PUT that would drop a Git-mode factory's repo configuration).
#include "cloud/datafactory/data_factory_client.h"
#include "tests/reconcilers_arm/arm_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;

class DataFactoryReconcilerTest : public ArmReconcilerTest {
 protected:
  void SetUp() override {
    ArmReconcilerTest::SetUp();
    if (HasFatalFailure()) return;
    AddResourceGroup("rg", "demo-dev-rg");
    envctl::v1::Resource* factory = env_.add_resources();
    factory->set_name("factory");
    factory->mutable_tags()->insert({"tier", "orchestration"});
    factory->mutable_data_factory()->set_factory_name("demo-dev-adf");
    factory->mutable_data_factory()->set_resource_group("rg");
  }
  cloud::datafactory::DataFactoryClient Factories() {
    return cloud::datafactory::DataFactoryClient(*portal_factories_, sim_->subscription_id);
  }
};

TEST_F(DataFactoryReconcilerTest, CreatesWithIdentityConvergesAndRepairsTags) {
  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  auto live = Factories().GetFactory({"demo-dev-rg", "demo-dev-adf"});
  ASSERT_OK(live);
  EXPECT_EQ((*live)["identity"]["type"], "SystemAssigned");
  EXPECT_FALSE(cloud::datafactory::DataFactoryClient::PrincipalId(*live).empty());
  EXPECT_EQ((*live)["tags"]["tier"], "orchestration");

  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
  ResetStats();
  EXPECT_TRUE(Apply().InSync());
  EXPECT_TRUE(Writes().empty());

  nlohmann::json tags = (*live)["tags"];
  tags["tier"] = "changed";
  ASSERT_OK(Factories().PatchFactory({"demo-dev-rg", "demo-dev-adf"}, {{"tags", tags}}));
  controller::EngineResult drift = Plan();
  const auto* o = Outcome(drift, "factory");
  EXPECT_EQ(o->action, Action::kUpdate) << Describe(drift);
  EXPECT_THAT(Paths(*o), Contains("tags.tier"));
  ResetStats();
  ASSERT_TRUE(Apply().ok());
  live = Factories().GetFactory({"demo-dev-rg", "demo-dev-adf"});
  ASSERT_OK(live);
  EXPECT_EQ((*live)["tags"]["tier"], "orchestration");
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(DataFactoryReconcilerTest, LocationChangeIsAClearError) {
  ASSERT_TRUE(Apply().ok());
  env_.mutable_resources(1)->mutable_data_factory()->set_location("eastus");
  EXPECT_THAT(Outcome(Plan(), "factory")->status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("data factory \"demo-dev-adf\": location is")));
}

}  // namespace
}  // namespace envctl::testing
