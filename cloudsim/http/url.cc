#include "cloudsim/http/url.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace envctl::cloudsim {
namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string PercentDecode(absl::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(absl::string_view in) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(absl::string_view raw) {
  std::map<std::string, std::string> out;
  for (absl::string_view part : absl::StrSplit(raw, '&', absl::SkipEmpty())) {
    size_t eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq), true);
    std::string value =
        eq == absl::string_view::npos ? "" : PercentDecode(part.substr(eq + 1), true);
    out[key] = value;
  }
  return out;
}

absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url) {
  ParsedUrl out;
  size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError("URL has no scheme: " + std::string(url));
  }
  out.scheme = std::string(url.substr(0, scheme_end));
  for (char& c : out.scheme) c = static_cast<char>(std::tolower(c));
  if (out.scheme != "http" && out.scheme != "https") {
    return absl::InvalidArgumentError("unsupported URL scheme: " + out.scheme);
  }
  absl::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, slash);
  out.target = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] == '?') out.target = "/" + out.target;
  size_t colon = authority.rfind(':');
  if (colon != absl::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    if (!absl::SimpleAtoi(authority.substr(colon + 1), &out.port) || out.port <= 0 ||
        out.port > 65535) {
      return absl::InvalidArgumentError("bad port in URL: " + std::string(url));
    }
  } else {
    out.host = std::string(authority);
    out.port = out.scheme == "https" ? 443 : 80;
  }
  if (out.host.empty()) return absl::InvalidArgumentError("URL has no host: " + std::string(url));
  return out;
}

}  // namespace envctl::cloudsim
