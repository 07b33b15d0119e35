// The secret scan: runs `envctl controller` on cloudsim through a sync with drift (a
// deleted notebook, a rotated storage key) and a failure (Databricks secrets/put answers
// 500), collects everything envctl shows — the JSON log at debug level (every cloud
// request included), stdout, `envctl plan --json`, `envctl status --json`, /metrics and
// every file of the state dir — and fails on any secret value cloudsim handed out: the
// client secret, both storage keys (before and after rotation) and every Key Vault secret
// value (the Databricks PAT envctl minted is one of them). It runs DEV: only DEV copies
// the storage key into a secret scope (TEST reaches the lake through a role assignment).
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cloudsim/http/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/bikeshare_fixture.h"
#include "tests/e2e/controller_process.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kGroup[] = "bikeshare-dev-rg";

class SecretScanE2ETest : public BikeshareE2ETest {
 protected:
  std::string DevRg() { return portal_->RgPath(kGroup); }
  std::string Storage() {
    return DevRg() + "/providers/Microsoft.Storage/storageAccounts/bikesharedevlake";
  }

  // Both storage keys now.
  void CollectStorageKeys(std::set<std::string>* secrets) {
    auto keys = portal_->Arm("POST", Storage() + "/listKeys", "2023-05-01");
    ASSERT_OK(keys);
    for (const auto& k : (*keys)["keys"]) secrets->insert(k.value("value", ""));
  }

  // Every secret value of the environment's vault, by its data-plane API.
  void CollectVaultSecrets(std::set<std::string>* secrets, std::set<std::string>* names) {
    auto vault = portal_->Arm(
        "GET", DevRg() + "/providers/Microsoft.KeyVault/vaults/bikeshare-dev-kv", "2023-07-01");
    ASSERT_OK(vault);
    std::string uri = (*vault)["properties"].value("vaultUri", "");
    if (!uri.empty() && uri.back() == '/') uri.pop_back();
    auto list =
        portal_->Call("GET", uri + "/secrets?api-version=7.4", "https://vault.azure.net/.default");
    ASSERT_OK(list);
    for (const auto& item : (*list)["value"]) {
      const std::string id = item.value("id", "");
      names->insert(id.substr(id.rfind('/') + 1));
      auto secret =
          portal_->Call("GET", id + "?api-version=7.4", "https://vault.azure.net/.default");
      ASSERT_OK(secret);
      secrets->insert(secret->value("value", ""));
    }
  }

  static std::string Field(const std::string& text, const std::string& pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? std::string(m[1]) : "";
  }
};

TEST_F(SecretScanE2ETest, NoSecretCloudsimHandedOutAppearsInAnyOutput) {
  Edit("envctl.yaml", "resyncInterval: 10m", "resyncInterval: 2s");
  const fs::path state = work_ / "controller";
  const fs::path config =
      WriteFolderControllerConfig(std::string("environments: [dev]\n") + kLoopbackListeners +
                                  "log:\n  format: json\n  level: debug\n");
  ControllerProcess ctl;
  ASSERT_TRUE(ctl.Start(work_, {"controller", "--config", config.string()}));
  ASSERT_TRUE(
      ctl.WaitForLogLine(Event("sync_end", {{"environment", "dev"}, {"outcome", "converged"}})))
      << ctl.Stdout() << ctl.Stderr();

  std::set<std::string> secrets = {sim_->client_secret};
  std::set<std::string> vault_names;
  CollectStorageKeys(&secrets);

  // Drift: a notebook deleted, the storage key rotated; failure: the secret scope cannot
  // be rewritten (Databricks answers 500 to secrets/put).
  auto fault = cloudsim::Fetch(
      "POST", sim_->admin_endpoint + "/faults", {{"Content-Type", "application/json"}},
      R"({"service":"databricks","operation":"POST */secrets/put","status":500})", [&] {
        cloudsim::ClientOptions o;
        o.ca_file = sim_->ca_cert_file;
        return o;
      }());
  ASSERT_OK(fault);
  ASSERT_EQ(fault->status, 200) << fault->body;
  ASSERT_OK(portal_->Databricks(kGroup, "bikeshare-dev-dbw", "POST", "/api/2.0/workspace/delete",
                                {{"path", "/Shared/bikeshare/train"}}));
  ASSERT_OK(
      portal_->Arm("POST", Storage() + "/regenerateKey", "2023-05-01", {{"keyName", "key1"}}));
  CollectStorageKeys(&secrets);

  ASSERT_TRUE(ctl.WaitForLogLine(Event("drift_repaired", {{"resource", "notebooks"}})))
      << ctl.Stderr();
  auto failed = ctl.WaitForLogLine(Event("resource_failed", {{"resource", "secrets"}}));
  ASSERT_TRUE(failed.has_value()) << ctl.Stderr();
  EXPECT_THAT((*failed)["error"].get<std::string>(), HasSubstr("500"));
  ASSERT_TRUE(ctl.WaitForLogLine(Event("cloud_request", {{"service", "keyvault"}})))
      << ctl.Stderr();

  CollectVaultSecrets(&secrets, &vault_names);
  EXPECT_TRUE(vault_names.count("databricks-token")) << "the PAT envctl keeps in Key Vault";
  secrets.erase("");
  ASSERT_GE(secrets.size(), 5u);  // client secret, 2 + 1 storage keys, vault values

  // Everything envctl shows.
  std::vector<std::pair<std::string, std::string>> outputs;
  const std::string stdout_text = ctl.Stdout();
  const std::string grpc = Field(stdout_text, "gRPC  ([0-9.:]+)");
  const std::string http = Field(stdout_text, "HTTP  http://([0-9.:]+)");
  ASSERT_FALSE(grpc.empty() || http.empty()) << stdout_text;
  RunResult status = Run("status --server " + grpc + " --env dev --json");
  EXPECT_EQ(status.exit_code, 0) << status.output;
  outputs.emplace_back("status --json", status.output);
  RunResult plan = Run("plan " + repo_.string() + " --env dev --json --cloud " +
                       sim_->endpoints_file + " --state-dir " + (state / "state").string());
  EXPECT_NE(plan.exit_code, 1) << plan.output;         // 2: changes pending (the failed scope)
  EXPECT_THAT(plan.output, HasSubstr("\"secrets\""));  // the scan reads real plan output
  outputs.emplace_back("plan --json", plan.output);
  auto metrics = cloudsim::Fetch("GET", "http://" + http + "/metrics", {}, "");
  ASSERT_OK(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("envctl_"));
  outputs.emplace_back("/metrics", metrics->body);
  EXPECT_EQ(ctl.Stop(), 0);
  outputs.emplace_back("controller stdout", ctl.Stdout());
  outputs.emplace_back("controller log", ctl.Stderr());
  int state_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(state)) {
    if (!entry.is_regular_file()) continue;
    ++state_files;
    outputs.emplace_back(entry.path().string(), ReadFile(entry.path()));
  }
  EXPECT_GT(state_files, 0);
  // The scan must see real output: the log holds the drift, the failure and requests.
  EXPECT_THAT(ctl.Stderr(), HasSubstr("\"event\":\"cloud_request\""));

  for (const auto& [where, text] : outputs) {
    for (const std::string& secret : secrets) {
      EXPECT_EQ(text.find(secret), std::string::npos)
          << where << " holds a secret value cloudsim handed out (" << secret.substr(0, 4)
          << "...)";
    }
  }
}

}  // namespace
}  // namespace envctl::testing
