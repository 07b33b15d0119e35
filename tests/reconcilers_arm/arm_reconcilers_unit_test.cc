// Unit tests of the ARM reconcilers' normalization and of errors raised before (or
// without) cloud writes, over a FakeTransport: no cloudsim needed.
#include "absl/strings/ascii.h"
#include "cloud/arm/arm_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcilers/arm/databricks_workspace_reconciler.h"
#include "reconcilers/arm/key_vault_reconciler.h"
#include "reconcilers/arm/role_assignment_reconciler.h"
#include "reconcilers/arm/storage_account_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using nlohmann::json;
using reconcilers::Action;
using ::testing::HasSubstr;

constexpr char kSub[] = "00000000-0000-0000-0000-00000000aaaa";
constexpr char kTenant[] = "11111111-0000-0000-0000-000000000000";
constexpr char kDeployer[] = "22222222-0000-0000-0000-000000000000";

class ArmUnitTest : public ::testing::Test {
 protected:
  ArmUnitTest()
      : arm_(std::make_shared<const cloud::arm::ArmClient>(transport_, clock_, "https://arm.test")) {
    env_.set_name("dev");
    env_.set_project("demo");
    env_.mutable_azure()->set_location("westeurope");
    auto* rg = env_.add_resources();
    rg->set_name("rg");
    rg->mutable_resource_group()->set_group_name("demo-rg");
  }

  // Runs Plan of `resource` (added to the environment).
  absl::StatusOr<reconcilers::Change> PlanOf(reconcilers::Reconciler& r,
                                             const envctl::v1::Resource& resource) {
    *env_.add_resources() = resource;
    reconcilers::PriorState prior;
    envctl::v1::ResourceContent content;
    reconcilers::Context ctx{env_, env_.resources(env_.resources_size() - 1), content, outputs_,
                             prior, clock_};
    return r.Plan(ctx);
  }

  int Writes() {
    int n = 0;
    for (const auto& req : transport_.Requests()) n += req.method != "GET";
    return n;
  }

  FakeClock clock_;
  cloud::FakeTransport transport_;
  std::shared_ptr<const cloud::arm::ArmClient> arm_;
  envctl::v1::Environment env_;
  reconcilers::Outputs outputs_;
};

envctl::v1::Resource Vault() {
  envctl::v1::Resource r;
  r.set_name("kv");
  auto* kv = r.mutable_key_vault();
  kv->set_vault_name("demo-kv");
  kv->set_resource_group("rg");
  auto* p = kv->add_access_policies();
  p->mutable_principal()->set_deployer(true);
  p->add_secret_permissions("Set");
  p->add_secret_permissions("get");
  auto* q = kv->add_access_policies();
  q->mutable_principal()->set_object_id("AAAAAAAA-0000-0000-0000-000000000000");
  q->add_secret_permissions("list");
  return r;
}

TEST_F(ArmUnitTest, KeyVaultPlanNormalizesServerShapeToNoChange) {
  // What the service returns: other order, upper-case ids and permissions, an empty
  // category, display-name location, server defaults the spec does not mention.
  json vault = {
      {"id", "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv"},
      {"name", "demo-kv"},
      {"location", "West Europe"},
      {"tags", {{"envctl-managed-by", "envctl"}, {"envctl-environment", "demo/dev"}}},
      {"properties",
       {{"tenantId", kTenant},
        {"sku", {{"family", "A"}, {"name", "Standard"}}},
        {"vaultUri", "https://demo-kv.vault.azure.net/"},
        {"enableSoftDelete", true},
        {"networkAcls", {{"defaultAction", "Allow"}}},
        {"accessPolicies",
         json::array({{{"tenantId", kTenant}, {"objectId", "aaaaaaaa-0000-0000-0000-000000000000"},
                       {"permissions", {{"secrets", {"List"}}, {"keys", json::array()}}}},
                      {{"tenantId", kTenant}, {"objectId", kDeployer},
                       {"permissions", {{"secrets", {"GET", "set"}}}}}})}}}};
  transport_.Enqueue("GET", "/vaults/demo-kv?", 200, vault.dump());
  reconcilers::arm::KeyVaultReconciler r(arm_, kSub, kTenant, kDeployer);
  auto change = PlanOf(r, Vault());
  ASSERT_OK(change);
  EXPECT_EQ(change->action, Action::kNone);
  EXPECT_TRUE(change->fields.empty()) << change->fields[0].path;
  EXPECT_EQ(outputs_.Get("kv", "vaultUri")->value, "https://demo-kv.vault.azure.net");
  EXPECT_EQ(Writes(), 0);
}

