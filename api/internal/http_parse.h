// Pure HTTP/1.1 text handling for HttpServer: parsing a request head, choosing
// keep-alive, and writing a response. No I/O; stateless and thread-safe.
#ifndef ENVCTL_API_INTERNAL_HTTP_PARSE_H_
#define ENVCTL_API_INTERNAL_HTTP_PARSE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/http_server.h"

namespace envctl::api::internal {

struct RequestHead {
  HttpRequest request;  // method, path, query, headers; body empty
  int minor_version = 1;  // HTTP/1.<minor_version>
  size_t content_length = 0;
  bool chunked = false;  // Transfer-Encoding present (unsupported)
  bool expect_continue = false;
  bool keep_alive = true;
};

// Parses `head`: the request line and header lines up to, not including, the blank line.
// InvalidArgument saying what is malformed (bad request line, header without ':',
// bad or conflicting Content-Length, HTTP version other than 1.x).
absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head);

// "OK", "Not Found", ...; "Unknown" for codes the server never sends.
absl::string_view ReasonPhrase(int status);

// The full response: status line, Content-Type, Content-Length, Connection, extra headers
// (CR and LF removed from names and values), blank line and, unless `head_only`, the body.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head_only);

// A small text/plain response.
HttpResponse TextResponse(int status, std::string body);

}  // namespace envctl::api::internal

#endif  // ENVCTL_API_INTERNAL_HTTP_PARSE_H_
