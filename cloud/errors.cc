#include "cloud/errors.h"

#include <boost/beast/http/status.hpp>
#include <regex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "cloud/transport/redact.h"
#include "cloud/transport/retry_after.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud {
namespace {

constexpr char kCodePayload[] = "envctl.cloud/service-error-code";
constexpr char kInnerCodePayload[] = "envctl.cloud/inner-error-code";
constexpr char kRequestIdPayload[] = "envctl.cloud/request-id";
constexpr char kRetryAfterPayload[] = "envctl.cloud/retry-after-ms";
constexpr char kHttpStatusPayload[] = "envctl.cloud/http-status";

// Service messages are shown to users; a runaway HTML page is not.
constexpr size_t kMaxMessage = 400;

struct ParsedError {
  std::string code;
  std::string inner_code;
  std::string message;
  std::string body_request_id;
};

std::string StringOrNumber(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  if (j.is_null()) return "";
  return j.dump();
}

std::string Field(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it == j.end() ? "" : StringOrNumber(*it);
}

std::string CollapseWhitespace(absl::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// The standard phrase for a status that came without a readable body, from Beast.
std::string ReasonPhrase(int status) {
  namespace http = boost::beast::http;
  const http::status known = status >= 100 && status <= 999
                                 ? http::int_to_status(static_cast<unsigned>(status))
                                 : http::status::unknown;
  if (known == http::status::unknown) return "HTTP error";
  const auto phrase = http::obsolete_reason(known);
  return std::string(phrase.data(), phrase.size());
}

// ARM, Key Vault and Data Factory: {"error":{"code","message","innererror","details"}};
// a few resource providers answer with the inner object at top level.
void ParseAzureError(const nlohmann::json& body, ParsedError& out) {
  const nlohmann::json* err = &body;
  if (body.contains("error") && body["error"].is_object()) err = &body["error"];
  out.code = Field(*err, "code");
  out.message = Field(*err, "message");
  if (err->contains("innererror")) out.inner_code = Field((*err)["innererror"], "code");
  if (err->contains("details") && (*err)["details"].is_array()) {
    std::string details;
    for (const auto& d : (*err)["details"]) {
      const std::string code = Field(d, "code");
      const std::string message = Field(d, "message");
      if (code.empty() && message.empty()) continue;
      if (out.inner_code.empty()) out.inner_code = code;
      absl::StrAppend(&details, details.empty() ? "" : "; ", code, code.empty() ? "" : ": ",
                      message);
    }
    if (!details.empty()) absl::StrAppend(&out.message, " (details: ", details, ")");
  }
}

// Databricks, in the order the Go SDK tries the shapes (databricks-rest.md §3.1).
void ParseDatabricksError(const nlohmann::json& body, ParsedError& out) {
  if (body.contains("error_code")) {
    out.code = StringOrNumber(body["error_code"]);
    out.message = Field(body, "message");
    if (body.contains("details") && body["details"].is_array()) {
      for (const auto& d : body["details"]) {
        if (Field(d, "@type").find("RequestInfo") != std::string::npos) {
          out.body_request_id = Field(d, "request_id");
        }
      }
    }
  } else if (body.contains("error")) {
    out.message = Field(body, "error");
  } else if (body.contains("detail")) {
    out.code = absl::StrCat("SCIM_", Field(body, "status"));
    out.message = Field(body, "detail");
  }
}

// Entra ID: {"error","error_description","error_codes","trace_id"}. The description's
// first line carries the AADSTS code and text; the rest is trace noise.
void ParseAadError(const nlohmann::json& body, ParsedError& out) {
  out.code = Field(body, "error");
  std::string description = Field(body, "error_description");
  const size_t eol = description.find_first_of("\r\n");
  if (eol != std::string::npos) description.resize(eol);
  out.message = description;
  out.body_request_id = Field(body, "trace_id");
}

void ParseText(absl::string_view body, ParsedError& out) {
  static const auto* const kPlain = new std::regex(R"(^([A-Z_]+): (.*)$)");
  static const auto* const kPre = new std::regex(R"(<pre>([\s\S]*?)</pre>)");
  std::smatch m;
  const std::string text(body);
  if (std::regex_match(text, m, *kPlain)) {
    out.code = m[1];
    out.message = m[2];
  } else if (std::regex_search(text, m, *kPre)) {
    out.message = m[1];
  } else {
    out.message = text;
  }
}

ParsedError Parse(Service service, const HttpResponse& response) {
  ParsedError out;
  const std::string trimmed(absl::StripAsciiWhitespace(response.body));
  nlohmann::json body = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded() && body.is_object()) {
    switch (service) {
      case Service::kArm:
      case Service::kKeyVault:
      case Service::kDataFactory:
        ParseAzureError(body, out);
        break;
      case Service::kDatabricks:
        ParseDatabricksError(body, out);
        break;
      case Service::kAad:
        ParseAadError(body, out);
        break;
    }
  } else if (!trimmed.empty()) {
    ParseText(trimmed, out);
  }
  if (out.code.empty() && out.message.empty()) out.message = ReasonPhrase(response.status);
  out.message = CollapseWhitespace(RedactText(out.message));
  if (out.message.size() > kMaxMessage) {
    out.message.resize(kMaxMessage);
    out.message += "...";
  }
  return out;
}

// Lower-case, underscores dropped: "RESOURCE_ALREADY_EXISTS" and "ResourceAlreadyExists"
// compare equal.
std::string Squash(absl::string_view code) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(code), {{"_", ""}});
}

