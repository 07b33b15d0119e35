// Small shared helpers for cloudsim: random ids (GUIDs, hex, base64 keys), Azure-style
// timestamps, base64url, atomic file writes. Thread-safe (RAND_bytes is).
#ifndef ENVCTL_CLOUDSIM_CORE_UTIL_H_
#define ENVCTL_CLOUDSIM_CORE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

std::string NewGuid();                   // "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
std::string RandomHex(size_t bytes);     // 2*bytes lowercase hex chars
std::string RandomBase64(size_t bytes);  // standard base64 (storage keys)
std::string RandomDigits(size_t n);      // numeric string, no leading zero
std::string Base64UrlEncode(absl::string_view data);
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data);
std::string HmacSha256(absl::string_view key, absl::string_view data);

// "2024-05-01T10:20:30.1234567Z" (ARM), and RFC 1123 for HTTP dates.
std::string IsoTime(absl::Time t);
absl::StatusOr<absl::Time> ParseIsoTime(absl::string_view s);

std::string Lower(absl::string_view s);

// Parses a request body as JSON like nlohmann::json::parse(text, nullptr, false), but a
// document nested deeper than kMaxRequestJsonDepth is discarded too: serializing and
// comparing JSON recurse, and a hostile "[[[[..." must not exhaust a handler's stack.
inline constexpr int kMaxRequestJsonDepth = 100;
nlohmann::json ParseRequestJson(absl::string_view text);
bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle);

// Writes `data` to `path` via tmp file + fsync + rename, so readers and crashes see the
// old or the new content, never a torn file.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, int mode = 0644);
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_CORE_UTIL_H_
