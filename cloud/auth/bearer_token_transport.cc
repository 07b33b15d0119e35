#include "cloud/auth/bearer_token_transport.h"

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/transport/url.h"

namespace envctl::cloud {
namespace {

HttpRequest WithToken(const HttpRequest& request, const AccessToken& token) {
  HttpRequest out = request;
  out.headers["Authorization"] = absl::StrCat("Bearer ", token.token);
  return out;
}

}  // namespace

BearerTokenTransport::BearerTokenTransport(HttpTransport& next, TokenCredential& credential,
                                           std::string scope)
    : next_(next), credential_(credential), scope_(std::move(scope)) {}

absl::StatusOr<HttpResponse> BearerTokenTransport::Send(const HttpRequest& request) {
  absl::StatusOr<AccessToken> token = credential_.GetToken(scope_);
  if (!token.ok()) return token.status();
  return next_.Send(WithToken(request, *token));
}

std::string BearerChallenge::TokenScope() const {
  if (!scope.empty()) return scope;
  std::string r = resource;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return absl::StrCat(r, "/.default");
}

std::string BearerChallenge::Tenant() const {
  absl::string_view a = authorization;
  const size_t scheme = a.find("://");
  if (scheme == absl::string_view::npos) return "";
  const size_t path = a.find('/', scheme + 3);
  if (path == absl::string_view::npos) return "";
  absl::string_view tenant = a.substr(path + 1);
  return std::string(tenant.substr(0, tenant.find('/')));
}

std::optional<BearerChallenge> ParseBearerChallenge(absl::string_view header) {
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(header);
  if (rest.size() < 6 || !absl::EqualsIgnoreCase(rest.substr(0, 6), "bearer")) {
    return std::nullopt;
  }
  rest.remove_prefix(6);
  BearerChallenge c;
  while (!rest.empty()) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
    while (!rest.empty() && (rest.front() == ',' || absl::ascii_isspace(rest.front()))) {
      rest.remove_prefix(1);
    }
    const size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) break;
    const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(rest.substr(0, eq)));
    rest.remove_prefix(eq + 1);
    rest = absl::StripLeadingAsciiWhitespace(rest);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      const size_t close = rest.find('"', 1);
      if (close == absl::string_view::npos) break;
      value = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
    } else {
      const size_t end = rest.find(',');
      value = std::string(absl::StripAsciiWhitespace(rest.substr(0, end)));
      rest.remove_prefix(end == absl::string_view::npos ? rest.size() : end);
    }
    if (key == "authorization" || key == "authorization_uri") c.authorization = value;
    if (key == "resource") c.resource = value;
    if (key == "scope") c.scope = value;
  }
  if (c.resource.empty() && c.scope.empty()) return std::nullopt;
  return c;
}

ChallengeAuthTransport::ChallengeAuthTransport(HttpTransport& next, TokenCredential& credential,
                                               std::string expected_scope)
    : next_(next), credential_(credential), last_challenged_scope_(std::move(expected_scope)) {}

absl::StatusOr<HttpResponse> ChallengeAuthTransport::Send(const HttpRequest& request) {
  const std::string origin = OriginOf(request.url);
  std::string known_scope;
  bool probe = false;
  {
    absl::MutexLock lock(&mu_);
    // While another scope-less request learns the scope, wait for it (bounded: that
    // request ends with its transport's timeout and retries).
    auto learned = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !probing_ || !last_challenged_scope_.empty();
    };
    if (!scope_by_origin_.count(origin)) mu_.Await(absl::Condition(&learned));
    auto it = scope_by_origin_.find(origin);
    // A vault not seen yet most likely wants the scope the last one asked for (every vault
    // of a cloud shares one audience): try it first and save the bare 401 handshake. The
    // vault URLs come from ARM (vaultUri of envctl's own vaults), not from user input.
    known_scope = it != scope_by_origin_.end() ? it->second : last_challenged_scope_;
    if (known_scope.empty()) probe = probing_ = true;
  }
  // The probe's answer, whatever it is, lets the waiters go.
  absl::Cleanup probed = [this, probe] {
    if (!probe) return;
    absl::MutexLock lock(&mu_);
    probing_ = false;
  };

  absl::StatusOr<HttpResponse> response;
  if (known_scope.empty()) {
    response = next_.Send(request);
  } else {
    absl::StatusOr<AccessToken> token = credential_.GetToken(known_scope);
    if (!token.ok()) return token.status();
    response = next_.Send(WithToken(request, *token));
  }
  if (!response.ok()) return response;
  if (response->status != 401) {
    if (!known_scope.empty()) {
      absl::MutexLock lock(&mu_);
      scope_by_origin_.emplace(origin, known_scope);
    }
    return response;
  }

  std::optional<BearerChallenge> challenge =
      ParseBearerChallenge(response->Header("WWW-Authenticate"));
  if (!challenge) return response;
  const std::string scope = challenge->TokenScope();
  // The same scope already failed with a token: asking again would only loop.
  if (scope == known_scope) return response;
  {
    absl::MutexLock lock(&mu_);
    scope_by_origin_[origin] = scope;
    last_challenged_scope_ = scope;
  }
  absl::StatusOr<AccessToken> token = credential_.GetToken(scope);
  if (!token.ok()) return token.status();
  return next_.Send(WithToken(request, *token));
}

}  // namespace envctl::cloud
