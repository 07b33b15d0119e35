// StorageAccount against cloudsim: create from empty (ADLS Gen2 + containers), converged
// re-apply writes nothing and reads no key, a key rotated out of band changes the key
// fingerprint so a dependent rewrites (minting the new key), portal drift of account
// properties, tags and container metadata is repaired, a container removed from the spec
// is deleted, immutable fields are clear errors.
#include "reconcilers/arm/storage_account_reconciler.h"

#include "absl/strings/match.h"
#include "cloud/arm/storage_accounts.h"
#include "common/sha256.h"
#include "tests/reconcilers_arm/arm_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Stands in for a dependent (a Key Vault secret, a secret scope): records the fingerprint
// of its source in its memory, plans an update when the published fingerprint moves, and
// only then materializes (mints) the value.
class FingerprintConsumer : public reconcilers::Reconciler {
 public:
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context& ctx) override {
    auto v = ctx.outputs.Resolve(ctx.resource.key_vault_secret().value());
    if (!v.ok()) return v.status();
    reconcilers::Change change;
    change.exists = true;
    const std::string recorded =
        ctx.prior.memory.is_object() ? ctx.prior.memory.value("fingerprint", "") : "";
    if (recorded != v->Fingerprint()) {
      change.action = Action::kUpdate;
      change.fields.push_back({"value", "(sensitive)", "(sensitive)", true});
    }
    return change;
  }
  absl::StatusOr<reconcilers::ApplyResult> Apply(reconcilers::Context& ctx,
                                                 const reconcilers::Change&) override {
    auto v = ctx.outputs.Materialize(ctx.resource.key_vault_secret().value());
    if (!v.ok()) return v.status();
    written.push_back(v->value);
    reconcilers::ApplyResult r;
    r.memory = {{"fingerprint", v->Fingerprint()}};
    return r;
  }
  absl::Status Delete(reconcilers::Context&) override { return absl::OkStatus(); }

  std::vector<std::string> written;
};

class StorageAccountReconcilerTest : public ArmReconcilerTest {
 protected:
  void SetUp() override {
    ArmReconcilerTest::SetUp();
    if (HasFatalFailure()) return;
    registry_.Register(envctl::v1::Resource::kKeyVaultSecret, &consumer_);
    AddResourceGroup("rg", "demo-dev-rg");
    envctl::v1::Resource* lake = env_.add_resources();
    lake->set_name("lake");
    lake->mutable_tags()->insert({"purpose", "lake"});
    auto* sa = lake->mutable_storage_account();
    sa->set_account_name("demodevlake");
    sa->set_resource_group("rg");
    sa->set_sku("Standard_LRS");
    sa->set_kind("StorageV2");
    sa->set_hierarchical_namespace(true);
    auto* c = sa->add_containers();
    c->set_name("bikeshare");
    c->mutable_metadata()->insert({"team", "bikes"});
    sa->add_containers()->set_name("scratch");
    envctl::v1::Resource* secret = env_.add_resources();
    secret->set_name("lake-key");
    secret->mutable_key_vault_secret()->set_secret_name("lake-key");
    secret->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_resource("lake");
    secret->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_output("primaryKey");
  }

  cloud::arm::StorageAccountsClient Accounts() {
    return cloud::arm::StorageAccountsClient(*portal_arm_, sim_->subscription_id);
  }
  std::string Key1() {
    auto keys = Accounts().ListKeys("demo-dev-rg", "demodevlake");
    EXPECT_TRUE(keys.ok()) << keys.status();
    for (const auto& k : keys.ok() ? *keys : std::vector<cloud::arm::StorageKey>{}) {
      if (k.name == "key1") return k.value;
    }
    return "";
  }

  FingerprintConsumer consumer_;
};

TEST_F(StorageAccountReconcilerTest, CreatesConvergesAndDependentsFollowKeyRotation) {
  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_EQ(Outcome(first, "lake")->action, Action::kCreate);
  auto live = Accounts().Get("demo-dev-rg", "demodevlake");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["properties"]["isHnsEnabled"], true);
  EXPECT_EQ((*live)["kind"], "StorageV2");
  EXPECT_EQ((*live)["tags"]["purpose"], "lake");
  auto container = Accounts().GetContainer("demo-dev-rg", "demodevlake", "bikeshare");
  ASSERT_OK(container);
  EXPECT_EQ((*container)["properties"]["metadata"], (nlohmann::json{{"team", "bikes"}}));
  EXPECT_OK(Accounts().GetContainer("demo-dev-rg", "demodevlake", "scratch"));
  // The dependent got the real key1 through the lazy output.
  ASSERT_EQ(consumer_.written.size(), 1u);
  EXPECT_EQ(consumer_.written[0], Key1());

  // Apply, then plan: no changes; the second apply makes no write and no listKeys.
  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
  ResetStats();
  controller::EngineResult second = Apply();
  EXPECT_TRUE(second.InSync()) << Describe(second);
  EXPECT_TRUE(Writes().empty());
  EXPECT_EQ(consumer_.written.size(), 1u);

  // Rotate key1 out of band: the account itself is unchanged, but its key fingerprint
  // moves, so the dependent plans a rewrite and gets the new key.
  clock_.Advance(absl::Minutes(5));
  const std::string old_key = Key1();
  ASSERT_OK(Accounts().RegenerateKey("demo-dev-rg", "demodevlake", "key1"));
  ASSERT_NE(Key1(), old_key);
  controller::EngineResult rotated = Plan();
  EXPECT_EQ(Outcome(rotated, "lake")->action, Action::kNone) << Describe(rotated);
  EXPECT_EQ(Outcome(rotated, "lake-key")->action, Action::kUpdate) << Describe(rotated);
  for (const auto& f : Outcome(rotated, "lake-key")->fields) {
    EXPECT_THAT(f.new_value, Not(HasSubstr(Key1())));
  }
  controller::EngineResult rewrite = Apply();
  ASSERT_TRUE(rewrite.ok()) << Describe(rewrite);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_EQ(consumer_.written[1], Key1());
  EXPECT_TRUE(Plan().InSync());
}

