#include "cloudsim/databricks/internal/api.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace envctl::cloudsim::databricks {
namespace {

// Extracts `key="value"` (or key=value) from a header value such as Content-Disposition.
std::string HeaderAttribute(const std::string& header, const std::string& key) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (!absl::ConsumePrefix(&part, key + "=")) continue;
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"') {
      part = part.substr(1, part.size() - 2);
    }
    return std::string(part);
  }
  return "";
}

bool ParseMultipart(const std::string& content_type, const std::string& body,
                    std::map<std::string, std::string>* fields) {
  std::string boundary = HeaderAttribute(content_type, "boundary");
  if (boundary.empty()) return false;
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  if (pos == std::string::npos) return false;
  while (true) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) return true;  // closing delimiter
    if (body.compare(pos, 2, "\r\n") == 0) pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string::npos) return false;
    std::string name;
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(body).substr(pos, headers_end - pos), "\r\n")) {
      auto colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                                 "content-disposition")) {
        name = HeaderAttribute(std::string(line.substr(colon + 1)), "name");
      }
    }
    size_t data_start = headers_end + 4;
    size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string::npos) return false;
    if (!name.empty()) (*fields)[name] = body.substr(data_start, next - data_start);
    pos = next + 2;
  }
}

}  // namespace

std::optional<std::string> Call::Param(const std::string& name) const {
  auto it = request->query.find(name);
  if (it != request->query.end()) return it->second;
  if (body.is_object() && body.contains(name)) {
    const Json& v = body[name];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  }
  auto f = form.find(name);
  if (f != form.end()) return f->second;
  return std::nullopt;
}

Response JsonResponse(const Json& body, int status) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump();
  return r;
}

Response ErrorResponse(int status, const std::string& code, const std::string& message) {
  return JsonResponse(Json{{"error_code", code}, {"message", message}}, status);
}

Response InvalidParameter(const std::string& message) {
  return ErrorResponse(400, "INVALID_PARAMETER_VALUE", message);
}

Response MissingParameter(const std::string& name) {
  return InvalidParameter("Missing required field: " + name);
}

Response NotFound(const std::string& message) {
  return ErrorResponse(404, "RESOURCE_DOES_NOT_EXIST", message);
}

Response AlreadyExists(const std::string& message) {
  return ErrorResponse(400, "RESOURCE_ALREADY_EXISTS", message);
}

Response EndpointNotFound(const Request& request) {
  return ErrorResponse(404, "ENDPOINT_NOT_FOUND",
                       "No API found for '" + request.method + " " + request.path + "'");
}

std::optional<Response> ParseBody(const Request& request, Call* call) {
  std::string content_type = absl::AsciiStrToLower(request.Header("Content-Type"));
  if (absl::StartsWith(content_type, "multipart/form-data")) {
    if (!ParseMultipart(request.Header("Content-Type"), request.body, &call->form)) {
      return ErrorResponse(400, "MALFORMED_REQUEST", "Invalid multipart/form-data body");
    }
    call->multipart = true;
    return std::nullopt;
  }
  if (absl::StripAsciiWhitespace(request.body).empty()) return std::nullopt;
  Json parsed = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return ErrorResponse(400, "MALFORMED_REQUEST", "Invalid JSON given in the body of the request");
  }
  call->body = std::move(parsed);
  return std::nullopt;
}

bool Base64Decode(const std::string& in, std::string* out) { return absl::Base64Unescape(in, out); }

std::string Base64Encode(const std::string& in) { return absl::Base64Escape(in); }

bool ParseBool(const std::string& s, bool fallback) {
  if (absl::EqualsIgnoreCase(s, "true")) return true;
  if (absl::EqualsIgnoreCase(s, "false")) return false;
  return fallback;
}

bool BoolField(const Json& body, const std::string& name, bool fallback) {
  if (!body.is_object() || !body.contains(name)) return fallback;
  const Json& v = body[name];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return ParseBool(v.get<std::string>(), fallback);
  return fallback;
}

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace envctl::cloudsim::databricks
