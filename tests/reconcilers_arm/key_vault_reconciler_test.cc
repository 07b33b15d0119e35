// KeyVault (+ DataFactory for its principal) against cloudsim: create from empty with
// deployer / dataFactory / literal principals, converged re-apply writes nothing, an
// access policy removed or widened in the portal is shown per object id and repaired, a
// soft-deleted vault of the same name is recovered instead of failing, prune deletes and
// purges, immutable settings are clear errors.
#include "reconcilers/arm/key_vault_reconciler.h"

#include "absl/strings/ascii.h"
#include "cloud/arm/key_vaults.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/datafactory/data_factory_client.h"
#include "tests/reconcilers_arm/arm_fixture.h"

namespace envctl::testing {
namespace {

using nlohmann::json;
using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kReader[] = "0f0f0f0f-1111-2222-3333-444444444444";

class KeyVaultReconcilerTest : public ArmReconcilerTest {
 protected:
  void SetUp() override {
    ArmReconcilerTest::SetUp();
    if (HasFatalFailure()) return;
    AddResourceGroup("rg", "demo-dev-rg");
    envctl::v1::Resource* factory = env_.add_resources();
    factory->set_name("factory");
    factory->mutable_data_factory()->set_factory_name("demo-dev-adf");
    factory->mutable_data_factory()->set_resource_group("rg");
    envctl::v1::Resource* vault = env_.add_resources();
    vault->set_name("keyvault");
    auto* kv = vault->mutable_key_vault();
    kv->set_vault_name("demo-dev-kv");
    kv->set_resource_group("rg");
    kv->set_sku("Standard");
    kv->set_purge_on_delete(true);
    auto* deployer = kv->add_access_policies();
    deployer->mutable_principal()->set_deployer(true);
    for (const char* p : {"Get", "list", "set", "delete", "purge", "get"})
      deployer->add_secret_permissions(p);
    auto* adf = kv->add_access_policies();
    adf->mutable_principal()->set_data_factory("factory");
    adf->add_secret_permissions("list");
    adf->add_secret_permissions("get");
    auto* reader = kv->add_access_policies();
    reader->mutable_principal()->set_object_id(absl::AsciiStrToUpper(kReader));
    reader->add_secret_permissions("get");
  }

  cloud::arm::KeyVaultsClient Vaults() {
    return cloud::arm::KeyVaultsClient(*portal_arm_, sim_->subscription_id);
  }
  std::string FactoryPrincipal() {
    cloud::datafactory::DataFactoryClient factories(*portal_factories_, sim_->subscription_id);
    auto f = factories.GetFactory({"demo-dev-rg", "demo-dev-adf"});
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? cloud::datafactory::DataFactoryClient::PrincipalId(*f) : "";
  }
  envctl::v1::KeyVaultSpec* Spec() { return env_.mutable_resources(2)->mutable_key_vault(); }
};

TEST_F(KeyVaultReconcilerTest, CreatesWithResolvedPrincipalsAndConverges) {
  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  auto live = Vaults().Get("demo-dev-rg", "demo-dev-kv");
  ASSERT_OK(live);
  const json policies = reconcilers::arm::KeyVaultReconciler::NormalizePolicies(
      (*live)["properties"]["accessPolicies"]);
  const std::string tenant = absl::AsciiStrToLower(sim_->tenant_id);
  std::map<std::string, json> by_oid;
  for (const auto& p : policies) by_oid[p["objectId"]] = p;
  ASSERT_EQ(by_oid.size(), 3u) << policies.dump();
  EXPECT_EQ(by_oid[absl::AsciiStrToLower(sim_->object_id)]["permissions"]["secrets"],
            (json{"delete", "get", "list", "purge", "set"}));
  const std::string principal = absl::AsciiStrToLower(FactoryPrincipal());
  ASSERT_FALSE(principal.empty());
  EXPECT_EQ(by_oid[principal]["permissions"]["secrets"], (json{"get", "list"}));
  EXPECT_EQ(by_oid[kReader]["tenantId"], tenant);
  EXPECT_EQ((*live)["properties"]["softDeleteRetentionInDays"], 90);

  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
  ResetStats();
  controller::EngineResult second = Apply();
  EXPECT_TRUE(second.InSync()) << Describe(second);
  EXPECT_TRUE(Writes().empty());
}

TEST_F(KeyVaultReconcilerTest, RemovedAndWidenedAccessPoliciesAreShownAndRepaired) {
  ASSERT_TRUE(Apply().ok());
  auto live = Vaults().Get("demo-dev-rg", "demo-dev-kv");
  ASSERT_OK(live);
  const std::string principal = FactoryPrincipal();
  // In the portal: the factory's policy is removed, the reader is granted more.
  ASSERT_OK(Vaults().UpdateAccessPolicies(
      "demo-dev-rg", "demo-dev-kv", cloud::arm::AccessPolicyOperation::kRemove,
      json::array({{{"tenantId", sim_->tenant_id},
                    {"objectId", principal},
                    {"permissions", {{"secrets", {"get", "list"}}}}}})));
  ASSERT_OK(Vaults().UpdateAccessPolicies(
      "demo-dev-rg", "demo-dev-kv", cloud::arm::AccessPolicyOperation::kAdd,
      json::array({{{"tenantId", sim_->tenant_id},
                    {"objectId", kReader},
                    {"permissions", {{"secrets", {"set"}}, {"keys", {"get"}}}}}})));

  controller::EngineResult drift = Plan();
  const auto* o = Outcome(drift, "keyvault");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->action, Action::kUpdate) << Describe(drift);
  EXPECT_TRUE(o->drift);
  const std::string factory_path =
      "properties.accessPolicies[objectId=" + absl::AsciiStrToLower(principal) + "]";
  EXPECT_THAT(Paths(*o), Contains(factory_path));
  EXPECT_THAT(Paths(*o), Contains(std::string("properties.accessPolicies[objectId=") + kReader +
                                  "].permissions.secrets"));
  EXPECT_THAT(Paths(*o), Contains(std::string("properties.accessPolicies[objectId=") + kReader +
                                  "].permissions.keys"));
  for (const auto& f : o->fields) {
    if (f.path == factory_path) {
      EXPECT_EQ(f.old_value, "(none)");
      EXPECT_EQ(f.new_value, R"({"permissions":{"secrets":["get","list"]}})");
    }
  }

