#include "cloudsim/admin/faults.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace envctl::cloudsim {

bool GlobMatch(const std::string& pattern, const std::string& text) {
  // Iterative matcher with single-star backtracking: linear in practice.
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

absl::Status FaultInjector::Add(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("fault must be a JSON object");
  FaultSpec f;
  try {
    f.service = j.value("service", "");
    f.operation = j.value("operation", "*");
    f.latency_ms = j.value("latency_ms", 0);
    if (j.contains("status") && !j["status"].is_null()) f.status = j["status"].get<int>();
    f.retry_after_s = j.value("retry_after_s", 1);
    f.rate = j.value("rate", 1.0);
    f.count = j.value("count", int64_t{-1});
    f.after_handling = j.value("after_handling", false);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string("fault has a field of the wrong type: ") +
                                      e.what());
  }
  static const char* kServices[] = {"", "*", "aad", "arm", "keyvault", "datafactory", "databricks"};
  bool known = false;
  for (const char* s : kServices) known = known || f.service == s;
  if (!known) {
    return absl::InvalidArgumentError(
        "fault.service must be one of aad, arm, keyvault, "
        "datafactory, databricks (or * for all), got \"" +
        f.service + "\"");
  }
  if (f.status != -1 && f.status != 0 && f.status != 429 && f.status != 500 && f.status != 503) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault.status must be 429, 500, 503 or 0 (reset), got ", f.status));
  }
  if (f.rate < 0 || f.rate > 1) return absl::InvalidArgumentError("fault.rate must be in [0, 1]");
  if (f.latency_ms < 0) return absl::InvalidArgumentError("fault.latency_ms must be >= 0");
  if (f.status == -1 && f.latency_ms == 0) {
    return absl::InvalidArgumentError("fault needs a status or a latency_ms");
  }
  if (f.after_handling && f.status != 0 && f.status != 500 && f.status != 503) {
    // A 429 says the service refused before acting; after acting it never sends one.
    return absl::InvalidArgumentError(
        "fault.after_handling needs status 500, 503 or 0 (reset): a 429 means nothing was done");
  }
  if (f.service == "*") f.service.clear();
  absl::MutexLock lock(&mu_);
  faults_.push_back(f);
  return absl::OkStatus();
}

void FaultInjector::Clear() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

nlohmann::json FaultInjector::List() {
  absl::MutexLock lock(&mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : faults_) {
    out.push_back({{"service", f.service.empty() ? "*" : f.service},
                   {"operation", f.operation},
                   {"latency_ms", f.latency_ms},
                   {"status", f.status == -1 ? nlohmann::json(nullptr) : nlohmann::json(f.status)},
                   {"retry_after_s", f.retry_after_s},
                   {"rate", f.rate},
                   {"count", f.count},
                   {"after_handling", f.after_handling}});
  }
  return out;
}

std::optional<FaultSpec> FaultInjector::Match(const std::string& service,
                                              const std::string& operation) {
  absl::MutexLock lock(&mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->service.empty() && it->service != service) continue;
    if (!GlobMatch(it->operation, operation)) continue;
    if (it->rate < 1.0 && std::uniform_real_distribution<double>(0, 1)(rng_) >= it->rate) continue;
    FaultSpec fired = *it;
    if (it->count > 0 && --it->count == 0) faults_.erase(it);
    return fired;
  }
  return std::nullopt;
}

Response FaultResponse(const std::string& service, const FaultSpec& f) {
  Response r;
  r.status = f.status;
  if (f.status == 0) {
    r.reset_connection = true;
    return r;
  }
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  if (f.status == 429 || f.status == 503)
    r.headers["Retry-After"] = std::to_string(f.retry_after_s);
  nlohmann::json body;
  if (service == "databricks") {
    const char* code = f.status == 429   ? "REQUEST_LIMIT_EXCEEDED"
                       : f.status == 503 ? "TEMPORARILY_UNAVAILABLE"
                                         : "INTERNAL_ERROR";
    body = {{"error_code", code}, {"message", "Injected fault (cloudsim)."}};
  } else if (service == "aad") {
    body = {{"error", f.status == 429 ? "temporarily_unavailable" : "server_error"},
            {"error_description", "AADSTS90036: Injected fault (cloudsim)."},
            {"error_codes", {90036}}};
  } else if (service == "keyvault") {
    std::string code = f.status == 429   ? "Throttled"
                       : f.status == 503 ? "ServiceUnavailable"
                                         : "InternalServerError";
    body = {{"error",
             {{"code", code},
              {"message", f.status == 429 ? "Request was not processed because too many requests "
                                            "were received. Reason: VaultRequestTypeLimitReached"
                                          : "Injected fault (cloudsim)."}}}};
  } else {
    std::string code = f.status == 429   ? "SubscriptionRequestsThrottled"
                       : f.status == 503 ? "ServiceUnavailable"
                                         : "InternalServerError";
    std::string message =
        f.status == 429
            ? absl::StrCat("Number of requests exceeded the limit. Please try again after '",
                           f.retry_after_s, "' seconds. Refer to https://aka.ms/arm-throttling")
            : "Injected fault (cloudsim).";
    body = {{"error", {{"code", code}, {"message", message}}}};
  }
  r.body = body.dump();
  return r;
}

}  // namespace envctl::cloudsim
