// CloudSession: the whole HTTP pipeline of one envctl process, built once from
// CloudEndpoints. It owns one CpprestTransport (shared connection pools), one cached
// TokenCredential and a per-service pipeline, outermost first:
//   Arm(), DataFactory(): Bearer(ARM scope) > Retrying > ArmRateLimiting(ARM's budget: one
//                         bucket per subscription and reads/writes/deletes, shared by both,
//                         lowered to what ARM's x-ms-ratelimit-remaining-* headers say)
//                         > Instrumented("arm" / "datafactory") > cpprest
//   KeyVault():           ChallengeAuth(expecting kKeyVaultScope) > Retrying
//                         > RateLimiting(one bucket per vault)
//                         > Instrumented > cpprest
//   Databricks():         Bearer(2ff814a6-…/.default) > Retrying > RateLimiting(one bucket
//                         per workspace) > ...
//   DatabricksWithToken(pat): Bearer(PAT) over the same Databricks pipeline
//   Unauthenticated():    Retrying > Instrumented("other") > cpprest
// Typed clients take an `HttpTransport&` from here. All methods are thread-safe; the
// session must outlive the transports it hands out.
#ifndef ENVCTL_CLOUD_CLOUD_SESSION_H_
#define ENVCTL_CLOUD_CLOUD_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/auth/token_credential.h"
#include "cloud/cloud_endpoints.h"
#include "cloud/transport/http_transport.h"
#include "cloud/transport/instrumented_transport.h"
#include "cloud/transport/rate_limiting_transport.h"
#include "cloud/transport/retrying_transport.h"
#include "common/clock.h"
#include "metrics/metrics.h"

namespace envctl::cloud {

// Databricks' first-party application, the AAD scope for workspace APIs.
inline constexpr char kDatabricksScope[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";
// The Key Vault audience vaults are expected to ask for (cloudsim's too). A vault that asks
// for another says so in its 401 challenge, which is followed.
inline constexpr char kKeyVaultScope[] = "https://vault.azure.net/.default";

struct CloudSessionOptions {
  RetryOptions retry;
  TokenBucketOptions arm_reads = RateLimitDefaults::ArmReads();
  TokenBucketOptions arm_writes = RateLimitDefaults::ArmWrites();
  TokenBucketOptions arm_deletes = RateLimitDefaults::ArmDeletes();
  TokenBucketOptions keyvault = RateLimitDefaults::KeyVault();
  TokenBucketOptions databricks = RateLimitDefaults::Databricks();
  absl::Duration token_refresh_margin = absl::Minutes(5);
  // Appended to the User-Agent of every request, e.g. "(replica envctl-0)" so the far end
  // (cloudsim's request log, Azure activity logs) can tell replicas apart; "" = none.
  std::string user_agent_comment;
  // One record per HTTP exchange; empty = no request log.
  RequestLogSink log_sink;
  // Tests: replaces the CpprestTransport at the bottom of every pipeline.
  HttpTransport* transport_for_test = nullptr;
  // Tests: replaces the default credential (still used through the token cache).
  std::unique_ptr<TokenCredential> credential_for_test;
};

class CloudSession {
 public:
  // InvalidArgument when the endpoints are unusable (e.g. client id without tenant);
  // errors name the endpoints' source.
  static absl::StatusOr<std::unique_ptr<CloudSession>> Create(CloudEndpoints endpoints,
                                                              Clock& clock,
                                                              metrics::Metrics& metrics,
                                                              CloudSessionOptions options = {});
  ~CloudSession();

  HttpTransport& Arm();
  HttpTransport& DataFactory();
  HttpTransport& KeyVault();
  HttpTransport& Databricks();
  // A pipeline authenticated with a Databricks personal access token instead of AAD.
  std::unique_ptr<HttpTransport> DatabricksWithToken(std::string pat);
  HttpTransport& Unauthenticated();

  TokenCredential& credential();
  const CloudEndpoints& endpoints() const { return endpoints_; }
  const std::string& subscription_id() const { return endpoints_.subscription_id; }
  const std::string& object_id() const { return endpoints_.object_id; }
  const std::string& arm_endpoint() const { return endpoints_.arm_endpoint; }

  // Cancels in-flight requests; later requests fail with Cancelled. For shutdown.
  void Shutdown();

  // Starts fetching a token for each of `scopes` in the background, so the first request
  // that needs one does not pay for it on its way (the token cache's single flight makes
  // such a request wait for the fetch in progress, never start a second). Errors are
  // dropped: the request that needs the token fetches it again and reports. The fetches
  // are joined by the destructor. Call from one thread at a time.
  void PrefetchTokens(const std::vector<std::string>& scopes);

 private:
  struct Pipelines;
  CloudSession(CloudEndpoints endpoints, std::unique_ptr<Pipelines> pipelines);

  const CloudEndpoints endpoints_;
  std::unique_ptr<Pipelines> p_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_CLOUD_SESSION_H_
