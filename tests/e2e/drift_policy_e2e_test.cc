// Every out-of-band change the issue names (delete a notebook, remove an access policy,
// remove the lake's role assignment, edit a pipeline, stop a trigger), made through the ordinary
// APIs, under every drift policy: enforce shows it in the plan and repairs it, report
// shows it (`!`) and leaves it, ignore does neither.
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGroup[] = "bikeshare-test-rg";
constexpr char kWorkspace[] = "bikeshare-test-dbw";

struct DriftCase {
  std::string name;
  // The plan line of the resource that drifts, e.g. "notebooks (DatabricksNotebooks)".
  std::string resource;
  // What the plan says about the drifted field.
  std::string plan_detail;
  // Makes the change; returns what `Repaired` compares against (may be empty).
  std::function<std::string(Portal&, const std::string& rg)> drift;
  // True when live state is back to what the repo declares.
  std::function<bool(Portal&, const std::string& rg, const std::string& before)> repaired;
  // The whole resource was deleted: `ignore` covers changes to a resource that exists,
  // so a deleted one is created again even then (the engine's rule).
  bool deleted = false;
};

std::string Factory(const std::string& rg) {
  return rg + "/providers/Microsoft.DataFactory/factories/bikeshare-test-adf";
}

std::vector<DriftCase> Cases() {
  std::vector<DriftCase> cases;
  cases.push_back({"DeletedNotebook", "notebooks (DatabricksNotebooks)", "/Shared/bikeshare/train",
                   [](Portal& p, const std::string&) {
                     EXPECT_OK(p.Databricks(kGroup, kWorkspace, "POST", "/api/2.0/workspace/delete",
                                            {{"path", "/Shared/bikeshare/train"}}));
                     return std::string();
                   },
                   [](Portal& p, const std::string&, const std::string&) {
                     return p
                         .Databricks(kGroup, kWorkspace, "GET",
                                     "/api/2.0/workspace/get-status?path=/Shared/bikeshare/train")
                         .ok();
                   }});
  cases.push_back({"RemovedAccessPolicy", "keyvault (KeyVault)", "accessPolicies",
                   [](Portal& p, const std::string& rg) {
                     const std::string vault =
                         rg + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv";
                     auto live = p.Arm("GET", vault, "2023-07-01");
                     EXPECT_OK(live);
                     if (!live.ok()) return std::string();
                     // The factory identity's policy (removing envctl's own would lock it out).
                     auto factory = p.Arm("GET", Factory(rg), "2018-06-01");
                     EXPECT_OK(factory);
                     if (!factory.ok()) return std::string();
                     const std::string principal = (*factory)["identity"].value("principalId", "");
                     nlohmann::json factory_policy;
                     for (const auto& policy : (*live)["properties"]["accessPolicies"]) {
                       if (policy.value("objectId", "") == principal) factory_policy = policy;
                     }
                     EXPECT_FALSE(factory_policy.is_null()) << "no policy for " << principal;
                     EXPECT_OK(p.Arm("PUT", vault + "/accessPolicies/remove", "2023-07-01",
                                     {{"properties", {{"accessPolicies", {factory_policy}}}}}));
                     return std::string();
                   },
                   [](Portal& p, const std::string& rg, const std::string&) {
                     auto live =
                         p.Arm("GET", rg + "/providers/Microsoft.KeyVault/vaults/bikeshare-test-kv",
                               "2023-07-01");
                     return live.ok() && (*live)["properties"]["accessPolicies"].size() == 2u;
                   }});
  // TEST reaches the lake through a role assignment instead of a copied storage key
  // (DEV keeps the key; tests/e2e/secret_scan_e2e_test.cc rotates it there).
  cases.push_back(
      {"RemovedRoleAssignment", "job-lake-access (RoleAssignment)", "properties.roleDefinitionId",
       [](Portal& p, const std::string& rg) {
         auto identity = p.Arm("GET",
                               rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                                    "bikeshare-test-jobs",
                               "2023-01-31");
         EXPECT_OK(identity);
         if (!identity.ok()) return std::string();
         const std::string principal = (*identity)["properties"]["principalId"];
         auto list =
             p.Arm("GET", rg + "/providers/Microsoft.Authorization/roleAssignments", "2022-04-01");
         EXPECT_OK(list);
         if (!list.ok()) return std::string();
         for (const auto& a : (*list)["value"]) {
           if (a["properties"]["principalId"] == principal) {
             EXPECT_OK(p.Arm("DELETE", a["id"].get<std::string>(), "2022-04-01"));
             return a["id"].get<std::string>();
           }
         }
         ADD_FAILURE() << "no role assignment for the job identity";
         return std::string();
       },
       [](Portal& p, const std::string&, const std::string& id) {
         return !id.empty() && p.Arm("GET", id, "2022-04-01").ok();
       },
       /*deleted=*/true});
  cases.push_back(
      {"EditedPipeline", "adf-definitions (DataFactoryDefinitions)", "/Shared/elsewhere/apply",
       [](Portal& p, const std::string& rg) {
         const std::string path = Factory(rg) + "/pipelines/ApplyModel";
         auto live = p.Arm("GET", path, "2018-06-01");
         EXPECT_OK(live);
         if (!live.ok()) return std::string();
         nlohmann::json edited = {{"properties", (*live)["properties"]}};
         edited["properties"]["activities"][0]["typeProperties"]["notebookPath"] =
             "/Shared/elsewhere/apply";
         EXPECT_OK(p.Arm("PUT", path, "2018-06-01", edited));
         return std::string();
       },
       [](Portal& p, const std::string& rg, const std::string&) {
         auto live = p.Arm("GET", Factory(rg) + "/pipelines/ApplyModel", "2018-06-01");
         return live.ok() &&
                (*live)["properties"]["activities"][0]["typeProperties"]["notebookPath"] ==
                    "/Shared/bikeshare/apply";
       }});
  cases.push_back(
      {"StoppedTrigger", "adf-definitions (DataFactoryDefinitions)",
       "trigger/HourlyApplyModel.runtimeState",
       [](Portal& p, const std::string& rg) {
         EXPECT_OK(p.Arm("POST", Factory(rg) + "/triggers/HourlyApplyModel/stop", "2018-06-01"));
         return std::string();
       },
       [](Portal& p, const std::string& rg, const std::string&) {
         auto live = p.Arm("GET", Factory(rg) + "/triggers/HourlyApplyModel", "2018-06-01");
         return live.ok() && (*live)["properties"]["runtimeState"] == "Started";
       }});
  return cases;
}

