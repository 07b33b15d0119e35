// DatabricksWorkspace against cloudsim: provision through ARM (LRO), publish id,
// workspaceUrl and envctl's PAT, minted only by a dependent that writes (none without
// one); converged re-apply writes nothing and mints nothing; the token is rotated when it
// enters its renewal window or is revoked out of band, and the dependent follows the new
// fingerprint; a dependent added later leaves the first one's token alone; portal tag drift is
// repaired; an `existing` workspace is only read, and its prune revokes envctl's tokens but keeps
// the workspace.
#include "reconcilers/arm/databricks_workspace_reconciler.h"

#include "cloud/arm/databricks_workspaces.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/tokens_api.h"
#include "tests/reconcilers_arm/arm_fixture.h"

namespace envctl::testing {
namespace {

using cloud::databricks::TokenInfo;
using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;

// A dependent of workspace.token: rewrites when what it holds no longer works (see the
// storage test's FingerprintConsumer), keeping the values it received.
class TokenConsumer : public reconcilers::Reconciler {
 public:
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context& ctx) override {
    auto v = ctx.outputs.Resolve(ctx.resource.key_vault_secret().value());
    if (!v.ok()) return v.status();
    reconcilers::Change change;
    change.exists = true;
    const std::string recorded =
        ctx.prior.memory.is_object() ? ctx.prior.memory.value("fingerprint", "") : "";
    if (!v->Holds(recorded)) change.action = Action::kUpdate;
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

constexpr char kComment[] = "envctl demo/dev/workspace";

class DatabricksWorkspaceReconcilerTest : public ArmReconcilerTest {
 protected:
  void SetUp() override {
    ArmReconcilerTest::SetUp();
    if (HasFatalFailure()) return;
    registry_.Register(envctl::v1::Resource::kKeyVaultSecret, &consumer_);
    AddResourceGroup("rg", "demo-dev-rg");
    envctl::v1::Resource* ws = env_.add_resources();
    ws->set_name("workspace");
    ws->mutable_tags()->insert({"team", "ml"});
    auto* p = ws->mutable_databricks_workspace()->mutable_provisioned();
    p->set_workspace_name("demo-dev-dbw");
    p->set_resource_group("rg");
    p->set_sku("standard");
    ws->mutable_databricks_workspace()->mutable_token_lifetime()->set_seconds(30 * 24 * 3600);
    envctl::v1::Resource* secret = env_.add_resources();
    secret->set_name("databricks-token");
    secret->mutable_key_vault_secret()->set_secret_name("databricks-token");
    secret->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_resource(
        "workspace");
    secret->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_output("token");
  }

  cloud::arm::DatabricksWorkspacesClient Workspaces() {
    return cloud::arm::DatabricksWorkspacesClient(*portal_arm_, sim_->subscription_id);
  }
  std::string Url() {
    auto ws = Workspaces().Get("demo-dev-rg", "demo-dev-dbw");
    EXPECT_TRUE(ws.ok()) << ws.status();
    return ws.ok() ? cloud::arm::DatabricksWorkspacesClient::WorkspaceUrl(*ws) : "";
  }
  // envctl's tokens in the workspace (listed with the AAD identity envctl uses).
  std::vector<TokenInfo> EnvctlTokens() {
    cloud::databricks::DatabricksClient client(session_->Databricks(), Url());
    auto all = cloud::databricks::TokensApi(client).List();
    EXPECT_TRUE(all.ok()) << all.status();
    std::vector<TokenInfo> out;
    for (const auto& t : all.ok() ? *all : std::vector<TokenInfo>{}) {
      if (t.comment == kComment) out.push_back(t);
    }
    return out;
  }
  // Whether `pat` authenticates against the workspace.
  bool TokenWorks(const std::string& pat) {
    std::unique_ptr<cloud::HttpTransport> transport = session_->DatabricksWithToken(pat);
    cloud::databricks::DatabricksClient client(*transport, Url());
    return cloud::databricks::TokensApi(client).List().ok();
  }

  TokenConsumer consumer_;
};

TEST_F(DatabricksWorkspaceReconcilerTest, ProvisionsPublishesTokenAndConverges) {
  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_EQ(Outcome(first, "workspace")->action, Action::kCreate);
  auto live = Workspaces().Get("demo-dev-rg", "demo-dev-dbw");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["sku"]["name"], "standard");
  EXPECT_EQ((*live)["tags"]["team"], "ml");
  EXPECT_THAT((*live)["properties"].value("managedResourceGroupId", ""),
              HasSubstr("/resourceGroups/databricks-rg-demo-dev-dbw"));
  std::vector<TokenInfo> tokens = EnvctlTokens();
  ASSERT_EQ(tokens.size(), 1u);
  ASSERT_EQ(consumer_.written.size(), 1u);
  EXPECT_TRUE(TokenWorks(consumer_.written[0]));

  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
  ResetStats();
  controller::EngineResult second = Apply();
  EXPECT_TRUE(second.InSync()) << Describe(second);
  EXPECT_TRUE(Writes().empty());
  EXPECT_EQ(EnvctlTokens().size(), 1u);
  EXPECT_EQ(consumer_.written.size(), 1u);
}

TEST_F(DatabricksWorkspaceReconcilerTest, RotatesTokenInRenewalWindowAndDependentFollows) {
  ASSERT_TRUE(Apply().ok());
  const std::string old_id = EnvctlTokens().at(0).token_id;
  // 30-day lifetime: renewal starts 10 days before expiry.
  clock_.Advance(absl::Hours(24 * 21));
  controller::EngineResult due = Plan();
  // The workspace itself is unchanged; the dependent's write is the rotation.
  EXPECT_EQ(Outcome(due, "workspace")->action, Action::kNone) << Describe(due);
  EXPECT_EQ(Outcome(due, "databricks-token")->action, Action::kUpdate) << Describe(due);

  ResetStats();
  controller::EngineResult rotated = Apply();
  ASSERT_TRUE(rotated.ok()) << Describe(rotated);
  // Only the token moved: token/create + token/delete, no ARM write.
  std::map<std::string, int> writes = Writes();
  EXPECT_EQ(writes.count("arm"), 0u);
  EXPECT_EQ(writes["databricks"], 2);
  std::vector<TokenInfo> tokens = EnvctlTokens();
  ASSERT_EQ(tokens.size(), 1u);  // the old one was revoked
  EXPECT_NE(tokens[0].token_id, old_id);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_TRUE(TokenWorks(consumer_.written[1]));
  EXPECT_FALSE(TokenWorks(consumer_.written[0]));
  controller::EngineResult after = Plan();
  EXPECT_TRUE(after.InSync()) << Describe(after);
}

TEST_F(DatabricksWorkspaceReconcilerTest, RevokedTokenAndTagDriftAreRepaired) {
  ASSERT_TRUE(Apply().ok());
  cloud::databricks::DatabricksClient client(session_->Databricks(), Url());
  ASSERT_OK(cloud::databricks::TokensApi(client).Delete(EnvctlTokens().at(0).token_id));
  auto live = Workspaces().Get("demo-dev-rg", "demo-dev-dbw");
  ASSERT_OK(live);
  nlohmann::json tags = (*live)["tags"];
  tags["team"] = "someone";
  ASSERT_OK(Workspaces().UpdateTags("demo-dev-rg", "demo-dev-dbw", tags));

  controller::EngineResult drift = Plan();
  const auto* o = Outcome(drift, "workspace");
  EXPECT_EQ(o->action, Action::kUpdate) << Describe(drift);
  EXPECT_THAT(Paths(*o), Contains("tags.team"));
  // The revoked token is the dependent's change: it mints a new one when it writes.
  EXPECT_EQ(Outcome(drift, "databricks-token")->action, Action::kUpdate) << Describe(drift);
  controller::EngineResult repair = Apply();
  ASSERT_TRUE(repair.ok()) << Describe(repair);
  live = Workspaces().Get("demo-dev-rg", "demo-dev-dbw");
  ASSERT_OK(live);
  EXPECT_EQ((*live)["tags"]["team"], "ml");
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_TRUE(TokenWorks(consumer_.written[1]));
  EXPECT_TRUE(Plan().InSync());
}

// Nothing consumes workspace.token: no PAT is made, and the workspace stays in sync.
TEST_F(DatabricksWorkspaceReconcilerTest, WorkspaceWithoutTokenConsumerGetsNoToken) {
  env_.mutable_resources()->RemoveLast();  // the databricks-token secret
  controller::EngineResult first = Apply();
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_TRUE(EnvctlTokens().empty());
  EXPECT_TRUE(Requests("/token/create").empty());
  controller::EngineResult plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Describe(plan);
}

// A dependent added later mints its own token; the one the first dependent holds still
// works and stays current, so neither rewrites (and mints) again on later passes.
TEST_F(DatabricksWorkspaceReconcilerTest, DependentAddedLaterLeavesTheFirstOnesTokenAlone) {
  ASSERT_TRUE(Apply().ok());
  ASSERT_EQ(consumer_.written.size(), 1u);
  envctl::v1::Resource* second = env_.add_resources();
  second->CopyFrom(env_.resources(env_.resources_size() - 2));
  second->set_name("databricks-token-copy");
  second->mutable_key_vault_secret()->set_secret_name("databricks-token-copy");
  controller::EngineResult added = Apply();
  ASSERT_TRUE(added.ok()) << Describe(added);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_NE(consumer_.written[0], consumer_.written[1]);
  EXPECT_TRUE(TokenWorks(consumer_.written[0]));
  EXPECT_TRUE(TokenWorks(consumer_.written[1]));
  EXPECT_EQ(EnvctlTokens().size(), 2u);
  for (int pass = 0; pass < 2; ++pass) {
    controller::EngineResult again = Apply();
    ASSERT_TRUE(again.ok()) << Describe(again);
    EXPECT_TRUE(again.InSync()) << "pass " << pass << ": " << Describe(again);
  }
  EXPECT_EQ(consumer_.written.size(), 2u);
  EXPECT_EQ(EnvctlTokens().size(), 2u);
}

// envctl died between a mint and the dependent's write: the orphan is newer than the token
// the only dependent holds. With one reader only the newest token is current, so the
// dependent writes once more and that mint revokes both: one token is left, the one in use.
TEST_F(DatabricksWorkspaceReconcilerTest, OrphanOfACrashedMintIsRevokedByTheNextMint) {
  ASSERT_TRUE(Apply().ok());
  clock_.Advance(absl::Minutes(1));  // the orphan is the newer one
  cloud::databricks::DatabricksClient client(session_->Databricks(), Url());
  ASSERT_OK(cloud::databricks::TokensApi(client).Create(30 * 24 * 3600, kComment));
  ASSERT_EQ(EnvctlTokens().size(), 2u);
  controller::EngineResult plan = Plan();
  EXPECT_EQ(Outcome(plan, "databricks-token")->action, Action::kUpdate) << Describe(plan);
  controller::EngineResult repaired = Apply();
  ASSERT_TRUE(repaired.ok()) << Describe(repaired);
  ASSERT_EQ(EnvctlTokens().size(), 1u);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_TRUE(TokenWorks(consumer_.written[1]));
  EXPECT_TRUE(Plan().InSync());
}

// token/create's answer is lost (503 after the token was made, Retry-After 7 s): the mint
// waits as asked, creates again, and revokes the orphan; the dependent's token works.
TEST_F(DatabricksWorkspaceReconcilerTest, LostTokenCreateAnswerWaitsRetryAfterAndRevokesOrphan) {
  Admin("POST", "/faults",
        {{"service", "databricks"},
         {"operation", "POST /api/2.0/token/create"},
         {"status", 503},
         {"retry_after_s", 7},
         {"after_handling", true},
         {"count", 1}});
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(applied.ok()) << Describe(applied);
  EXPECT_THAT(clock_.Sleeps(), Contains(absl::Seconds(7)));
  EXPECT_EQ(Requests("/token/create").size(), 2u);
  ASSERT_EQ(EnvctlTokens().size(), 1u);  // the orphan of the lost answer was revoked
  ASSERT_EQ(consumer_.written.size(), 1u);
  EXPECT_TRUE(TokenWorks(consumer_.written[0]));
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(DatabricksWorkspaceReconcilerTest, ExistingWorkspaceIsReadOnlyAndPruneRevokesTokens) {
  ASSERT_TRUE(Apply().ok());
  auto live = Workspaces().Get("demo-dev-rg", "demo-dev-dbw");
  ASSERT_OK(live);
  // A second environment adopts the same workspace as `existing`.
  envctl::v1::Environment other;
  other.set_name("test");
  other.set_project("demo");
  other.mutable_sync()->set_prune(true);
  envctl::v1::Resource* ws = other.add_resources();
  ws->set_name("workspace");
  ws->mutable_databricks_workspace()->mutable_existing()->set_workspace_url(Url());
  ws->mutable_databricks_workspace()->mutable_existing()->set_resource_id((*live)["id"]);
  envctl::v1::Resource* consumer = other.add_resources();
  consumer->CopyFrom(env_.resources(env_.resources_size() - 1));
  auto applied = engine_->Apply(other);
  ASSERT_OK(applied);
  ASSERT_TRUE(applied->ok()) << Describe(*applied);
  auto plan = engine_->Plan(other);
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->InSync()) << Describe(*plan);

  cloud::databricks::DatabricksClient client(session_->Databricks(), Url());
  auto count = [&](const std::string& comment) {
    auto all = cloud::databricks::TokensApi(client).List();
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return -1;
    int n = 0;
    for (const auto& t : *all) n += t.comment == comment;
    return n;
  };
  EXPECT_EQ(count("envctl demo/test/workspace"), 1);
  other.clear_resources();
  auto pruned = engine_->Apply(other);
  ASSERT_OK(pruned);
  ASSERT_TRUE(pruned->ok()) << Describe(*pruned);
  EXPECT_EQ(count("envctl demo/test/workspace"), 0);
  EXPECT_EQ(count(kComment), 1);
  EXPECT_OK(Workspaces().Get("demo-dev-rg", "demo-dev-dbw"));
}

}  // namespace
}  // namespace envctl::testing
