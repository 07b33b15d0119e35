// ArmReconcilerTest: integration fixture for the ARM-side reconcilers. Starts an
// in-process cloudsim driven by the same FakeClock as the CloudSession and the
// reconcilers (LROs and token expiry advance only when someone sleeps on that clock),
// registers RegisterArmReconcilers() and runs plans/applies through the real controller
// Engine with an in-memory state store, so outputs flow between resources exactly as in
// `envctl apply`. Out-of-band changes are made with envctl's ordinary typed clients over a
// separate ArmClient (what a person in the portal does); write counts come from cloudsim's
// admin API (GET/DELETE {admin}/stats).
#ifndef ENVCTL_TESTS_RECONCILERS_ARM_ARM_FIXTURE_H_
#define ENVCTL_TESTS_RECONCILERS_ARM_ARM_FIXTURE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloud/arm/arm_client.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloudsim/http/client.h"
#include "controller/engine.h"
#include "controller/state_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "reconcilers/arm_reconcilers.h"
#include "reconcilers/registry.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {

// The references the ARM kinds make (resource groups, a vault's dataFactory principals,
// a secret's output source), plus dependsOn: enough ordering for these tests.
inline std::set<std::string> TestDependencies(const envctl::v1::Resource& r) {
  std::set<std::string> deps(r.depends_on().begin(), r.depends_on().end());
  if (r.has_storage_account()) deps.insert(r.storage_account().resource_group());
  if (r.has_data_factory()) deps.insert(r.data_factory().resource_group());
  if (r.has_key_vault()) {
    deps.insert(r.key_vault().resource_group());
    for (const auto& p : r.key_vault().access_policies()) {
      if (p.principal().has_data_factory()) deps.insert(p.principal().data_factory());
    }
  }
  if (r.has_databricks_workspace() && r.databricks_workspace().has_provisioned()) {
    deps.insert(r.databricks_workspace().provisioned().resource_group());
  }
  if (r.has_key_vault_secret()) {
    deps.insert(r.key_vault_secret().vault());
    if (r.key_vault_secret().value().has_output()) {
      deps.insert(r.key_vault_secret().value().output().resource());
    }
  }
  deps.erase("");
  return deps;
}

class ArmReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloudsim::Options options;
    options.clock = &clock_;
    auto sim = CloudsimEnv::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = std::move(*sim);
    auto endpoints = cloud::LoadEndpointsFile(sim_->endpoints_file);
    ASSERT_TRUE(endpoints.ok()) << endpoints.status();
    auto session = cloud::CloudSession::Create(*endpoints, clock_, metrics_);
    ASSERT_TRUE(session.ok()) << session.status();
    session_ = std::move(*session);
    reconcilers::CloudReconcilerOptions reconciler_options;
    reconciler_options.poll_initial = absl::Milliseconds(50);
    reconciler_options.poll_max = absl::Seconds(2);
    reconcilers::RegisterArmReconcilers(registry_, *session_, clock_, reconciler_options);
    engine_ = std::make_unique<controller::Engine>(registry_, store_, clock_, TestDependencies);
    portal_arm_ =
        std::make_unique<cloud::arm::ArmClient>(session_->Arm(), clock_, session_->arm_endpoint());
    cloud::arm::ArmClientOptions factory_options;
    factory_options.error_service = cloud::Service::kDataFactory;
    portal_factories_ = std::make_unique<cloud::arm::ArmClient>(
        session_->DataFactory(), clock_, session_->arm_endpoint(), factory_options);

    env_.set_name("dev");
    env_.set_project("demo");
    env_.mutable_azure()->set_location("westeurope");
    env_.mutable_sync()->set_parallelism(1);
  }

  envctl::v1::Resource* AddResourceGroup(const std::string& name, const std::string& group) {
    envctl::v1::Resource* r = env_.add_resources();
    r->set_name(name);
    r->mutable_resource_group()->set_group_name(group);
    return r;
  }

  // Runs the engine; fails the test on an engine-level error.
  controller::EngineResult Plan() {
    auto r = engine_->Plan(env_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : controller::EngineResult{};
  }
  controller::EngineResult Apply() {
    auto r = engine_->Apply(env_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : controller::EngineResult{};
  }

  static const controller::ResourceOutcome* Outcome(const controller::EngineResult& result,
                                                    const std::string& name) {
    for (const auto& o : result.resources) {
      if (o.name == name) return &o;
    }
    for (const auto& o : result.prunes) {
      if (o.name == name) return &o;
    }
    return nullptr;
  }
  static std::vector<std::string> Paths(const controller::ResourceOutcome& o) {
    std::vector<std::string> paths;
    for (const auto& f : o.fields) paths.push_back(f.path);
    return paths;
  }
  // "name: action status" lines of every outcome, for failure messages.
  static std::string Describe(const controller::EngineResult& result) {
    std::string out;
    for (const auto& o : result.resources) {
      absl::StrAppend(&out, o.name, ": action=", static_cast<int>(o.action), " ", o.reason, " ",
                      o.status.ToString(), "\n");
      for (const auto& f : o.fields)
        absl::StrAppend(&out, "    ", f.path, ": ", f.old_value, " -> ", f.new_value, "\n");
    }
    for (const auto& o : result.prunes) {
      absl::StrAppend(&out, "prune ", o.name, ": ", o.status.ToString(), "\n");
    }
    return out;
  }

  nlohmann::json Admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr) {
    cloudsim::ClientOptions options;
    options.ca_file = sim_->ca_cert_file;
    auto r = cloudsim::Fetch(method, sim_->admin_endpoint + path, {},
                             body.is_null() ? "" : body.dump(), options);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->body.empty()) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  void ResetStats() {
    Admin("DELETE", "/stats");
    Admin("DELETE", "/requests");
  }
  // "METHOD path" of every request since the last ResetStats() whose path contains
  // `fragment`, in the order cloudsim saw them.
  std::vector<std::string> Requests(const std::string& fragment) {
    nlohmann::json log = Admin("GET", "/requests");
    if (log.is_object()) log = log.value("requests", nlohmann::json::array());
    std::vector<std::string> out;
    for (const nlohmann::json& r : log.is_array() ? log : nlohmann::json::array()) {
      const std::string p = r.value("path", "");
      if (p.find(fragment) != std::string::npos) out.push_back(r.value("method", "") + " " + p);
    }
    return out;
  }
  // Write requests (PUT/PATCH/POST/DELETE) per service since the last ResetStats().
  std::map<std::string, int> Writes() {
    std::map<std::string, int> out;
    nlohmann::json stats = Admin("GET", "/stats");
    if (!stats.is_object() || !stats.contains("requests")) return out;
    for (const auto& [service, counts] : stats["requests"].items()) {
      int w = counts.value("write", 0);
      if (w > 0) out[service] = w;
    }
    return out;
  }

  FakeClock clock_;
  metrics::Metrics metrics_;
  std::unique_ptr<CloudsimEnv> sim_;
  std::unique_ptr<cloud::CloudSession> session_;
  reconcilers::ReconcilerRegistry registry_;
  MemoryStateStore store_;
  std::unique_ptr<controller::Engine> engine_;
  std::unique_ptr<cloud::arm::ArmClient> portal_arm_;
  std::unique_ptr<cloud::arm::ArmClient> portal_factories_;
  envctl::v1::Environment env_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_RECONCILERS_ARM_ARM_FIXTURE_H_
