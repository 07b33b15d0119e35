// Crash injection: envctl killed at every persist boundary of an apply of bikeshare TEST,
// then restarted over the state it had persisted.
//
// Every cloud write and every run submit of the engine is followed by a state save (a
// reconciler checkpoint, the end of a resource, the end of a pass), so "killed right
// before save k" covers each crash window: what was written to the cloud since save k-1
// is not recorded. A killed process persists nothing more and sends nothing more (its
// store and its transport fail from that moment). The restarted envctl (new session,
// reconcilers and engine over the surviving state and the same cloudsim) must converge;
// a plan after it is empty; no second pipeline run, no second notebook run, no resource
// beyond what a crash-free apply makes, no Databricks token left behind beyond the one
// in use. Boundaries are counted by a crash-free apply first; the shards split them.
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
#include "cloud/arm/resource_groups.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/jobs_api.h"
#include "cloud/databricks/tokens_api.h"
#include "cloud/transport/cpprest_transport.h"
#include "cloudsim/http/client.h"
#include "controller/engine.h"
#include "controller/state_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "reconcilers/cloud_reconcilers.h"
#include "spec/loader.h"
#include "spec/references.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/memory_state_store.h"

namespace envctl::testing {
namespace {

constexpr int kShards = 4;

// One envctl process's view of the state dir: save number `crash_at` (1-based; 0 =
// never) is where the process dies: that save and every later one are lost.
class CrashingStore : public controller::StateStore {
 public:
  CrashingStore(controller::StateStore& durable, int crash_at, std::atomic<bool>& dead)
      : durable_(durable), crash_at_(crash_at), dead_(dead) {}
  absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) override {
    if (dead_) return absl::AbortedError("process killed");
    return durable_.Load(environment);
  }
  absl::Status Save(const envctl::v1::EnvironmentState& state) override {
    absl::MutexLock lock(&mu_);
    if (dead_) return absl::AbortedError("process killed");
    if (++saves_ == crash_at_) {
      dead_ = true;
      return absl::AbortedError(absl::StrCat("process killed before save ", saves_));
    }
    return durable_.Save(state);
  }
  int saves() {
    absl::MutexLock lock(&mu_);
    return saves_;
  }

 private:
  controller::StateStore& durable_;
  const int crash_at_;
  std::atomic<bool>& dead_;
  absl::Mutex mu_;
  int saves_ ABSL_GUARDED_BY(mu_) = 0;
};

// The wire of a process: nothing leaves a dead one.
class CrashingTransport : public cloud::HttpTransport {
 public:
  CrashingTransport(cloud::HttpTransport& wire, std::atomic<bool>& dead)
      : wire_(wire), dead_(dead) {}
  absl::StatusOr<cloud::HttpResponse> Send(const cloud::HttpRequest& request) override {
    if (dead_) return absl::CancelledError("process killed");
    return wire_.Send(request);
  }

 private:
  cloud::HttpTransport& wire_;
  std::atomic<bool>& dead_;
};

// What an envctl process holds; dies at save `crash_at`.
struct EnvctlProcess {
  EnvctlProcess(CloudsimEnv& sim, Clock& clock, controller::StateStore& durable, int crash_at)
      : wire(WireOptions(sim)), transport(wire, dead), store(durable, crash_at, dead) {
    auto endpoints = cloud::LoadEndpointsFile(sim.endpoints_file);
    EXPECT_TRUE(endpoints.ok()) << endpoints.status();
    cloud::CloudSessionOptions options;
    options.transport_for_test = &transport;
    auto s = cloud::CloudSession::Create(*endpoints, clock, metrics, std::move(options));
    EXPECT_TRUE(s.ok()) << s.status();
    session = std::move(*s);
    reconcilers::CloudReconcilerOptions reconciler_options;
    reconciler_options.poll_initial = absl::Seconds(1);
    registry = reconcilers::BuildCloudReconcilers(*session, clock, reconciler_options);
    engine = std::make_unique<controller::Engine>(
        *registry, store, clock,
        [](const envctl::v1::Resource& r) { return spec::ResourceDependencies(r); });
  }
  ~EnvctlProcess() {
    engine.reset();
    registry.reset();
    session.reset();
  }
  static cloud::CpprestTransportOptions WireOptions(CloudsimEnv& sim) {
    cloud::CpprestTransportOptions o;
    o.ca_cert_file = sim.ca_cert_file;
    return o;
  }

