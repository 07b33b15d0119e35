// End-to-end: the envctl binary's `validate` subcommand on the example and on a broken copy.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/envctl_command.h"

namespace {

using ::testing::HasSubstr;

using envctl::testing::CommandRun;

CommandRun Envctl(const std::string& args) { return envctl::testing::RunEnvctl(args); }

std::string TempCopyOfExample() {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("envctl_validate_e2e_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::copy(ENVCTL_SOURCE_DIR "/examples/bikeshare", dir,
                        std::filesystem::copy_options::recursive);
  return dir.string();
}

void Replace(const std::string& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << file;
  text.replace(at, from.size(), to);
  std::ofstream(file, std::ios::trunc) << text;
}

TEST(ValidateE2eTest, ExampleIsValidAndSummarized) {
  CommandRun run = Envctl("validate " ENVCTL_SOURCE_DIR "/examples/bikeshare");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("environment dev (project bikeshare): 13 resources (6 disabled)\n"
                        "  ResourceGroup 1, StorageAccount 1, KeyVault 1,"));
  EXPECT_THAT(run.output,
              HasSubstr("environment test (project bikeshare): 18 resources (1 disabled)\n"));
  EXPECT_THAT(
      run.output,
      HasSubstr(
          "PipelineRunTest 1, DataFactoryDefinitions 1, DatabricksClusterPolicy 1, DatabricksJob "
          "1, "
          "DatabricksPermissions 1, JobRunTest 1, RoleAssignment 2, UserAssignedIdentity 1\n"));
}

TEST(ValidateE2eTest, ThreeMistakesGiveThreeLocatedErrors) {
  const std::string dir = TempCopyOfExample();
  Replace(dir + "/resources/azure.yaml", "  resourceGroup: rg\n  sku: Standard_LRS",
          "  resourceGroup: rgg\n  sku: Standard_LRS");
  Replace(dir + "/resources/databricks.yaml", "  targetFolder: ${notebook_folder}",
          "  targetFolder: ${notebook_dir}");
  Replace(dir + "/datafactory/pipeline/ApplyModel.json", "\"retry\": 0,", "\"retry\": 0,,");
  CommandRun run = Envctl("validate " + dir);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("datafactory/pipeline/ApplyModel.json:12:32: invalid JSON: syntax error"));
  EXPECT_THAT(run.output, HasSubstr("resources/azure.yaml:9:18: storageAccount.resourceGroup: no "
                                    "resource named \"rgg\" (did you mean \"rg\"?)"));
  EXPECT_THAT(run.output,
              HasSubstr("resources/databricks.yaml:15:17: databricksNotebooks.targetFolder: "
                        "undefined parameter ${notebook_dir} (did you mean "
                        "\"notebook_folder\"?)"));
  EXPECT_THAT(run.output, HasSubstr("\n3 error(s)\n"));
  std::filesystem::remove_all(dir);
}

// Hostile repos (issue 11): each is refused with a located error and exit 1, never a
// signal, a runaway or a read outside the repo.
class HostileRepoTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempCopyOfExample(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel, std::ios::binary | std::ios::trunc) << text;
  }
  void Symlink(const std::string& target, const std::string& rel) {
    std::filesystem::remove_all(dir_ + "/" + rel);
    std::filesystem::create_symlink(target, dir_ + "/" + rel);
  }
  // Runs validate; expects exit 1 and every `located` substring in the output.
  void ExpectRefused(const std::vector<std::string>& located) {
    CommandRun run = Envctl("validate " + dir_);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    for (const std::string& s : located) EXPECT_THAT(run.output, HasSubstr(s));
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("PATH=")));  // nothing of the environ
  }

  std::string dir_;
};

TEST_F(HostileRepoTest, LibrarySymlinkToProcSelfEnvironIsRefused) {
  Symlink("/proc/self/environ", "libs/bikeshare_model.py");
  ExpectRefused(
      {"resources/databricks.yaml:20:15: databricksLibrary.sourceFile: "
       "\"libs/bikeshare_model.py\" resolves to \"/proc/",
       "outside the repo"});
}

