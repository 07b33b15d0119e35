#include "cloudsim/aad/tokens.h"

#include <openssl/crypto.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloudsim/core/util.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {
namespace {
std::string TrimSlash(absl::string_view s) { return std::string(absl::StripSuffix(s, "/")); }
}  // namespace

TokenService::TokenService(std::string signing_key, std::string tenant_id, Clock* clock,
                           absl::Duration lifetime)
    : key_(std::move(signing_key)),
      tenant_id_(std::move(tenant_id)),
      clock_(clock),
      lifetime_(lifetime) {}

std::string TokenService::Issue(const std::string& audience, const std::string& oid,
                                const std::string& appid) const {
  int64_t now = absl::ToUnixSeconds(clock_->Now());
  nlohmann::json header = {{"typ", "JWT"}, {"alg", "HS256"}, {"kid", "cloudsim"}};
  nlohmann::json payload = {
      {"aud", audience},
      {"iss", absl::StrCat("https://sts.windows.net/", tenant_id_, "/")},
      {"iat", now},
      {"nbf", now},
      {"exp", now + absl::ToInt64Seconds(lifetime_)},
      {"appid", appid},
      {"oid", oid},
      {"sub", oid},
      {"tid", tenant_id_},
      {"idtyp", "app"},
      {"ver", "1.0"},
      {"uti", RandomHex(8)},
  };
  std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload.dump()));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(HmacSha256(key_, signing_input)));
}

absl::StatusOr<TokenClaims> TokenService::Validate(
    absl::string_view token, const std::vector<std::string>& audiences) const {
  token = absl::StripAsciiWhitespace(token);
  if (absl::StartsWithIgnoreCase(token, "bearer ")) {
    token = absl::StripAsciiWhitespace(token.substr(7));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return absl::UnauthenticatedError("the token is not a JWT");
  std::string signing_input = absl::StrCat(parts[0], ".", parts[1]);
  std::string expected = Base64UrlEncode(HmacSha256(key_, signing_input));
  if (expected.size() != parts[2].size() ||
      CRYPTO_memcmp(expected.data(), parts[2].data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("the token signature is invalid");
  }
  auto payload_text = Base64UrlDecode(parts[1]);
  if (!payload_text.ok()) return absl::UnauthenticatedError("the token payload is not base64url");
  nlohmann::json payload = ParseRequestJson(*payload_text);
  if (!payload.is_object()) return absl::UnauthenticatedError("the token payload is not JSON");
  TokenClaims claims;
  claims.aud = payload.value("aud", "");
  claims.oid = payload.value("oid", "");
  claims.tid = payload.value("tid", "");
  claims.appid = payload.value("appid", "");
  claims.iat = absl::FromUnixSeconds(payload.value("iat", int64_t{0}));
  claims.nbf = absl::FromUnixSeconds(payload.value("nbf", int64_t{0}));
  claims.exp = absl::FromUnixSeconds(payload.value("exp", int64_t{0}));
  if (claims.tid != tenant_id_)
    return absl::UnauthenticatedError("the token is for another tenant");
  absl::Time now = clock_->Now();
  if (now >= claims.exp) {
    return absl::DeadlineExceededError(
        absl::StrCat("The access token expiry UTC time '", IsoTime(claims.exp),
                     "' is earlier than current UTC time '", IsoTime(now), "'."));
  }
  if (now + absl::Minutes(5) < claims.nbf) {
    return absl::UnauthenticatedError("the token is not valid yet");
  }
  for (const std::string& aud : audiences) {
    if (TrimSlash(aud) == TrimSlash(claims.aud)) return claims;
  }
  return absl::PermissionDeniedError(claims.aud);
}

}  // namespace envctl::cloudsim
