#include "cloudsim/http/url.h"

#include <cpprest/base_uri.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace envctl::cloudsim {

absl::StatusOr<std::string> PercentDecode(absl::string_view in, bool plus_is_space) {
  std::string text(in);
  // An encoded '+' is %2B, so turning the literal ones into spaces first is exact.
  if (plus_is_space) std::replace(text.begin(), text.end(), '+', ' ');
  try {
    return web::uri::decode(text);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad percent-encoding: ", e.what()));
  }
}

std::string PercentEncode(absl::string_view in) {
  return web::uri::encode_data_string(std::string(in));
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view raw) {
  std::map<std::string, std::string> out;
  for (absl::string_view part : absl::StrSplit(raw, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    absl::StatusOr<std::string> key = PercentDecode(part.substr(0, eq), true);
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> value =
        eq == absl::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1), true);
    if (!value.ok()) return value.status();
    out[*key] = *value;
  }
  return out;
}

absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url) {
  const std::string text(url);
  const auto bad = [&text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(why, ": ", text));
  };
  if (text.find("://") == std::string::npos) return bad("URL has no scheme");
  ParsedUrl out;
  try {
    web::uri uri(text);
    out.scheme = absl::AsciiStrToLower(uri.scheme());
    out.host = uri.host();
    out.port = uri.port();
    out.target = uri.path().empty() ? "/" : uri.path();
    if (!uri.query().empty()) absl::StrAppend(&out.target, "?", uri.query());
  } catch (const std::exception& e) {
    return bad(absl::StrCat("malformed URL (", e.what(), ")"));
  }
  if (out.scheme != "http" && out.scheme != "https") {
    return absl::InvalidArgumentError("unsupported URL scheme: " + out.scheme);
  }
  if (out.host.empty()) return bad("URL has no host");
  if (out.port < 0 || out.port > 65535) return bad("bad port in URL");
  if (out.port == 0) out.port = out.scheme == "https" ? 443 : 80;
  return out;
}

}  // namespace envctl::cloudsim
