// The engine's structured log lines: every line of an apply carries the sync id (set per
// resource task on the executor thread), drift found and repaired share it, failures
// carry the service's message, and field values never appear.
#include "controller/engine_log.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "common/log.h"
#include "controller/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/fake_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::controller {
namespace {

using ::envctl::testing::FakeReconciler;
using ::testing::HasSubstr;
using ::testing::Not;

std::set<std::string> ExplicitDeps(const envctl::v1::Resource& r) {
  return {r.depends_on().begin(), r.depends_on().end()};
}

class EngineLogTest : public ::testing::Test {
 protected:
  EngineLogTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("engine_log_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(dir_.string()),
        engine_(registry_, store_, clock_, ExplicitDeps) {
    registry_.Register(envctl::v1::Resource::kResourceGroup, &fake_);
    env_.set_name("test");
    log::Configure({log::Format::kJson, log::Level::kInfo, &out_});
  }
  ~EngineLogTest() override {
    log::Disable();
    std::filesystem::remove_all(dir_);
  }

  void Add(const std::string& name, std::vector<std::string> deps = {}) {
    auto* r = env_.add_resources();
    r->set_name(name);
    r->mutable_resource_group()->set_group_name(name);
    r->mutable_resource_group()->set_location("westeurope");
    for (const auto& d : deps) r->add_depends_on(d);
    auto* c = env_.add_contents();
    c->set_resource(name);
    c->set_content_hash("h-" + name);
  }
  // The lines logged since the last call, all parsed (a line that does not parse fails).
  std::vector<nlohmann::json> Lines() {
    std::vector<nlohmann::json> out;
    for (absl::string_view line : absl::StrSplit(out_.str(), '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line));
    }
    out_.str("");
    return out;
  }
  static std::vector<nlohmann::json> Only(const std::vector<nlohmann::json>& lines,
                                          const std::string& event) {
    std::vector<nlohmann::json> out;
    for (const auto& l : lines) {
      if (l["event"] == event) out.push_back(l);
    }
    return out;
  }

  std::ostringstream out_;
  std::filesystem::path dir_;
  FakeClock clock_;
  FakeReconciler fake_;
  ReconcilerRegistry registry_;
  FileStateStore store_;
  Engine engine_;
  envctl::v1::Environment env_;
};

TEST_F(EngineLogTest, EveryWriteIsOneLineWithTheSyncIdFromTheExecutorThread) {
  Add("rg");
  Add("rg2", {"rg"});
  EngineOptions options;
  options.sync_id = "test-1";
  ASSERT_OK(engine_.Apply(env_, options));
  auto writes = Only(Lines(), "cloud_write");
  ASSERT_EQ(writes.size(), 2u);
  for (const auto& w : writes) {
    EXPECT_EQ(w["sync_id"], "test-1");
    EXPECT_EQ(w["environment"], "test");
    EXPECT_EQ(w["kind"], "ResourceGroup");
    EXPECT_EQ(w["action"], "create");
    EXPECT_TRUE(w["duration_ms"].is_number());
  }
}

TEST_F(EngineLogTest, DriftFoundAndRepairedShareTheSyncIdAndNameFieldsNotValues) {
  Add("rg");
  ASSERT_OK(engine_.Apply(env_));
  Lines();
  fake_.SetLive("rg", {{"location", "secret-location-value"}, {"tags", nlohmann::json::object()}});
  EngineOptions options;
  options.sync_id = "test-2";
  ASSERT_OK(engine_.Apply(env_, options));
  const std::string text = out_.str();
  EXPECT_THAT(text, Not(HasSubstr("secret-location-value")));
  EXPECT_THAT(text, Not(HasSubstr("westeurope")));
  auto lines = Lines();
  auto found = Only(lines, "drift_found");
  auto repaired = Only(lines, "drift_repaired");
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(repaired.size(), 1u);
  EXPECT_EQ(found[0]["sync_id"], "test-2");
  EXPECT_EQ(repaired[0]["sync_id"], "test-2");
  EXPECT_EQ(found[0]["resource"], "rg");
  EXPECT_EQ(found[0]["fields"], "location");
  EXPECT_EQ(found[0]["policy"], "enforce");
}

TEST_F(EngineLogTest, FailureCarriesTheServiceMessageAndBlocksAreNamed) {
  Add("rg");
  Add("rg2", {"rg"});
  fake_.FailApply("rg");
  EngineOptions options;
  options.sync_id = "test-3";
  ASSERT_OK(engine_.Apply(env_, options));
  auto lines = Lines();
  auto failed = Only(lines, "resource_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["level"], "error");
  EXPECT_THAT(failed[0]["error"].get<std::string>(),
              HasSubstr("BadRequest: injected apply failure for rg"));
  EXPECT_EQ(failed[0]["code"], "INVALID_ARGUMENT");
  auto blocked = Only(lines, "resource_blocked");
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0]["resource"], "rg2");
  EXPECT_EQ(blocked[0]["blocked_by"], "rg");
  EXPECT_EQ(blocked[0]["sync_id"], "test-3");
}

TEST_F(EngineLogTest, PlanWritesNoLines) {
  Add("rg");
  ASSERT_OK(engine_.Plan(env_));
  EXPECT_TRUE(Lines().empty());
}

TEST_F(EngineLogTest, SyncEndSaysOutcomeAndCounts) {
  Add("rg");
  auto result = engine_.Apply(env_);
  ASSERT_OK(result);
  Lines();
  LogSyncEnd("test", "test-9", "abc123", absl::Milliseconds(1500), result);
  auto end = Only(Lines(), "sync_end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0]["outcome"], "converged");
  EXPECT_EQ(end[0]["revision"], "abc123");
  EXPECT_EQ(end[0]["duration_ms"], 1500);
  EXPECT_EQ(end[0]["writes"], 1);
  LogSyncEnd("test", "test-10", "abc123", absl::Seconds(1),
             absl::UnavailableError("state store unreadable"));
  end = Only(Lines(), "sync_end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0]["outcome"], "failed");
  EXPECT_EQ(end[0]["error"], "state store unreadable");
}

}  // namespace
}  // namespace envctl::controller
