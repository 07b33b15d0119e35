#include "cloud/databricks/tokens_api.h"

#include <algorithm>
#include <set>

#include "common/status_macros.h"

namespace envctl::cloud::databricks {
namespace {

TokenInfo ParseTokenInfo(const nlohmann::json& j) {
  TokenInfo info;
  info.token_id = JsonString(j, "token_id");
  info.creation_time = JsonInt(j, "creation_time");
  info.expiry_time = JsonInt(j, "expiry_time");
  info.comment = JsonString(j, "comment");
  return info;
}

}  // namespace

TokensApi::TokensApi(const DatabricksClient& client) : client_(client) {}

absl::StatusOr<CreatedToken> TokensApi::Create(std::optional<int64_t> lifetime_seconds,
                                               const std::string& comment) const {
  nlohmann::json body = {{"comment", comment}};
  if (lifetime_seconds.has_value()) body["lifetime_seconds"] = *lifetime_seconds;
  ASSIGN_OR_RETURN(nlohmann::json result, client_.Post("/api/2.0/token/create", body));
  CreatedToken token;
  token.token_value = JsonString(result, "token_value");
  if (result.contains("token_info")) token.info = ParseTokenInfo(result["token_info"]);
  if (token.token_value.empty()) {
    return absl::InternalError("Databricks token/create: response has no token_value");
  }
  return token;
}

absl::StatusOr<CreatedToken> TokensApi::CreateRetrying(std::optional<int64_t> lifetime_seconds,
                                                       const std::string& comment,
                                                       int max_attempts) const {
  ASSIGN_OR_RETURN(std::vector<TokenInfo> before, List());
  std::set<std::string> known;
  for (const TokenInfo& t : before) known.insert(t.token_id);
  absl::StatusOr<CreatedToken> created = absl::UnknownError("token/create not attempted");
  int attempt = 0;
  for (; attempt < std::max(1, max_attempts); ++attempt) {
    created = Create(lifetime_seconds, comment);
    if (created.ok() ||
        !(absl::IsUnavailable(created.status()) || absl::IsDeadlineExceeded(created.status()) ||
          absl::IsResourceExhausted(created.status()))) {
      break;
    }
  }
  if (!created.ok() || attempt == 0) return created;
  // Revoke the orphans best effort: the new token is valid whatever happens to them.
  absl::StatusOr<std::vector<TokenInfo>> after = List();
  if (after.ok()) {
    for (const TokenInfo& t : *after) {
      if (t.comment == comment && !known.count(t.token_id) &&
          t.token_id != created->info.token_id) {
        (void)Delete(t.token_id);
      }
    }
  }
  return created;
}

absl::StatusOr<std::vector<TokenInfo>> TokensApi::List() const {
  ASSIGN_OR_RETURN(nlohmann::json body, client_.Get("/api/2.0/token/list"));
  std::vector<TokenInfo> out;
  for (const auto& t : JsonArray(body, "token_infos")) out.push_back(ParseTokenInfo(t));
  return out;
}

absl::Status TokensApi::Delete(const std::string& token_id) const {
  PostOptions options;
  options.idempotent = true;
  return client_.Post("/api/2.0/token/delete", {{"token_id", token_id}}, options).status();
}

}  // namespace envctl::cloud::databricks
