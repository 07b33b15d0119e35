// Request accounting for the admin API: per-service read/write counters and a bounded
// log of recent requests (method, path, status, service, time, client: the User-Agent —
// never bodies, queries or tokens). Reads are GET/HEAD; everything else is a write, except the
// token endpoint, which counts as an aad read (it changes no cloud state). Thread-safe.
#ifndef ENVCTL_CLOUDSIM_ADMIN_STATS_H_
#define ENVCTL_CLOUDSIM_ADMIN_STATS_H_

#include <deque>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

class RequestStats {
 public:
  explicit RequestStats(size_t log_capacity = 10000) : capacity_(log_capacity) {}
  void Record(const std::string& service, const std::string& method, const std::string& path,
              int status, absl::Time when, const std::string& client = "");
  nlohmann::json Counters();  // {"requests": {"arm": {"read": n, "write": n}, ...}}
  void ResetCounters();
  nlohmann::json Log();  // {"requests": [...]} newest last
  void ClearLog();       // so a benchmark or test can read one phase's requests

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::map<std::string, std::pair<int64_t, int64_t>> counters_ ABSL_GUARDED_BY(mu_);
  std::deque<nlohmann::json> log_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ADMIN_STATS_H_
