// KeyVaultSecret against cloudsim: create from a lazily minted source, converge to a
// zero-write plan, rewrite exactly once after the source's fingerprint rotates, repair
// out-of-band tag edits, recover a soft-deleted secret, and never leak the value.
#include <atomic>

#include "cloud/keyvault/secrets_client.h"
#include "tests/reconcilers_data/data_plane_fixture.h"

namespace envctl::testing {
namespace {

using reconcilers::Action;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class KeyVaultSecretTest : public DataPlaneTest {
 protected:
  void SetUp() override {
    DataPlaneTest::SetUp();
    vault_uri_ = CreateVault("keyvault", "kv-data-test");
    ASSERT_FALSE(vault_uri_.empty());
    // The source: like a storage key, published with a fingerprint and a lazy mint.
    AddResource("lake")->mutable_storage_account()->set_account_name("lakeacct");
    PublishSource("key1@2026-01-01T00:00:00Z", "first-secret-value-123");
    envctl::v1::Resource* r = AddResource("lake-key");
    r->mutable_key_vault_secret()->set_vault("keyvault");
    r->mutable_key_vault_secret()->set_secret_name("lake-key");
    r->mutable_key_vault_secret()->set_content_type("text/plain");
    r->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_resource("lake");
    r->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_output("primaryKey");
    SetContent("lake-key", {});
    client_ = std::make_unique<cloud::keyvault::SecretsClient>(session_->KeyVault(), vault_uri_);
  }

  void PublishSource(const std::string& fingerprint, const std::string& value) {
    reconcilers::OutputValue v;
    v.sensitive = true;
    v.fingerprint = fingerprint;
    v.mint = [this, fingerprint, value]() -> absl::StatusOr<reconcilers::OutputValue> {
      ++mints_;
      reconcilers::OutputValue minted;
      minted.value = value;
      minted.sensitive = true;
      minted.fingerprint = fingerprint;
      return minted;
    };
    stub_.Set("lake", "primaryKey", v);
  }

  std::string vault_uri_;
  std::atomic<int> mints_{0};
  std::unique_ptr<cloud::keyvault::SecretsClient> client_;
};

TEST_F(KeyVaultSecretTest, CreatesThenPlansNoChangeAndReapplyMakesNoWrite) {
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake-key");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->action, Action::kCreate) << Describe(plan);
  EXPECT_EQ(mints_, 0) << "plan must never mint the source value";

  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake-key")->status.ok()) << Describe(applied);
  EXPECT_EQ(mints_, 1);
  auto live = client_->Get("lake-key");
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->value, "first-secret-value-123");
  EXPECT_EQ(live->properties.content_type, "text/plain");
  EXPECT_EQ(live->properties.tags["envctl-source"], "key1@2026-01-01T00:00:00Z");
  EXPECT_EQ(live->properties.tags["envctl-managed-by"], "envctl");
  EXPECT_EQ(live->properties.tags["envctl-environment"], "demo/dev");

