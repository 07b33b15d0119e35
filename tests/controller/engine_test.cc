#include "controller/engine.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeReconciler;
using reconcilers::Action;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("engine_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(dir_.string()),
        engine_(registry_, store_, clock_, ExplicitDeps) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &fake_);
    env_.set_name("test");
  }
  ~EngineTest() override { std::filesystem::remove_all(dir_); }

  envctl::v1::Resource* Add(const std::string& name, std::vector<std::string> deps = {},
                            const std::string& location = "westeurope") {
    auto* r = env_.add_resources();
    r->set_name(name);
    r->mutable_resource_group()->set_group_name(name);
    r->mutable_resource_group()->set_location(location);
    for (const auto& d : deps) r->add_depends_on(d);
    auto* c = env_.add_contents();
    c->set_resource(name);
    c->set_content_hash("h-" + name + "-" + location);
    return r;
  }
  void SetLocation(const std::string& name, const std::string& location) {
    for (int i = 0; i < env_.resources_size(); ++i) {
      if (env_.resources(i).name() != name) continue;
      env_.mutable_resources(i)->mutable_resource_group()->set_location(location);
      env_.mutable_contents(i)->set_content_hash("h-" + name + "-" + location);
    }
  }
  void Remove(const std::string& name) {
    for (int i = 0; i < env_.resources_size(); ++i) {
      if (env_.resources(i).name() != name) continue;
      env_.mutable_resources()->DeleteSubrange(i, 1);
      env_.mutable_contents()->DeleteSubrange(i, 1);
      return;
    }
  }
  const ResourceOutcome& Outcome(const EngineResult& r, const std::string& name) {
    for (const auto& o : r.resources) {
      if (o.name == name) return o;
    }
    ADD_FAILURE() << "no outcome for " << name;
    return r.resources.front();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  FakeReconciler fake_;
  ReconcilerRegistry registry_;
  FileStateStore store_;
  Engine engine_;
  envctl::v1::Environment env_;
};

