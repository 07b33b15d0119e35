// Test harness for the simulated Databricks workspace: a Workspace on a FakeClock, and
// helpers that build Requests, call Workspace::Handle directly (no sockets) and parse
// the JSON answers. Not thread-safe; one per test.
#ifndef ENVCTL_TESTS_CLOUDSIM_DATABRICKS_WORKSPACE_HARNESS_H_
#define ENVCTL_TESTS_CLOUDSIM_DATABRICKS_WORKSPACE_HARNESS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "cloudsim/databricks/workspace.h"
#include "cloudsim/http/http_types.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_clock.h"

namespace envctl::cloudsim::databricks::testing {

using Json = nlohmann::json;

inline constexpr char kAadToken[] = "aad-token-for-databricks";

class WorkspaceHarness {
 public:
  explicit WorkspaceHarness(double speed = 1.0) { Reset(speed); }

  void Reset(double speed) {
    WorkspaceEnv env;
    env.clock = &clock;
    env.speed = speed;
    env.accept_aad_token = [](const std::string& bearer) { return bearer == kAadToken; };
    env.read_key_vault_secret = [this](const std::string& dns,
                                       const std::string& key) -> absl::StatusOr<std::string> {
      auto it = key_vault.find(dns + "|" + key);
      if (it == key_vault.end()) return absl::NotFoundError("SecretNotFound");
      return it->second;
    };
    ws = std::make_unique<Workspace>("1234567890123456",
                                     "adb-1234567890123456.7.azuredatabricks.net", std::move(env));
  }

  Response Send(const std::string& method, const std::string& path, const Json& body = nullptr,
                const std::map<std::string, std::string>& query = {},
                const std::string& token = kAadToken) {
    Request r;
    r.method = method;
    r.path = path;
    r.query = query;
    if (!token.empty()) r.headers["Authorization"] = "Bearer " + token;
    if (!body.is_null()) {
      r.headers["Content-Type"] = "application/json";
      r.body = body.dump();
    }
    return ws->Handle(r);
  }

  // Sends and returns the parsed body, expecting `status`.
  Json Ok(const std::string& method, const std::string& path, const Json& body = nullptr,
          const std::map<std::string, std::string>& query = {}, int status = 200) {
    Response r = Send(method, path, body, query);
    EXPECT_EQ(r.status, status) << method << " " << path << ": " << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  Json Get(const std::string& path, const std::map<std::string, std::string>& query) {
    return Ok("GET", path, nullptr, query);
  }
  Json Post(const std::string& path, const Json& body) { return Ok("POST", path, body); }

  void ImportNotebook(const std::string& path, const std::string& source,
                      const std::string& language = "PYTHON") {
    Post("/api/2.0/workspace/import", {{"path", path},
                                       {"format", "SOURCE"},
                                       {"language", language},
                                       {"content", absl::Base64Escape(source)},
                                       {"overwrite", true}});
  }

  // Submits a one-task 2.1 run of `notebook` and returns its run id.
  int64_t SubmitNotebook(const std::string& notebook, const Json& extra_task = Json::object(),
                         const Json& extra_run = Json::object()) {
    Json task = {{"task_key", "main"},
                 {"notebook_task", {{"notebook_path", notebook}}},
                 {"existing_cluster_id", "0923-164208-meows279"}};
    task.update(extra_task);
    Json body = {{"run_name", "test"}, {"tasks", Json::array({task})}};
    body.update(extra_run);
    return Post("/api/2.1/jobs/runs/submit", body).at("run_id").get<int64_t>();
  }

  Json GetRunJson(int64_t run_id, const std::string& version = "2.1") {
    return Get("/api/" + version + "/jobs/runs/get", {{"run_id", std::to_string(run_id)}});
  }
  Json Output(int64_t run_id) {
    return Get("/api/2.1/jobs/runs/get-output", {{"run_id", std::to_string(run_id)}});
  }
  std::string LifeCycle(int64_t run_id) {
    return GetRunJson(run_id)["state"]["life_cycle_state"].get<std::string>();
  }
  // Advances the clock far enough for any run to finish (bounded, no sleeping).
  void Finish(int64_t run_id) {
    for (int i = 0; i < 1000 && LifeCycle(run_id) != "TERMINATED"; ++i) {
      clock.Advance(absl::Seconds(10));
    }
  }

  FakeClock clock;
  std::map<std::string, std::string> key_vault;  // "dns|key" -> value
  std::unique_ptr<Workspace> ws;
};

}  // namespace envctl::cloudsim::databricks::testing

#endif  // ENVCTL_TESTS_CLOUDSIM_DATABRICKS_WORKSPACE_HARNESS_H_