  std::atomic<bool> dead{false};
  cloud::CpprestTransport wire;
  CrashingTransport transport;
  CrashingStore store;
  metrics::Metrics metrics{"crash_test"};
  std::unique_ptr<cloud::CloudSession> session;
  std::unique_ptr<reconcilers::ReconcilerRegistry> registry;
  std::unique_ptr<controller::Engine> engine;
};

std::string Describe(const controller::EngineResult& result) {
  std::string out;
  for (const auto& o : result.resources) {
    absl::StrAppend(&out, "  ", o.name, ": action=", static_cast<int>(o.action), " ", o.reason, " ",
                    o.status.ToString(), "\n");
  }
  return out;
}

// What the cloud holds after a converged apply.
struct CloudCensus {
  int arm_resources = 0;
  int pipeline_runs_created = 0;  // createRun requests
  int notebook_runs = 0;          // distinct Databricks runs (envctl's and the pipeline's)
  int tokens = 0;                 // Databricks tokens alive
  std::string ToString() const {
    return absl::StrCat("arm_resources=", arm_resources, " createRun=", pipeline_runs_created,
                        " notebook_runs=", notebook_runs, " tokens=", tokens);
  }
};

class CrashInjectionTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    auto env = spec::LoadEnvironment(ENVCTL_SOURCE_DIR "/examples/bikeshare", "test");
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *env;
    // One resource at a time: the same boundaries in the same order on every run.
    env_.mutable_sync()->set_parallelism(1);
  }

  std::unique_ptr<CloudsimEnv> StartCloud(FakeClock& clock) {
    cloudsim::Options options;
    options.clock = &clock;
    auto sim = CloudsimEnv::Start(options);
    EXPECT_TRUE(sim.ok()) << sim.status();
    return sim.ok() ? std::move(*sim) : nullptr;
  }

  nlohmann::json Admin(CloudsimEnv& sim, const std::string& method, const std::string& path) {
    cloudsim::ClientOptions options;
    options.ca_file = sim.ca_cert_file;
    auto r = cloudsim::Fetch(method, sim.admin_endpoint + path, {}, "", options);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->body.empty()) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  CloudCensus Census(CloudsimEnv& sim, EnvctlProcess& p, FakeClock& clock) {
    CloudCensus c;
    cloud::arm::ArmClient arm(p.session->Arm(), clock, p.session->arm_endpoint());
    cloud::arm::ResourceGroupsClient groups(arm, sim.subscription_id);
    auto listed = groups.List();
    EXPECT_TRUE(listed.ok()) << listed.status();
    if (listed.ok()) {
      for (const auto& g : *listed) {
        auto resources = groups.ListResources(g.value("name", ""));
        if (resources.ok()) c.arm_resources += 1 + static_cast<int>(resources->size());
      }
    }
    nlohmann::json log = Admin(sim, "GET", "/requests");
    if (log.is_object()) log = log.value("requests", nlohmann::json::array());
    for (const auto& r : log) {
      if (r.value("method", "") == "POST" &&
          r.value("path", "").find("/createRun") != std::string::npos) {
        ++c.pipeline_runs_created;
      }
    }
    cloud::arm::DatabricksWorkspacesClient workspaces(arm, sim.subscription_id);
    auto ws = workspaces.Get("bikeshare-test-rg", "bikeshare-test-dbw");
    EXPECT_TRUE(ws.ok()) << ws.status();
    if (ws.ok()) {
      cloud::databricks::DatabricksClient client(
          p.session->Databricks(), cloud::arm::DatabricksWorkspacesClient::WorkspaceUrl(*ws));
      auto runs = cloud::databricks::JobsApi(client).ListRuns();
      EXPECT_TRUE(runs.ok()) << runs.status();
      if (runs.ok()) c.notebook_runs = static_cast<int>(runs->size());
      auto tokens = cloud::databricks::TokensApi(client).List();
      EXPECT_TRUE(tokens.ok()) << tokens.status();
      if (tokens.ok()) c.tokens = static_cast<int>(tokens->size());
    }
    return c;
  }

  envctl::v1::Environment env_;
};

TEST_P(CrashInjectionTest, KilledBeforeAnySaveThenRestartedConvergesWithoutDuplicates) {
  // A crash-free apply: how many saves (boundaries) there are, and what the cloud holds.
  int boundaries = 0;
  CloudCensus reference;
  {
    FakeClock clock;
    auto sim = StartCloud(clock);
    ASSERT_NE(sim, nullptr);
    MemoryStateStore durable;  // the state dir: what survives a crash
    EnvctlProcess p(*sim, clock, durable, /*crash_at=*/0);
    auto applied = p.engine->Apply(env_);
    ASSERT_TRUE(applied.ok()) << applied.status();
    ASSERT_TRUE(applied->ok()) << Describe(*applied);
    boundaries = p.store.saves();
    reference = Census(*sim, p, clock);
  }
  ASSERT_GT(boundaries, 10) << "every resource saves at least once";
  EXPECT_EQ(reference.pipeline_runs_created, 1);
  // The integration test's run, the training job's run (JobRunTest) and the one the
  // pipeline's notebook activity starts.
  EXPECT_EQ(reference.notebook_runs, 3);

  int tried = 0;
  for (int k = 1 + GetParam(); k <= boundaries; k += kShards) {
    SCOPED_TRACE(absl::StrCat("killed before save ", k, " of ", boundaries));
    ++tried;
    FakeClock clock;
    auto sim = StartCloud(clock);
    ASSERT_NE(sim, nullptr);
    MemoryStateStore durable;  // the state dir: what survives a crash
    {
      EnvctlProcess first(*sim, clock, durable, k);
      auto crashed = first.engine->Apply(env_);
      EXPECT_TRUE(first.dead) << "the failpoint was reached";
      if (crashed.ok()) {
        EXPECT_FALSE(crashed->ok()) << "a killed apply cannot report success";
      }
    }
    EnvctlProcess restarted(*sim, clock, durable, /*crash_at=*/0);
    auto converged = restarted.engine->Apply(env_);
    ASSERT_TRUE(converged.ok()) << converged.status();
    ASSERT_TRUE(converged->ok()) << Describe(*converged);
    auto plan = restarted.engine->Plan(env_);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const auto& o : plan->resources) {
      EXPECT_EQ(o.action, reconcilers::Action::kNone) << o.name << ": " << o.reason;
    }
    const CloudCensus after = Census(*sim, restarted, clock);
    EXPECT_EQ(after.arm_resources, reference.arm_resources) << after.ToString();
    EXPECT_EQ(after.pipeline_runs_created, 1)
        << "never a second pipeline run: " << after.ToString();
    EXPECT_EQ(after.notebook_runs, reference.notebook_runs)
        << "never a second notebook run: " << after.ToString();
    EXPECT_LE(after.tokens, reference.tokens) << "no orphan token: " << after.ToString();
  }
  EXPECT_GT(tried, 0);
}

INSTANTIATE_TEST_SUITE_P(Shards, CrashInjectionTest, ::testing::Range(0, kShards));

}  // namespace
}  // namespace envctl::testing
