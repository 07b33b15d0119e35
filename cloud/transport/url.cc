#include "cloud/transport/url.h"

#include <cpprest/base_uri.h>

#include "absl/strings/ascii.h"

namespace envctl::cloud {

std::string OriginOf(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return "";
  const size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  return absl::AsciiStrToLower(url.substr(0, host_end));
}

std::string UrlEncode(absl::string_view value) {
  return web::uri::encode_data_string(std::string(value));
}

}  // namespace envctl::cloud
