// DataPlaneTest: integration fixture for the data-plane reconcilers (Key Vault secrets,
// Data Factory definitions, Databricks notebooks/scopes/libraries, test runs).
//
// An in-process cloudsim runs on the same FakeClock as the CloudSession and the
// reconcilers (runs and LROs advance only when someone sleeps on that clock). Plans and
// applies go through the real controller Engine with an in-memory state store, so memory,
// checkpoints and outputs behave as in `envctl apply`. The ARM resources the data plane
// needs (group, vault, factory, workspace) are created in SetUp-style helpers with
// envctl's ordinary typed clients; a StubOutputs reconciler stands in for their kinds and
// publishes their outputs (vaultUri, id, workspaceUrl, a secret source with a
// fingerprint and a counting mint), so these tests do not depend on the ARM reconcilers.
// Out-of-band changes use the same typed clients (what a person would do); write counts
// come from cloudsim's admin API.
#ifndef ENVCTL_TESTS_RECONCILERS_DATA_DATA_PLANE_FIXTURE_H_
#define ENVCTL_TESTS_RECONCILERS_DATA_DATA_PLANE_FIXTURE_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloud/arm/arm_client.h"
#include "cloud/arm/databricks_workspaces.h"
#include "cloud/arm/key_vaults.h"
#include "cloud/arm/resource_groups.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/datafactory/data_factory_client.h"
#include "cloudsim/http/client.h"
#include "common/sha256.h"
#include "controller/engine.h"
#include "controller/state_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "reconcilers/data_plane_reconcilers.h"
#include "reconcilers/registry.h"
#include "spec/references.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::testing {

// A non-secret output value.
inline reconcilers::OutputValue Plain(const std::string& value) {
  reconcilers::OutputValue v;
  v.value = value;
  return v;
}

// Stands in for the ARM kinds: Plan publishes the outputs the test configured for the
// resource and reports no change.
class StubOutputs : public reconcilers::Reconciler {
 public:
  void Set(const std::string& resource, const std::string& output, reconcilers::OutputValue v) {
    absl::MutexLock lock(&mu_);
    values_[resource][output] = std::move(v);
  }
  // The next apply of `resource` reports it created from nothing in that pass, as its real
  // reconciler does after creating it (PassReads::MarkCreated).
  void CreateInNextApply(const std::string& resource) {
    absl::MutexLock lock(&mu_);
    create_.insert(resource);
  }
  absl::StatusOr<reconcilers::Change> Plan(reconcilers::Context& ctx) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [output, v] : values_[ctx.resource.name()])
      ctx.outputs.Set(ctx.resource.name(), output, v);
    reconcilers::Change c;
    c.exists = !create_.count(ctx.resource.name());
    if (!c.exists) c.action = reconcilers::Action::kCreate;
    return c;
  }
  absl::StatusOr<reconcilers::ApplyResult> Apply(reconcilers::Context& ctx,
                                                 const reconcilers::Change&) override {
    absl::MutexLock lock(&mu_);
    if (create_.erase(ctx.resource.name()) > 0)
      ctx.outputs.reads().MarkCreated(ctx.resource.name());
    return reconcilers::ApplyResult{};
  }
  absl::Status Delete(reconcilers::Context&) override { return absl::OkStatus(); }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::map<std::string, reconcilers::OutputValue>> values_
      ABSL_GUARDED_BY(mu_);
  std::set<std::string> create_ ABSL_GUARDED_BY(mu_);
};

class DataPlaneTest : public ::testing::Test {
 protected:
  static constexpr char kGroup[] = "rg-data";

  void SetUp() override {
    cloudsim::Options options;
    options.clock = &clock_;
    auto sim = CloudsimEnv::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = std::move(*sim);
    StartEnvctl();
    arm_ =
        std::make_unique<cloud::arm::ArmClient>(session_->Arm(), clock_, session_->arm_endpoint());
    cloud::arm::ArmClientOptions factory_options;
    factory_options.error_service = cloud::Service::kDataFactory;
    factory_arm_ = std::make_unique<cloud::arm::ArmClient>(
        session_->DataFactory(), clock_, session_->arm_endpoint(), factory_options);
    factories_ = std::make_unique<cloud::datafactory::DataFactoryClient>(*factory_arm_,
                                                                         sim_->subscription_id);

    env_.set_name("dev");
    env_.set_project("demo");
    env_.mutable_azure()->set_location("westeurope");
    env_.mutable_sync()->set_parallelism(1);
    envctl::v1::Resource* rg = AddResource("rg");
    rg->mutable_resource_group()->set_group_name(kGroup);
    ASSERT_OK(cloud::arm::ResourceGroupsClient(*arm_, sim_->subscription_id)
                  .CreateOrUpdate(kGroup, "westeurope", nlohmann::json::object())
                  .status());
  }

