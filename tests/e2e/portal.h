// Portal: makes out-of-band changes the way a person in the Azure portal or a Databricks
// notebook would — through the ordinary ARM, Key Vault and Databricks REST APIs with
// cloudsim's own credentials — so e2e tests can create drift. Deliberately independent
// of envctl's cloud clients. Also reads cloudsim's admin API (stats, request log).
#ifndef ENVCTL_TESTS_E2E_PORTAL_H_
#define ENVCTL_TESTS_E2E_PORTAL_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/http/client.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/cloudsim_env.h"

namespace envctl::testing {

class Portal {
 public:
  explicit Portal(const CloudsimEnv& env) : env_(env) { options_.ca_file = env.ca_cert_file; }

  // Calls `url` (absolute) with a token for `scope`; returns the parsed JSON body (null
  // for an empty body). Non-2xx answers become an error carrying the body.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& url,
                                      const std::string& scope,
                                      const nlohmann::json& body = nullptr) {
    auto token = Token(scope);
    if (!token.ok()) return token.status();
    // A request id of its own on every call, as the Azure SDKs, CLI and portal send: it is
    // what ARM repeats in the change's Event Grid event (data.httpRequest.clientRequestId).
    static std::atomic<int> next_request{0};
    cloudsim::HeaderMap headers{
        {"Authorization", "Bearer " + *token},
        {"x-ms-client-request-id", "portal-" + std::to_string(++next_request)}};
    std::string payload;
    if (!body.is_null()) {
      headers["Content-Type"] = "application/json";
      payload = body.dump();
    }
    auto response = cloudsim::Fetch(method, url, headers, payload, options_);
    if (!response.ok()) return response.status();
    if (response->status >= 300) {
      return absl::UnknownError(
          absl::StrCat(method, " ", url, " -> ", response->status, " ", response->body));
    }
    if (response->body.empty()) return nlohmann::json();
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  absl::StatusOr<nlohmann::json> Arm(const std::string& method, const std::string& path,
                                     const std::string& api_version,
                                     const nlohmann::json& body = nullptr) {
    return Call(method, absl::StrCat(env_.arm_endpoint, path, "?api-version=", api_version),
                "https://management.azure.com/.default", body);
  }

  std::string RgPath(const std::string& group) const {
    return absl::StrCat("/subscriptions/", env_.subscription_id, "/resourceGroups/", group);
  }

  // Databricks REST on the workspace of ARM workspace `workspace` in `group`.
  absl::StatusOr<nlohmann::json> Databricks(const std::string& group, const std::string& workspace,
                                            const std::string& method,
                                            const std::string& path_and_query,
                                            const nlohmann::json& body = nullptr) {
    auto ws = Arm("GET", RgPath(group) + "/providers/Microsoft.Databricks/workspaces/" + workspace,
                  "2023-02-01");
    if (!ws.ok()) return ws.status();
    std::string host = (*ws)["properties"].value("workspaceUrl", "");
    return Call(method, absl::StrCat("https://", host, path_and_query),
                "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default", body);
  }

  absl::StatusOr<nlohmann::json> Admin(const std::string& method, const std::string& path) {
    auto response = cloudsim::Fetch(method, env_.admin_endpoint + path, {}, "", options_);
    if (!response.ok()) return response.status();
    if (response->body.empty()) return nlohmann::json();
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  // POST of a JSON body to the admin API (faults, eventgrid).
  absl::StatusOr<nlohmann::json> AdminPost(const std::string& path, const nlohmann::json& body) {
    auto response = cloudsim::Fetch("POST", env_.admin_endpoint + path,
                                    {{"Content-Type", "application/json"}}, body.dump(), options_);
    if (!response.ok()) return response.status();
    if (response->status >= 300) {
      return absl::UnknownError(
          absl::StrCat("POST ", path, " -> ", response->status, " ", response->body));
    }
    if (response->body.empty()) return nlohmann::json();
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  // Sum of write requests over all services since the last ResetStats().
  absl::StatusOr<int> Writes() {
    auto stats = Admin("GET", "/stats");
    if (!stats.ok()) return stats.status();
    int writes = 0;
    for (const auto& [service, counts] : (*stats)["requests"].items())
      writes += counts.value("write", 0);
    return writes;
  }
  absl::Status ResetStats() { return Admin("DELETE", "/stats").status(); }

 private:
  absl::StatusOr<std::string> Token(const std::string& scope) {
    std::string form = absl::StrCat("grant_type=client_credentials&client_id=", env_.client_id,
                                    "&client_secret=", env_.client_secret, "&scope=", scope);
    auto response = cloudsim::Fetch(
        "POST", absl::StrCat(env_.authority_host, "/", env_.tenant_id, "/oauth2/v2.0/token"),
        {{"Content-Type", "application/x-www-form-urlencoded"}}, form, options_);
    if (!response.ok()) return response.status();
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (!json.is_object() || !json.contains("access_token")) {
      return absl::UnauthenticatedError(absl::StrCat("token request failed: ", response->status));
    }
    return json["access_token"].get<std::string>();
  }

  const CloudsimEnv& env_;
  cloudsim::ClientOptions options_;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_E2E_PORTAL_H_
