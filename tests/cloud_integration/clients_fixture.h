// CloudClientsTest: the fixture of the client integration suite. One in-process cloudsim
// per test binary (speed 1000, page size 2 so every list pages), driven by a FakeClock it
// shares with the clients: LRO polls, retries and run waits advance simulated time and
// cloudsim's operations complete against it, so no test sleeps on the wall clock.
// Each test gets a fresh CloudSession whose request log (the transport's log sink) is
// captured; TearDown asserts that no secret the test saw (client secret, access tokens,
// storage keys, secret values, PATs) appears in any log line or in the metrics text.
#ifndef ENVCTL_TESTS_CLOUD_INTEGRATION_CLIENTS_FIXTURE_H_
#define ENVCTL_TESTS_CLOUD_INTEGRATION_CLIENTS_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloud/arm/arm_client.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/cloud_session.h"
#include "cloud/transport/cpprest_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/cloudsim_env.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/status_matchers.h"

namespace envctl::cloud {

class CloudClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clock_ = new FakeClock();
    cloudsim::Options options;
    options.clock = clock_;
    options.speed = 1000;
    options.page_size = 2;
    auto env = testing::CloudsimEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
    delete clock_;
    clock_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(env_, nullptr);
    ASSERT_OK(Admin("DELETE", "/faults", ""));
    auto endpoints = LoadEndpointsFile(env_->endpoints_file);
    ASSERT_OK(endpoints);
    endpoints_ = *endpoints;
    RegisterSecret(endpoints_.client_secret);
    CloudSessionOptions options;
    options.retry = Retry();
    options.log_sink = [this](const RequestLogRecord& r) {
      absl::MutexLock lock(&log_mu_);
      logs_.push_back(FormatRequestLog(r));
    };
    auto session = CloudSession::Create(endpoints_, *clock_, metrics_, std::move(options));
    ASSERT_OK(session);
    session_ = std::move(*session);
    arm::ArmClientOptions arm_options;
    arm_options.lro.min_poll_interval = absl::Milliseconds(100);
    arm_options.lro.max_poll_interval = absl::Seconds(5);
    arm_options.lro.timeout = absl::Minutes(10);
    arm_ = std::make_unique<arm::ArmClient>(session_->Arm(), *clock_, session_->arm_endpoint(),
                                            arm_options);
    arm_options.error_service = Service::kDataFactory;
    factory_arm_ = std::make_unique<arm::ArmClient>(session_->DataFactory(), *clock_,
                                                    session_->arm_endpoint(), arm_options);
  }

  void TearDown() override {
    if (session_ == nullptr) return;
    // The bearer tokens the pipelines used are secrets too (cached: no new requests).
    for (const std::string& scope :
         {endpoints_.ArmScope(), std::string("https://vault.azure.net/.default"),
          std::string(kDatabricksScope)}) {
      auto token = session_->credential().GetToken(scope);
      if (token.ok()) RegisterSecret(token->token);
    }
    const std::string metrics_text = metrics_.Serialize();
    absl::MutexLock lock(&log_mu_);
    EXPECT_FALSE(logs_.empty()) << "the request log sink saw nothing";
    for (const std::string& secret : secrets_) {
      for (const std::string& line : logs_) {
        EXPECT_EQ(line.find(secret), std::string::npos)
            << "a secret (" << secret.size() << " chars) appears in a request log line";
      }
      EXPECT_EQ(metrics_text.find(secret), std::string::npos) << "a secret appears in metrics";
    }
  }

  // Shorter than production so the persistent-fault tests finish fast in simulated time.
  static RetryOptions Retry() {
    RetryOptions retry;
    retry.max_attempts = 6;
    retry.initial_backoff = absl::Milliseconds(200);
    retry.max_backoff = absl::Seconds(5);
    retry.max_total = absl::Minutes(2);
    retry.seed = 7;
    return retry;
  }

  // Remembers a secret the test saw; TearDown checks no log line contains it.
  void RegisterSecret(const std::string& secret) {
    if (secret.size() < 6) return;  // too short to search for meaningfully
    absl::MutexLock lock(&log_mu_);
    secrets_.push_back(secret);
  }
  std::vector<std::string> Logs() {
    absl::MutexLock lock(&log_mu_);
    return logs_;
  }
  int CountLogs(const std::string& needle) {
    int n = 0;
    for (const auto& line : Logs()) n += line.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }

  // cloudsim's admin API (loopback only, no auth).
  absl::StatusOr<HttpResponse> Admin(const std::string& method, const std::string& path,
                                     const std::string& body) {
    CpprestTransport admin({env_->ca_cert_file});
    HttpRequest r;
    r.method = method;
    r.url = env_->admin_endpoint + path;
    r.body = body;
    if (!body.empty()) r.headers["Content-Type"] = "application/json";
    auto resp = admin.Send(r);
    if (resp.ok() && resp->status >= 300) {
      return absl::InternalError(
          absl::StrCat("admin ", method, " ", path, ": ", resp->status, " ", resp->body));
    }
    return resp;
  }
  void AddFault(const nlohmann::json& fault) { ASSERT_OK(Admin("POST", "/faults", fault.dump())); }

  // A name unique to this test (cloudsim is shared by the tests of the binary).
  std::string Unique(const std::string& prefix, size_t max_len = 24) {
    std::string out = prefix;
    for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) out.push_back(absl::ascii_tolower(c));
    }
    if (out.size() <= max_len) return out;
    const std::string hash = absl::StrCat(std::hash<std::string>()(out) % 10000);
    return out.substr(0, max_len - hash.size()) + hash;
  }

  const std::string& subscription() const { return endpoints_.subscription_id; }

  static FakeClock* clock_;
  static testing::CloudsimEnv* env_;

  CloudEndpoints endpoints_;
  metrics::Metrics metrics_;
  std::unique_ptr<CloudSession> session_;
  std::unique_ptr<arm::ArmClient> arm_;
  std::unique_ptr<arm::ArmClient> factory_arm_;

 private:
  absl::Mutex log_mu_;
  std::vector<std::string> logs_ ABSL_GUARDED_BY(log_mu_);
  std::vector<std::string> secrets_ ABSL_GUARDED_BY(log_mu_);
};

inline FakeClock* CloudClientsTest::clock_ = nullptr;
inline testing::CloudsimEnv* CloudClientsTest::env_ = nullptr;

}  // namespace envctl::cloud

#endif  // ENVCTL_TESTS_CLOUD_INTEGRATION_CLIENTS_FIXTURE_H_