TEST_F(EngineTest, AppliesInDependencyOrderThenSecondApplyWritesNothing) {
  Add("c", {"b"});
  Add("b", {"a"});
  Add("a");
  auto first = engine_.Apply(env_);
  ASSERT_OK(first);
  EXPECT_TRUE(first->ok());
  EXPECT_THAT(fake_.order(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(Outcome(*first, "c").wave, 2);
  EXPECT_EQ(fake_.writes(), 3);

  auto second = engine_.Apply(env_);
  ASSERT_OK(second);
  EXPECT_TRUE(second->InSync());
  EXPECT_EQ(fake_.writes(), 3);
}

// A resource that exists as declared is adopted without a write; its id (as Plan read
// it) is recorded all the same, so a cloud event naming it finds it.
TEST_F(EngineTest, AnAdoptedResourceInSyncIsRecordedWithTheIdPlanRead) {
  Add("a");
  fake_.SetLive("a", FakeReconciler::Desired(env_.resources(0)));
  auto applied = engine_.Apply(env_);
  ASSERT_OK(applied);
  EXPECT_TRUE(applied->InSync());
  EXPECT_EQ(fake_.writes(), 0);
  auto state = store_.Load("test");
  ASSERT_OK(state);
  ASSERT_EQ(state->inventory_size(), 1);
  EXPECT_EQ(state->inventory(0).external_id(), "/fake/a");
}

TEST_F(EngineTest, PlanWritesNothingAndShowsDependentsAsKnownAfterApply) {
  Add("a");
  Add("b", {"a"});
  auto plan = engine_.Plan(env_);
  ASSERT_OK(plan);
  EXPECT_EQ(Outcome(*plan, "a").action, Action::kCreate);
  EXPECT_EQ(Outcome(*plan, "b").action, Action::kCreate);
  EXPECT_THAT(Outcome(*plan, "b").reason, HasSubstr("known after apply"));
  EXPECT_FALSE(plan->InSync());
  EXPECT_EQ(fake_.writes(), 0);
  EXPECT_FALSE(std::filesystem::exists(store_.PathFor("test")));
}

TEST_F(EngineTest, DriftIsRepairedUnderEnforce) {
  Add("a");
  ASSERT_OK(engine_.Apply(env_));
  fake_.SetLive("a", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  auto plan = engine_.Plan(env_);
  ASSERT_OK(plan);
  const auto& o = Outcome(*plan, "a");
  EXPECT_EQ(o.action, Action::kUpdate);
  EXPECT_TRUE(o.drift);
  ASSERT_EQ(o.fields.size(), 1u);
  EXPECT_EQ(o.fields[0].path, "location");
  EXPECT_EQ(o.fields[0].old_value, "\"northeurope\"");
  ASSERT_OK(engine_.Apply(env_));
  auto after = engine_.Plan(env_);
  ASSERT_OK(after);
  EXPECT_TRUE(after->InSync());
}

TEST_F(EngineTest, DriftIsOnlyReportedUnderReport) {
  Add("a")->set_drift_policy(envctl::v1::DRIFT_POLICY_REPORT);
  ASSERT_OK(engine_.Apply(env_));
  fake_.SetLive("a", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  const int writes = fake_.writes();
  auto applied = engine_.Apply(env_);
  ASSERT_OK(applied);
  EXPECT_TRUE(Outcome(*applied, "a").reported_only);
  EXPECT_EQ(fake_.writes(), writes);
  EXPECT_TRUE(applied->InSync());  // reported drift is not a pending change
  auto state = store_.Load("test");
  ASSERT_OK(state);
  ASSERT_EQ(state->status().resources_size(), 1);
  EXPECT_EQ(state->status().resources(0).state(), envctl::v1::RESOURCE_STATE_DRIFTED);
  EXPECT_EQ(state->status().resources(0).drift(0).path(), "location");
}

TEST_F(EngineTest, DriftIsLeftAloneUnderIgnore) {
  Add("a")->set_drift_policy(envctl::v1::DRIFT_POLICY_IGNORE);
  ASSERT_OK(engine_.Apply(env_));
  fake_.SetLive("a", {{"location", "northeurope"}, {"tags", nlohmann::json::object()}});
  auto plan = engine_.Plan(env_);
  ASSERT_OK(plan);
  EXPECT_EQ(Outcome(*plan, "a").action, Action::kNone);
  EXPECT_FALSE(Outcome(*plan, "a").drift);
}

TEST_F(EngineTest, SpecChangeUnderReportIsStillApplied) {
  Add("a")->set_drift_policy(envctl::v1::DRIFT_POLICY_REPORT);
  ASSERT_OK(engine_.Apply(env_));
  SetLocation("a", "northeurope");
  auto applied = engine_.Apply(env_);
  ASSERT_OK(applied);
  EXPECT_TRUE(Outcome(*applied, "a").applied);
  EXPECT_FALSE(Outcome(*applied, "a").drift);
}

TEST_F(EngineTest, FailureBlocksDependentsOthersGoOnAndNextApplyResumes) {
  Add("a");
  Add("b", {"a"});
  Add("c", {"b"});
  Add("x");
  fake_.FailApply("a");
  auto first = engine_.Apply(env_);
  ASSERT_OK(first);
  EXPECT_FALSE(first->ok());
  EXPECT_THAT(Outcome(*first, "a").status.message(), HasSubstr("injected apply failure for a"));
  EXPECT_EQ(Outcome(*first, "b").blocked_by, "a");
  EXPECT_EQ(Outcome(*first, "c").blocked_by, "a");
  EXPECT_TRUE(Outcome(*first, "x").applied);
  EXPECT_TRUE(fake_.Exists("x"));
  EXPECT_FALSE(fake_.Exists("b"));

  fake_.ClearFailures();
  auto second = engine_.Apply(env_);
  ASSERT_OK(second);
  EXPECT_TRUE(second->ok());
  EXPECT_FALSE(Outcome(*second, "x").applied);  // already converged: no write
  EXPECT_TRUE(fake_.Exists("c"));
}

TEST_F(EngineTest, CycleIsAnErrorThatNamesIt) {
  Add("a", {"b"});
  Add("b", {"a"});
  auto result = engine_.Apply(env_);
  EXPECT_THAT(result, envctl::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("a -> b -> a")));
}

TEST_F(EngineTest, PruneDeletesRemovedResourcesInReverseOrderOnlyWhenEnabled) {
  Add("a");
  Add("b", {"a"});
  Add("keep");
  ASSERT_OK(engine_.Apply(env_));
  Remove("b");
  Remove("a");
  auto off = engine_.Apply(env_);
  ASSERT_OK(off);
  EXPECT_TRUE(fake_.Exists("a"));
  ASSERT_EQ(off->prunes.size(), 2u);
  EXPECT_EQ(off->prunes[0].action, Action::kNone);

  env_.mutable_sync()->set_prune(true);
  EngineOptions options;
  options.allow_mass_prune = true;  // the fakes are resource groups, which the guard protects
  auto plan = engine_.Plan(env_, options);
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->InSync());
  EXPECT_TRUE(fake_.Exists("a"));

  auto on = engine_.Apply(env_, options);
  ASSERT_OK(on);
  EXPECT_THAT(fake_.deleted(), ElementsAre("b", "a"));
  EXPECT_TRUE(fake_.Exists("keep"));
  auto again = engine_.Plan(env_);
  ASSERT_OK(again);
  EXPECT_TRUE(again->prunes.empty());
}

// Issue 17: prune leaves an adopted resource in place (it only leaves the inventory)
// unless its spec says `deletionPolicy: delete`; `deletionPolicy: orphan` keeps one envctl
// created.
TEST_F(EngineTest, PruneDeletesAnAdoptedResourceOnlyWithDeletionPolicyDelete) {
  Add("adopted");
  Add("adopted-delete")->set_deletion_policy(envctl::v1::DELETION_POLICY_DELETE);
  Add("created-orphan")->set_deletion_policy(envctl::v1::DELETION_POLICY_ORPHAN);
  Add("created");
  for (const std::string name : {"adopted", "adopted-delete"}) {
    for (const auto& r : env_.resources()) {
      if (r.name() == name) fake_.SetLive(name, FakeReconciler::Desired(r));
    }
    fake_.SetForeign(name);
  }
  auto adopted = engine_.Apply(env_);
  ASSERT_OK(adopted);
  EXPECT_TRUE(Outcome(*adopted, "adopted").adopt);
  EXPECT_TRUE(Outcome(*adopted, "adopted-delete").adopt);
  EXPECT_FALSE(Outcome(*adopted, "created").adopt);

  for (const char* name : {"adopted", "adopted-delete", "created-orphan", "created"}) Remove(name);
  env_.mutable_sync()->set_prune(true);
  EngineOptions options;
  options.allow_mass_prune = true;  // the fakes are resource groups, which the guard protects
  auto pruned = engine_.Apply(env_, options);
  ASSERT_OK(pruned);
  EXPECT_THAT(fake_.deleted(), ::testing::UnorderedElementsAre("adopted-delete", "created"));
  EXPECT_TRUE(fake_.Exists("adopted"));
  EXPECT_TRUE(fake_.Exists("created-orphan"));
  auto state = store_.Load("test");
  ASSERT_OK(state);
  EXPECT_EQ(state->inventory_size(), 0) << "kept ones leave the inventory too";
}

// A vault and its secret leave the repo together: the secret goes with the vault instead
// of being deleted first (which would need the vault URI of a vault no longer reconciled).
TEST_F(EngineTest, PruneDeletesContentsWithTheirContainer) {
  registry_.Register(envctl::v1::Resource::kKeyVault, &fake_);
  registry_.Register(envctl::v1::Resource::kKeyVaultSecret, &fake_);
  Add("rg");
  auto* vault = env_.add_resources();
  vault->set_name("vault");
  vault->mutable_key_vault()->set_resource_group("rg");
  vault->add_depends_on("rg");
  auto* secret = env_.add_resources();
  secret->set_name("secret");
  secret->mutable_key_vault_secret()->set_vault("vault");
  secret->add_depends_on("vault");
  ASSERT_OK(engine_.Apply(env_));
  ASSERT_TRUE(fake_.Exists("secret"));
  env_.mutable_resources()->DeleteSubrange(1, 2);
  env_.mutable_sync()->set_prune(true);

  auto plan = engine_.Plan(env_);
  ASSERT_OK(plan);
  ASSERT_EQ(plan->prunes.size(), 2u);
  EXPECT_EQ(plan->prunes[0].name, "secret");
  EXPECT_EQ(plan->prunes[0].action, Action::kDelete);
  EXPECT_THAT(plan->prunes[0].reason, HasSubstr("deleted with vault"));
  EXPECT_EQ(plan->prunes[1].name, "vault");

  auto applied = engine_.Apply(env_);
  ASSERT_OK(applied);
  EXPECT_THAT(fake_.deleted(), ElementsAre("vault"));  // one call: the secret went with it
  ASSERT_EQ(applied->prunes.size(), 2u);
  EXPECT_OK(applied->prunes[0].status);
  EXPECT_TRUE(applied->prunes[0].applied);
  auto again = engine_.Plan(env_);
  ASSERT_OK(again);
  EXPECT_TRUE(again->prunes.empty()) << "both left the inventory";
}

TEST_F(EngineTest, DestroyDeletesEveryManagedResourceInReverseOrderBehindTheGuard) {
  Add("a");
  Add("b", {"a"});
  Add("c", {"b"});
  ASSERT_OK(engine_.Apply(env_));
  fake_.SetLive("unmanaged", {{"location", "westeurope"}});
  EngineOptions destroy;
  destroy.destroy = true;

  auto plan = engine_.Plan(env_, destroy);  // prune is off in the spec: destroy ignores that
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->resources.empty()) << "nothing declared is applied";
  ASSERT_EQ(plan->prunes.size(), 3u);
  EXPECT_EQ(plan->prunes[0].action, Action::kDelete);
  EXPECT_THAT(plan->prunes[0].reason, HasSubstr("envctl destroy"));

  auto guarded = engine_.Apply(env_, destroy);
  ASSERT_OK(guarded);
  EXPECT_THAT(guarded->prune_status,
              envctl::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("--allow-mass-prune")));
  EXPECT_TRUE(fake_.deleted().empty());

  destroy.allow_mass_prune = true;
  auto done = engine_.Apply(env_, destroy);
  ASSERT_OK(done);
  EXPECT_THAT(fake_.deleted(), ElementsAre("c", "b", "a"));
  EXPECT_TRUE(fake_.Exists("unmanaged")) << "only the inventory is deleted";
  auto after = engine_.Plan(env_, destroy);
  ASSERT_OK(after);
  EXPECT_TRUE(after->prunes.empty());
}

