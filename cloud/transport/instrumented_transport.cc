#include "cloud/transport/instrumented_transport.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cloud/transport/redact.h"
#include "common/log.h"

namespace envctl::cloud {
namespace {

std::string Quote(absl::string_view v) {
  return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::string RequestIdOf(const HttpResponse& response) {
  for (const char* name : {"x-ms-request-id", "x-request-id", "x-databricks-request-id"}) {
    std::string id = response.Header(name);
    if (!id.empty()) return id;
  }
  return "";
}

}  // namespace

std::string FormatRequestLog(const RequestLogRecord& r) {
  std::string line = absl::StrCat(
      "service=", r.service, " method=", r.method, " url=", Quote(r.url), " status=", r.status,
      " duration_ms=", absl::ToInt64Milliseconds(r.duration), " attempt=", r.attempt);
  if (!r.request_id.empty()) absl::StrAppend(&line, " request_id=", Quote(r.request_id));
  if (!r.error.empty()) absl::StrAppend(&line, " error=", Quote(r.error));
  return line;
}

InstrumentedTransport::InstrumentedTransport(HttpTransport& next, Clock& clock,
                                             metrics::Metrics& metrics, std::string service_label,
                                             Service error_service, RequestLogSink sink)
    : next_(next),
      clock_(clock),
      metrics_(metrics),
      service_(std::move(service_label)),
      error_service_(error_service),
      sink_(std::move(sink)) {
  // Present at 0 so throttling alerts can use rate() from the first scrape.
  metrics_.cloud_throttled_total().Add({{"service", service_}});
}

absl::StatusOr<HttpResponse> InstrumentedTransport::Send(const HttpRequest& original) {
  // The sync this request belongs to (set by the engine on the thread running the
  // resource): Azure echoes x-ms-client-request-id in its own logs, so one id joins our
  // log lines with the service's.
  const std::string sync_id = log::CurrentSyncId();
  HttpRequest with_id;
  const bool add_id = !sync_id.empty() && original.headers.count(kClientRequestIdHeader) == 0;
  if (add_id) {
    with_id = original;
    with_id.headers[kClientRequestIdHeader] = sync_id;
  }
  const HttpRequest& request = add_id ? with_id : original;
  const absl::Time start = clock_.Now();
  absl::StatusOr<HttpResponse> result = next_.Send(request);
  const absl::Duration duration = clock_.Now() - start;

  const std::string method = absl::AsciiStrToUpper(request.method);
  const std::string code = result.ok() ? std::to_string(result->status) : "error";
  metrics_.cloud_requests_total()
      .Add({{"service", service_}, {"method", method}, {"code", code}})
      .Increment();
  metrics_.cloud_request_duration_seconds()
      .Add({{"service", service_}}, metrics::Metrics::DurationBuckets())
      .Observe(absl::ToDoubleSeconds(duration));
  if (result.ok() && result->status == 429) {
    metrics_.cloud_throttled_total().Add({{"service", service_}}).Increment();
  }

  if (sink_ || log::Enabled(log::Level::kDebug)) {
    RequestLogRecord record;
    record.service = service_;
    record.method = method;
    record.url = RedactUrl(request.url);
    record.duration = duration;
    record.attempt = request.attempt;
    if (result.ok()) {
      record.status = result->status;
      record.request_id = RequestIdOf(*result);
      if (result->status >= 400) {
        // StatusFromResponse already scrubs the service message; bodies are never logged.
        absl::Status s = StatusFromResponse(error_service_, *result);
        record.error = RedactEchoes(s.message(), request.body);
      }
    } else {
      record.error = RedactText(result.status().ToString());
    }
    if (sink_) sink_(record);
    log::Debug("cloud_request")
        .Str("service", record.service)
        .Str("method", record.method)
        .Str("url", record.url)
        .Int("status", record.status)
        .Duration(record.duration)
        .Int("attempt", record.attempt)
        .Str("request_id", record.request_id)
        .Str("error", record.error);
  }
  return result;
}

}  // namespace envctl::cloud
