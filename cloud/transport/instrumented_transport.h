// InstrumentedTransport: counts and times every HTTP exchange of one service and writes
// one structured log record per exchange to an injectable sink.
//   envctl_cloud_requests_total{service,method,code}   code = HTTP status or "error"
//   envctl_cloud_request_duration_seconds{service}
//   envctl_cloud_throttled_total{service}              every 429
// The record never holds a body or a credential: the URL's sensitive query values and
// anything token-like in an error message are redacted (cloud/transport/redact.h), and
// for failed responses only the service's error code and scrubbed message are kept.
// With debug logging on (common/log.h) each exchange is also a `cloud_request` line.
// Requests sent inside a sync get `x-ms-client-request-id: <sync id>` from the calling
// thread's log context (the engine sets it per resource task).
// Place it directly above the real transport so retries are logged per attempt.
// Thread-safe if the sink is.
#ifndef ENVCTL_CLOUD_TRANSPORT_INSTRUMENTED_TRANSPORT_H_
#define ENVCTL_CLOUD_TRANSPORT_INSTRUMENTED_TRANSPORT_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "cloud/errors.h"
#include "cloud/transport/http_transport.h"
#include "common/clock.h"
#include "metrics/metrics.h"

namespace envctl::cloud {

// Carries the sync id (log::CurrentSyncId()) on every request sent within a sync.
inline constexpr char kClientRequestIdHeader[] = "x-ms-client-request-id";

struct RequestLogRecord {
  std::string service;  // metrics label: "arm", "keyvault", "databricks", "aad", ...
  std::string method;
  std::string url;  // redacted
  int status = 0;   // 0 when no response arrived
  absl::Duration duration;
  int attempt = 1;
  std::string request_id;  // x-ms-request-id / x-request-id, or ""
  std::string error;       // scrubbed error code and message, or ""
};

using RequestLogSink = std::function<void(const RequestLogRecord&)>;

// `service=arm method=GET url="..." status=200 duration_ms=12 attempt=1
// request_id=... error="..."` (key=value, values with spaces quoted).
std::string FormatRequestLog(const RequestLogRecord& record);

class InstrumentedTransport : public HttpTransport {
 public:
  // `service_label` names the service in metrics and logs; `error_service` picks the error
  // body parser for the logged error. `sink` may be empty (metrics only).
  InstrumentedTransport(HttpTransport& next, Clock& clock, metrics::Metrics& metrics,
                        std::string service_label, Service error_service, RequestLogSink sink);

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpTransport& next_;
  Clock& clock_;
  metrics::Metrics& metrics_;
  const std::string service_;
  const Service error_service_;
  const RequestLogSink sink_;
};

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_INSTRUMENTED_TRANSPORT_H_