struct DriftParam {
  DriftCase drift;
  std::string policy;
};

// ctest lists the case by name instead of dumping the struct's bytes.
void PrintTo(const DriftParam& p, std::ostream* os) { *os << p.drift.name << "/" << p.policy; }

class DriftPolicyE2ETest : public BikeshareE2ETest,
                           public ::testing::WithParamInterface<DriftParam> {};

TEST_P(DriftPolicyE2ETest, PlanAndApplyFollowThePolicy) {
  const DriftCase& c = GetParam().drift;
  const std::string policy = GetParam().policy;
  Edit("envctl.yaml", "defaultDriftPolicy: enforce", "defaultDriftPolicy: " + policy);
  ConvergeTest();
  const std::string before = c.drift(*portal_, Rg());
  ASSERT_FALSE(c.repaired(*portal_, Rg(), before)) << "the out-of-band change did not take";

  RunResult plan = Plan();
  RunResult applied = Apply();
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  if (policy == "enforce") {
    EXPECT_EQ(plan.exit_code, 2) << plan.output;
    // "~" for a changed resource, "+" for one removed out of band (the role assignment).
    EXPECT_THAT(plan.output, ::testing::AnyOf(HasSubstr("~ " + c.resource + " [drift]"),
                                              HasSubstr("+ " + c.resource + " [drift]")));
    EXPECT_THAT(plan.output, HasSubstr(c.plan_detail));
    EXPECT_TRUE(c.repaired(*portal_, Rg(), before)) << applied.output;
    RunResult after = Plan();
    EXPECT_EQ(after.exit_code, 0) << after.output;
  } else if (policy == "report") {
    EXPECT_EQ(plan.exit_code, 0) << plan.output;  // nothing apply would change
    EXPECT_THAT(plan.output, HasSubstr("! " + c.resource));
    EXPECT_THAT(plan.output, HasSubstr(c.plan_detail));
    EXPECT_THAT(plan.output, HasSubstr("drifted (reported only)"));
    EXPECT_THAT(applied.output, HasSubstr("drift reported"));
    EXPECT_FALSE(c.repaired(*portal_, Rg(), before));
  } else if (c.deleted) {
    EXPECT_EQ(plan.exit_code, 2) << plan.output;
    EXPECT_THAT(plan.output, HasSubstr("+ " + c.resource));
    EXPECT_TRUE(c.repaired(*portal_, Rg(), before)) << applied.output;
  } else {
    EXPECT_EQ(plan.exit_code, 0) << plan.output;
    EXPECT_THAT(plan.output, Not(HasSubstr(c.resource)));
    EXPECT_FALSE(c.repaired(*portal_, Rg(), before));
  }
}

std::vector<DriftParam> Params() {
  std::vector<DriftParam> out;
  for (const DriftCase& c : Cases()) {
    for (const char* policy : {"enforce", "report", "ignore"}) out.push_back({c, policy});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryCaseEveryPolicy, DriftPolicyE2ETest, ::testing::ValuesIn(Params()),
                         [](const ::testing::TestParamInfo<DriftParam>& info) {
                           return info.param.drift.name + "_" + info.param.policy;
                         });

}  // namespace
}  // namespace envctl::testing