bool IsAlreadyExistsCode(const std::string& squashed) {
  return absl::StrContains(squashed, "alreadyexists") ||
         absl::StrContains(squashed, "alreadytaken");
}

bool IsStateConflictCode(const std::string& squashed) {
  return squashed == "invalidstate" || squashed == "triggerenabledcannotupdate" ||
         squashed == "anotheroperationinprogress" || squashed == "resourcegroupbeingdeleted" ||
         squashed == "directorynotempty" || squashed == "conflict" || squashed == "conflicterror";
}

absl::StatusCode FromHttp(int status) {
  switch (status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return absl::StatusCode::kNotFound;
    case 408:
      return absl::StatusCode::kDeadlineExceeded;
    case 409:
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 499:
      return absl::StatusCode::kCancelled;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (status >= 500) return absl::StatusCode::kUnavailable;
  if (status >= 400) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

// Databricks maps error_code first, HTTP status second (databricks-rest.md §3.2).
absl::StatusCode DatabricksCode(int status, const std::string& squashed,
                                const std::string& message) {
  if (squashed == "resourcedoesnotexist" || squashed == "notfound") {
    return absl::StatusCode::kNotFound;
  }
  if (IsAlreadyExistsCode(squashed)) return absl::StatusCode::kAlreadyExists;
  if (squashed == "invalidstate" || squashed == "directorynotempty") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (squashed == "invalidparametervalue" && (absl::StrContains(message, "does not exist") ||
                                              absl::StrContains(message, "doesn't exist"))) {
    // clusters/get, jobs/get and runs/get answer a missing id with 400 (§3.2 overrides).
    return absl::StatusCode::kNotFound;
  }
  if (squashed == "requestlimitexceeded" || squashed == "resourceexhausted") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (squashed == "temporarilyunavailable") return absl::StatusCode::kUnavailable;
  if (squashed == "deadlineexceeded") return absl::StatusCode::kDeadlineExceeded;
  if (squashed == "permissiondenied" || squashed == "customerunauthorized") {
    return absl::StatusCode::kPermissionDenied;
  }
  if (squashed == "unauthenticated") return absl::StatusCode::kUnauthenticated;
  if (squashed == "aborted") return absl::StatusCode::kAborted;
  return FromHttp(status);
}

absl::StatusCode AadCode(int status, const std::string& code) {
  if (status == 429) return absl::StatusCode::kResourceExhausted;
  if (status >= 500) return FromHttp(status);
  if (code == "unauthorized_client" || code == "invalid_scope" || code == "invalid_resource" ||
      code == "access_denied" || code == "consent_required" || code == "interaction_required" ||
      status == 403) {
    return absl::StatusCode::kPermissionDenied;
  }
  // invalid_client (wrong or expired secret), invalid_grant, invalid_request (unknown
  // tenant): the credential itself is unusable.
  return absl::StatusCode::kUnauthenticated;
}

absl::StatusCode AzureCode(int status, const std::string& squashed) {
  if (IsAlreadyExistsCode(squashed) && (status == 409 || status == 400)) {
    return absl::StatusCode::kAlreadyExists;
  }
  if (status == 400 && IsStateConflictCode(squashed)) {
    return absl::StatusCode::kFailedPrecondition;
  }
  return FromHttp(status);
}

std::string ResponseRequestId(const HttpResponse& response) {
  for (const char* name : {"x-ms-request-id", "x-request-id", "x-databricks-request-id",
                           "request-id", "client-request-id"}) {
    std::string id = response.Header(name);
    if (!id.empty()) return id;
  }
  return "";
}

std::string Payload(const absl::Status& status, const char* url) {
  auto p = status.GetPayload(url);
  return p.has_value() ? std::string(*p) : std::string();
}

}  // namespace

const char* ServiceName(Service service) {
  switch (service) {
    case Service::kArm:
      return "ARM";
    case Service::kKeyVault:
      return "Key Vault";
    case Service::kDatabricks:
      return "Databricks";
    case Service::kAad:
      return "Entra ID";
    case Service::kDataFactory:
      return "Data Factory";
  }
  return "cloud";
}

absl::Status StatusFromResponse(Service service, const HttpResponse& response) {
  if (response.status < 400) return absl::OkStatus();
  const ParsedError parsed = Parse(service, response);
  const std::string squashed = Squash(parsed.code);
  absl::StatusCode code;
  switch (service) {
    case Service::kDatabricks:
      code = DatabricksCode(response.status, squashed, parsed.message);
      break;
    case Service::kAad:
      code = AadCode(response.status, parsed.code);
      break;
    default:
      code = AzureCode(response.status, squashed);
      break;
  }
  std::string request_id = ResponseRequestId(response);
  if (request_id.empty()) request_id = parsed.body_request_id;

  std::string message = absl::StrCat(ServiceName(service), " ", response.status, ": ");
  if (!parsed.code.empty()) absl::StrAppend(&message, parsed.code, ": ");
  absl::StrAppend(&message, parsed.message);
  if (!parsed.inner_code.empty() && service == Service::kKeyVault) {
    absl::StrAppend(&message, " [", parsed.inner_code, "]");
  }
  if (!request_id.empty()) absl::StrAppend(&message, " (request id ", request_id, ")");
  const std::string attempts = response.Header(kAttemptsHeader);
  if (!attempts.empty()) absl::StrAppend(&message, " after ", attempts, " attempts");

  absl::Status status(code, message);
  status.SetPayload(kHttpStatusPayload, absl::Cord(std::to_string(response.status)));
  if (!parsed.code.empty()) status.SetPayload(kCodePayload, absl::Cord(parsed.code));
  if (!parsed.inner_code.empty()) {
    status.SetPayload(kInnerCodePayload, absl::Cord(parsed.inner_code));
  }
  if (!request_id.empty()) status.SetPayload(kRequestIdPayload, absl::Cord(request_id));
  if (code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kUnavailable ||
      code == absl::StatusCode::kDeadlineExceeded) {
    // The HTTP-date form is relative to the server's Date header; without one we fall back
    // to the local wall clock (the retry loop itself uses its injected Clock).
    const absl::Time now = ParseHttpDate(response.Header("date")).value_or(absl::Now());
    if (auto delay = ParseRetryAfter(response.headers, now)) {
      status.SetPayload(kRetryAfterPayload,
                        absl::Cord(std::to_string(absl::ToInt64Milliseconds(*delay))));
    }
  }
  return status;
}

std::string ServiceErrorCode(const absl::Status& status) { return Payload(status, kCodePayload); }

std::string ServiceInnerErrorCode(const absl::Status& status) {
  return Payload(status, kInnerCodePayload);
}

std::string RequestId(const absl::Status& status) { return Payload(status, kRequestIdPayload); }

absl::Duration RetryAfter(const absl::Status& status) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(Payload(status, kRetryAfterPayload), &ms)) return absl::ZeroDuration();
  return absl::Milliseconds(ms);
}

int HttpStatusOf(const absl::Status& status) {
  int code = 0;
  if (!absl::SimpleAtoi(Payload(status, kHttpStatusPayload), &code)) return 0;
  return code;
}

}  // namespace envctl::cloud
