// `envctl controller --log-format json` against cloudsim, as an operator would run it:
// after an out-of-band change the log holds one parseable line for the drift found and
// one for its repair, with the same sync id; and every line the controller wrote parses.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

class ControllerLogE2ETest : public BikeshareE2ETest {
 protected:
  // Writes a controller config for the test environment, resyncing every 2 s.
  fs::path WriteConfig() {
    Edit("envctl.yaml", "resyncInterval: 10m", "resyncInterval: 2s");
    return WriteFolderControllerConfig(std::string("environments: [test]\nworkers: 2\n") +
                                       kLoopbackListeners + "log:\n  level: info\n");
  }
};

TEST_F(ControllerLogE2ETest, DriftFoundAndRepairedShareASyncIdAndEveryLineParses) {
  const fs::path config = WriteConfig();
  ControllerProcess ctl;
  ASSERT_TRUE(
      ctl.Start(work_, {"controller", "--config", config.string(), "--log-format", "json"}));

  // The first sync converges the environment.
  auto first =
      ctl.WaitForLogLine(Event("sync_end", {{"environment", "test"}, {"outcome", "converged"}}));
  ASSERT_TRUE(first.has_value()) << ctl.Stdout() << ctl.Stderr();
  EXPECT_GE((*first)["writes"].get<int>(), 1);
  EXPECT_TRUE((*first)["duration_ms"].is_number());

  // A person deletes a notebook in the workspace.
  ASSERT_OK(portal_->Databricks("bikeshare-test-rg", "bikeshare-test-dbw", "POST",
                                "/api/2.0/workspace/delete",
                                {{"path", "/Shared/bikeshare/train"}}));

  auto repaired = ctl.WaitForLogLine(Event("drift_repaired", {{"resource", "notebooks"}}));
  ASSERT_TRUE(repaired.has_value()) << ctl.Stderr();
  const std::string sync_id = (*repaired)["sync_id"];
  ASSERT_FALSE(sync_id.empty());
  EXPECT_EQ((*repaired)["environment"], "test");
  EXPECT_EQ((*repaired)["kind"], "DatabricksNotebooks");

  auto found =
      ctl.WaitForLogLine(Event("drift_found", {{"resource", "notebooks"}, {"sync_id", sync_id}}),
                         std::chrono::seconds(5));
  ASSERT_TRUE(found.has_value()) << ctl.Stderr();
  EXPECT_EQ((*found)["environment"], "test");
  EXPECT_EQ((*found)["level"], "warning");
  // The changed field is named, never valued.
  EXPECT_THAT((*found)["fields"].get<std::string>(), ::testing::HasSubstr("train"));
  auto write =
      ctl.WaitForLogLine(Event("cloud_write", {{"resource", "notebooks"}, {"sync_id", sync_id}}),
                         std::chrono::seconds(5));
  ASSERT_TRUE(write.has_value()) << ctl.Stderr();
  auto start =
      ctl.WaitForLogLine(Event("sync_start", {{"sync_id", sync_id}}), std::chrono::seconds(5));
  ASSERT_TRUE(start.has_value()) << ctl.Stderr();
  auto end =
      ctl.WaitForLogLine(Event("sync_end", {{"sync_id", sync_id}}), std::chrono::seconds(30));
  ASSERT_TRUE(end.has_value()) << ctl.Stderr();
  EXPECT_EQ((*end)["drift"], 1);

  EXPECT_EQ(ctl.Stop(), 0) << ctl.Stderr();
  const auto lines = ctl.LogLines();
  ASSERT_FALSE(lines.empty());
  std::string stderr_text = ctl.Stderr();
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(lines[i].is_object()) << "line " << i + 1 << " is not JSON:\n" << stderr_text;
    EXPECT_TRUE(lines[i].contains("ts") && lines[i].contains("level") && lines[i].contains("event"))
        << lines[i].dump();
  }
  EXPECT_EQ(lines.back().value("event", ""), "controller_stopping");
}

TEST_F(ControllerLogE2ETest, UnknownLogFormatIsRefusedWithTheChoices) {
  const fs::path config = WriteConfig();
  RunResult r = Run("controller --config " + config.string() + " --log-format xml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output,
              ::testing::HasSubstr("--log-format: log format \"xml\" is not one of text, json"));
}

}  // namespace
}  // namespace envctl::testing
