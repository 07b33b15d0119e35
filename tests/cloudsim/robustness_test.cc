// HTTP-level robustness of cloudsim's main origin (ARM, Entra ID authority, managed
// identity, metadata): every route, truncated and extended by path segments, with every
// method, missing/unknown/valid api-versions, malformed and hostile JSON bodies, and
// oversized bodies, headers and URLs. cloudsim must never crash or drop the connection:
// each request gets an HTTP answer, and every error is a JSON document. Under
// AddressSanitizer: `make asan`, then `cd build-asan && ctest -R Robustness` (`make asan`
// itself runs the unit label only).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/cloudsim/sim_client.h"

namespace envctl::testing {
namespace {

class RobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.page_size = 2;
    options.arm_throttle.enabled = false;  // every request should reach a handler
    auto env = CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    client_ = std::make_unique<SimClient>(*env_);
    token_ = client_->Token();
    ASSERT_FALSE(token_.empty());
    // Some real resources, so that routes reach the handlers of existing things too.
    ASSERT_EQ(client_
                  ->Arm("PUT", client_->Rg("rg1") + "?api-version=2022-09-01",
                        {{"location", "westeurope"}})
                  .status,
              201);
    Put("/providers/Microsoft.KeyVault/vaults/kvrobust1?api-version=2023-07-01",
        {{"location", "westeurope"},
         {"properties",
          {{"tenantId", env_->tenant_id},
           {"sku", {{"family", "A"}, {"name", "standard"}}},
           {"accessPolicies", nlohmann::json::array()}}}});
    Put("/providers/Microsoft.DataFactory/factories/adfrobust1?api-version=2018-06-01",
        {{"location", "westeurope"}});
    Put("/providers/Microsoft.DataFactory/factories/adfrobust1/pipelines/p1?api-version=2018-06-01",
        {{"properties", {{"activities", nlohmann::json::array()}}}});
    Put("/providers/Microsoft.Storage/storageAccounts/strobust1?api-version=2023-01-01",
        {{"location", "westeurope"}, {"kind", "StorageV2"}, {"sku", {{"name", "Standard_LRS"}}}});
  }

  void Put(const std::string& rg_relative, const nlohmann::json& body) {
    cloudsim::Response r = client_->Arm("PUT", client_->Rg("rg1") + rg_relative, body);
    ASSERT_LT(r.status, 300) << rg_relative << ": " << r.body;
  }

  // One request; records a failure unless cloudsim answered and, for an error, with JSON.
  void Expect(const std::string& method, const std::string& target, const std::string& body,
              cloudsim::HeaderMap headers = {}) {
    if (headers.count("Authorization") == 0) headers["Authorization"] = "Bearer " + token_;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    cloudsim::Response r = client_->Raw(method, target, body, headers);
    ++requests_;
    std::string what =
        absl::StrCat(method, " ", target.substr(0, 200), " body=", body.substr(0, 40));
    ASSERT_GE(r.status, 200) << what << ": no HTTP answer (" << r.body << ")";
    ASSERT_LT(r.status, 600) << what;
    if (r.status >= 400 && method != "HEAD") {
      nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      EXPECT_TRUE(j.is_object()) << what << " -> " << r.status
                                 << " non-JSON error: " << r.body.substr(0, 200);
    }
    if (r.status >= 500) ++server_errors_;
  }

  // For requests cloudsim rejects before reading them whole (an oversized body or request
  // line): it answers and closes, so the client may fail writing the rest. Either way the
  // answer, if read, is JSON, and cloudsim keeps serving.
  void ExpectRejectedAndAlive(const std::string& method, const std::string& target,
                              const std::string& body, cloudsim::HeaderMap headers = {}) {
    headers["Authorization"] = "Bearer " + token_;
    headers["Content-Type"] = "application/json";
    cloudsim::Response r = client_->Raw(method, target, body, headers);
    if (r.status > 0) {
      EXPECT_GE(r.status, 400) << method << " " << target.substr(0, 100);
      EXPECT_TRUE(nlohmann::json::parse(r.body, nullptr, false).is_object()) << r.body;
    } else {
      EXPECT_EQ(r.body, "write failed") << "only a refused upload may fail";
    }
    EXPECT_EQ(client_->Arm("GET", client_->Sub() + "?api-version=2022-12-01").status, 200)
        << "cloudsim stopped answering after " << method << " " << target.substr(0, 100);
  }