  // (Re)creates what an envctl process holds: session, reconcilers, engine. The state
  // store survives, as the state dir does across a restart.
  void StartEnvctl() {
    engine_.reset();
    registry_ = std::make_unique<reconcilers::ReconcilerRegistry>();
    session_.reset();
    auto endpoints = cloud::LoadEndpointsFile(sim_->endpoints_file);
    ASSERT_TRUE(endpoints.ok()) << endpoints.status();
    auto session = cloud::CloudSession::Create(*endpoints, clock_, metrics_);
    ASSERT_TRUE(session.ok()) << session.status();
    session_ = std::move(*session);
    reconcilers::CloudReconcilerOptions reconciler_options;
    reconciler_options.poll_initial = absl::Seconds(1);
    reconciler_options.poll_max = absl::Seconds(10);
    reconcilers::RegisterDataPlaneReconcilers(*registry_, *session_, clock_, reconciler_options);
    using envctl::v1::Resource;
    for (auto kind : {Resource::kResourceGroup, Resource::kStorageAccount, Resource::kKeyVault,
                      Resource::kDataFactory, Resource::kDatabricksWorkspace}) {
      registry_->Register(kind, &stub_);
    }
    engine_ = std::make_unique<controller::Engine>(
        *registry_, store_, clock_,
        [](const envctl::v1::Resource& r) { return spec::ResourceDependencies(r); });
  }

  envctl::v1::Resource* AddResource(const std::string& name) {
    envctl::v1::Resource* r = env_.add_resources();
    r->set_name(name);
    return r;
  }

  // Sets the loaded files of `resource` and a content hash over them and its spec.
  void SetContent(const std::string& resource, const std::map<std::string, std::string>& files) {
    envctl::v1::ResourceContent* content = nullptr;
    for (auto& c : *env_.mutable_contents()) {
      if (c.resource() == resource) content = &c;
    }
    if (content == nullptr) content = env_.add_contents();
    content->Clear();
    content->set_resource(resource);
    std::string material;
    for (const auto& r : env_.resources()) {
      if (r.name() == resource) material = r.SerializeAsString();
    }
    for (const auto& [path, text] : files) {
      auto* f = content->add_files();
      f->set_path(path);
      f->set_content(text);
      f->set_sha256(Sha256Hex(text));
      absl::StrAppend(&material, path, "=", f->sha256(), "\n");
    }
    content->set_content_hash(Sha256Hex(material));
  }

  // A Key Vault (access policy for envctl's principal) published as resource `name`.
  std::string CreateVault(const std::string& name, const std::string& vault_name) {
    cloud::arm::KeyVaultsClient vaults(*arm_, sim_->subscription_id);
    nlohmann::json body = {
        {"location", "westeurope"},
        {"properties",
         {{"tenantId", sim_->tenant_id},
          {"sku", {{"family", "A"}, {"name", "standard"}}},
          {"accessPolicies",
           {{{"tenantId", sim_->tenant_id},
             {"objectId", sim_->object_id},
             {"permissions",
              {{"secrets", {"get", "list", "set", "delete", "recover", "purge"}}}}}}}}}};
    auto vault = vaults.CreateOrUpdate(kGroup, vault_name, body);
    EXPECT_TRUE(vault.ok()) << vault.status();
    if (!vault.ok()) return "";
    const std::string uri = cloud::arm::KeyVaultsClient::VaultUri(*vault);
    envctl::v1::Resource* r = AddResource(name);
    r->mutable_key_vault()->set_vault_name(vault_name);
    r->mutable_key_vault()->set_resource_group("rg");
    stub_.Set(name, "vaultUri", Plain(uri));
    stub_.Set(name, "id", Plain(vault->value("id", "")));
    return uri;
  }