TEST_F(EngineTest, PruneGuardRefusesResourceGroupWithoutFlag) {
  Add("a");
  ASSERT_OK(engine_.Apply(env_));
  Remove("a");
  env_.mutable_sync()->set_prune(true);
  auto refused = engine_.Apply(env_);
  ASSERT_OK(refused);
  EXPECT_THAT(refused->prune_status,
              envctl::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("--allow-mass-prune")));
  EXPECT_TRUE(fake_.Exists("a"));
  EngineOptions options;
  options.allow_mass_prune = true;
  auto allowed = engine_.Apply(env_, options);
  ASSERT_OK(allowed);
  EXPECT_FALSE(fake_.Exists("a"));
}

TEST_F(EngineTest, PruneGuardRefusesMoreThanMaxPrune) {
  for (int i = 0; i < 3; ++i) Add("r" + std::to_string(i));
  ASSERT_OK(engine_.Apply(env_));
  env_.mutable_sync()->set_prune(true);
  env_.mutable_sync()->set_max_prune(2);
  for (int i = 0; i < 3; ++i) Remove("r" + std::to_string(i));
  auto refused = engine_.Plan(env_);
  ASSERT_OK(refused);
  EXPECT_THAT(refused->prune_status.message(), HasSubstr("delete 3 resource(s)"));
}

