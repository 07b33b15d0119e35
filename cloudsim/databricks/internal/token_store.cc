#include "cloudsim/databricks/internal/token_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "common/sha256.h"

namespace envctl::cloudsim::databricks {

TokenStore::TokenStore() : rng_(std::random_device{}()) {}

std::string TokenStore::RandomHex(int chars) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < chars; ++i) out.push_back(kHex[rng_() % 16]);
  return out;
}

std::optional<std::string> TokenStore::Validate(const std::string& token, absl::Time now) const {
  std::string hash = Sha256Hex(token);
  int64_t now_ms = ToMillis(now);
  for (const auto& [id, t] : tokens_) {
    if (t.hash != hash) continue;
    if (t.expiry_time >= 0 && now_ms >= t.expiry_time) return std::nullopt;
    return t.owner;
  }
  return std::nullopt;
}

Response TokenStore::Handle(const Call& call, bool* mutated) {
  if (call.method() == "POST" && call.verb == "token/create") {
    int64_t lifetime = 0;
    if (auto l = call.Param("lifetime_seconds"); l && !absl::SimpleAtoi(*l, &lifetime)) {
      return InvalidParameter("lifetime_seconds must be an integer");
    }
    Token t;
    std::string value = "dapi" + RandomHex(32);
    t.hash = Sha256Hex(value);
    t.owner = call.principal;
    t.comment = call.Param("comment").value_or("");
    t.creation_time = ToMillis(call.now);
    t.expiry_time = lifetime > 0 ? t.creation_time + lifetime * 1000 : -1;
    std::string id = RandomHex(64);
    Json info = {{"token_id", id},
                 {"creation_time", t.creation_time},
                 {"expiry_time", t.expiry_time},
                 {"comment", t.comment}};
    tokens_[id] = std::move(t);
    *mutated = true;
    return JsonResponse({{"token_value", value}, {"token_info", info}});
  }
  // The Token API is per user: list shows "the valid tokens for a user-workspace pair" and
  // delete answers RESOURCE_DOES_NOT_EXIST for "a token [that] is not valid" (SDK
  // docstrings), so other users' tokens and expired ones are invisible to the caller.
  // (token-management/tokens is the admin API that sees everyone's.)
  const int64_t now_ms = ToMillis(call.now);
  auto visible = [&](const Token& t) {
    return t.owner == call.principal && (t.expiry_time < 0 || now_ms < t.expiry_time);
  };
  if (call.method() == "GET" && call.verb == "token/list") {
    Json infos = Json::array();
    for (const auto& [id, t] : tokens_) {
      if (!visible(t)) continue;
      // PublicTokenInfo: no owner field (that is token-management's TokenInfo).
      infos.push_back({{"token_id", id},
                       {"creation_time", t.creation_time},
                       {"expiry_time", t.expiry_time},
                       {"comment", t.comment}});
    }
    Json out = Json::object();
    if (!infos.empty()) out["token_infos"] = std::move(infos);
    return JsonResponse(out);
  }
  if (call.method() == "POST" && call.verb == "token/delete") {
    std::string id = call.Param("token_id").value_or("");
    if (id.empty()) return MissingParameter("token_id");
    auto it = tokens_.find(id);
    if (it == tokens_.end() || !visible(it->second)) {
      return NotFound("Token with id " + id + " does not exist.");
    }
    tokens_.erase(it);
    *mutated = true;
    return JsonResponse(Json::object());
  }
  return EndpointNotFound(*call.request);
}

Json TokenStore::Save() const {
  Json out = Json::object();
  for (const auto& [id, t] : tokens_) {
    out[id] = {{"hash", t.hash},
               {"owner", t.owner},
               {"comment", t.comment},
               {"creation_time", t.creation_time},
               {"expiry_time", t.expiry_time}};
  }
  return out;
}

absl::Status TokenStore::Load(const Json& state) {
  std::map<std::string, Token> tokens;
  for (const auto& [id, j] : state.items()) {
    Token t;
    t.hash = j.at("hash").get<std::string>();
    t.owner = j.at("owner").get<std::string>();
    t.comment = j.value("comment", "");
    t.creation_time = j.at("creation_time").get<int64_t>();
    t.expiry_time = j.at("expiry_time").get<int64_t>();
    tokens[id] = std::move(t);
  }
  tokens_ = std::move(tokens);
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
