#include "api/internal/http_parse.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace envctl::api::internal {
namespace {

// RFC 9110 token characters, for the method and header names.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isalnum(c)) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) == absl::string_view::npos) return false;
  }
  return true;
}

// True when the comma-separated header `value` lists `option` (case-insensitive).
bool ListsOption(absl::string_view value, absl::string_view option) {
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(part), option)) return true;
  }
  return false;
}

std::string Clean(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty() || lines[0].empty()) return absl::InvalidArgumentError("empty request line");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed request line \"", absl::CEscape(lines[0].substr(0, 200)), "\""));
  }
  RequestHead out;
  if (parts[2] == "HTTP/1.1") {
    out.minor_version = 1;
  } else if (parts[2] == "HTTP/1.0") {
    out.minor_version = 0;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported protocol \"", absl::CEscape(parts[2].substr(0, 20)),
                     "\" (HTTP/1.0 and HTTP/1.1 are served)"));
  }
  HttpRequest& request = out.request;
  request.method = std::string(parts[0]);
  absl::string_view target = parts[1];
  if (target[0] != '/') {
    return absl::InvalidArgumentError("request target must be a path starting with '/'");
  }
  const size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != absl::string_view::npos) request.query = std::string(target.substr(q + 1));

  std::optional<size_t> content_length;
  std::string connection;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') {
      return absl::InvalidArgumentError("obsolete header line folding is not supported");
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "malformed header line \"", absl::CEscape(line.substr(0, 100)), "\""));
    }
    absl::string_view name = line.substr(0, colon);
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    request.headers.emplace_back(std::string(name), std::string(value));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      size_t n = 0;
      if (value.empty() || !absl::ascii_isdigit(value[0]) || !absl::SimpleAtoi(value, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Content-Length is not a number: \"", absl::CEscape(value.substr(0, 40)), "\""));
      }
      if (content_length.has_value() && *content_length != n) {
        return absl::InvalidArgumentError("conflicting Content-Length headers");
      }
      content_length = n;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      out.chunked = true;
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      absl::StrAppend(&connection, connection.empty() ? "" : ",", value);
    } else if (absl::EqualsIgnoreCase(name, "expect")) {
      out.expect_continue = absl::EqualsIgnoreCase(value, "100-continue");
    }
  }
  out.content_length = content_length.value_or(0);
  out.keep_alive = out.minor_version == 1 ? !ListsOption(connection, "close")
                                          : ListsOption(connection, "keep-alive");
  return out;
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head_only) {
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  if (!response.content_type.empty()) {
    absl::StrAppend(&out, "Content-Type: ", Clean(response.content_type), "\r\n");
  }
  absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  absl::StrAppend(&out, "Connection: ", keep_alive ? "keep-alive" : "close", "\r\n");
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "content-length") ||
        absl::EqualsIgnoreCase(name, "connection")) {
      continue;
    }
    absl::StrAppend(&out, Clean(name), ": ", Clean(value), "\r\n");
  }
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace envctl::api::internal
