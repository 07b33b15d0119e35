// envctl_bench: prints speed and size figures (never asserts them; machines are shared and
// noisy). Run: ./build/envctl_bench [--iterations N]. Figures:
//   (`envctl_bench converge [...]` is the converge benchmark instead: converge_bench.cc;
//   `envctl_bench takeover [...]` the high-availability one: takeover_bench.cc;
//   `envctl_bench repair [...]` times drift repairs under the controller: repair_bench.cc)
//   - load: parse + validate + hash examples/bikeshare (both environments)
//   - diff: field-level JSON diff of a Data Factory pipeline-sized document
//   - plan: a converged environment planned against an in-process cloudsim (requests, time)
//   - resync: a no-op apply of the converged environment (what the controller does every
//     resyncInterval): time and write calls (must be 0)
//   - work queue: add/get/done cycles with duplicate adds (the controller's hot path)
//   - /metrics: serializing the registry after the runs above
//   - peak RSS of the whole process
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloudsim/cloudsim.h"
#include "common/clock.h"
#include "controller/engine.h"
#include "controller/state_store.h"
#include "controller/work_queue.h"
#include "metrics/metrics.h"
#include "reconcilers/cloud_reconcilers.h"
#include "reconcilers/json_diff.h"
#include "spec/loader.h"
#include "spec/references.h"

namespace {

using Clock = std::chrono::steady_clock;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Stats {
  double mean = 0, min = 0, max = 0;
};

template <typename F>
Stats Measure(int iterations, F&& f) {
  std::vector<double> samples;
  for (int i = 0; i < iterations; ++i) {
    auto start = Clock::now();
    f();
    samples.push_back(Millis(Clock::now() - start));
  }
  Stats s{0, samples[0], samples[0]};
  for (double v : samples) {
    s.mean += v / samples.size();
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  return s;
}

void Print(const char* name, const Stats& s, const std::string& extra = "") {
  std::printf("%-28s mean %8.3f ms  min %8.3f ms  max %8.3f ms  %s\n", name, s.mean, s.min, s.max,
              extra.c_str());
}

}  // namespace

namespace envctl::bench {
int RunConvergeBench(int argc, char** argv);
int RunTakeoverBench(int argc, char** argv);
int RunRepairBench(int argc, char** argv);
}  // namespace envctl::bench

int main(int argc, char** argv) {
  if (argc > 1 && !std::strcmp(argv[1], "converge")) {
    return envctl::bench::RunConvergeBench(argc - 2, argv + 2);
  }
  if (argc > 1 && !std::strcmp(argv[1], "takeover")) {
    return envctl::bench::RunTakeoverBench(argc - 2, argv + 2);
  }
  if (argc > 1 && !std::strcmp(argv[1], "repair")) {
    return envctl::bench::RunRepairBench(argc - 2, argv + 2);
  }
  int iterations = 20;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--iterations")) iterations = std::max(1, std::atoi(argv[i + 1]));
  }
  const std::string repo = std::string(ENVCTL_SOURCE_DIR) + "/examples/bikeshare";

  size_t resources = 0;
  Stats load = Measure(iterations, [&] {
    auto result = envctl::spec::LoadRepo(repo);
    resources = 0;
    for (const auto& env : result.environments) resources += env.resources_size();
  });
  Print("load examples/bikeshare", load, std::to_string(resources) + " resources");

  nlohmann::json pipeline = {{"activities", nlohmann::json::array()}};
  for (int i = 0; i < 200; ++i) {
    pipeline["activities"].push_back(
        {{"name", "a" + std::to_string(i)},
         {"typeProperties",
          {{"notebookPath", "/Shared/x/" + std::to_string(i)}, {"baseParameters", {{"p", i}}}}}});
  }
  nlohmann::json live = pipeline;
  live["activities"][150]["typeProperties"]["notebookPath"] = "/Shared/drifted";
  size_t changes = 0;
  Stats diff = Measure(iterations, [&] {
    std::vector<envctl::reconcilers::FieldChange> out;
    envctl::reconcilers::DiffJson(pipeline, live, &out);
    changes = out.size();
  });
  Print("diff 200-activity pipeline", diff, std::to_string(changes) + " field change(s)");

  // Plan of a converged environment against cloudsim.
  std::string state_dir = "/tmp/envctl-bench-XXXXXX";
  if (::mkdtemp(state_dir.data()) == nullptr) return 1;
  envctl::cloudsim::Options options;
  options.state_dir = state_dir + "/cloudsim";
  options.speed = 1000;
  auto sim = envctl::cloudsim::Cloudsim::Start(options);
  if (!sim.ok()) {
    std::printf("plan: cloudsim did not start: %s\n", std::string(sim.status().message()).c_str());
    return 1;
  }
  auto endpoints = envctl::cloud::LoadEndpointsFile((*sim)->endpoints_file());
  envctl::metrics::Metrics metrics("bench");
  auto session = envctl::cloud::CloudSession::Create(*endpoints, envctl::RealClock::Get(), metrics);
  if (!session.ok()) return 1;
  auto registry = envctl::reconcilers::BuildCloudReconcilers(**session, envctl::RealClock::Get());
  envctl::controller::FileStateStore store(state_dir + "/state");
  envctl::controller::Engine engine(*registry, store, envctl::RealClock::Get(),
                                    envctl::spec::ResourceDependencies);
  auto env = envctl::spec::LoadEnvironment(repo, "test");
  if (!env.ok()) return 1;
  auto start = Clock::now();
  auto applied = engine.Apply(*env);
  double apply_ms = Millis(Clock::now() - start);
  std::printf("%-28s %8.1f ms  converged=%s\n", "apply test from empty", apply_ms,
              applied.ok() && applied->ok() ? "yes" : "no");
  Stats plan = Measure(std::max(1, iterations / 4), [&] { (void)engine.Plan(*env); });
  Print("plan converged test env", plan);

  size_t writes = 0;
  Stats resync = Measure(std::max(1, iterations / 4), [&] {
    auto r = engine.Apply(*env);
    if (r.ok()) {
      for (const auto& o : r->resources) writes += o.applied ? 1 : 0;
    }
  });
  Print("no-op resync of test env", resync, std::to_string(writes) + " resource write(s)");

  // 1000 keys, each added three times per round (dedup), 100 rounds.
  envctl::controller::WorkQueue queue(envctl::RealClock::Get(), &metrics);
  size_t processed = 0;
  Stats work_queue = Measure(iterations, [&] {
    for (int round = 0; round < 100; ++round) {
      for (int k = 0; k < 1000; ++k) {
        const std::string key = "env/" + std::to_string(k);
        queue.Add(key);
        queue.Add(key);
        queue.Add(key);
      }
      std::string key;
      while (queue.Len() > 0 && queue.Get(&key, absl::ZeroDuration())) {
        queue.Done(key);
        ++processed;
      }
    }
  });
  Print("work queue 300k adds", work_queue,
        std::to_string(processed / static_cast<size_t>(iterations)) + " keys processed per run");

  size_t bytes = 0;
  Stats serialize = Measure(iterations, [&] { bytes = metrics.Serialize().size(); });
  Print("serialize /metrics", serialize, std::to_string(bytes) + " bytes");

  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%-28s %8.1f MiB\n", "peak RSS", usage.ru_maxrss / 1024.0);
  std::string cleanup = "rm -rf " + state_dir;
  (void)std::system(cleanup.c_str());
  return 0;
}
