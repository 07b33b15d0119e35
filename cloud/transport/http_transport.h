// HttpTransport: the single seam between envctl's cloud clients and the network.
// One real implementation (cpprestsdk, cloud/transport/cpprest_transport.h) and fakes in
// tests/fakes/. Typed clients never see HTTP libraries, reconcilers never see HTTP at all.
// Implementations must be safe to call from several threads at once.
#ifndef ENVCTL_CLOUD_TRANSPORT_HTTP_TRANSPORT_H_
#define ENVCTL_CLOUD_TRANSPORT_HTTP_TRANSPORT_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"

namespace envctl::cloud {

// Case-insensitive header map (HTTP header names are case-insensitive).
struct HeaderLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return absl::AsciiStrToLower(a) < absl::AsciiStrToLower(b);
  }
};
using Headers = std::map<std::string, std::string, HeaderLess>;

struct HttpRequest {
  std::string method;  // GET, PUT, POST, PATCH, DELETE, HEAD
  std::string url;     // absolute https URL including query
  Headers headers;
  std::string body;
  // Per-attempt timeout.
  absl::Duration timeout = absl::Seconds(60);
  // Whether sending this request twice is harmless, so a retry after an ambiguous failure
  // (5xx, reset connection) cannot duplicate a side effect. Unset means the HTTP default:
  // true for GET/HEAD/PUT/DELETE/PATCH/OPTIONS, false for POST. Set it to true for POSTs
  // that are safe (ARM listKeys, Databricks runs/submit with an idempotency_token).
  std::optional<bool> idempotent;
  // 1 for the first try; RetryingTransport numbers later attempts (for logs only).
  int attempt = 1;
  // False for a read that is only nice to have (a change-poll baseline taken after a
  // write): RetryingTransport returns its first answer instead of waiting out a throttle.
  bool retry = true;

  bool IsIdempotent() const {
    if (idempotent.has_value()) return *idempotent;
    return absl::AsciiStrToUpper(method) != "POST";
  }
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // Header value or "" when absent.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one HTTP exchange. Any HTTP status is a successful StatusOr (the caller maps
  // statuses to errors); a connection failure, TLS failure or timeout is an error status
  // (Unavailable or DeadlineExceeded) with the cause in the message.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

// Sends every request with HttpRequest::retry = false: one attempt each, so a client
// built on it never waits out a throttle (a 429's Retry-After) for a read it can do
// without. The caller must treat any failure as "not known this time".
class SingleAttemptTransport : public HttpTransport {
 public:
  explicit SingleAttemptTransport(HttpTransport& next) : next_(next) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    HttpRequest once = request;
    once.retry = false;
    return next_.Send(once);
  }

 private:
  HttpTransport& next_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_HTTP_TRANSPORT_H_
