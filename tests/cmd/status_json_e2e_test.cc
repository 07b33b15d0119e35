// End-to-end: `envctl status --state-dir D --json` prints one JSON document for any number
// of environments.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "controller/state_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/envctl_command.h"

namespace {

using envctl::testing::CommandRun;

// stdout only: the document must parse by itself.
CommandRun Envctl(const std::string& args) {
  return envctl::testing::RunEnvctl(args, envctl::testing::Stderr::kInherited);
}

TEST(StatusJsonE2eTest, SeveralEnvironmentsAreOneDocument) {
  const std::string dir =
      ::testing::TempDir() + "/envctl_status_json_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  envctl::controller::FileStateStore store(dir);
  for (const char* name : {"test", "dev"}) {
    envctl::v1::EnvironmentState state;
    state.set_environment(name);
    state.mutable_status()->set_synced_revision(std::string("rev-") + name);
    ASSERT_TRUE(store.Save(state).ok());
  }

  CommandRun both = Envctl("status --state-dir " + dir + " --json");
  ASSERT_EQ(both.exit_code, 0) << both.output;
  const nlohmann::json doc =
      nlohmann::json::parse(both.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << "not one JSON document:\n" << both.output;
  ASSERT_EQ(doc["environments"].size(), 2u);
  EXPECT_EQ(doc["environments"][0]["name"], "dev");
  EXPECT_EQ(doc["environments"][0]["syncedRevision"], "rev-dev");
  EXPECT_EQ(doc["environments"][1]["name"], "test");

  CommandRun one = Envctl("status --state-dir " + dir + " --env test --json");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const nlohmann::json single = nlohmann::json::parse(one.output, nullptr, false);
  ASSERT_FALSE(single.is_discarded()) << one.output;
  ASSERT_EQ(single["environments"].size(), 1u);
  EXPECT_EQ(single["environments"][0]["syncedRevision"], "rev-test");
  std::filesystem::remove_all(dir);
}

}  // namespace