  ResetStats();
  controller::EngineResult again = Apply();
  EXPECT_EQ(Outcome(again, "lake-key")->action, Action::kNone) << Describe(again);
  EXPECT_EQ(Writes().count("keyvault"), 0u);
  EXPECT_EQ(mints_, 1) << "a no-op resync must not read or mint the source";
}

// A vault created from nothing in this pass holds no secret, live or soft-deleted: the
// secret is set without reading either; the next pass reads it and finds it in sync.
TEST_F(KeyVaultSecretTest, SecretOfAVaultCreatedInThisPassIsSetUnread) {
  stub_.CreateInNextApply("keyvault");
  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake-key")->status.ok()) << Describe(applied);
  EXPECT_EQ(Outcome(applied, "lake-key")->action, Action::kCreate);
  EXPECT_THAT(Requests("GET", "secrets/lake-key"), ::testing::IsEmpty());
  EXPECT_THAT(Requests("PUT", "/secrets/lake-key"), ::testing::SizeIs(::testing::Ge(1)));
  controller::EngineResult again = Apply();
  EXPECT_EQ(Outcome(again, "lake-key")->action, Action::kNone) << Describe(again);
}

TEST_F(KeyVaultSecretTest, RotatedSourceFingerprintRewritesTheSecretOnce) {
  Apply();
  PublishSource("key1@2026-02-01T00:00:00Z", "rotated-secret-value-456");
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake-key");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  ASSERT_EQ(o->fields.size(), 1u) << Describe(plan);
  EXPECT_EQ(o->fields[0].path, "tags.envctl-source");
  EXPECT_EQ(o->fields[0].old_value, "\"key1@2026-01-01T00:00:00Z\"");
  EXPECT_EQ(o->fields[0].new_value, "\"key1@2026-02-01T00:00:00Z\"");
  EXPECT_EQ(o->reason, "source value changed (new fingerprint)");

  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake-key")->status.ok()) << Describe(applied);
  EXPECT_EQ(Writes()["keyvault"], 1) << "exactly one PUT /secrets/lake-key";
  EXPECT_EQ(client_->Get("lake-key")->value, "rotated-secret-value-456");

  ResetStats();
  EXPECT_EQ(Outcome(Apply(), "lake-key")->action, Action::kNone);
  EXPECT_EQ(Writes().count("keyvault"), 0u);
}

// A newer source value whose older one still works (a second PAT minted for another
// dependent): the secret holding the older one is current, so it is neither rewritten nor
// the source minted again.
TEST_F(KeyVaultSecretTest, SecretHoldingAStillValidValueIsCurrent) {
  Apply();
  ASSERT_EQ(mints_, 1);
  reconcilers::OutputValue newer;
  newer.sensitive = true;
  newer.fingerprint = "token-2";
  newer.still_valid = {"token-2", "key1@2026-01-01T00:00:00Z"};
  newer.mint = [this]() -> absl::StatusOr<reconcilers::OutputValue> {
    ++mints_;
    return absl::InternalError("must not mint");
  };
  stub_.Set("lake", "primaryKey", newer);
  ResetStats();
  controller::EngineResult applied = Apply();
  EXPECT_EQ(Outcome(applied, "lake-key")->action, Action::kNone) << Describe(applied);
  EXPECT_EQ(Writes().count("keyvault"), 0u);
  EXPECT_EQ(mints_, 1);
  // Once the older value stops working, the secret follows the newest.
  newer.still_valid = {"token-2"};
  stub_.Set("lake", "primaryKey", newer);
  EXPECT_EQ(Outcome(Plan(), "lake-key")->action, Action::kUpdate);
}

TEST_F(KeyVaultSecretTest, TagEditedOutOfBandIsDetectedAndRepaired) {
  Apply();
  cloud::keyvault::SecretUpdate update;
  update.tags =
      std::map<std::string, std::string>{{"envctl-source", "tampered"}, {"owner", "someone"}};
  ASSERT_OK(client_->UpdateProperties("lake-key", "", update).status());

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake-key");
  ASSERT_EQ(o->action, Action::kUpdate) << Describe(plan);
  EXPECT_TRUE(o->drift);
  EXPECT_THAT(Paths(*o), Contains("tags.envctl-source"));
  EXPECT_THAT(Paths(*o), Contains("tags.owner"));
  EXPECT_THAT(Paths(*o), Contains("tags.envctl-managed-by"));

  Apply();
  auto live = client_->Get("lake-key");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->properties.tags.count("owner"), 0u);
  EXPECT_EQ(live->properties.tags["envctl-source"], "key1@2026-01-01T00:00:00Z");
  EXPECT_EQ(Outcome(Plan(), "lake-key")->action, Action::kNone);
}

