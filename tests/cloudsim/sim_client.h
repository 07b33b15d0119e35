// SimClient: a test-side HTTPS client for cloudsim built on cloudsim's own small client
// (tests are not cloudsim code, so sharing it here is fine): fetches tokens from the
// authority and calls ARM / data-plane URLs with them, trusting the env's ca.pem.
#ifndef ENVCTL_TESTS_CLOUDSIM_SIM_CLIENT_H_
#define ENVCTL_TESTS_CLOUDSIM_SIM_CLIENT_H_

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "cloudsim/http/client.h"
#include "cloudsim/http/url.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/cloudsim_env.h"

namespace envctl::testing {

inline constexpr char kArmScope[] = "https://management.azure.com/.default";
inline constexpr char kVaultScope[] = "https://vault.azure.net/.default";
inline constexpr char kDatabricksScope[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";

class SimClient {
 public:
  explicit SimClient(CloudsimEnv& env) : env_(env) {}

  cloudsim::Response TokenRequest(const std::string& form) {
    return Raw("POST", env_.authority_host + "/" + env_.tenant_id + "/oauth2/v2.0/token", form,
               {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
  std::string Token(const std::string& scope = kArmScope) {
    auto it = tokens_.find(scope);
    if (it != tokens_.end()) return it->second;
    cloudsim::Response r =
        TokenRequest("grant_type=client_credentials&client_id=" + env_.client_id +
                     "&client_secret=" + cloudsim::PercentEncode(env_.client_secret) +
                     "&scope=" + cloudsim::PercentEncode(scope));
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    std::string token = j.is_object() ? j.value("access_token", "") : "";
    tokens_[scope] = token;
    return token;
  }

  // `target` is an absolute URL or a path on the ARM endpoint.
  cloudsim::Response Raw(const std::string& method, const std::string& target,
                         const std::string& body = "", cloudsim::HeaderMap headers = {}) {
    std::string url = absl::StartsWith(target, "http") ? target : env_.arm_endpoint + target;
    cloudsim::ClientOptions options;
    options.ca_file = env_.ca_cert_file;
    auto resp = cloudsim::Fetch(method, url, headers, body, options);
    if (!resp.ok()) {
      cloudsim::Response failed;
      failed.status = -1;
      failed.body = std::string(resp.status().message());
      return failed;
    }
    return *resp;
  }

  // ARM call with an ARM token; JSON body.
  cloudsim::Response Arm(const std::string& method, const std::string& target,
                         const nlohmann::json& body = nullptr) {
    cloudsim::HeaderMap h = {{"Authorization", "Bearer " + Token()}};
    std::string text;
    if (!body.is_null()) {
      h["Content-Type"] = "application/json";
      text = body.dump();
    }
    return Raw(method, target, text, h);
  }

  // Data-plane call with a token for `scope`.
  cloudsim::Response WithToken(const std::string& scope, const std::string& method,
                               const std::string& url, const nlohmann::json& body = nullptr) {
    cloudsim::HeaderMap h = {{"Authorization", "Bearer " + Token(scope)}};
    std::string text;
    if (!body.is_null()) {
      h["Content-Type"] = "application/json";
      text = body.dump();
    }
    return Raw(method, url, text, h);
  }

  cloudsim::Response Admin(const std::string& method, const std::string& path,
                           const nlohmann::json& body = nullptr) {
    return Raw(method, env_.admin_endpoint + path, body.is_null() ? "" : body.dump(),
               {{"Content-Type", "application/json"}});
  }

  std::string Sub() const { return "/subscriptions/" + env_.subscription_id; }
  std::string Rg(const std::string& name) const { return Sub() + "/resourceGroups/" + name; }

 private:
  CloudsimEnv& env_;
  std::map<std::string, std::string> tokens_;
};

inline nlohmann::json JsonOf(const cloudsim::Response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

inline std::string ErrorCode(const cloudsim::Response& r) {
  nlohmann::json j = JsonOf(r);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    return j["error"].value("code", "");
  }
  return "";
}

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_CLOUDSIM_SIM_CLIENT_H_