  // A Data Factory published as resource `name`.
  cloud::datafactory::FactoryRef CreateFactory(const std::string& name,
                                               const std::string& factory_name) {
    cloud::datafactory::FactoryRef ref{kGroup, factory_name};
    auto f = factories_->PutFactory(ref, {{"location", "westeurope"},
                                          {"identity", {{"type", "SystemAssigned"}}},
                                          {"properties", nlohmann::json::object()}});
    EXPECT_TRUE(f.ok()) << f.status();
    envctl::v1::Resource* r = AddResource(name);
    r->mutable_data_factory()->set_factory_name(factory_name);
    r->mutable_data_factory()->set_resource_group("rg");
    if (f.ok()) stub_.Set(name, "id", Plain(f->value("id", "")));
    return ref;
  }

  // A Databricks workspace published as resource `name`; returns its https URL.
  std::string CreateWorkspace(const std::string& name, const std::string& workspace_name) {
    cloud::arm::DatabricksWorkspacesClient workspaces(*arm_, sim_->subscription_id);
    nlohmann::json body = {{"location", "westeurope"},
                           {"sku", {{"name", "premium"}}},
                           {"properties",
                            {{"managedResourceGroupId",
                              absl::StrCat("/subscriptions/", sim_->subscription_id,
                                           "/resourceGroups/databricks-rg-", workspace_name)}}}};
    auto ws = workspaces.CreateOrUpdate(kGroup, workspace_name, body);
    EXPECT_TRUE(ws.ok()) << ws.status();
    if (!ws.ok()) return "";
    const std::string url = cloud::arm::DatabricksWorkspacesClient::WorkspaceUrl(*ws);
    envctl::v1::Resource* r = AddResource(name);
    r->mutable_databricks_workspace()->mutable_provisioned()->set_workspace_name(workspace_name);
    r->mutable_databricks_workspace()->mutable_provisioned()->set_resource_group("rg");
    // ARM's workspaceUrl has no scheme; the reconcilers add it.
    stub_.Set(name, "workspaceUrl", Plain((*ws)["properties"].value("workspaceUrl", "")));
    return url;
  }

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
    return nullptr;
  }
  static std::vector<std::string> Paths(const controller::ResourceOutcome& o) {
    std::vector<std::string> paths;
    for (const auto& f : o.fields) paths.push_back(f.path);
    return paths;
  }
  static std::string Describe(const controller::EngineResult& result) {
    std::string out;
    for (const auto& o : result.resources) {
      absl::StrAppend(&out, o.name, ": action=", static_cast<int>(o.action), " ", o.reason, " ",
                      o.status.ToString(), "\n");
      for (const auto& f : o.fields)
        absl::StrAppend(&out, "    ", f.path, ": ", f.old_value, " -> ", f.new_value, "\n");
    }
    return out;
  }

  nlohmann::json Admin(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    cloudsim::ClientOptions options;
    options.ca_file = sim_->ca_cert_file;
    cloudsim::HeaderMap headers;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    auto r = cloudsim::Fetch(method, sim_->admin_endpoint + path, headers, body, options);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->body.empty()) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // Resets the write counters and clears the request log Requests() reads.
  void ResetStats() {
    Admin("DELETE", "/stats");
    Admin("DELETE", "/requests");
  }
  nlohmann::json RequestLog() {
    nlohmann::json log = Admin("GET", "/requests");
    if (log.is_array()) return log;
    return log.is_object() ? log.value("requests", nlohmann::json::array())
                           : nlohmann::json::array();
  }
  // Write requests per service since the last ResetStats().
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
  // Request-log lines "METHOD path" since the last ResetStats() matching `method` and
  // containing `fragment`.
  std::vector<std::string> Requests(const std::string& method, const std::string& fragment) {
    std::vector<std::string> out;
    const nlohmann::json items = RequestLog();
    for (const nlohmann::json& r : items) {
      const std::string m = r.value("method", "");
      const std::string p = r.value("path", "");
      if (m == method && p.find(fragment) != std::string::npos) out.push_back(m + " " + p);
    }
    return out;
  }

  FakeClock clock_;
  metrics::Metrics metrics_;
  std::unique_ptr<CloudsimEnv> sim_;
  std::unique_ptr<cloud::CloudSession> session_;
  std::unique_ptr<reconcilers::ReconcilerRegistry> registry_;
  StubOutputs stub_;
  MemoryStateStore store_;
  std::unique_ptr<controller::Engine> engine_;
  std::unique_ptr<cloud::arm::ArmClient> arm_;
  std::unique_ptr<cloud::arm::ArmClient> factory_arm_;
  std::unique_ptr<cloud::datafactory::DataFactoryClient> factories_;
  envctl::v1::Environment env_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_RECONCILERS_DATA_DATA_PLANE_FIXTURE_H_