TEST_F(ArmUnitTest, KeyVaultWithoutDeployerObjectIdIsAClearError) {
  reconcilers::arm::KeyVaultReconciler r(arm_, kSub, kTenant, /*deployer_object_id=*/"");
  EXPECT_THAT(PlanOf(r, Vault()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("key vault \"demo-kv\": accessPolicies[0].principal is the "
                                 "deployer, but envctl does not know its own object id: set "
                                 "AZURE_OBJECT_ID")));
  EXPECT_TRUE(transport_.Requests().empty());
}

TEST_F(ArmUnitTest, KeyVaultWithUnappliedFactoryIsKnownAfterApply) {
  envctl::v1::Resource r = Vault();
  r.mutable_key_vault()->add_access_policies()->mutable_principal()->set_data_factory("adf");
  reconcilers::arm::KeyVaultReconciler kv(arm_, kSub, kTenant, kDeployer);
  EXPECT_THAT(PlanOf(kv, r), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("output adf.principalId is not known yet")));
}

TEST(RoleAssignmentNameTest, IsAStableGuidOfScopeRoleAndPrincipal) {
  const std::string scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/lake";
  const std::string role = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
  const std::string principal = "22222222-0000-0000-0000-000000000000";
  const std::string name = reconcilers::arm::RoleAssignmentName(scope, role, principal);
  EXPECT_THAT(name, ::testing::MatchesRegex(
                        "[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  // Case-insensitive like ARM ids, and different for another principal or role.
  EXPECT_EQ(reconcilers::arm::RoleAssignmentName(absl::AsciiStrToUpper(scope), role, principal), name);
  EXPECT_NE(reconcilers::arm::RoleAssignmentName(scope, role, "33333333-0000-0000-0000-000000000000"), name);
  EXPECT_NE(reconcilers::arm::RoleAssignmentName(scope, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", principal), name);
}

TEST_F(ArmUnitTest, RoleAssignmentByRoleNameResolvesTheDefinitionAndPlansACreate) {
  json storage = {{"id", "/subscriptions/" + std::string(kSub) +
                             "/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"}};
  reconcilers::OutputValue id;
  id.value = storage["id"];
  outputs_.Set("lake", "id", id);
  transport_.Enqueue("GET", "roleDefinitions", 200,
                     json{{"value", json::array({{{"id", "/subscriptions/" + std::string(kSub) +
                                                             "/providers/Microsoft.Authorization/roleDefinitions/"
                                                             "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
                                                      {"name", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"}}})}}
                         .dump());
  transport_.Enqueue("GET", "roleAssignments", 404,
                     R"({"error":{"code":"RoleAssignmentNotFound","message":"not found"}})");
  envctl::v1::Resource r;
  r.set_name("lake-access");
  r.mutable_role_assignment()->set_scope("lake");
  r.mutable_role_assignment()->set_role("Storage Blob Data Contributor");
  r.mutable_role_assignment()->mutable_principal()->set_deployer(true);
  reconcilers::arm::RoleAssignmentReconciler ra(arm_, kSub, kDeployer);
  auto change = PlanOf(ra, r);
  ASSERT_OK(change);
  EXPECT_EQ(change->action, Action::kCreate);
  EXPECT_EQ(change->observed["name"],
            reconcilers::arm::RoleAssignmentName(storage["id"], "ba92f5b4-2d11-453d-a403-e96b0029c9fe", kDeployer));
  EXPECT_EQ(change->observed["principalId"], kDeployer);
  EXPECT_EQ(Writes(), 0);
  ASSERT_FALSE(transport_.Requests().empty());
  EXPECT_THAT(transport_.Requests()[0].url, HasSubstr("roleName%20eq%20%27Storage%20Blob%20Data%20Contributor%27"));
}

// Built-in role GUIDs never change: one lookup per process serves every assignment (and
// every environment); a custom role is looked up on every pass.
TEST_F(ArmUnitTest, BuiltInRoleNameIsLookedUpOncePerProcessCustomRoleEveryPass) {
  reconcilers::OutputValue id;
  id.value = "/subscriptions/" + std::string(kSub) +
             "/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake";
  outputs_.Set("lake", "id", id);
  auto definition = [](const std::string& guid, const std::string& type) {
    return json{{"value", json::array({{{"id", "/subscriptions/" + std::string(kSub) +
                                                   "/providers/Microsoft.Authorization/roleDefinitions/" + guid},
                                        {"name", guid},
                                        {"properties", {{"type", type}}}}})}}
        .dump();
  };
  transport_.Enqueue("GET", "roleDefinitions", 200, definition("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "BuiltInRole"));
  transport_.Enqueue("GET", "roleDefinitions", 200, definition("11111111-2d11-453d-a403-e96b0029c9fe", "CustomRole"));
  transport_.Enqueue("GET", "roleDefinitions", 200, definition("11111111-2d11-453d-a403-e96b0029c9fe", "CustomRole"));
  for (int i = 0; i < 4; ++i) {
    transport_.Enqueue("GET", "roleAssignments", 404,
                       R"({"error":{"code":"RoleAssignmentNotFound","message":"not found"}})");
  }
  reconcilers::arm::RoleAssignmentReconciler ra(arm_, kSub, kDeployer);
  auto assignment = [](const std::string& role) {
    envctl::v1::Resource r;
    r.set_name("lake-access");
    r.mutable_role_assignment()->set_scope("lake");
    r.mutable_role_assignment()->set_role(role);
    r.mutable_role_assignment()->mutable_principal()->set_deployer(true);
    return r;
  };
  auto lookups = [&] {
    int n = 0;
    for (const auto& req : transport_.Requests()) n += req.url.find("roleDefinitions") != std::string::npos;
    return n;
  };
  ASSERT_OK(PlanOf(ra, assignment("Storage Blob Data Contributor")));
  auto again = PlanOf(ra, assignment("storage blob data contributor"));
  ASSERT_OK(again);
  EXPECT_EQ(again->observed["name"], reconcilers::arm::RoleAssignmentName(
                                          id.value, "ba92f5b4-2d11-453d-a403-e96b0029c9fe", kDeployer));
  EXPECT_EQ(lookups(), 1);
  ASSERT_OK(PlanOf(ra, assignment("Lake Reader (custom)")));
  ASSERT_OK(PlanOf(ra, assignment("Lake Reader (custom)")));
  EXPECT_EQ(lookups(), 3);
}

TEST_F(ArmUnitTest, RoleAssignmentWithUncreatedScopeIsKnownAfterApply) {
  envctl::v1::Resource r;
  r.set_name("lake-access");
  r.mutable_role_assignment()->set_scope("lake");
  r.mutable_role_assignment()->set_role("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
  r.mutable_role_assignment()->mutable_principal()->set_object_id("33333333-0000-0000-0000-000000000000");
  reconcilers::arm::RoleAssignmentReconciler ra(arm_, kSub, kDeployer);
  EXPECT_THAT(PlanOf(ra, r), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("the id of lake is not known yet")));
  EXPECT_TRUE(transport_.Requests().empty());
}

TEST_F(ArmUnitTest, DatabricksWorkspaceWithoutSourceIsAClearError) {
  envctl::v1::Resource r;
  r.set_name("ws");
  r.mutable_databricks_workspace();
  reconcilers::arm::DatabricksWorkspaceReconciler ws(arm_, kSub, transport_, clock_);
  EXPECT_THAT(PlanOf(ws, r), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("ws: databricksWorkspace sets neither existing "
                                                "nor provisioned")));
  EXPECT_EQ(reconcilers::arm::DatabricksWorkspaceReconciler::TokenComment(env_, r),
            "envctl demo/dev/ws");
}

TEST_F(ArmUnitTest, StorageAccountPlanPublishesOnlyFingerprintsWithoutListKeys) {
  json account = {
      {"id", "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"},
      {"name", "lake"}, {"location", "westeurope"}, {"kind", "StorageV2"},
      {"sku", {{"name", "Standard_LRS"}, {"tier", "Standard"}}},
      {"tags", {{"envctl-managed-by", "envctl"}, {"envctl-environment", "demo/dev"}}},
      {"properties",
       {{"isHnsEnabled", true}, {"accessTier", "Hot"}, {"minimumTlsVersion", "TLS1_2"},
        {"supportsHttpsTrafficOnly", true}, {"provisioningState", "Succeeded"},
        {"keyCreationTime", {{"key1", "2026-03-01T10:00:00.1234567Z"}, {"key2", "2026-03-01T10:00:00.1234567Z"}}},
        {"primaryEndpoints", {{"dfs", "https://lake.dfs.core.windows.net/"}}}}}};
  transport_.Enqueue("GET", "/storageAccounts/lake?", 200, account.dump());
  envctl::v1::Resource r;
  r.set_name("lake");
  r.mutable_storage_account()->set_account_name("lake");
  r.mutable_storage_account()->set_resource_group("rg");
  r.mutable_storage_account()->set_sku("standard_lrs");  // case differs from the service's
  r.mutable_storage_account()->set_hierarchical_namespace(true);
  reconcilers::arm::StorageAccountReconciler sa(arm_, kSub);
  auto change = PlanOf(sa, r);
  ASSERT_OK(change);
  EXPECT_EQ(change->action, Action::kNone) << (change->fields.empty() ? "" : change->fields[0].path);
  auto key = outputs_.Get("lake", "primaryKey");
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(key->sensitive);
  EXPECT_TRUE(key->value.empty());
  EXPECT_EQ(key->Fingerprint(), "key1@2026-03-01T10:00:00.1234567Z");
  EXPECT_EQ(outputs_.Get("lake", "dfsEndpoint")->value, "https://lake.dfs.core.windows.net/");
  EXPECT_EQ(transport_.Requests().size(), 1u);  // the GET only: no listKeys in Plan
}

TEST(StorageAccountOutputsTest, FingerprintAndConnectionString) {
  nlohmann::json account = {
      {"name", "acct"},
      {"properties",
       {{"keyCreationTime", {{"key1", "2026-01-01T00:00:00Z"}, {"key2", "2026-02-01T00:00:00Z"}}},
        {"primaryEndpoints", {{"blob", "https://acct.blob.core.windows.net/"},
                              {"dfs", "https://acct.dfs.core.windows.net/"}}}}}};
  using reconcilers::arm::StorageAccountReconciler;
  EXPECT_EQ(StorageAccountReconciler::KeyFingerprint(account, "key1"), "key1@2026-01-01T00:00:00Z");
  EXPECT_EQ(StorageAccountReconciler::KeyFingerprint(account, "key2"), "key2@2026-02-01T00:00:00Z");
  EXPECT_EQ(StorageAccountReconciler::ConnectionString(account, "K"),
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=K;"
            "EndpointSuffix=core.windows.net");
  account["properties"]["primaryEndpoints"]["blob"] = "https://127.0.0.1:9000/acct/";
  EXPECT_EQ(StorageAccountReconciler::ConnectionString(account, "K"),
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=K;"
            "BlobEndpoint=https://127.0.0.1:9000/acct/;DfsEndpoint=https://acct.dfs.core.windows.net/");
}

TEST(KeyVaultPolicyNormalizationTest, SortsMergesAndLowercases) {
  json live = json::array(
      {{{"tenantId", "T"}, {"objectId", "B-OID"}, {"permissions", {{"secrets", {"List", "get"}}, {"keys", json::array()}}}},
       {{"tenantId", "T"}, {"objectId", "a-oid"}, {"permissions", {{"secrets", {"set"}}}}},
       {{"tenantId", "T"}, {"objectId", "A-OID"}, {"permissions", {{"secrets", {"get", "SET"}}}}}});
  EXPECT_EQ(reconcilers::arm::KeyVaultReconciler::NormalizePolicies(live),
            (json::array({{{"objectId", "a-oid"}, {"tenantId", "t"}, {"permissions", {{"secrets", {"get", "set"}}}}},
                          {{"objectId", "b-oid"}, {"tenantId", "t"}, {"permissions", {{"secrets", {"get", "list"}}}}}})));
}

}  // namespace
}  // namespace envctl::testing
