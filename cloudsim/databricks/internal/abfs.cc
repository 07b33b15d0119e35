#include "cloudsim/databricks/internal/abfs.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr char kDfsSuffix[] = ".dfs.core.windows.net";
constexpr char kMsiEndpoint[] = "http://169.254.169.254/metadata/identity/oauth2/token";

// hadoop-azure reads "<name>.<account>.dfs.core.windows.net" before "<name>".
std::string Setting(const std::map<std::string, std::string>& conf, const std::string& name,
                    const std::string& account) {
  auto it = conf.find(absl::StrCat(name, ".", account, kDfsSuffix));
  if (it != conf.end()) return it->second;
  it = conf.find(name);
  return it == conf.end() ? std::string() : it->second;
}

}  // namespace

std::optional<AbfsPath> ParseAbfsPath(const std::string& path) {
  absl::string_view p = path;
  if (!absl::ConsumePrefix(&p, "abfss://") && !absl::ConsumePrefix(&p, "abfs://"))
    return std::nullopt;
  const size_t at = p.find('@');
  if (at == absl::string_view::npos) return std::nullopt;
  const size_t slash = p.find('/', at);
  std::string host(p.substr(
      at + 1, slash == absl::string_view::npos ? absl::string_view::npos : slash - at - 1));
  host = absl::AsciiStrToLower(host);
  if (!absl::EndsWith(host, kDfsSuffix)) return std::nullopt;
  AbfsPath out;
  out.container = std::string(p.substr(0, at));
  out.account = host.substr(0, host.size() - strlen(kDfsSuffix));
  out.url = absl::StrCat("https://", host, "/", out.container,
                         slash == absl::string_view::npos ? "" : std::string(p.substr(slash)));
  return out;
}

absl::Status ResolveAbfsCredential(const std::map<std::string, std::string>& conf,
                                   const std::string& account, StorageAccess* access) {
  access->account = account;
  const std::string type = Setting(conf, "fs.azure.account.auth.type", account);
  if (type.empty() || absl::EqualsIgnoreCase(type, "SharedKey")) {
    access->auth = StorageAccess::kSharedKey;
    access->account_key = Setting(conf, "fs.azure.account.key", account);
    if (access->account_key.empty()) return absl::InvalidArgumentError("fs.azure.account.key");
    return absl::OkStatus();
  }
  if (!absl::EqualsIgnoreCase(type, "OAuth"))
    return absl::InvalidArgumentError("fs.azure.account.auth.type");
  const std::string provider = Setting(conf, "fs.azure.account.oauth.provider.type", account);
  access->client_id = Setting(conf, "fs.azure.account.oauth2.client.id", account);
  if (absl::EndsWith(provider, "MsiTokenProvider")) {
    access->auth = StorageAccess::kManagedIdentity;
    return absl::OkStatus();
  }
  if (absl::EndsWith(provider, "ClientCredsTokenProvider")) {
    access->auth = StorageAccess::kClientSecret;
    access->client_secret = Setting(conf, "fs.azure.account.oauth2.client.secret", account);
    access->token_endpoint = Setting(conf, "fs.azure.account.oauth2.client.endpoint", account);
    if (access->client_id.empty())
      return absl::InvalidArgumentError("fs.azure.account.oauth2.client.id");
    if (access->client_secret.empty())
      return absl::InvalidArgumentError("fs.azure.account.oauth2.client.secret");
    if (access->token_endpoint.empty())
      return absl::InvalidArgumentError("fs.azure.account.oauth2.client.endpoint");
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("fs.azure.account.oauth.provider.type");
}

std::string AbfsError(const absl::Status& status, const AbfsPath& path, bool write,
                      const StorageAccess& access) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return absl::StrCat(
          "InvalidConfigurationValueException: Failure to initialize configuration for storage "
          "account ",
          path.account, kDfsSuffix, ": Invalid configuration value detected for ", message);
    case absl::StatusCode::kUnavailable:
      return absl::StrCat("UnknownHostException: ", path.account, kDfsSuffix);
    case absl::StatusCode::kFailedPrecondition:
      return absl::StrCat(
          "AbfsRestOperationException: AADToken: HTTP connection to ",
          access.auth == StorageAccess::kManagedIdentity ? kMsiEndpoint : access.token_endpoint,
          " failed for getting token from AzureAD.; ", message);
    default: {
      const char* code = status.code() == absl::StatusCode::kNotFound ? "FilesystemNotFound"
                         : status.code() == absl::StatusCode::kUnauthenticated
                             ? "AuthenticationFailed"
                             : "AuthorizationPermissionMismatch";
      const int http = status.code() == absl::StatusCode::kNotFound ? 404 : 403;
      return absl::StrCat("AbfsRestOperationException: Operation failed: \"", message, "\", ", http,
                          ", ", write ? "PUT" : "HEAD", ", ", path.url, ", ", code);
    }
  }
}

}  // namespace envctl::cloudsim::databricks
