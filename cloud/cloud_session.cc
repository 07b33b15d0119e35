#include "cloud/cloud_session.h"

#include <thread>
#include <utility>

#include "cloud/auth/bearer_token_transport.h"
#include "cloud/auth/caching_credential.h"
#include "cloud/auth/default_credential.h"
#include "cloud/transport/cpprest_transport.h"
#include "common/status_macros.h"

namespace envctl::cloud {
namespace {

// One service's stack below authentication: Retrying > RateLimiting > Instrumented > base.
struct Chain {
  std::unique_ptr<InstrumentedTransport> instrumented;
  std::unique_ptr<HttpTransport> rate_limited;
  std::unique_ptr<RetryingTransport> retrying;
  std::unique_ptr<HttpTransport> authenticated;

  HttpTransport& top() {
    return authenticated ? *authenticated : static_cast<HttpTransport&>(*retrying);
  }
};

// A PAT-authenticated Databricks pipeline that owns its credential.
class PatTransport : public HttpTransport {
 public:
  PatTransport(HttpTransport& next, std::string pat)
      : credential_(std::move(pat)), bearer_(next, credential_, kDatabricksScope) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    return bearer_.Send(request);
  }

 private:
  StaticTokenCredential credential_;
  BearerTokenTransport bearer_;
};

}  // namespace

struct CloudSession::Pipelines {
  std::unique_ptr<CpprestTransport> cpprest;
  HttpTransport* base = nullptr;
  // ARM's budget per subscription and operation type, shared by ARM and Data Factory.
  std::unique_ptr<ArmBudget> arm_budget;
  // Per vault and per workspace: their limits are per vault and per workspace.
  std::unique_ptr<PerOriginBuckets> keyvault, databricks;
  Chain aad, arm, datafactory, kv, dbx;
  std::unique_ptr<InstrumentedTransport> other_instrumented;
  std::unique_ptr<RetryingTransport> other;
  std::unique_ptr<TokenCredential> credential;
  std::vector<std::thread> prefetches;  // joined by ~CloudSession, before the rest goes
};

absl::StatusOr<std::unique_ptr<CloudSession>> CloudSession::Create(CloudEndpoints endpoints,
                                                                   Clock& clock,
                                                                   metrics::Metrics& metrics,
                                                                   CloudSessionOptions options) {
  auto p = std::make_unique<Pipelines>();
  if (options.transport_for_test != nullptr) {
    p->base = options.transport_for_test;
  } else {
    CpprestTransportOptions cpprest_options;
    cpprest_options.ca_cert_file = endpoints.ca_cert_file;
    if (!options.user_agent_comment.empty()) {
      cpprest_options.user_agent += " " + options.user_agent_comment;
    }
    p->cpprest = std::make_unique<CpprestTransport>(cpprest_options);
    p->base = p->cpprest.get();
  }

  auto make_chain = [&](Chain& chain, const char* label, Service service, ArmBudget* arm,
                        PerOriginBuckets* per_origin = nullptr) {
    chain.instrumented = std::make_unique<InstrumentedTransport>(*p->base, clock, metrics, label,
                                                                 service, options.log_sink);
    HttpTransport* below_retry = chain.instrumented.get();
    if (arm != nullptr) {
      chain.rate_limited = std::make_unique<ArmRateLimitingTransport>(*chain.instrumented, *arm);
      below_retry = chain.rate_limited.get();
    } else if (per_origin != nullptr) {
      chain.rate_limited =
          std::make_unique<PerOriginRateLimitingTransport>(*chain.instrumented, *per_origin);
      below_retry = chain.rate_limited.get();
    }
    chain.retrying = std::make_unique<RetryingTransport>(*below_retry, clock, options.retry);
  };

  ArmBudgetOptions arm_budget;
  arm_budget.reads = options.arm_reads;
  arm_budget.writes = options.arm_writes;
  arm_budget.deletes = options.arm_deletes;
  p->arm_budget = std::make_unique<ArmBudget>(clock, arm_budget);
  p->keyvault = std::make_unique<PerOriginBuckets>(clock, options.keyvault);
  p->databricks = std::make_unique<PerOriginBuckets>(clock, options.databricks);

  make_chain(p->aad, "aad", Service::kAad, nullptr);
  if (options.credential_for_test) {
    p->credential = std::make_unique<CachingCredential>(std::move(options.credential_for_test),
                                                        clock, options.token_refresh_margin);
  } else {
    DefaultCredentialOptions credential_options;
    credential_options.refresh_margin = options.token_refresh_margin;
    ASSIGN_OR_RETURN(p->credential, CreateDefaultCredential(endpoints, *p->aad.retrying, clock,
                                                            credential_options));
  }

  make_chain(p->arm, "arm", Service::kArm, p->arm_budget.get());
  p->arm.authenticated = std::make_unique<BearerTokenTransport>(*p->arm.retrying, *p->credential,
                                                                endpoints.ArmScope());
  make_chain(p->datafactory, "datafactory", Service::kDataFactory, p->arm_budget.get());
  p->datafactory.authenticated = std::make_unique<BearerTokenTransport>(
      *p->datafactory.retrying, *p->credential, endpoints.ArmScope());
  make_chain(p->kv, "keyvault", Service::kKeyVault, nullptr, p->keyvault.get());
  p->kv.authenticated =
      std::make_unique<ChallengeAuthTransport>(*p->kv.retrying, *p->credential, kKeyVaultScope);
  make_chain(p->dbx, "databricks", Service::kDatabricks, nullptr, p->databricks.get());
  p->dbx.authenticated =
      std::make_unique<BearerTokenTransport>(*p->dbx.retrying, *p->credential, kDatabricksScope);
  p->other_instrumented = std::make_unique<InstrumentedTransport>(*p->base, clock, metrics, "other",
                                                                  Service::kArm, options.log_sink);
  p->other = std::make_unique<RetryingTransport>(*p->other_instrumented, clock, options.retry);

  return std::unique_ptr<CloudSession>(new CloudSession(std::move(endpoints), std::move(p)));
}

CloudSession::CloudSession(CloudEndpoints endpoints, std::unique_ptr<Pipelines> pipelines)
    : endpoints_(std::move(endpoints)), p_(std::move(pipelines)) {}

CloudSession::~CloudSession() {
  for (std::thread& t : p_->prefetches) t.join();
}

void CloudSession::PrefetchTokens(const std::vector<std::string>& scopes) {
  for (const std::string& scope : scopes) {
    p_->prefetches.emplace_back([this, scope] { (void)p_->credential->GetToken(scope); });
  }
}

HttpTransport& CloudSession::Arm() { return p_->arm.top(); }
HttpTransport& CloudSession::DataFactory() { return p_->datafactory.top(); }
HttpTransport& CloudSession::KeyVault() { return p_->kv.top(); }
HttpTransport& CloudSession::Databricks() { return p_->dbx.top(); }
HttpTransport& CloudSession::Unauthenticated() { return *p_->other; }
TokenCredential& CloudSession::credential() { return *p_->credential; }

std::unique_ptr<HttpTransport> CloudSession::DatabricksWithToken(std::string pat) {
  return std::make_unique<PatTransport>(*p_->dbx.retrying, std::move(pat));
}

void CloudSession::Shutdown() {
  if (p_->cpprest) p_->cpprest->CancelAll();
}

}  // namespace envctl::cloud
