// Small URL helpers shared by the transports. Pure functions.
#ifndef ENVCTL_CLOUD_TRANSPORT_URL_H_
#define ENVCTL_CLOUD_TRANSPORT_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace envctl::cloud {

// "scheme://host[:port]" of an absolute URL, lower-cased; "" if the URL has no scheme.
std::string OriginOf(absl::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values), with
// cpprestsdk's web::uri::encode_data_string.
std::string UrlEncode(absl::string_view value);

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_URL_H_
