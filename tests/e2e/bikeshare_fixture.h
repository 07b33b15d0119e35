// Shared fixture of the end-to-end tests: an in-process cloudsim, a private copy of
// examples/bikeshare, and helpers that run the envctl binary against both.
#ifndef ENVCTL_TESTS_E2E_BIKESHARE_FIXTURE_H_
#define ENVCTL_TESTS_E2E_BIKESHARE_FIXTURE_H_

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/portal.h"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/envctl_command.h"

namespace envctl::testing {

namespace fs = std::filesystem;

using RunResult = CommandRun;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const fs::path& p, const std::string& content) {
  std::ofstream out(p);
  out << content;
}

class BikeshareE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = CloudsimEnv::Start();
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = std::move(*sim);
    work_ = fs::path(sim_->state_dir()) / "work";
    repo_ = work_ / "bikeshare";
    fs::create_directories(work_);
    fs::copy(fs::path(ENVCTL_SOURCE_DIR) / "examples/bikeshare", repo_,
             fs::copy_options::recursive);
    portal_ = std::make_unique<Portal>(*sim_);
  }

  RunResult Run(const std::string& args) { return RunEnvctl(args); }
  std::string Common() {
    return " --cloud " + sim_->endpoints_file + " --state-dir " + (work_ / "state").string();
  }
  RunResult Apply(const std::string& env = "test", const std::string& extra = "") {
    return Run("apply " + repo_.string() + (env.empty() ? "" : " --env " + env) + " --once" +
               Common() + extra);
  }
  RunResult Plan(const std::string& env = "test") {
    return Run("plan " + repo_.string() + " --env " + env + Common());
  }
  void ConvergeTest() {
    RunResult applied = Apply();
    ASSERT_EQ(applied.exit_code, 0) << applied.output;
  }
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    fs::path p = repo_ / file;
    std::string s = ReadFile(p);
    auto pos = s.find(from);
    ASSERT_NE(pos, std::string::npos) << from << " not in " << file;
    s.replace(pos, from.size(), to);
    WriteFile(p, s);
  }
  std::string Rg() { return portal_->RgPath("bikeshare-test-rg"); }
  // Writes work_/controller.yaml for `envctl controller` over the repo folder (polled hourly,
  // so only what a test does starts a sync) against this cloudsim, state in work_/controller;
  // `rest` is the remainder of the config (environments, workers, listeners, drift, log).
  fs::path WriteFolderControllerConfig(const std::string& rest) {
    const fs::path config = work_ / "controller.yaml";
    WriteFile(config, "source:\n  folder: " + repo_.string() +
                          "\n  pollInterval: 1h\ncloud: " + sim_->endpoints_file +
                          "\nstateDir: " + (work_ / "controller").string() + "\n" + rest);
    return config;
  }
  // gRPC and HTTP on loopback ports the OS picks (the controller prints them).
  static constexpr char kLoopbackListeners[] =
      "grpc:\n  listen: 127.0.0.1:0\nhttp:\n  listen: 127.0.0.1:0\n";

  std::unique_ptr<CloudsimEnv> sim_;
  std::unique_ptr<Portal> portal_;
  fs::path work_, repo_;
};

// Request-log indexes of `method` calls whose path ends with `suffix` (case-insensitive).
inline std::vector<int> Indexes(const nlohmann::json& log, const std::string& method,
                                const std::string& suffix) {
  const nlohmann::json entries =
      log.is_array() ? log : log.value("requests", nlohmann::json::array());
  std::vector<int> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string path = entries[i].value("path", "");
    if (entries[i].value("method", "") != method || path.size() < suffix.size()) continue;
    if (absl::EqualsIgnoreCase(path.substr(path.size() - suffix.size()), suffix))
      out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_E2E_BIKESHARE_FIXTURE_H_