  // The version a route's namespace accepts, so that valid requests reach the handlers.
  static std::string ValidVersion(const std::string& path) {
    std::string p = Lower(path);
    if (absl::StrContains(p, "microsoft.storage")) return "2023-01-01";
    if (absl::StrContains(p, "microsoft.keyvault")) return "2023-07-01";
    if (absl::StrContains(p, "microsoft.datafactory")) return "2018-06-01";
    if (absl::StrContains(p, "microsoft.databricks")) return "2024-05-01";
    if (absl::StrContains(p, "/metadata/")) return "2015-01-01";
    return "2022-12-01";
  }
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  std::unique_ptr<CloudsimEnv> env_;
  std::unique_ptr<SimClient> client_;
  std::string token_;
  int requests_ = 0;
  int server_errors_ = 0;
};

std::vector<std::string> RouteTemplates() {
  const std::string rg = "/subscriptions/{sub}/resourceGroups/rg1";
  const std::string st = rg + "/providers/Microsoft.Storage/storageAccounts/strobust1";
  const std::string kv = rg + "/providers/Microsoft.KeyVault/vaults/kvrobust1";
  const std::string adf = rg + "/providers/Microsoft.DataFactory/factories/adfrobust1";
  const std::string dbw = rg + "/providers/Microsoft.Databricks/workspaces/wsrobust1";
  return {
      "/",
      "/tenants",
      "/subscriptions/{sub}/locations",
      "/subscriptions/{sub}/providers/Microsoft.Storage/register",
      "/subscriptions/{sub}/providers/Microsoft.Nothing/register",
      "/subscriptions/{sub}/resources",
      "/subscriptions/{sub}/operationresults/00000000-0000-0000-0000-000000000000",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x",
      rg + "/resources",
      rg + "/providers/Microsoft.Nothing/things/x",
      "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts",
      "/subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability",
      "/subscriptions/{sub}/providers/Microsoft.Storage/deletedAccounts",
      "/subscriptions/{sub}/providers/Microsoft.Storage/locations/westeurope/asyncoperations/x",
      st + "/listKeys",
      st + "/regenerateKey",
      st + "/blobServices/default/containers/c1",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/deletedManagedHSMs",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/"
      "kvrobust1/purge",
      "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/westeurope/operationResults/x",
      kv + "/accessPolicies/add",
      kv + "/secrets/s1",
      "/subscriptions/{sub}/providers/Microsoft.DataFactory/factories",
      "/subscriptions/{sub}/providers/Microsoft.DataFactory/locations/westeurope/"
      "configureFactoryRepo",
      adf + "/pipelines/p1/createRun",
      adf + "/pipelineruns/00000000-0000-0000-0000-000000000000/cancel",
      adf + "/pipelineruns/00000000-0000-0000-0000-000000000000/queryActivityruns",
      adf + "/queryPipelineRuns",
      adf + "/queryTriggerRuns",
      adf + "/linkedservices/ls1",
      adf + "/datasets/d1",
      adf + "/dataflows/df1",
      adf + "/triggers/t1/start",
      adf + "/triggers/t1/stop",
      adf + "/integrationRuntimes/ir1",
      "/subscriptions/{sub}/providers/Microsoft.Databricks/workspaces",
      "/subscriptions/{sub}/providers/Microsoft.Databricks/locations/westeurope/operationstatuses/"
      "x",
      dbw + "/virtualNetworkPeerings/p1",
      "/metadata/endpoints",
      "/msi/token",
      "/metadata/identity/oauth2/token",
      "/{tenant}/oauth2/v2.0/token",
      "/{tenant}/oauth2/token",
      "/common/v2.0/.well-known/openid-configuration",
      "/organizations/discovery/instance",
      "/{tenant}/discovery/v2.0/keys",
  };
}

// Every prefix of each template, the template itself, and the template extended.
std::vector<std::string> Paths(const std::string& sub, const std::string& tenant) {
  std::set<std::string> paths;
  for (std::string t : RouteTemplates()) {
    t = absl::StrReplaceAll(t, {{"{sub}", sub}, {"{tenant}", tenant}});
    std::vector<std::string> seg = absl::StrSplit(t, '/', absl::SkipEmpty());
    std::string prefix;
    paths.insert("/");
    for (const auto& s : seg) {
      prefix += "/" + s;
      paths.insert(prefix);
    }
    paths.insert(t + "/extra");
    paths.insert(t + "/extra/more/segments/than/any/route");
    paths.insert(t + "/");
    paths.insert(absl::StrReplaceAll(t, {{"/", "//"}}));
  }
  return {paths.begin(), paths.end()};
}

