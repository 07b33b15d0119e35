#include "cloud/auth/token_response.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::auth_internal {
namespace {

std::optional<int64_t> Int(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return static_cast<int64_t>(it->get<double>());
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<AccessToken> ParseTokenResponse(const std::string& body, absl::Time now,
                                               const std::string& who) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::UnavailableError(absl::StrCat(who, " answered 200 with a body that is not JSON"));
  }
  auto token = j.find("access_token");
  if (token == j.end() || !token->is_string() || token->get<std::string>().empty()) {
    return absl::UnavailableError(absl::StrCat(who, " answered 200 without an access_token"));
  }
  AccessToken out;
  out.token = token->get<std::string>();
  if (auto on = Int(j, "expires_on")) {
    out.expires_on = absl::FromUnixSeconds(*on);
  } else if (auto in = Int(j, "expires_in")) {
    out.expires_on = now + absl::Seconds(*in);
  } else {
    // Without a lifetime, assume the shortest one Entra ID issues so we refresh early.
    out.expires_on = now + absl::Minutes(5);
  }
  return out;
}

}  // namespace envctl::cloud::auth_internal
