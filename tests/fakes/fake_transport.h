// FakeTransport: a scriptable HttpTransport for tests. Script it with queued responses
// (consumed in order, per method + URL pattern) and/or handler functions (called for every
// matching request), then inspect the recorded requests. A request nothing matches gets an
// Internal error naming it, so a missing script line fails loudly. Thread-safe; handlers
// run without the fake's lock held, so a handler may block (e.g. to test single-flight).
//
// Patterns: `method` "" matches any method; `url_pattern` matches anywhere in the URL, and
// '*' inside it matches any run of characters ("vault.azure.net/secrets/*?api-version").
#ifndef ENVCTL_TESTS_FAKES_FAKE_TRANSPORT_H_
#define ENVCTL_TESTS_FAKES_FAKE_TRANSPORT_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cloud/transport/http_transport.h"

namespace envctl::cloud {

class FakeTransport : public HttpTransport {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  // A response with a body and headers (Content-Type JSON when the body looks like JSON).
  static HttpResponse Response(int status, std::string body = "", Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    if (!r.body.empty() && (r.body[0] == '{' || r.body[0] == '[') &&
        r.headers.find("content-type") == r.headers.end()) {
      r.headers["Content-Type"] = "application/json";
    }
    return r;
  }

  // Queues one response (or transport error) for the next request matching the pattern.
  void Enqueue(std::string method, std::string url_pattern, absl::StatusOr<HttpResponse> response) {
    absl::MutexLock lock(&mu_);
    Rule* rule = FindOrAddQueueRule(method, url_pattern);
    rule->queue.push_back(std::move(response));
  }
  void Enqueue(std::string method, std::string url_pattern, int status, std::string body = "",
               Headers headers = {}) {
    Enqueue(std::move(method), std::move(url_pattern),
            Response(status, std::move(body), std::move(headers)));
  }

  // Answers every matching request (after queued responses run out) with `handler`.
  // Later handlers take precedence over earlier ones for the same request.
  void OnRequest(std::string method, std::string url_pattern, Handler handler) {
    absl::MutexLock lock(&mu_);
    auto rule = std::make_shared<Rule>();
    rule->method = absl::AsciiStrToUpper(method);
    rule->pattern = std::move(url_pattern);
    rule->handler = std::move(handler);
    handlers_.insert(handlers_.begin(), std::move(rule));
  }
  // Always answers matching requests with the same response.
  void Always(std::string method, std::string url_pattern, int status, std::string body = "",
              Headers headers = {}) {
    HttpResponse r = Response(status, std::move(body), std::move(headers));
    OnRequest(std::move(method), std::move(url_pattern),
              [r](const HttpRequest&) -> absl::StatusOr<HttpResponse> { return r; });
  }

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    Handler handler;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      for (auto& rule : queued_) {
        if (!rule->queue.empty() && Matches(*rule, request)) {
          absl::StatusOr<HttpResponse> r = std::move(rule->queue.front());
          rule->queue.pop_front();
          return r;
        }
      }
      for (auto& rule : handlers_) {
        if (Matches(*rule, request)) {
          handler = rule->handler;
          break;
        }
      }
    }
    if (handler) return handler(request);
    return absl::InternalError(
        absl::StrCat("FakeTransport: no response scripted for ", request.method, " ", request.url));
  }

  // Every request sent so far, in order.
  std::vector<HttpRequest> Requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // Number of requests matching the pattern.
  int Count(const std::string& method = "", const std::string& url_pattern = "") const {
    absl::MutexLock lock(&mu_);
    Rule probe;
    probe.method = absl::AsciiStrToUpper(method);
    probe.pattern = url_pattern;
    int n = 0;
    for (const auto& r : requests_) n += Matches(probe, r) ? 1 : 0;
    return n;
  }
  // Queued responses not yet consumed (a test can assert its script ran out).
  int PendingResponses() const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& rule : queued_) n += static_cast<int>(rule->queue.size());
    return n;
  }

  // True when `pattern` matches anywhere in `text`, '*' matching any run of characters.
  static bool GlobContains(const std::string& text, const std::string& pattern) {
    for (size_t start = 0; start <= text.size(); ++start) {
      if (GlobPrefix(text, start, pattern, 0)) return true;
    }
    return false;
  }

 private:
  struct Rule {
    std::string method;
    std::string pattern;
    std::deque<absl::StatusOr<HttpResponse>> queue;
    Handler handler;
  };

  static bool GlobPrefix(const std::string& t, size_t ti, const std::string& p, size_t pi) {
    while (pi < p.size()) {
      if (p[pi] == '*') {
        for (size_t k = ti; k <= t.size(); ++k) {
          if (GlobPrefix(t, k, p, pi + 1)) return true;
        }
        return false;
      }
      if (ti >= t.size() || t[ti] != p[pi]) return false;
      ++ti;
      ++pi;
    }
    return true;  // pattern consumed: the rest of the text is free
  }

  static bool Matches(const Rule& rule, const HttpRequest& request) {
    if (!rule.method.empty() && rule.method != absl::AsciiStrToUpper(request.method)) {
      return false;
    }
    return GlobContains(request.url, rule.pattern);
  }

  Rule* FindOrAddQueueRule(const std::string& method, const std::string& pattern)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string upper = absl::AsciiStrToUpper(method);
    for (auto& rule : queued_) {
      if (rule->method == upper && rule->pattern == pattern) return rule.get();
    }
    auto rule = std::make_shared<Rule>();
    rule->method = upper;
    rule->pattern = pattern;
    queued_.push_back(rule);
    return rule.get();
  }

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Rule>> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Rule>> handlers_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::cloud

#endif  // ENVCTL_TESTS_FAKES_FAKE_TRANSPORT_H_
