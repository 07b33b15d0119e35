#include "watchers/git_webhook.h"

#include <initializer_list>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/secret_equals.h"
#include "nlohmann/json.hpp"
#include "watchers/internal/hmac.h"

namespace envctl::watchers {
namespace {

using nlohmann::json;

enum class Provider { kGitHub, kGitLab, kGitea, kAzureDevOps, kGeneric };

const char* Name(Provider p) {
  switch (p) {
    case Provider::kGitHub:
      return "github";
    case Provider::kGitLab:
      return "gitlab";
    case Provider::kGitea:
      return "gitea";
    case Provider::kAzureDevOps:
      return "azure-devops";
    case Provider::kGeneric:
      return "webhook";
  }
  return "webhook";
}

// The first of `names` present, with its name.
const std::string* FirstHeader(const HttpHeaders& headers, std::initializer_list<const char*> names,
                               std::string* found) {
  for (const char* name : names) {
    if (const std::string* v = FindHeader(headers, name)) {
      if (found) *found = name;
      return v;
    }
  }
  return nullptr;
}

constexpr std::initializer_list<const char*> kGiteaEvent = {"X-Gitea-Event", "X-Forgejo-Event",
                                                            "X-Gogs-Event"};
constexpr std::initializer_list<const char*> kGiteaSignature = {
    "X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"};

Provider Detect(const HttpHeaders& headers) {
  // Gitea also sends X-GitHub-Event for compatibility, so it is checked first.
  if (FirstHeader(headers, kGiteaEvent, nullptr) ||
      FirstHeader(headers, kGiteaSignature, nullptr)) {
    return Provider::kGitea;
  }
  if (FindHeader(headers, "X-Gitlab-Event") || FindHeader(headers, "X-Gitlab-Token")) {
    return Provider::kGitLab;
  }
  if (FindHeader(headers, "X-GitHub-Event")) return Provider::kGitHub;
  // Azure DevOps service hooks authenticate only with basic auth (the subscription's
  // "basic authentication username/password").
  if (const std::string* auth = FindHeader(headers, "Authorization")) {
    if (absl::StartsWithIgnoreCase(*auth, "Basic ")) return Provider::kAzureDevOps;
  }
  return Provider::kGeneric;
}

bool HexHmacMatches(const std::string& secret, absl::string_view body, absl::string_view hex) {
  return SecretEquals(absl::AsciiStrToLower(hex), internal::HmacSha256Hex(secret, body));
}

absl::Status Denied(absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat("webhook rejected: ", what));
}

absl::Status CheckGitHubSignature(const HttpHeaders& headers, absl::string_view body,
                                  const std::string& secret) {
  const std::string* sig = FindHeader(headers, "X-Hub-Signature-256");
  if (sig == nullptr) {
    return Denied("missing X-Hub-Signature-256 header (set the webhook's secret on the Git host)");
  }
  absl::string_view hex = *sig;
  if (!absl::ConsumePrefix(&hex, "sha256=") || !HexHmacMatches(secret, body, hex)) {
    return Denied(
        "X-Hub-Signature-256 does not match the body signed with the configured "
        "secret");
  }
  return absl::OkStatus();
}

absl::Status CheckGiteaSignature(const HttpHeaders& headers, absl::string_view body,
                                 const std::string& secret) {
  std::string header;
  const std::string* sig = FirstHeader(headers, kGiteaSignature, &header);
  if (sig == nullptr) {
    // Newer Gitea versions also sign like GitHub.
    if (FindHeader(headers, "X-Hub-Signature-256")) {
      return CheckGitHubSignature(headers, body, secret);
    }
    return Denied("missing X-Gitea-Signature header (set the webhook's secret on the Git host)");
  }
  if (!HexHmacMatches(secret, body, *sig)) {
    return Denied(absl::StrCat(header,
                               " does not match the body signed with the configured "
                               "secret"));
  }
  return absl::OkStatus();
}

// Basic auth: the password must equal the secret (the user name is free, Azure DevOps
// requires one).
absl::Status CheckBasicAuth(const HttpHeaders& headers, const std::string& secret) {
  absl::string_view value = *FindHeader(headers, "Authorization");
  value.remove_prefix(std::string("Basic ").size());
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(value), &decoded)) {
    return Denied("Authorization: Basic is not base64");
  }
  const size_t colon = decoded.find(':');
  const std::string password = colon == std::string::npos ? decoded : decoded.substr(colon + 1);
  if (!SecretEquals(password, secret)) {
    return Denied("the basic-auth password does not match the configured secret");
  }
  return absl::OkStatus();
}

absl::Status Verify(Provider provider, const HttpHeaders& headers, absl::string_view body,
                    const GitWebhookOptions& options) {
  if (options.secret.empty()) {
    if (options.allow_unsigned) return absl::OkStatus();
    // 401: no credential can be checked at all; a credential that does not match is 403.
    return absl::UnauthenticatedError(
        "webhook rejected: no webhook secret is configured, so deliveries cannot be verified "
        "(set webhooks.gitSecretEnv, or webhooks.allowUnsigned: true for local development)");
  }
  switch (provider) {
    case Provider::kGitHub:
      return CheckGitHubSignature(headers, body, options.secret);
    case Provider::kGitLab: {
      const std::string* token = FindHeader(headers, "X-Gitlab-Token");
      if (token == nullptr) {
        return Denied("missing X-Gitlab-Token header (set the webhook's secret token in GitLab)");
      }
      if (!SecretEquals(*token, options.secret)) {
        return Denied("X-Gitlab-Token does not match the configured secret");
      }
      return absl::OkStatus();
    }
    case Provider::kGitea:
      return CheckGiteaSignature(headers, body, options.secret);
    case Provider::kAzureDevOps:
      return CheckBasicAuth(headers, options.secret);
    case Provider::kGeneric:
      if (FindHeader(headers, "X-Hub-Signature-256")) {
        return CheckGitHubSignature(headers, body, options.secret);
      }
      if (FirstHeader(headers, kGiteaSignature, nullptr)) {
        return CheckGiteaSignature(headers, body, options.secret);
      }
      return Denied(
          "no signature header (expected X-Hub-Signature-256, X-Gitea-Signature, "
          "X-Gitlab-Token or Authorization: Basic)");
  }
  return Denied("unknown sender");
}

