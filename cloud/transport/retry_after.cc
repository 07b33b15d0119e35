#include "cloud/transport/retry_after.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace envctl::cloud {
namespace {

std::optional<absl::Duration> Millis(const Headers& headers, const std::string& name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(it->second), &ms) || ms < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(ms);
}

}  // namespace

std::optional<absl::Time> ParseHttpDate(absl::string_view value) {
  absl::Time t;
  std::string err;
  const std::string v(absl::StripAsciiWhitespace(value));
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", v, absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  return std::nullopt;
}

std::optional<absl::Duration> ParseRetryAfter(const Headers& headers, absl::Time now) {
  if (auto d = Millis(headers, "x-ms-retry-after-ms")) return d;
  if (auto d = Millis(headers, "retry-after-ms")) return d;
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  const absl::string_view value = absl::StripAsciiWhitespace(it->second);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  if (auto when = ParseHttpDate(value)) {
    return *when > now ? *when - now : absl::ZeroDuration();
  }
  return std::nullopt;
}

}  // namespace envctl::cloud