TEST_F(KeyVaultSecretTest, SoftDeletedSecretIsRecoveredThenSet) {
  Apply();
  ASSERT_OK(client_->Delete("lake-key").status());
  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake-key");
  ASSERT_EQ(o->action, Action::kCreate) << Describe(plan);
  EXPECT_THAT(o->reason, HasSubstr("soft-deleted"));

  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake-key")->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/deletedsecrets/lake-key/recover"), ::testing::SizeIs(1));
  EXPECT_EQ(client_->Get("lake-key")->value, "first-secret-value-123");
  EXPECT_EQ(Outcome(Plan(), "lake-key")->action, Action::kNone);
}

// The deployer's policy (in the vault's spec and live) grants purge but not recover: plan
// says purge-and-set, apply purges and sets (never recovers), the next plan is empty.
// With neither, the plan fails for this secret alone, naming the permission to add.
TEST_F(KeyVaultSecretTest, WithoutRecoverPermissionASoftDeletedSecretIsPurgedAndSet) {
  auto grant = [&](std::vector<std::string> permissions) {
    envctl::v1::Resource* vault = env_.mutable_resources(0);
    for (auto& r : *env_.mutable_resources()) {
      if (r.name() == "keyvault") vault = &r;
    }
    ASSERT_EQ(vault->name(), "keyvault");
    vault->mutable_key_vault()->clear_access_policies();
    auto* policy = vault->mutable_key_vault()->add_access_policies();
    policy->mutable_principal()->set_deployer(true);
    for (const auto& p : permissions) policy->add_secret_permissions(p);
    ASSERT_OK(cloud::arm::KeyVaultsClient(*arm_, sim_->subscription_id)
                  .UpdateAccessPolicies(kGroup, "kv-data-test",
                                        cloud::arm::AccessPolicyOperation::kReplace,
                                        {{{"tenantId", sim_->tenant_id},
                                          {"objectId", sim_->object_id},
                                          {"permissions", {{"secrets", permissions}}}}})
                  .status());
  };
  grant({"get", "list", "set", "delete", "purge"});
  ASSERT_TRUE(Outcome(Apply(), "lake-key")->status.ok());
  ASSERT_OK(client_->Delete("lake-key").status());

  controller::EngineResult plan = Plan();
  const auto* o = Outcome(plan, "lake-key");
  ASSERT_TRUE(o->status.ok()) << Describe(plan);
  EXPECT_EQ(o->label, "purge-and-set") << Describe(plan);
  EXPECT_THAT(o->reason, HasSubstr("purged and set"));

  ResetStats();
  controller::EngineResult applied = Apply();
  ASSERT_TRUE(Outcome(applied, "lake-key")->status.ok()) << Describe(applied);
  EXPECT_THAT(Requests("POST", "/recover"), ::testing::SizeIs(0));
  EXPECT_THAT(Requests("DELETE", "/deletedsecrets/lake-key"), ::testing::SizeIs(1));
  EXPECT_EQ(client_->Get("lake-key")->value, "first-secret-value-123");
  EXPECT_EQ(Outcome(Plan(), "lake-key")->action, Action::kNone);

  grant({"get", "list", "set", "delete"});
  ASSERT_OK(client_->Delete("lake-key").status());
  controller::EngineResult refused = Plan();
  const auto* r = Outcome(refused, "lake-key");
  ASSERT_FALSE(r->status.ok()) << Describe(refused);
  EXPECT_THAT(r->status.message(), HasSubstr("grants neither recover nor purge"));
  EXPECT_THAT(r->status.message(), HasSubstr("add `recover`"));
  EXPECT_TRUE(Outcome(refused, "keyvault")->status.ok()) << "only the secret fails";

  // Applied: the secret that cannot be repaired blocks what reads it (with the reason),
  // and nothing else.
  for (const char* name : {"lake-key-reader", "other-secret"}) {
    envctl::v1::Resource* other = AddResource(name);
    other->mutable_key_vault_secret()->set_vault("keyvault");
    other->mutable_key_vault_secret()->set_secret_name(name);
    other->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_resource("lake");
    other->mutable_key_vault_secret()->mutable_value()->mutable_output()->set_output("primaryKey");
    if (std::string(name) == "lake-key-reader") other->add_depends_on("lake-key");
    SetContent(name, {});
  }
  controller::EngineResult blocked = Apply();
  EXPECT_FALSE(Outcome(blocked, "lake-key")->status.ok()) << Describe(blocked);
  EXPECT_EQ(Outcome(blocked, "lake-key-reader")->blocked_by, "lake-key") << Describe(blocked);
  EXPECT_THAT(Outcome(blocked, "lake-key-reader")->reason, HasSubstr("dependency lake-key failed"));
  EXPECT_TRUE(Outcome(blocked, "other-secret")->status.ok()) << Describe(blocked);
  EXPECT_TRUE(Outcome(blocked, "other-secret")->applied);
}

