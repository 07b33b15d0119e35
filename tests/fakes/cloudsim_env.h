// CloudsimEnv: starts an in-process cloudsim for integration tests — a fresh temp state
// dir, an ephemeral port, speed 1000 (LROs and runs finish in milliseconds) — and exposes
// the parsed endpoints.json. Restart() stops and starts it on the same state dir (the
// persistence path). The destructor stops cloudsim and deletes the temp dir.
// Header-only; link the test against envctl_cloudsim. Not thread-safe itself (cloudsim is).
//
//   ASSERT_OK_AND_ASSIGN-style:
//   auto env = envctl::testing::CloudsimEnv::Start();
//   ASSERT_TRUE(env.ok()) << env.status();
//   (*env)->arm_endpoint, (*env)->ca_cert_file, ...
#ifndef ENVCTL_TESTS_FAKES_CLOUDSIM_ENV_H_
#define ENVCTL_TESTS_FAKES_CLOUDSIM_ENV_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "cloudsim/cloudsim.h"
#include "nlohmann/json.hpp"

namespace envctl::testing {

class CloudsimEnv {
 public:
  // `options.state_dir` empty = a fresh temp dir (deleted afterwards); port defaults to 0.
  // Speed becomes 1000 unless the caller set another speed or injected a clock (tests
  // with a FakeClock advance simulated time themselves, at speed 1).
  static absl::StatusOr<std::unique_ptr<CloudsimEnv>> Start(cloudsim::Options options = {}) {
    std::unique_ptr<CloudsimEnv> env(new CloudsimEnv());
    if (options.state_dir.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "cloudsim-test-XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
      options.state_dir = tmpl;
      env->owns_dir_ = true;
    }
    if (options.speed == 1.0 && options.clock == nullptr) options.speed = 1000;
    env->options_ = options;
    absl::Status st = env->Launch();
    if (!st.ok()) return st;
    return env;
  }

  ~CloudsimEnv() {
    sim_.reset();
    if (owns_dir_) {
      std::error_code ec;
      std::filesystem::remove_all(options_.state_dir, ec);
    }
  }

  // Stops cloudsim (flushing state) and starts it again on the same state dir and port.
  absl::Status Restart() {
    options_.port = sim_->port();
    sim_.reset();
    return Launch();
  }
  // Stops cloudsim without restarting (e.g. to test clients against a dead endpoint).
  void Stop() { sim_.reset(); }

  cloudsim::Cloudsim& sim() { return *sim_; }
  const cloudsim::Options& options() const { return options_; }
  const std::string& state_dir() const { return options_.state_dir; }

  std::string endpoints_file;
  std::string arm_endpoint;
  std::string authority_host;
  std::string tenant_id;
  std::string subscription_id;
  std::string client_id;
  std::string client_secret;
  std::string object_id;
  std::string ca_cert_file;
  std::string admin_endpoint;
  nlohmann::json endpoints;

 private:
  CloudsimEnv() = default;

  absl::Status Launch() {
    auto sim = cloudsim::Cloudsim::Start(options_);
    if (!sim.ok()) return sim.status();
    sim_ = std::move(*sim);
    endpoints_file = sim_->endpoints_file();
    std::ifstream in(endpoints_file);
    std::stringstream ss;
    ss << in.rdbuf();
    endpoints = nlohmann::json::parse(ss.str(), nullptr, false);
    if (!endpoints.is_object()) return absl::InternalError("endpoints.json is not JSON");
    arm_endpoint = endpoints.value("arm_endpoint", "");
    authority_host = endpoints.value("authority_host", "");
    tenant_id = endpoints.value("tenant_id", "");
    subscription_id = endpoints.value("subscription_id", "");
    client_id = endpoints.value("client_id", "");
    client_secret = endpoints.value("client_secret", "");
    object_id = endpoints.value("object_id", "");
    ca_cert_file = endpoints.value("ca_cert_file", "");
    admin_endpoint = endpoints.value("admin_endpoint", "");
    return absl::OkStatus();
  }

  cloudsim::Options options_;
  bool owns_dir_ = false;
  std::unique_ptr<cloudsim::Cloudsim> sim_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_CLOUDSIM_ENV_H_