std::string StringField(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// What kind of event this is, normalised: "push", "tag_push", "ping" or the provider's name.
std::string EventKind(Provider provider, const HttpHeaders& headers, const json& body) {
  switch (provider) {
    case Provider::kGitHub:
      return *FindHeader(headers, "X-GitHub-Event");
    case Provider::kGitLab: {
      // Project hooks say "Push Hook"; system hooks say "System Hook" with the same body.
      std::string kind = StringField(body, "object_kind");
      if (kind.empty()) kind = StringField(body, "event_name");
      if (!kind.empty()) return kind;
      const std::string* event = FindHeader(headers, "X-Gitlab-Event");
      return event ? *event : "unknown";
    }
    case Provider::kGitea: {
      const std::string* event = FirstHeader(headers, kGiteaEvent, nullptr);
      return event ? *event : "push";
    }
    case Provider::kAzureDevOps: {
      // "git.push"; other subscriptions (pull requests, builds) are not pushes.
      const std::string type = StringField(body, "eventType");
      return type == "git.push" ? "push" : (type.empty() ? "unknown" : type);
    }
    case Provider::kGeneric:
      if (StringField(body, "eventType") == "git.push") return "push";
      return body.contains("ref") ? "push" : "unknown";
  }
  return "unknown";
}

// Azure Repos git.push: resource.refUpdates[] each {name, oldObjectId, newObjectId}.
absl::StatusOr<GitPush> AzureDevOpsPush(const json& doc, const GitWebhookOptions& options) {
  const json* updates = nullptr;
  if (auto r = doc.find("resource"); r != doc.end() && r->is_object()) {
    if (auto u = r->find("refUpdates"); u != r->end() && u->is_array()) updates = &*u;
  }
  if (updates == nullptr) {
    return absl::InvalidArgumentError("azure-devops git.push event has no resource.refUpdates");
  }
  GitPush out;
  const std::string watched = "refs/heads/" + options.branch;
  std::vector<std::string> others;
  for (const json& update : *updates) {
    if (!update.is_object()) continue;
    const std::string name = StringField(update, "name");
    if (name != watched) {
      others.push_back(name);
      continue;
    }
    out.relevant = true;
    out.branch = options.branch;
    out.after_sha = StringField(update, "newObjectId");
  }
  if (!out.relevant) {
    out.reason = absl::StrCat("azure-devops push to ", absl::StrJoin(others, ", "), ", watching ",
                              options.branch);
    return out;
  }
  out.reason = out.after_sha == std::string(40, '0')
                   ? absl::StrCat("azure-devops deleted branch ", out.branch)
                   : absl::StrCat("azure-devops push to ", out.branch, " (",
                                  out.after_sha.substr(0, 7), ")");
  return out;
}

}  // namespace

absl::StatusOr<GitPush> ParseGitWebhook(const HttpHeaders& headers, absl::string_view body,
                                        const GitWebhookOptions& options) {
  const Provider provider = Detect(headers);
  if (absl::Status s = Verify(provider, headers, body, options); !s.ok()) return s;

  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Name(provider), " webhook body is not a JSON object"));
  }

  GitPush out;
  const std::string kind = EventKind(provider, headers, doc);
  if (kind == "ping") {
    out.reason = absl::StrCat(Name(provider), " ping");
    return out;
  }
  if (kind != "push") {
    out.reason = absl::StrCat(Name(provider), " event \"", kind, "\" ignored");
    return out;
  }

  // An Azure DevOps payload (unsigned deliveries included, when allowed).
  if (provider == Provider::kAzureDevOps || StringField(doc, "eventType") == "git.push") {
    return AzureDevOpsPush(doc, options);
  }
  const std::string ref = StringField(doc, "ref");
  if (ref.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Name(provider), " push event has no \"ref\" field"));
  }
  out.after_sha = StringField(doc, "after");
  absl::string_view branch = ref;
  if (!absl::ConsumePrefix(&branch, "refs/heads/")) {
    out.reason = absl::StrCat(Name(provider), " push to ", ref, " ignored (not a branch)");
    return out;
  }
  out.branch = std::string(branch);
  const bool deleted =
      (doc.contains("deleted") && doc["deleted"].is_boolean() && doc["deleted"].get<bool>()) ||
      out.after_sha == std::string(40, '0');
  if (out.branch != options.branch) {
    out.reason =
        absl::StrCat(Name(provider), " push to ", out.branch, ", watching ", options.branch);
    return out;
  }
  out.relevant = true;
  out.reason = deleted ? absl::StrCat(Name(provider), " deleted branch ", out.branch)
                       : absl::StrCat(Name(provider), " push to ", out.branch, " (",
                                      out.after_sha.substr(0, 7), ")");
  return out;
}

}  // namespace envctl::watchers