TEST_F(EngineTest, DisabledResourceIsTreatedAsAbsent) {
  Add("a")->mutable_enabled()->set_value(false);
  auto result = engine_.Apply(env_);
  ASSERT_OK(result);
  EXPECT_TRUE(result->resources.empty());
  EXPECT_FALSE(fake_.Exists("a"));
}

TEST_F(EngineTest, StatusRecordsConditionsAndTransitionTimes) {
  Add("a");
  ASSERT_OK(engine_.Apply(env_));
  auto state = store_.Load("test");
  ASSERT_OK(state);
  std::map<std::string, envctl::v1::ConditionStatus> conditions;
  for (const auto& c : state->status().conditions()) conditions[c.type()] = c.status();
  EXPECT_EQ(conditions["Ready"], envctl::v1::CONDITION_STATUS_TRUE);
  EXPECT_EQ(conditions["Drifted"], envctl::v1::CONDITION_STATUS_FALSE);
  EXPECT_EQ(state->inventory(0).applied_hash(), "h-a-westeurope");
}

}  // namespace
}  // namespace envctl::controller

namespace envctl::controller {
namespace {

// Records memory through the checkpoint mid-apply, then fails: the memory must survive.
class CheckpointingReconciler : public testing::FakeReconciler {
 public:
  absl::StatusOr<reconcilers::ApplyResult> Apply(reconcilers::Context& ctx,
                                                 const reconcilers::Change&) override {
    if (absl::Status s = ctx.checkpoint({{"runId", 42}}); !s.ok()) return s;
    return absl::DeadlineExceededError("crashed while waiting for the run");
  }
};

TEST(EngineCheckpointTest, CheckpointedMemorySurvivesAFailedApply) {
  auto dir = std::filesystem::temp_directory_path() / ("engine_ckpt_" + std::to_string(::getpid()));
  FileStateStore store(dir.string());
  FakeClock clock;
  CheckpointingReconciler reconciler;
  ReconcilerRegistry registry;
  registry.Register(envctl::v1::Resource::kResourceGroup, &reconciler);
  Engine engine(registry, store, clock,
                [](const envctl::v1::Resource&) { return std::set<std::string>(); });
  envctl::v1::Environment env;
  env.set_name("e");
  auto* r = env.add_resources();
  r->set_name("t");
  r->mutable_resource_group()->set_location("x");
  auto result = engine.Apply(env);
  ASSERT_OK(result);
  EXPECT_FALSE(result->ok());
  auto state = store.Load("e");
  ASSERT_OK(state);
  ASSERT_EQ(state->inventory_size(), 1);
  EXPECT_EQ(nlohmann::json::parse(state->inventory(0).memory_json())["runId"], 42);
  EXPECT_EQ(state->inventory(0).applied_hash(), "");  // not applied: next apply resumes
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace envctl::controller
