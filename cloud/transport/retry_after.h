// Reading the server's requested retry delay from a response: `x-ms-retry-after-ms`
// (Azure, milliseconds), `retry-after-ms`, then `Retry-After` as integer seconds or as an
// HTTP date (RFC 7231 IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT"). Pure functions.
#ifndef ENVCTL_CLOUD_TRANSPORT_RETRY_AFTER_H_
#define ENVCTL_CLOUD_TRANSPORT_RETRY_AFTER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud/transport/http_transport.h"

namespace envctl::cloud {

// The delay the response asks for, relative to `now` for the HTTP-date form; nullopt when
// no header is present or none parses. Dates in the past give a zero delay.
std::optional<absl::Duration> ParseRetryAfter(const Headers& headers, absl::Time now);

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); nullopt on a bad value.
std::optional<absl::Time> ParseHttpDate(absl::string_view value);

}  // namespace envctl::cloud

#endif  // ENVCTL_CLOUD_TRANSPORT_RETRY_AFTER_H_
