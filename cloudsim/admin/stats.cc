#include "cloudsim/admin/stats.h"

#include "absl/strings/match.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {

void RequestStats::Record(const std::string& service, const std::string& method,
                          const std::string& path, int status, absl::Time when,
                          const std::string& client) {
  bool read = method == "GET" || method == "HEAD" ||
              (service == "aad" && ContainsIgnoreCase(path, "/token"));
  absl::MutexLock lock(&mu_);
  auto& c = counters_[service];
  (read ? c.first : c.second)++;
  log_.push_back({{"method", method},
                  {"path", path},
                  {"status", status},
                  {"service", service},
                  {"time", IsoTime(when)},
                  {"client", client}});
  while (log_.size() > capacity_) log_.pop_front();
}

nlohmann::json RequestStats::Counters() {
  absl::MutexLock lock(&mu_);
  nlohmann::json requests = nlohmann::json::object();
  for (const char* s : {"aad", "arm", "keyvault", "datafactory", "databricks"}) {
    requests[s] = {{"read", 0}, {"write", 0}};
  }
  for (const auto& [service, c] : counters_) {
    requests[service] = {{"read", c.first}, {"write", c.second}};
  }
  return {{"requests", requests}};
}

void RequestStats::ResetCounters() {
  absl::MutexLock lock(&mu_);
  counters_.clear();
}

void RequestStats::ClearLog() {
  absl::MutexLock lock(&mu_);
  log_.clear();
}

nlohmann::json RequestStats::Log() {
  absl::MutexLock lock(&mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : log_) out.push_back(e);
  return {{"requests", out}};
}

}  // namespace envctl::cloudsim
