// FaultInjector: the admin API's injected faults. A fault matches a service ("arm",
// "keyvault", ... or "*"/empty for all) and a glob over "METHOD /path" (case-insensitive,
// '*' any run, '?' one char), fires with probability `rate`, at most `count` times
// (<0 = unlimited), and adds latency and/or answers with a status (429/500/503) or
// resets the connection (status 0). With `after_handling` the request is handled first
// and only its answer is replaced (500/503/reset): the service acted, the client cannot
// know it (a lost answer, what exactly-once submission must survive). With a `seed`,
// whether a fault fires is not drawn from a shared RNG (whose draws land on whichever
// request comes first, so thread timing moves them) but hashed from the seed, the
// request's shape (method and path with every segment holding a digit as `*`: generated
// names and ids) and how many requests of that shape the fault has seen: the same seed
// faults the same requests of a run again, whatever the interleaving and the names.
// `retry_after_max_s` above `retry_after_s` makes Retry-After uniform over that range
// (per firing; seeded the same way). Thread-safe.
#ifndef ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_
#define ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_

#include <cstdint>
#include <map>
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
  int retry_after_max_s = 0;  // > retry_after_s: uniform in [retry_after_s, this]
  double rate = 1.0;
  int64_t count = -1;           // remaining firings; <0 = unlimited
  bool after_handling = false;  // handle the request, then replace its answer
  uint64_t seed = 0;            // 0: random draws; else placement hashed (see above)
};

bool GlobMatch(const std::string& pattern, const std::string& text);

// "METHOD /path" with every path segment that holds a digit replaced by `*` (and any
// query dropped): what a seeded fault keys its placement on.
std::string OperationShape(const std::string& operation);

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
  // Seeded faults: requests of each (fault, shape) seen so far. A fault's key is its
  // position among those added since the last Clear(), so counts survive faults before
  // it removing themselves and two faults with one seed still draw apart.
  std::map<std::pair<int64_t, std::string>, int64_t> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> ids_ ABSL_GUARDED_BY(mu_);  // parallel to faults_
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){std::random_device{}()};
};

// The response a fault produces, shaped like the service's own throttling/outage error.
Response FaultResponse(const std::string& service, const FaultSpec& fault);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ADMIN_FAULTS_H_