  controller::EngineResult repair = Apply();
  ASSERT_TRUE(repair.ok()) << Describe(repair);
  controller::EngineResult after = Plan();
  EXPECT_TRUE(after.InSync()) << Describe(after);
}

TEST_F(KeyVaultReconcilerTest, RecoversSoftDeletedVaultInsteadOfFailing) {
  ASSERT_TRUE(Apply().ok());
  ASSERT_OK(Vaults().Delete("demo-dev-rg", "demo-dev-kv"));
  ASSERT_OK(Vaults().GetDeleted("westeurope", "demo-dev-kv"));

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "keyvault");
  EXPECT_EQ(o->action, Action::kCreate) << Describe(plan);
  EXPECT_EQ(o->reason, "recover the soft-deleted vault of the same name");

  controller::EngineResult recovered = Apply();
  ASSERT_TRUE(recovered.ok()) << Describe(recovered);
  EXPECT_OK(Vaults().Get("demo-dev-rg", "demo-dev-kv"));
  EXPECT_TRUE(absl::IsNotFound(Vaults().GetDeleted("westeurope", "demo-dev-kv").status()));
  controller::EngineResult after = Plan();
  EXPECT_TRUE(after.InSync()) << Describe(after);
}

// The whole group was deleted (its vault soft-deleted with it): the apply that creates the
// group again skips the soft-deleted check (0 deletedVaults reads); the vault's create
// answers 409 "deleted state" and the vault is recovered.
TEST_F(KeyVaultReconcilerTest, VaultOfAGroupCreatedInThisPassIsRecoveredFromTheCreatesConflict) {
  ASSERT_TRUE(Apply().ok());
  cloud::arm::ResourceGroupsClient groups(*portal_arm_, sim_->subscription_id);
  ASSERT_OK(groups.Delete("demo-dev-rg"));
  ASSERT_OK(Vaults().GetDeleted("westeurope", "demo-dev-kv"));
  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(applied.ok()) << Describe(applied);
  EXPECT_THAT(Requests("/deletedVaults/"), ::testing::IsEmpty());
  EXPECT_OK(Vaults().Get("demo-dev-rg", "demo-dev-kv"));
  EXPECT_TRUE(absl::IsNotFound(Vaults().GetDeleted("westeurope", "demo-dev-kv").status()));
  controller::EngineResult after = Plan();
  EXPECT_TRUE(after.InSync()) << Describe(after);
}

TEST_F(KeyVaultReconcilerTest, PruneDeletesAndPurges) {
  env_.mutable_sync()->set_prune(true);
  ASSERT_TRUE(Apply().ok());
  env_.mutable_resources()->RemoveLast();  // the vault leaves the spec
  controller::EngineResult pruned = Apply();
  ASSERT_TRUE(pruned.ok()) << Describe(pruned);
  EXPECT_TRUE(absl::IsNotFound(Vaults().Get("demo-dev-rg", "demo-dev-kv").status()));
  EXPECT_TRUE(absl::IsNotFound(Vaults().GetDeleted("westeurope", "demo-dev-kv").status()));
}

TEST_F(KeyVaultReconcilerTest, ImmutableSettingsAreClearErrors) {
  Spec()->set_purge_protection(true);
  ASSERT_TRUE(Apply().ok());
  Spec()->set_purge_protection(false);
  EXPECT_THAT(Outcome(Plan(), "keyvault")->status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("purge protection can only be turned on")));
  Spec()->set_purge_protection(true);
  Spec()->set_soft_delete_retention_days(30);
  EXPECT_THAT(Outcome(Plan(), "keyvault")->status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("properties.softDeleteRetentionInDays is \"90\" in Azure but the "
                                 "spec says \"30\"")));
}

}  // namespace
}  // namespace envctl::testing
