// URL helpers for cloudsim's HTTP layer: percent-decoding, query and form parsing,
// and splitting absolute URLs. Pure functions, thread-safe.
#ifndef ENVCTL_CLOUDSIM_HTTP_URL_H_
#define ENVCTL_CLOUDSIM_HTTP_URL_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace envctl::cloudsim {

// Decodes %XX escapes; with `plus_is_space` also '+' (form bodies and queries).
std::string PercentDecode(absl::string_view in, bool plus_is_space);
// Escapes everything but unreserved characters (RFC 3986).
std::string PercentEncode(absl::string_view in);

// Parses "a=1&b=2" (query strings and x-www-form-urlencoded bodies); keys and values are
// decoded. Later duplicates win.
std::map<std::string, std::string> ParseQuery(absl::string_view raw);

struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without port
  int port = 0;        // default port filled in
  std::string target;  // path + optional "?query", at least "/"
};
absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_URL_H_