TEST_F(RobustnessTest, EveryRouteVariantAnswersWithJsonAndNeverCrashes) {
  const std::vector<std::string> bodies = {
      "{",
      "[]",
      "null",
      "\"text\"",
      R"({"location":"westeurope","properties":[],"tags":5,"sku":"x","kind":[]})",
      R"({"location":7,"properties":{"accessPolicies":"x","tenantId":[],"sku":null,
          "activities":{},"type":5,"typeProperties":[]},"identity":"x"})",
  };
  const std::vector<std::string> paths = Paths(env_->subscription_id, env_->tenant_id);
  ASSERT_GT(paths.size(), 200u);
  for (const std::string& path : paths) {
    const std::string valid = path + "?api-version=" + ValidVersion(path);
    for (const char* method : {"GET", "HEAD", "DELETE"}) {
      Expect(method, valid, "");
    }
    for (const char* method : {"PUT", "PATCH", "POST"}) {
      Expect(method, valid, "");
      for (const auto& body : bodies) Expect(method, valid, body);
    }
    for (const char* method : {"GET", "PUT", "POST"}) {
      Expect(method, path, "{}");                                 // no api-version
      Expect(method, path + "?api-version=not-a-version", "{}");  // unknown one
      Expect(method, path + "?api-version=" + std::string(5000, '9') + "&%zz=%", "{}");
    }
    Expect("OPTIONS", valid, "");
    Expect("GET", valid, "", {{"Authorization", "Bearer not.a.token"}});
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(requests_, 5000);
  // Sanity: after all of this cloudsim still serves a plain request.
  EXPECT_EQ(client_->Arm("GET", client_->Sub() + "?api-version=2022-12-01").status, 200);
}

TEST_F(RobustnessTest, HostileBodiesHeadersAndUrlsGetJsonErrors) {
  const std::string rg = client_->Rg("rg1") + "?api-version=2022-09-01";
  const std::string vault =
      client_->Rg("rg1") + "/providers/Microsoft.KeyVault/vaults/kvrobust1?api-version=2023-07-01";
  // Nesting deep enough to overflow a recursive serializer's stack.
  std::string deep = R"({"location":"westeurope","properties":{"x":)" + std::string(200000, '[') +
                     std::string(200000, ']') + "}}";
  Expect("PUT", rg, deep);
  Expect("PUT", vault, deep);
  Expect("PATCH", vault, deep);
  // A large but acceptable body, then one over the server's limit (64 MiB).
  std::string big =
      R"({"location":"westeurope","tags":{"a":")" + std::string(8 << 20, 'x') + "\"}}";
  Expect("PUT", rg, big);
  Expect("PUT", vault, big);
  ExpectRejectedAndAlive("PUT", rg, std::string((64 << 20) + 16, ' '));
  // Invalid UTF-8 and control characters inside JSON strings.
  Expect("PUT", rg, "{\"location\":\"west\xff\xfe\",\"tags\":{\"\x01\":\"\xc3\"}}");
  // A header line over the limit, too many headers, a huge URL.
  ExpectRejectedAndAlive("GET", rg, "", {{"X-Huge", std::string(100 * 1024, 'h')}});
  cloudsim::HeaderMap many;
  for (int i = 0; i < 500; ++i) many[absl::StrCat("X-Many-", i)] = "v";
  Expect("GET", rg, "", many);
  ExpectRejectedAndAlive(
      "GET", client_->Sub() + "/" + std::string(200 * 1024, 'p') + "?api-version=2022-12-01", "");
  Expect("GET", client_->Sub() + "?api-version=2022-12-01&$skiptoken=" + std::string(60000, 'z'),
         "");
  Expect("GET", client_->Sub() + "/resourcegroups?api-version=2022-12-01&$top=-5", "");
  Expect("GET", client_->Sub() + "/resourcegroups?api-version=2022-12-01&$top=99999999999999999999",
         "");
  Expect("GET", client_->Sub() + "/resourcegroups?api-version=2022-12-01&$skiptoken=-1", "");
  // Malformed bearer tokens and authorization headers.
  for (const std::string& auth :
       {std::string("Bearer"), std::string("Bearer "), std::string("Bearer a.b.c"),
        std::string("Bearer ....."), "Bearer " + std::string(60000, 'a'),
        std::string("Basic Zm9vOmJhcg=="), "Bearer " + token_ + "x"}) {
    Expect("GET", rg, "", {{"Authorization", auth}});
  }
  EXPECT_EQ(client_->Arm("GET", rg).status, 200);
}

}  // namespace
}  // namespace envctl::testing
