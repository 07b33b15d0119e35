// FaultInjector: the admin API's injected faults. A fault matches a service ("arm",
// "keyvault", ... or "*"/empty for all) and a glob over "METHOD /path" (case-insensitive,
// '*' any run, '?' one char), fires with probability `rate`, at most `count` times
// (<0 = unlimited), and adds latency and/or answers with a status (429/500/503) or
// resets the connection (status 0). With `after_handling` the request is handled first
// and only its answer is replaced (500/503/reset): the service acted, the client cannot
// know it (a lost answer, what exactly-once submission must survive). Thread-safe.
#ifndef ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_
#define ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cloudsim/http/http_types.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

struct FaultSpec {
  std::string service;          // empty = any
  std::string operation = "*";  // glob over "METHOD /path"
  int latency_ms = 0;
  int status = -1;  // -1 = latency only; 0 = reset connection
  int retry_after_s = 1;
  double rate = 1.0;
  int64_t count = -1;           // remaining firings; <0 = unlimited
  bool after_handling = false;  // handle the request, then replace its answer
};

bool GlobMatch(const std::string& pattern, const std::string& text);

class FaultInjector {
 public:
  // Parses and adds a fault from the admin JSON. InvalidArgument names the bad field.
  absl::Status Add(const nlohmann::json& spec);
  void Clear();
  nlohmann::json List();
  // The fault that fires for this request, if any (consumes one of its `count`).
  std::optional<FaultSpec> Match(const std::string& service, const std::string& operation);

 private:
  absl::Mutex mu_;
  std::vector<FaultSpec> faults_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){std::random_device{}()};
};

// The response a fault produces, shaped like the service's own throttling/outage error.
Response FaultResponse(const std::string& service, const FaultSpec& fault);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_
