#include "cloud/arm/internal/lro_poller.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/transport/redact.h"
#include "cloud/transport/retry_after.h"
#include "common/status_macros.h"

namespace envctl::cloud::arm::internal {
namespace {

bool IsPutOrPatch(const std::string& method) { return method == "PUT" || method == "PATCH"; }

std::string Absolute(const LroContext& ctx, const std::string& url) {
  if (absl::StartsWithIgnoreCase(url, "https://") || absl::StartsWithIgnoreCase(url, "http://")) {
    return url;
  }
  return absl::StrCat(ctx.endpoint, absl::StartsWith(url, "/") ? "" : "/", url);
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Waits between polls and enforces the overall deadline.
class Pacer {
 public:
  explicit Pacer(const LroContext& ctx)
      : ctx_(ctx),
        deadline_(ctx.clock->Now() + ctx.options.timeout),
        backoff_(ctx.options.min_poll_interval) {}

  absl::Status Wait(const HttpResponse& last, const std::string& last_state) {
    const absl::Time now = ctx_.clock->Now();
    absl::Duration delay;
    if (auto asked = ParseRetryAfter(last.headers, now)) {
      delay = std::clamp(*asked, ctx_.options.min_poll_interval, ctx_.options.max_poll_interval);
    } else {
      delay = backoff_;
      backoff_ = std::min(backoff_ * 2, ctx_.options.max_poll_interval);
    }
    if (now + delay > deadline_) {
      return absl::DeadlineExceededError(
          absl::StrCat(ctx_.display, ": long-running operation did not finish within ",
                       absl::FormatDuration(ctx_.options.timeout), " (last state: ", last_state,
                       "); raise the LRO timeout or check the resource in the portal"));
    }
    ctx_.clock->SleepFor(delay);
    return absl::OkStatus();
  }

 private:
  const LroContext& ctx_;
  const absl::Time deadline_;
  absl::Duration backoff_;
};

absl::StatusOr<HttpResponse> PollGet(const LroContext& ctx, const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.headers["Accept"] = "application/json";
  return ctx.transport->Send(request);
}

absl::Status ErrorOf(const LroContext& ctx, const HttpResponse& response) {
  return Annotate(StatusFromResponse(ctx.service, response), ctx.display);
}

// Re-reads the resource (PUT/PATCH) or the POST's Location result after success.
absl::StatusOr<nlohmann::json> Finish(const LroContext& ctx, const std::string& location) {
  if (IsPutOrPatch(ctx.method)) {
    ASSIGN_OR_RETURN(HttpResponse r, PollGet(ctx, ctx.resource_url));
    if (r.status >= 400) return ErrorOf(ctx, r);
    ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(r, ctx.service, ctx.display));
    if (absl::EqualsIgnoreCase(ProvisioningState(body), "Failed")) {
      return OperationFailed(ctx.service, absl::StatusCode::kAborted, ctx.display,
                             body.is_object() && body.contains("properties")
                                 ? body["properties"].value("error", nlohmann::json())
                                 : nlohmann::json());
    }
    return body;
  }
  if (ctx.method == "POST" && !location.empty()) {
    ASSIGN_OR_RETURN(HttpResponse r, PollGet(ctx, Absolute(ctx, location)));
    if (r.status >= 400) return ErrorOf(ctx, r);
    if (r.status == 202 || r.status == 204) return nlohmann::json();
    return ParseJsonBody(r, ctx.service, ctx.display);
  }
  return nlohmann::json();
}

absl::StatusOr<nlohmann::json> PollAsyncOperation(const LroContext& ctx, Pacer& pacer,
                                                  HttpResponse last, std::string state,
                                                  const std::string& url,
                                                  const std::string& location) {
  if (state.empty()) state = "Accepted";
  while (true) {
    RETURN_IF_ERROR(pacer.Wait(last, state));
    ASSIGN_OR_RETURN(HttpResponse r, PollGet(ctx, url));
    if (r.status >= 400) return ErrorOf(ctx, r);
    ASSIGN_OR_RETURN(nlohmann::json op, ParseJsonBody(r, ctx.service, ctx.display));
    state = JsonString(op, "status");
    last = std::move(r);
    if (absl::EqualsIgnoreCase(state, "Succeeded")) return Finish(ctx, location);
    const nlohmann::json error = op.is_object() ? op.value("error", nlohmann::json()) : nullptr;
    if (absl::EqualsIgnoreCase(state, "Failed")) {
      return OperationFailed(ctx.service, absl::StatusCode::kAborted, ctx.display, error);
    }
    if (absl::EqualsIgnoreCase(state, "Canceled") || absl::EqualsIgnoreCase(state, "Cancelled")) {
      return OperationFailed(ctx.service, absl::StatusCode::kCancelled, ctx.display, error);
    }
    if (state.empty()) state = "(no status)";
  }
}

absl::StatusOr<nlohmann::json> PollLocation(const LroContext& ctx, Pacer& pacer, HttpResponse last,
                                            const std::string& url) {
  while (true) {
    RETURN_IF_ERROR(pacer.Wait(last, "Accepted (202)"));
    ASSIGN_OR_RETURN(HttpResponse r, PollGet(ctx, url));
    if (ctx.method == "DELETE" && r.status == 404) return nlohmann::json();
    if (r.status >= 400) return ErrorOf(ctx, r);
    if (r.status == 202) {
      last = std::move(r);
      continue;
    }
    if (IsPutOrPatch(ctx.method)) return Finish(ctx, "");
    if (r.status == 204) return nlohmann::json();
    return ParseJsonBody(r, ctx.service, ctx.display);
  }
}

// No monitor header: watch the resource's own provisioningState (or its disappearance).
absl::StatusOr<nlohmann::json> PollResource(const LroContext& ctx, Pacer& pacer, HttpResponse last,
                                            std::string state) {
  while (true) {
    RETURN_IF_ERROR(pacer.Wait(last, state.empty() ? "Accepted" : state));
    ASSIGN_OR_RETURN(HttpResponse r, PollGet(ctx, ctx.resource_url));
    if (ctx.method == "DELETE" && r.status == 404) return nlohmann::json();
    if (r.status >= 400) return ErrorOf(ctx, r);
    ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(r, ctx.service, ctx.display));
    state = ProvisioningState(body);
    last = std::move(r);
    if (ctx.method == "DELETE") continue;
    if (absl::EqualsIgnoreCase(state, "Failed") || absl::EqualsIgnoreCase(state, "Canceled")) {
      return OperationFailed(ctx.service,
                             absl::EqualsIgnoreCase(state, "Failed") ? absl::StatusCode::kAborted
                                                                     : absl::StatusCode::kCancelled,
                             ctx.display, body["properties"].value("error", nlohmann::json()));
    }
    if (state.empty() || IsTerminalState(state)) return body;
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseJsonBody(const HttpResponse& response, Service service,
                                             absl::string_view what) {
  const absl::string_view text = absl::StripAsciiWhitespace(response.body);
  if (text.empty()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InternalError(absl::StrCat(ServiceName(service), " ", what, ": HTTP ",
                                            response.status, " response body is not JSON (",
                                            text.size(), " bytes)"));
  }
  return j;
}

absl::Status OperationFailed(Service service, absl::StatusCode code, const std::string& what,
                             const nlohmann::json& error) {
  const std::string error_code = JsonString(error, "code");
  std::string message = RedactText(JsonString(error, "message"));
  if (error_code.empty() && message.empty()) message = "the service gave no error details";
  // Reuse the shared error parser for its payloads (service code, inner code) by feeding
  // it the error object as an ARM error body.
  HttpResponse synthetic;
  synthetic.status = 500;
  synthetic.body =
      nlohmann::json({{"error", error.is_object() ? error : nlohmann::json::object()}}).dump();
  const absl::Status parsed = StatusFromResponse(service, synthetic);
  absl::Status out(
      code, absl::StrCat(what, ": long-running operation ",
                         code == absl::StatusCode::kCancelled ? "was canceled" : "failed", ": ",
                         error_code, error_code.empty() ? "" : ": ", message));
  parsed.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    // The synthetic HTTP status is not the operation's; leave it out.
    if (!absl::EndsWith(url, "http-status")) out.SetPayload(url, payload);
  });
  return out;
}

absl::StatusOr<nlohmann::json> CompleteOperation(const LroContext& ctx,
                                                 const HttpResponse& initial) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(initial, ctx.service, ctx.display));
  const std::string state = ProvisioningState(body);
  const bool running = initial.status == 202 || (!state.empty() && !IsTerminalState(state) &&
                                                 (initial.status == 200 || initial.status == 201));
  if (!running) {
    if (initial.status == 204) return nlohmann::json();
    if (absl::EqualsIgnoreCase(state, "Failed")) {
      return OperationFailed(ctx.service, absl::StatusCode::kAborted, ctx.display,
                             body["properties"].value("error", nlohmann::json()));
    }
    if (IsPutOrPatch(ctx.method) && body.is_null()) return Finish(ctx, "");
    return body;
  }
  Pacer pacer(ctx);
  const std::string async = initial.Header("Azure-AsyncOperation");
  const std::string location = initial.Header("Location");
  if (!async.empty()) {
    return PollAsyncOperation(ctx, pacer, initial, state, Absolute(ctx, async), location);
  }
  if (!location.empty()) return PollLocation(ctx, pacer, initial, Absolute(ctx, location));
  if (ctx.method == "POST") return body;  // accepted, nothing to watch
  return PollResource(ctx, pacer, initial, state);
}

}  // namespace envctl::cloud::arm::internal
