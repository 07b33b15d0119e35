// HttpHeaders: request headers as the webhook parsers take them. HTTP header names are
// case-insensitive, so lookups ignore case ("x-github-event" finds "X-GitHub-Event").
// A plain value type; thread-compatible.
#ifndef ENVCTL_WATCHERS_HTTP_HEADERS_H_
#define ENVCTL_WATCHERS_HTTP_HEADERS_H_

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace envctl::watchers {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const {
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      const char ca = absl::ascii_tolower(a[i]);
      const char cb = absl::ascii_tolower(b[i]);
      if (ca != cb) return ca < cb;
    }
    return a.size() < b.size();
  }
};

using HttpHeaders = std::map<std::string, std::string, CaseInsensitiveLess>;

// The value of header `name`, or nullptr when absent.
inline const std::string* FindHeader(const HttpHeaders& headers, absl::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_HTTP_HEADERS_H_