TEST_F(KeyVaultSecretTest, ValueNeverAppearsInPlanFieldsOrErrors) {
  controller::EngineResult plan = Plan();
  for (const auto& f : Outcome(plan, "lake-key")->fields) {
    EXPECT_THAT(f.old_value + f.new_value, Not(HasSubstr("first-secret-value-123")));
  }
  Apply();
  // The vault refuses writes (no permission): the error names the secret, not the value.
  PublishSource("key1@rotated", "leaky-value-789");
  ASSERT_OK(cloud::arm::KeyVaultsClient(*arm_, sim_->subscription_id)
                .UpdateAccessPolicies(kGroup, "kv-data-test",
                                      cloud::arm::AccessPolicyOperation::kReplace,
                                      {{{"tenantId", sim_->tenant_id},
                                        {"objectId", sim_->object_id},
                                        {"permissions", {{"secrets", {"get", "list"}}}}}})
                .status());
  controller::EngineResult applied = Apply();
  const auto* o = Outcome(applied, "lake-key");
  ASSERT_FALSE(o->status.ok());
  EXPECT_THAT(o->status.message(), HasSubstr("lake-key"));
  EXPECT_THAT(o->status.message(), Not(HasSubstr("leaky-value-789")));
}

TEST_F(KeyVaultSecretTest, UnknownVaultOutputIsKnownAfterApply) {
  // A vault that does not exist yet publishes no vaultUri: the plan says so, no error.
  envctl::v1::Resource* r = AddResource("other-secret");
  r->mutable_key_vault_secret()->set_vault("missing-vault");
  r->mutable_key_vault_secret()->set_secret_name("x");
  r->mutable_key_vault_secret()->mutable_value()->set_env("HOME");
  AddResource("missing-vault")->mutable_key_vault()->set_vault_name("kv-missing");
  SetContent("other-secret", {});
  reconcilers::Outputs outputs;
  reconcilers::PriorState prior;
  envctl::v1::ResourceContent content;
  reconcilers::Context ctx{env_, *r, content, outputs, prior, clock_};
  reconcilers::Reconciler* rec = registry_->For(envctl::v1::Resource::kKeyVaultSecret);
  auto change = rec->Plan(ctx);
  EXPECT_THAT(change.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("missing-vault.vaultUri is not known yet")));
}

TEST_F(KeyVaultSecretTest, DeleteSoftDeletesAndPurges) {
  Apply();
  reconcilers::Outputs outputs;
  outputs.Set("keyvault", "vaultUri", Plain(vault_uri_));
  reconcilers::PriorState prior;
  envctl::v1::ResourceContent content;
  const envctl::v1::Resource* r = nullptr;
  for (const auto& res : env_.resources()) {
    if (res.name() == "lake-key") r = &res;
  }
  reconcilers::Context ctx{env_, *r, content, outputs, prior, clock_};
  ASSERT_OK(registry_->For(envctl::v1::Resource::kKeyVaultSecret)->Delete(ctx));
  EXPECT_TRUE(absl::IsNotFound(client_->Get("lake-key").status()));
  EXPECT_TRUE(absl::IsNotFound(client_->GetDeleted("lake-key").status())) << "purged";
  // Deleting again is fine (already gone).
  EXPECT_OK(registry_->For(envctl::v1::Resource::kKeyVaultSecret)->Delete(ctx));
}

}  // namespace
}  // namespace envctl::testing
