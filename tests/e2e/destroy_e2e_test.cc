// envctl destroy: the teardown the seed pipeline lacked. Dry run, confirmation, reverse
// order, contents deleted with their container, and resources envctl did not create left
// alone (a resource group holding one is refused, and the next destroy finishes the job).
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DestroyE2ETest : public BikeshareE2ETest {
 protected:
  RunResult Destroy(const std::string& flags) {
    return Run("destroy " + repo_.string() + " --env test" + Common() + " " + flags);
  }
  bool Exists(const std::string& path, const std::string& api_version) {
    auto got = portal_->Arm("GET", path, api_version);
    if (got.ok()) return true;
    EXPECT_THAT(got.status().message(), HasSubstr("-> 404")) << path;
    return false;
  }
  std::string Vault() { return Rg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv"; }
  std::string Foreign() {
    return Rg() + "/providers/Microsoft.DataFactory/factories/someone-elses-factory";
  }
};

TEST_F(DestroyE2ETest, DryRunConfirmThenDeletesOnlyWhatEnvctlCreated) {
  ConvergeTest();

  RunResult dry = Destroy("--dry-run");
  EXPECT_EQ(dry.exit_code, 2) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("- rg (ResourceGroup)"));
  EXPECT_THAT(dry.output, HasSubstr("envctl destroy; deleted with keyvault"));  // the secret
  EXPECT_THAT(dry.output, HasSubstr("deleted with workspace"));                 // notebooks & co
  EXPECT_THAT(dry.output, Not(HasSubstr("dapi")));

  RunResult unconfirmed = Destroy("");
  EXPECT_EQ(unconfirmed.exit_code, 1);
  EXPECT_THAT(unconfirmed.output, HasSubstr("rerun with --confirm test"));
  RunResult wrong = Destroy("--confirm dev");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.output, HasSubstr("--confirm dev does not match --env test"));
  EXPECT_TRUE(Exists(Vault(), "2023-07-01")) << "nothing deleted without confirmation";

  // Someone else's factory in the same resource group.
  ASSERT_OK(portal_->Arm("PUT", Foreign(), "2018-06-01", {{"location", "westeurope"}}));

  RunResult first = Destroy("--confirm test");
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_THAT(first.output, HasSubstr("does not manage"));
  EXPECT_THAT(first.output, HasSubstr("someone-elses-factory"));
  EXPECT_FALSE(Exists(Vault(), "2023-07-01"));
  EXPECT_FALSE(Exists(Rg() + "/providers/Microsoft.Storage/storageAccounts/bikesharetestlake",
                      "2023-01-01"));
  EXPECT_TRUE(Exists(Rg(), "2022-09-01"))
      << "the group still holds a resource envctl did not create";
  EXPECT_TRUE(Exists(Foreign(), "2018-06-01"));

  ASSERT_OK(portal_->Arm("DELETE", Foreign(), "2018-06-01"));
  RunResult second = Destroy("--confirm test");
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("1 deleted, 0 failed"));
  EXPECT_FALSE(Exists(Rg(), "2022-09-01"));

  RunResult nothing = Destroy("--dry-run");
  EXPECT_EQ(nothing.exit_code, 0) << nothing.output;
  EXPECT_THAT(nothing.output, HasSubstr("Nothing to destroy"));
}

}  // namespace
}  // namespace envctl::testing
