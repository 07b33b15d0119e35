// Test helpers for asserting on requests recorded by FakeTransport: the path, the query
// parameters and the JSON body of a request. Header-only.
#ifndef ENVCTL_TESTS_CLOUD_CLIENTS_REQUEST_UTIL_H_
#define ENVCTL_TESTS_CLOUD_CLIENTS_REQUEST_UTIL_H_

#include <cpprest/base_uri.h>

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_split.h"
#include "cloud/transport/http_transport.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::testutil {

// The URL's path ("/subscriptions/..."), without scheme, host and query.
inline std::string PathOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (start == std::string::npos) return "/";
  const size_t q = url.find('?', start);
  return url.substr(start, q == std::string::npos ? std::string::npos : q - start);
}

// Query and form decoding ('+' is a space) with cpprestsdk's decoder.
inline std::string PercentDecode(std::string s) {
  std::replace(s.begin(), s.end(), '+', ' ');
  return web::uri::decode(s);
}

// Decoded query parameters of the URL.
inline std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  const size_t q = url.find('?');
  if (q == std::string::npos) return out;
  for (absl::string_view kv : absl::StrSplit(url.substr(q + 1), '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    out[PercentDecode(p.first)] = PercentDecode(p.second);
  }
  return out;
}

inline nlohmann::json BodyOf(const HttpRequest& request) {
  if (request.body.empty()) return nullptr;
  return nlohmann::json::parse(request.body);
}

}  // namespace envctl::cloud::testutil

#endif  // ENVCTL_TESTS_CLOUD_CLIENTS_REQUEST_UTIL_H_
