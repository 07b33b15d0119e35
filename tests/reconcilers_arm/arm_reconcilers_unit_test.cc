// Unit tests of the ARM reconcilers' normalization and of errors raised before (or
// without) cloud writes, over a FakeTransport: no cloudsim needed.
#include "absl/strings/ascii.h"
#include "cloud/arm/arm_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcilers/arm/data_factory_reconciler.h"
#include "reconcilers/arm/databricks_workspace_reconciler.h"
#include "reconcilers/arm/key_vault_reconciler.h"
#include "reconcilers/arm/resource_group_reconciler.h"
#include "reconcilers/arm/role_assignment_reconciler.h"
#include "reconcilers/arm/storage_account_reconciler.h"
#include "reconcilers/arm/user_assigned_identity_reconciler.h"
#include "reconcilers/ignored_fields.h"
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
      : arm_(
            std::make_shared<const cloud::arm::ArmClient>(transport_, clock_, "https://arm.test")) {
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
    reconcilers::Context ctx{
        env_, env_.resources(env_.resources_size() - 1), content, outputs_, prior, clock_};
    return r.Plan(ctx);
  }

  // Plan, the engine's ignoreDifferences step with `ignored`, then Apply of what is left.
  absl::StatusOr<reconcilers::Change> PlanIgnoringThenApply(
      reconcilers::Reconciler& r, const envctl::v1::Resource& resource,
      const std::vector<std::string>& ignored) {
    *env_.add_resources() = resource;
    reconcilers::PriorState prior;
    prior.applied_before = true;
    envctl::v1::ResourceContent content;
    reconcilers::Context ctx{
        env_, env_.resources(env_.resources_size() - 1), content, outputs_, prior, clock_};
    absl::StatusOr<reconcilers::Change> change = r.Plan(ctx);
    if (!change.ok()) return change;
    reconcilers::DropIgnoredFields(ignored, &*change);
    if (change->action == Action::kNone) return change;
    absl::StatusOr<reconcilers::ApplyResult> applied = r.Apply(ctx, *change);
    if (!applied.ok()) return applied.status();
    return change;
  }

  // The JSON body of the only `method` request whose URL contains `part`.
  json BodyOf(const std::string& method, const std::string& part) {
    std::vector<json> found;
    for (const auto& req : transport_.Requests()) {
      if (req.method == method && req.url.find(part) != std::string::npos)
        found.push_back(json::parse(req.body));
    }
    EXPECT_EQ(found.size(), 1u) << method << " " << part;
    return found.empty() ? json() : found[0];
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
         json::array({{{"tenantId", kTenant},
                       {"objectId", "aaaaaaaa-0000-0000-0000-000000000000"},
                       {"permissions", {{"secrets", {"List"}}, {"keys", json::array()}}}},
                      {{"tenantId", kTenant},
                       {"objectId", kDeployer},
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
  const std::string scope =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/lake";
  const std::string role = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
  const std::string principal = "22222222-0000-0000-0000-000000000000";
  const std::string name = reconcilers::arm::RoleAssignmentName(scope, role, principal);
  EXPECT_THAT(name, ::testing::MatchesRegex(
                        "[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  // Case-insensitive like ARM ids, and different for another principal or role.
  EXPECT_EQ(reconcilers::arm::RoleAssignmentName(absl::AsciiStrToUpper(scope), role, principal),
            name);
  EXPECT_NE(
      reconcilers::arm::RoleAssignmentName(scope, role, "33333333-0000-0000-0000-000000000000"),
      name);
  EXPECT_NE(reconcilers::arm::RoleAssignmentName(scope, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
                                                 principal),
            name);
}

TEST_F(ArmUnitTest, RoleAssignmentByRoleNameResolvesTheDefinitionAndPlansACreate) {
  json storage = {
      {"id", "/subscriptions/" + std::string(kSub) +
                 "/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"}};
  reconcilers::OutputValue id;
  id.value = storage["id"];
  outputs_.Set("lake", "id", id);
  transport_.Enqueue(
      "GET", "roleDefinitions", 200,
      json{{"value", json::array({{{"id", "/subscriptions/" + std::string(kSub) +
                                              "/providers/Microsoft.Authorization/roleDefinitions/"
                                              "974c5e8b-45b9-4653-ba55-5f855dd0fb88"},
                                   {"name", "974c5e8b-45b9-4653-ba55-5f855dd0fb88"}}})}}
          .dump());
  transport_.Enqueue("GET", "roleAssignments", 404,
                     R"({"error":{"code":"RoleAssignmentNotFound","message":"not found"}})");
  envctl::v1::Resource r;
  r.set_name("lake-access");
  r.mutable_role_assignment()->set_scope("lake");
  r.mutable_role_assignment()->set_role("Storage Queue Data Contributor");
  r.mutable_role_assignment()->mutable_principal()->set_deployer(true);
  reconcilers::arm::RoleAssignmentReconciler ra(arm_, kSub, kDeployer);
  auto change = PlanOf(ra, r);
  ASSERT_OK(change);
  EXPECT_EQ(change->action, Action::kCreate);
  EXPECT_EQ(change->observed["name"],
            reconcilers::arm::RoleAssignmentName(
                storage["id"], "974c5e8b-45b9-4653-ba55-5f855dd0fb88", kDeployer));
  EXPECT_EQ(change->observed["principalId"], kDeployer);
  EXPECT_EQ(Writes(), 0);
  ASSERT_FALSE(transport_.Requests().empty());
  EXPECT_THAT(transport_.Requests()[0].url,
              HasSubstr("roleName%20eq%20%27Storage%20Queue%20Data%20Contributor%27"));
}

// Built-in role GUIDs never change: a well-known one (BuiltInRoleGuid) needs no lookup,
// another built-in one is looked up once per process for every assignment (and every
// environment); a custom role is looked up on every pass.
TEST_F(ArmUnitTest, BuiltInRoleNameIsLookedUpAtMostOncePerProcessCustomRoleEveryPass) {
  reconcilers::OutputValue id;
  id.value = "/subscriptions/" + std::string(kSub) +
             "/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake";
  outputs_.Set("lake", "id", id);
  auto definition = [](const std::string& guid, const std::string& type) {
    return json{
        {"value",
         json::array({{{"id", "/subscriptions/" + std::string(kSub) +
                                  "/providers/Microsoft.Authorization/roleDefinitions/" + guid},
                       {"name", guid},
                       {"properties", {{"type", type}}}}})}}
        .dump();
  };
  transport_.Enqueue("GET", "roleDefinitions", 200,
                     definition("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "BuiltInRole"));
  transport_.Enqueue("GET", "roleDefinitions", 200,
                     definition("11111111-2d11-453d-a403-e96b0029c9fe", "CustomRole"));
  transport_.Enqueue("GET", "roleDefinitions", 200,
                     definition("11111111-2d11-453d-a403-e96b0029c9fe", "CustomRole"));
  for (int i = 0; i < 5; ++i) {
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
    for (const auto& req : transport_.Requests())
      n += req.url.find("roleDefinitions") != std::string::npos;
    return n;
  };
  auto well_known = PlanOf(ra, assignment("storage blob data contributor"));
  ASSERT_OK(well_known);
  EXPECT_EQ(well_known->observed["name"],
            reconcilers::arm::RoleAssignmentName(id.value, "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
                                                 kDeployer));
  EXPECT_EQ(lookups(), 0);
  ASSERT_OK(PlanOf(ra, assignment("Storage Queue Data Contributor")));
  auto again = PlanOf(ra, assignment("storage queue data contributor"));
  ASSERT_OK(again);
  EXPECT_EQ(again->observed["name"],
            reconcilers::arm::RoleAssignmentName(id.value, "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
                                                 kDeployer));
  EXPECT_EQ(lookups(), 1);
  ASSERT_OK(PlanOf(ra, assignment("Lake Reader (custom)")));
  ASSERT_OK(PlanOf(ra, assignment("Lake Reader (custom)")));
  EXPECT_EQ(lookups(), 3);
}

// Issue 17: the other spellings: a scope given as an ARM id (no resource of the
// environment), a role by its definition GUID and a principal by object id need no
// lookup; the assignment is read under its deterministic name.
TEST_F(ArmUnitTest, RoleAssignmentByGuidAtAnArmIdForAnObjectIdNeedsNoLookup) {
  const std::string scope = "/subscriptions/" + std::string(kSub) +
                            "/resourceGroups/shared-rg/providers/Microsoft.Storage/"
                            "storageAccounts/shared";
  const std::string principal = "33333333-0000-0000-0000-000000000000";
  transport_.Enqueue("GET", "roleAssignments", 404,
                     R"({"error":{"code":"RoleAssignmentNotFound","message":"not found"}})");
  envctl::v1::Resource r;
  r.set_name("shared-access");
  r.mutable_role_assignment()->set_scope(scope);
  r.mutable_role_assignment()->set_role("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
  r.mutable_role_assignment()->mutable_principal()->set_object_id(principal);
  reconcilers::arm::RoleAssignmentReconciler ra(arm_, kSub, kDeployer);
  auto change = PlanOf(ra, r);
  ASSERT_OK(change);
  EXPECT_EQ(change->action, Action::kCreate);
  const std::string name = reconcilers::arm::RoleAssignmentName(
      scope, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", principal);
  EXPECT_EQ(change->observed["name"], name);
  EXPECT_EQ(change->observed["principalId"], principal);
  ASSERT_EQ(transport_.Requests().size(), 1u) << "no role definition lookup";
  EXPECT_THAT(transport_.Requests()[0].url,
              HasSubstr(scope + "/providers/Microsoft.Authorization/roleAssignments/" + name));
}

TEST_F(ArmUnitTest, RoleAssignmentWithUncreatedScopeIsKnownAfterApply) {
  envctl::v1::Resource r;
  r.set_name("lake-access");
  r.mutable_role_assignment()->set_scope("lake");
  r.mutable_role_assignment()->set_role("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
  r.mutable_role_assignment()->mutable_principal()->set_object_id(
      "33333333-0000-0000-0000-000000000000");
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
      {"id",
       "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"},
      {"name", "lake"},
      {"location", "westeurope"},
      {"kind", "StorageV2"},
      {"sku", {{"name", "Standard_LRS"}, {"tier", "Standard"}}},
      {"tags", {{"envctl-managed-by", "envctl"}, {"envctl-environment", "demo/dev"}}},
      {"properties",
       {{"isHnsEnabled", true},
        {"accessTier", "Hot"},
        {"minimumTlsVersion", "TLS1_2"},
        {"supportsHttpsTrafficOnly", true},
        {"provisioningState", "Succeeded"},
        {"keyCreationTime",
         {{"key1", "2026-03-01T10:00:00.1234567Z"}, {"key2", "2026-03-01T10:00:00.1234567Z"}}},
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
  EXPECT_EQ(change->action, Action::kNone)
      << (change->fields.empty() ? "" : change->fields[0].path);
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
        {"primaryEndpoints",
         {{"blob", "https://acct.blob.core.windows.net/"},
          {"dfs", "https://acct.dfs.core.windows.net/"}}}}}};
  using reconcilers::arm::StorageAccountReconciler;
  EXPECT_EQ(StorageAccountReconciler::KeyFingerprint(account, "key1"), "key1@2026-01-01T00:00:00Z");
  EXPECT_EQ(StorageAccountReconciler::KeyFingerprint(account, "key2"), "key2@2026-02-01T00:00:00Z");
  EXPECT_EQ(StorageAccountReconciler::ConnectionString(account, "K"),
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=K;"
            "EndpointSuffix=core.windows.net");
  account["properties"]["primaryEndpoints"]["blob"] = "https://127.0.0.1:9000/acct/";
  EXPECT_EQ(
      StorageAccountReconciler::ConnectionString(account, "K"),
      "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=K;"
      "BlobEndpoint=https://127.0.0.1:9000/acct/;DfsEndpoint=https://acct.dfs.core.windows.net/");
}

TEST(KeyVaultPolicyNormalizationTest, SortsMergesAndLowercases) {
  json live = json::array(
      {{{"tenantId", "T"},
        {"objectId", "B-OID"},
        {"permissions", {{"secrets", {"List", "get"}}, {"keys", json::array()}}}},
       {{"tenantId", "T"}, {"objectId", "a-oid"}, {"permissions", {{"secrets", {"set"}}}}},
       {{"tenantId", "T"}, {"objectId", "A-OID"}, {"permissions", {{"secrets", {"get", "SET"}}}}}});
  EXPECT_EQ(reconcilers::arm::KeyVaultReconciler::NormalizePolicies(live),
            (json::array({{{"objectId", "a-oid"},
                           {"tenantId", "t"},
                           {"permissions", {{"secrets", {"get", "set"}}}}},
                          {{"objectId", "b-oid"},
                           {"tenantId", "t"},
                           {"permissions", {{"secrets", {"get", "list"}}}}}})));
}

// ignoreDifferences on the write side: a repair of another field keeps what live holds at
// an ignored path (an Azure Policy tag), for every ARM kind whose write carries it.
constexpr char kManagedTags[] =
    R"({"envctl-managed-by": "envctl", "envctl-environment": "demo/dev"})";

json TagsWith(std::initializer_list<std::pair<const char*, const char*>> extra) {
  json tags = json::parse(kManagedTags);
  for (const auto& [k, v] : extra) tags[k] = v;
  return tags;
}

TEST_F(ArmUnitTest, ResourceGroupTagRepairKeepsAnIgnoredTagsLiveValue) {
  json group = {{"id", "/subscriptions/x/resourceGroups/demo-rg"},
                {"name", "demo-rg"},
                {"location", "westeurope"},
                {"tags", TagsWith({{"CostCenter", "4711"}, {"team", "someone"}})}};
  transport_.Enqueue("GET", "/resourceGroups/demo-rg?", 200, group.dump());
  transport_.Enqueue("PATCH", "/resourceGroups/demo-rg?", 200, group.dump());
  envctl::v1::Resource r;
  r.set_name("rg2");
  r.mutable_resource_group()->set_group_name("demo-rg");
  r.mutable_tags()->insert({"team", "data"});
  reconcilers::arm::ResourceGroupReconciler rg(arm_, kSub);
  auto change = PlanIgnoringThenApply(rg, r, {"tags.CostCenter"});
  ASSERT_OK(change);
  ASSERT_EQ(change->fields.size(), 1u);
  EXPECT_EQ(change->fields[0].path, "tags.team");
  EXPECT_EQ(BodyOf("PATCH", "/resourceGroups/demo-rg?")["tags"],
            TagsWith({{"CostCenter", "4711"}, {"team", "data"}}));
}

TEST_F(ArmUnitTest, StorageAccountRepairKeepsIgnoredTagAndProperty) {
  json account = {
      {"id",
       "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"},
      {"name", "lake"},
      {"location", "westeurope"},
      {"kind", "StorageV2"},
      {"sku", {{"name", "Standard_LRS"}}},
      {"tags", TagsWith({{"CostCenter", "4711"}})},
      {"properties",
       {{"isHnsEnabled", true},
        {"accessTier", "Cool"},
        {"minimumTlsVersion", "TLS1_0"},
        {"supportsHttpsTrafficOnly", true}}}};
  transport_.Enqueue("GET", "/storageAccounts/lake?", 200, account.dump());
  transport_.Enqueue("PATCH", "/storageAccounts/lake?", 200, account.dump());
  envctl::v1::Resource r;
  r.set_name("lake");
  r.mutable_storage_account()->set_account_name("lake");
  r.mutable_storage_account()->set_resource_group("rg");
  r.mutable_storage_account()->set_hierarchical_namespace(true);
  reconcilers::arm::StorageAccountReconciler sa(arm_, kSub);
  auto change = PlanIgnoringThenApply(sa, r, {"tags.CostCenter", "properties.accessTier"});
  ASSERT_OK(change);
  ASSERT_EQ(change->fields.size(), 1u);
  EXPECT_EQ(change->fields[0].path, "properties.minimumTlsVersion");
  const json patch = BodyOf("PATCH", "/storageAccounts/lake?");
  EXPECT_EQ(patch["tags"], TagsWith({{"CostCenter", "4711"}}));
  EXPECT_EQ(patch["properties"]["accessTier"], "Cool");
  EXPECT_EQ(patch["properties"]["minimumTlsVersion"], "TLS1_2");
}

TEST_F(ArmUnitTest, StorageAccountWithOnlyIgnoredAccountDriftWritesOnlyTheContainer) {
  json account = {
      {"id",
       "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/lake"},
      {"name", "lake"},
      {"location", "westeurope"},
      {"kind", "StorageV2"},
      {"sku", {{"name", "Standard_LRS"}}},
      {"tags", TagsWith({{"CostCenter", "4711"}})},
      {"properties",
       {{"isHnsEnabled", true},
        {"accessTier", "Hot"},
        {"minimumTlsVersion", "TLS1_2"},
        {"supportsHttpsTrafficOnly", true}}}};
  json container = {
      {"name", "raw"},
      {"properties", {{"publicAccess", "None"}, {"metadata", {{"team", "x"}, {"owner", "y"}}}}}};
  transport_.Enqueue("GET", "/storageAccounts/lake?", 200, account.dump());
  transport_.Enqueue("GET", "/containers/raw?", 200, container.dump());
  transport_.Enqueue("PATCH", "/containers/raw?", 200, container.dump());
  envctl::v1::Resource r;
  r.set_name("lake");
  r.mutable_storage_account()->set_account_name("lake");
  r.mutable_storage_account()->set_resource_group("rg");
  r.mutable_storage_account()->set_hierarchical_namespace(true);
  auto* c = r.mutable_storage_account()->add_containers();
  c->set_name("raw");
  c->mutable_metadata()->insert({"team", "data"});
  reconcilers::arm::StorageAccountReconciler sa(arm_, kSub);
  auto change =
      PlanIgnoringThenApply(sa, r, {"tags", "containers[name=raw].properties.metadata.owner"});
  ASSERT_OK(change);
  ASSERT_EQ(change->fields.size(), 1u);
  EXPECT_EQ(change->fields[0].path, "containers[name=raw].properties.metadata.team");
  EXPECT_EQ(BodyOf("PATCH", "/containers/raw?")["properties"]["metadata"],
            (json{{"team", "data"}, {"owner", "y"}}));
  EXPECT_EQ(Writes(), 1) << "no account PATCH: its only difference (a tag) is ignored";
}

TEST_F(ArmUnitTest, KeyVaultPutKeepsIgnoredTagAndAccessPolicy) {
  json vault = {
      {"id", "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv"},
      {"name", "demo-kv"},
      {"location", "westeurope"},
      {"tags", TagsWith({{"CostCenter", "4711"}})},
      {"properties",
       {{"tenantId", kTenant},
        {"sku", {{"family", "A"}, {"name", "premium"}}},
        {"vaultUri", "https://demo-kv.vault.azure.net/"},
        {"softDeleteRetentionInDays", 90},
        {"accessPolicies", json::array({{{"tenantId", kTenant},
                                         {"objectId", "aaaaaaaa-0000-0000-0000-000000000000"},
                                         {"permissions", {{"secrets", {"list", "get"}}}}},
                                        {{"tenantId", kTenant},
                                         {"objectId", kDeployer},
                                         {"permissions", {{"secrets", {"get", "set"}}}}}})}}}};
  transport_.Enqueue("GET", "/vaults/demo-kv?", 200, vault.dump());
  transport_.Enqueue("PUT", "/vaults/demo-kv?", 200, vault.dump());
  reconcilers::arm::KeyVaultReconciler r(arm_, kSub, kTenant, kDeployer);
  auto change = PlanIgnoringThenApply(
      r, Vault(),
      {"tags.CostCenter",
       "properties.accessPolicies[objectId=aaaaaaaa-0000-0000-0000-000000000000]"});
  ASSERT_OK(change);
  ASSERT_EQ(change->fields.size(), 1u);
  EXPECT_EQ(change->fields[0].path, "properties.sku.name");
  const json put = BodyOf("PUT", "/vaults/demo-kv?");
  EXPECT_EQ(put["tags"], TagsWith({{"CostCenter", "4711"}}));
  EXPECT_EQ(put["properties"]["sku"]["name"], "standard");
  bool kept = false;
  for (const auto& p : put["properties"]["accessPolicies"]) {
    if (p["objectId"] == "aaaaaaaa-0000-0000-0000-000000000000") {
      EXPECT_EQ(p["permissions"]["secrets"], (json{"list", "get"}));
      kept = true;
    }
  }
  EXPECT_TRUE(kept) << put.dump();
}

TEST_F(ArmUnitTest, DataFactoryPatchKeepsIgnoredTagAndGitLinkField) {
  json factory = {
      {"id",
       "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.DataFactory/factories/adf"},
      {"name", "adf"},
      {"location", "westeurope"},
      {"identity", {{"type", "SystemAssigned"}, {"principalId", "p"}}},
      {"tags", TagsWith({{"CostCenter", "4711"}, {"team", "someone"}})},
      {"properties",
       {{"repoConfiguration",
         {{"type", "FactoryGitHubConfiguration"},
          {"accountName", "other"},
          {"repositoryName", "repo"},
          {"collaborationBranch", "main"},
          {"rootFolder", "/"},
          {"disablePublish", true}}}}}};
  transport_.Enqueue("GET", "/factories/adf?", 200, factory.dump());
  transport_.Enqueue("PATCH", "/factories/adf?", 200, factory.dump());
  transport_.Enqueue("POST", "/configureFactoryRepo?", 200, factory.dump());
  envctl::v1::Resource r;
  r.set_name("adf");
  r.mutable_tags()->insert({"team", "data"});
  auto* f = r.mutable_data_factory();
  f->set_factory_name("adf");
  f->set_resource_group("rg");
  auto* repo = f->mutable_repo_configuration();
  repo->set_provider("github");
  repo->set_account_name("org");
  repo->set_repository_name("repo");
  reconcilers::arm::DataFactoryReconciler adf(arm_, kSub);
  auto change = PlanIgnoringThenApply(
      adf, r, {"tags.CostCenter", "properties.repoConfiguration.disablePublish"});
  ASSERT_OK(change);
  EXPECT_EQ(BodyOf("PATCH", "/factories/adf?")["tags"],
            TagsWith({{"CostCenter", "4711"}, {"team", "data"}}));
  const json repo_body = BodyOf("POST", "/configureFactoryRepo?")["repoConfiguration"];
  EXPECT_EQ(repo_body["accountName"], "org");
  EXPECT_EQ(repo_body["disablePublish"], true);
}

TEST_F(ArmUnitTest, UserAssignedIdentityTagRepairKeepsAnIgnoredTag) {
  json identity = {{"id",
                    "/subscriptions/x/resourceGroups/demo-rg/providers/Microsoft.ManagedIdentity/"
                    "userAssignedIdentities/jobs"},
                   {"name", "jobs"},
                   {"location", "westeurope"},
                   {"tags", TagsWith({{"CostCenter", "4711"}})},
                   {"properties", {{"principalId", "p"}, {"clientId", "c"}}}};
  json drifted = identity;
  drifted["tags"].erase("envctl-environment");
  transport_.Enqueue("GET", "/userAssignedIdentities/jobs?", 200, drifted.dump());
  transport_.Enqueue("PATCH", "/userAssignedIdentities/jobs?", 200, identity.dump());
  envctl::v1::Resource r;
  r.set_name("jobs");
  r.mutable_user_assigned_identity()->set_identity_name("jobs");
  r.mutable_user_assigned_identity()->set_resource_group("rg");
  reconcilers::arm::UserAssignedIdentityReconciler uai(arm_, kSub);
  auto change = PlanIgnoringThenApply(uai, r, {"tags.CostCenter"});
  ASSERT_OK(change);
  EXPECT_EQ(BodyOf("PATCH", "/userAssignedIdentities/jobs?")["tags"],
            TagsWith({{"CostCenter", "4711"}}));
}

}  // namespace
}  // namespace envctl::testing