TEST_F(HostileRepoTest, NotebookSymlinkOutsideIsRefusedAndInsideIsFine) {
  Symlink("/etc/passwd", "notebooks/prepare.py");
  ExpectRefused(
      {"resources/databricks.yaml:14:17: databricksNotebooks.sourceFolder: cannot read "
       "notebooks/prepare.py: \"notebooks/prepare.py\" resolves to \"/etc/passwd\", "
       "outside the repo"});
  Symlink("train.py", "notebooks/prepare.py");  // inside the repo: fine
  CommandRun run = Envctl("validate " + dir_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(HostileRepoTest, DataFactorySymlinkAndDotDotAreRefused) {
  Symlink("/proc/self/environ", "datafactory/linkedService/AzureKeyVault.json");
  ExpectRefused({"resources/datafactory.json:",
                 "dataFactoryDefinitions.folder: "
                 "\"datafactory/linkedService/AzureKeyVault.json\" resolves to \"/proc/"});
  Replace(dir_ + "/resources/databricks.yaml", "sourceFile: libs/bikeshare_model.py",
          "sourceFile: ../../etc/passwd");
  ExpectRefused(
      {"resources/databricks.yaml:20:15: databricksLibrary.sourceFile: \"../../etc/passwd\" "
       "must be a path inside the repo"});
}

TEST_F(HostileRepoTest, SevenByteYamlThatYamlCppRunsAwayOnIsAParseError) {
  Write("resources/bad.yaml", ", b:, c");
  ExpectRefused({"resources/bad.yaml:1:1: invalid YAML: "});
}

// A libFuzzer timeout of spec_loader_fuzzer: yaml-cpp's LoadAll looped forever on it.
TEST_F(HostileRepoTest, TaggedScalarYamlCppLoopedOnIsALocatedError) {
  Write("resources/bad.yaml", std::string("!resourcae: rg\ne\n\nra\n,liong-x}rou ", 33));
  ExpectRefused({"resources/bad.yaml:2:1: invalid YAML: ", "\n1 error(s)\n"});
}

TEST_F(HostileRepoTest, YamlBombAndDeepNestingHitLimits) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", *" : "*") + char(c - 1);
    bomb += "]\n";
  }
  Write("resources/bomb.yaml", bomb);
  ExpectRefused({"resources/bomb.yaml:", "nodes once aliases (*name) are resolved"});
  std::filesystem::remove(dir_ + "/resources/bomb.yaml");
  Write("resources/deep.yaml", "name: x\nx: " + std::string(100, '[') + std::string(100, ']'));
  ExpectRefused({"resources/deep.yaml:2:67: nested deeper than 64 levels"});
}

TEST_F(HostileRepoTest, DataFactoryJsonNested30000LevelsIsRefusedBeforeParsing) {
  Write("datafactory/pipeline/ApplyModel.json",
        "{\"name\": \"ApplyModel\", \"properties\": " + std::string(30000, '[') +
            std::string(30000, ']') + "}");
  ExpectRefused({"datafactory/pipeline/ApplyModel.json:1:101: nested deeper than 64 levels"});
}

TEST_F(HostileRepoTest, InvalidUtf8IsALocatedError) {
  Replace(dir_ + "/environments/test.yaml", "parameters:", "parameters:\n  broken: \"a\xff\"");
  ExpectRefused({"environments/test.yaml:3:13: invalid UTF-8 (byte 0xff)", "\n1 error(s)\n"});
  Replace(dir_ + "/environments/test.yaml", "  broken: \"a\xff\"", "  broken: a");
  Replace(dir_ + "/datafactory/pipeline/ApplyModel.json", "\"retry\": 0,",
          "\"retry\": \"\xc3\x28\",");
  ExpectRefused({"datafactory/pipeline/ApplyModel.json:12:", "invalid UTF-8 (byte 0xc3)"});
}

TEST_F(HostileRepoTest, EmptyOrNullRequiredReferencesAreLocatedErrors) {
  Replace(dir_ + "/resources/azure.yaml", "  resourceGroup: rg\n  sku: Standard_LRS",
          "  resourceGroup: \"\"\n  sku: Standard_LRS");
  Replace(dir_ + "/resources/azure.yaml", "  vault: keyvault", "  vault: ~");
  ExpectRefused({"resources/azure.yaml:9:18: storageAccount.resourceGroup: must not be empty",
                 "resources/azure.yaml:47:3: keyVaultSecret.vault: must not be empty"});
}

TEST(ValidateE2eTest, BadUsageIsExplained) {
  CommandRun none = Envctl("validate");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.output, HasSubstr("missing DIR"));

  CommandRun missing = Envctl("validate /nonexistent/envctl-repo");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("/nonexistent/envctl-repo is not a directory"));

  CommandRun no_config = Envctl("validate " ENVCTL_SOURCE_DIR "/examples/bikeshare/notebooks");
  EXPECT_EQ(no_config.exit_code, 1);
  EXPECT_THAT(no_config.output, HasSubstr("has no envctl.yaml"));

  CommandRun help = Envctl("validate --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("Usage: envctl validate DIR"));

  CommandRun env = Envctl("validate " ENVCTL_SOURCE_DIR "/examples/bikeshare --env prod");
  EXPECT_EQ(env.exit_code, 1);
  EXPECT_THAT(env.output, HasSubstr("environment \"prod\" is not declared (declared: dev, test)"));

  CommandRun one = Envctl("validate " ENVCTL_SOURCE_DIR "/examples/bikeshare --env test");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_THAT(one.output, ::testing::Not(HasSubstr("environment dev")));
}

}  // namespace
