#include "cloud/transport/redact.h"

#include <regex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud {
namespace {

bool InList(absl::string_view name, std::initializer_list<absl::string_view> list) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view item : list) {
    if (lower == item) return true;
  }
  return false;
}

bool Contains(const std::string& haystack, absl::string_view needle) {
  return absl::StrContains(haystack, needle);
}

}  // namespace

bool IsSensitiveHeader(absl::string_view name) {
  return InList(name, {"authorization", "proxy-authorization", "x-identity-header",
                       "x-databricks-azure-sp-management-token", "cookie", "set-cookie",
                       "x-ms-authorization-auxiliary", "x-api-key", "metadata-token"});
}

bool IsSensitiveQueryParam(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (Contains(lower, "secret") || Contains(lower, "password")) return true;
  return InList(lower, {"sig", "signature", "token", "access_token", "refresh_token", "id_token",
                        "code", "key", "api_key", "apikey", "client_assertion", "x-ms-token"});
}

std::string RedactUrl(absl::string_view url) {
  const size_t q = url.find('?');
  if (q == absl::string_view::npos) return std::string(url);
  absl::string_view fragment;
  absl::string_view query = url.substr(q + 1);
  const size_t hash = query.find('#');
  if (hash != absl::string_view::npos) {
    fragment = query.substr(hash);
    query = query.substr(0, hash);
  }
  std::vector<std::string> parts;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    const size_t eq = param.find('=');
    if (eq != absl::string_view::npos && IsSensitiveQueryParam(param.substr(0, eq))) {
      parts.push_back(absl::StrCat(param.substr(0, eq + 1), kRedacted));
    } else {
      parts.emplace_back(param);
    }
  }
  return absl::StrCat(url.substr(0, q + 1), absl::StrJoin(parts, "&"), fragment);
}

Headers RedactHeaders(const Headers& headers) {
  Headers out;
  for (const auto& [name, value] : headers) {
    out[name] = IsSensitiveHeader(name) ? std::string(kRedacted) : value;
  }
  return out;
}

std::string RedactText(absl::string_view text) {
  // Compiled once; std::regex objects are safe to use from several threads for matching.
  static const auto* const kPatterns = new std::vector<std::pair<std::regex, std::string>>{
      // "Bearer <token>" in any case.
      {std::regex(R"re((bearer\s+)[^\s",;]+)re", std::regex::icase), "$1REDACTED"},
      // JWTs (Entra ID access tokens) wherever they appear.
      {std::regex(R"re(eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*)re"), "REDACTED"},
      // Databricks personal access tokens.
      {std::regex(R"re(dapi[0-9a-fA-F]{16,}(-\d+)?)re"), "REDACTED"},
      // Self-hosted integration runtime auth keys (IR@<guid>@<factory>@<endpoint>@<key>).
      {std::regex(R"re(IR@[0-9A-Fa-f-]{36}@[^\s"',]+)re"), "REDACTED"},
      // Form fields: client_secret=..., client_assertion=..., password=...
      {std::regex(
           R"re(((client_secret|client_assertion|password|access_token|refresh_token)=)[^&\s]*)re",
           std::regex::icase),
       "$1REDACTED"},
      // JSON string fields that carry secrets.
      {std::regex(
           R"re(("(access_token|refresh_token|client_secret|value|string_value|bytes_value|token_value|key|primaryKey|secondaryKey|authKey1|authKey2|password|secret)"\s*:\s*")((?:[^"\\]|\\.)*)")re",
           std::regex::icase),
       "$1REDACTED\""},
  };
  std::string out(text);
  for (const auto& [pattern, replacement] : *kPatterns) {
    out = std::regex_replace(out, pattern, replacement);
  }
  return out;
}

namespace {

void CollectStrings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_structured()) {
    for (const auto& item : j) CollectStrings(item, out);
  }
}

}  // namespace

std::string RedactEchoes(absl::string_view text, absl::string_view request_body) {
  if (request_body.empty()) return std::string(text);
  std::vector<std::string> values;
  nlohmann::json j = nlohmann::json::parse(request_body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) {
    CollectStrings(j, values);
  } else {
    for (absl::string_view field : absl::StrSplit(request_body, '&')) {
      const size_t eq = field.find('=');
      if (eq != absl::string_view::npos) values.emplace_back(field.substr(eq + 1));
    }
  }
  std::string out(text);
  for (const std::string& v : values) {
    if (v.size() < 4) continue;  // too short to be a secret, too common to scrub
    out = absl::StrReplaceAll(out, {{v, kRedacted}});
  }
  return out;
}

}  // namespace envctl::cloud