// The group is created in the same pass, so the account cannot exist yet: its plan makes
// no read (each one a request a throttled ARM would make wait) and its first request is
// the create. The next pass reads it and finds it in sync.
TEST_F(StorageAccountReconcilerTest, AccountInAGroupCreatedInThisPassIsCreatedUnread) {
  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake")->status.ok()) << Describe(applied);
  const std::vector<std::string> requests = Requests("/storageAccounts/demodevlake");
  ASSERT_FALSE(requests.empty());
  EXPECT_THAT(requests.front(), ::testing::StartsWith("PUT ")) << requests.front();
  ResetStats();
  controller::EngineResult again = Apply();
  EXPECT_EQ(Outcome(again, "lake")->action, reconcilers::Action::kNone) << Describe(again);
  EXPECT_THAT(Requests("/storageAccounts/demodevlake").front(), ::testing::StartsWith("GET "));
}

TEST_F(StorageAccountReconcilerTest, RepairsPortalDriftOfPropertiesTagsAndContainers) {
  ASSERT_TRUE(Apply().ok());
  ASSERT_OK(
      Accounts().Update("demo-dev-rg", "demodevlake",
                        {{"properties", {{"minimumTlsVersion", "TLS1_0"}, {"accessTier", "Cool"}}},
                         {"tags", {{"purpose", "other"}}}}));
  ASSERT_OK(Accounts().UpdateContainer(
      "demo-dev-rg", "demodevlake", "bikeshare",
      {{"properties", {{"metadata", {{"team", "x"}, {"extra", "1"}}}}}}));
  ASSERT_OK(Accounts().DeleteContainer("demo-dev-rg", "demodevlake", "scratch"));

  controller::EngineResult drift = Plan();
  const auto* o = Outcome(drift, "lake");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->action, Action::kUpdate) << Describe(drift);
  EXPECT_TRUE(o->drift);
  EXPECT_THAT(Paths(*o), Contains("properties.minimumTlsVersion"));
  EXPECT_THAT(Paths(*o), Contains("properties.accessTier"));
  EXPECT_THAT(Paths(*o), Contains("tags.purpose"));
  EXPECT_THAT(Paths(*o), Contains("tags.envctl-managed-by"));
  EXPECT_THAT(Paths(*o), Contains("containers[name=bikeshare].properties.metadata.team"));
  EXPECT_THAT(Paths(*o), Contains("containers[name=bikeshare].properties.metadata.extra"));
  EXPECT_THAT(Paths(*o), Contains("containers[name=scratch]"));

  controller::EngineResult repair = Apply();
  ASSERT_TRUE(repair.ok()) << Describe(repair);
  auto live = Accounts().Get("demo-dev-rg", "demodevlake");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["properties"]["minimumTlsVersion"], "TLS1_2");
  EXPECT_EQ((*live)["properties"]["accessTier"], "Hot");
  EXPECT_EQ((*live)["tags"]["purpose"], "lake");
  auto container = Accounts().GetContainer("demo-dev-rg", "demodevlake", "bikeshare");
  ASSERT_OK(container);
  EXPECT_EQ((*container)["properties"]["metadata"], (nlohmann::json{{"team", "bikes"}}));
  EXPECT_OK(Accounts().GetContainer("demo-dev-rg", "demodevlake", "scratch"));
  controller::EngineResult after = Plan();
  EXPECT_TRUE(after.InSync()) << Describe(after);
}

TEST_F(StorageAccountReconcilerTest, DeletesOnlyContainersItDeployed) {
  ASSERT_TRUE(Apply().ok());
  ASSERT_OK(
      Accounts().PutContainer("demo-dev-rg", "demodevlake", "handmade", nlohmann::json::object()));
  // "scratch" leaves the spec: envctl created it, so it goes; "handmade" stays.
  env_.mutable_resources(1)->mutable_storage_account()->mutable_containers()->RemoveLast();
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake");
  EXPECT_THAT(Paths(*o), Contains("containers[name=scratch]")) << Describe(plan);
  EXPECT_THAT(Paths(*o), Not(Contains("containers[name=handmade]")));
  ASSERT_TRUE(Apply().ok());
  EXPECT_TRUE(
      absl::IsNotFound(Accounts().GetContainer("demo-dev-rg", "demodevlake", "scratch").status()));
  EXPECT_OK(Accounts().GetContainer("demo-dev-rg", "demodevlake", "handmade"));
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(StorageAccountReconcilerTest, ImmutableFieldsAreClearErrors) {
  ASSERT_TRUE(Apply().ok());
  env_.mutable_resources(1)->mutable_storage_account()->set_hierarchical_namespace(false);
  EXPECT_THAT(Outcome(Plan(), "lake")->status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("storage account \"demodevlake\": properties.isHnsEnabled is "
                                 "\"true\" in Azure but the spec says \"false\"")));
  env_.mutable_resources(1)->mutable_storage_account()->set_hierarchical_namespace(true);
  env_.mutable_resources(1)->mutable_storage_account()->set_kind("BlobStorage");
  EXPECT_THAT(
      Outcome(Plan(), "lake")->status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("kind is \"StorageV2\" in Azure but the spec says \"BlobStorage\"")));
}

}  // namespace
}  // namespace envctl::testing
