// URL helpers for cloudsim's HTTP layer, on cpprestsdk's web::uri (RFC 3986 encoding,
// decoding and URL parsing come from the library; these adapters turn its exceptions into
// Status values and add form-style '+' decoding). Pure functions, thread-safe.
#ifndef ENVCTL_CLOUDSIM_HTTP_URL_H_
#define ENVCTL_CLOUDSIM_HTTP_URL_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace envctl::cloudsim {

// Decodes %XX escapes; with `plus_is_space` also '+' (form bodies and queries).
// InvalidArgument for a '%' without two hex digits or a byte outside ASCII.
absl::StatusOr<std::string> PercentDecode(absl::string_view in, bool plus_is_space);
// Escapes everything but unreserved characters (RFC 3986).
std::string PercentEncode(absl::string_view in);

// Parses "a=1&b=2" (query strings and x-www-form-urlencoded bodies); keys and values are
// decoded. Later duplicates win. InvalidArgument as PercentDecode.
absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view raw);

struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without port
  int port = 0;        // default port filled in
  std::string target;  // path + optional "?query", at least "/"
};
absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_URL_H_
