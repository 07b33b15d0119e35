#include "cloudsim/admin/faults.h"

#include <algorithm>
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

std::string OperationShape(const std::string& operation) {
  std::string out;
  const std::string op = operation.substr(0, operation.find('?'));
  size_t start = 0;
  while (start <= op.size()) {
    size_t end = op.find('/', start);
    if (end == std::string::npos) end = op.size();
    const std::string seg = op.substr(start, end - start);
    const bool named = start > 0 && std::any_of(seg.begin(), seg.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    out += named ? "*" : seg;
    if (end < op.size()) out += '/';
    start = end + 1;
  }
  return out;
}

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A stable hash of (seed, what, text, n) mapped to [0, 1).
double Draw(uint64_t seed, uint64_t what, const std::string& text, int64_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  h = Mix(Mix(Mix(seed) ^ what) ^ h) ^ static_cast<uint64_t>(n);
  return static_cast<double>(Mix(h) >> 11) / static_cast<double>(1ULL << 53);
}

}  // namespace

absl::Status FaultInjector::Add(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("fault must be a JSON object");
  FaultSpec f;
  try {
    f.service = j.value("service", "");
    f.operation = j.value("operation", "*");
    f.latency_ms = j.value("latency_ms", 0);
    if (j.contains("status") && !j["status"].is_null()) f.status = j["status"].get<int>();
    f.retry_after_s = j.value("retry_after_s", 1);
    f.retry_after_max_s = j.value("retry_after_max_s", 0);
    f.seed = j.value("seed", uint64_t{0});
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
  if (f.retry_after_s < 0 || f.retry_after_max_s < 0) {
    return absl::InvalidArgumentError("fault.retry_after_s and retry_after_max_s must be >= 0");
  }
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
  ids_.push_back(next_id_++);
  return absl::OkStatus();
}

void FaultInjector::Clear() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
  ids_.clear();
  seen_.clear();
  next_id_ = 0;
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
                   {"retry_after_max_s", f.retry_after_max_s},
                   {"seed", f.seed},
                   {"rate", f.rate},
                   {"count", f.count},
                   {"after_handling", f.after_handling}});
  }
  return out;
}

std::optional<FaultSpec> FaultInjector::Match(const std::string& service,
                                              const std::string& operation) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < faults_.size(); ++i) {
    FaultSpec& f = faults_[i];
    if (!f.service.empty() && f.service != service) continue;
    if (!GlobMatch(f.operation, operation)) continue;
    const std::string shape = f.seed != 0 ? service + " " + OperationShape(operation) : "";
    const int64_t n = f.seed != 0 ? seen_[{ids_[i], shape}]++ : 0;
    auto draw = [&](uint64_t what) {
      return f.seed != 0 ? Draw(f.seed, (static_cast<uint64_t>(ids_[i]) << 8) | what, shape, n)
                         : std::uniform_real_distribution<double>(0, 1)(rng_);
    };
    if (f.rate < 1.0 && draw(1) >= f.rate) continue;
    FaultSpec fired = f;
    if (f.retry_after_max_s > f.retry_after_s) {
      const int span = f.retry_after_max_s - f.retry_after_s + 1;
      fired.retry_after_s += std::min(span - 1, static_cast<int>(draw(2) * span));
    }
    if (f.count > 0 && --f.count == 0) {
      faults_.erase(faults_.begin() + i);
      ids_.erase(ids_.begin() + i);
    }
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
