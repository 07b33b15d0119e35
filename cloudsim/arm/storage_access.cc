#include "cloudsim/arm/storage_access.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "cloudsim/arm/authorization.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr char kAccountType[] = "microsoft.storage/storageaccounts";
constexpr char kContainerType[] = "microsoft.storage/storageaccounts/blobservices/containers";
constexpr char kIdentityType[] = "microsoft.managedidentity/userassignedidentities";

// Built-in roles whose dataActions cover blob reads / writes (Owner and Contributor have
// no dataActions: they manage the account, not its data, as in Azure).
const std::vector<std::string>& WriterRoles() {
  static const auto* roles =
      new std::vector<std::string>{"Storage Blob Data Contributor", "Storage Blob Data Owner"};
  return *roles;
}
const std::vector<std::string>& ReaderRoles() {
  static const auto* roles = new std::vector<std::string>{
      "Storage Blob Data Contributor", "Storage Blob Data Owner", "Storage Blob Data Reader"};
  return *roles;
}

}  // namespace

void RebuildStorageAccessMirror(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  // {"accounts": {name: {"keys": [...], "containers": [...], "readers": [oid...],
  //  "writers": [oid...]}}, "clients": {clientId: {"oid", "secret"?, "managed"}}}
  nlohmann::json mirror = {{"accounts", nlohmann::json::object()},
                           {"clients", nlohmann::json::object()}};
  mirror["clients"][Lower(world.identity().client_id)] = {
      {"oid", Lower(world.identity().object_id)},
      {"secret", world.identity().client_secret},
      {"managed", false}};
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) != kIdentityType) continue;
    const nlohmann::json& props = body.value("properties", nlohmann::json::object());
    const std::string oid = Lower(props.value("principalId", ""));
    mirror["clients"][Lower(props.value("clientId", ""))] = {{"oid", oid}, {"managed", true}};
  }
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    const std::string type = Lower(body.value("type", ""));
    if (type == kContainerType) {
      // .../storageAccounts/{account}/blobServices/default/containers/{name}
      const std::string id = body.value("id", "");
      const size_t at = Lower(id).find("/storageaccounts/");
      if (at == std::string::npos) continue;
      const std::string account = Lower(id.substr(at + 17, id.find('/', at + 17) - at - 17));
      mirror["accounts"][account]["containers"].push_back(Lower(body.value("name", "")));
      continue;
    }
    if (type != kAccountType) continue;
    nlohmann::json& account = mirror["accounts"][Lower(body.value("name", ""))];
    account["keys"] = nlohmann::json::array();
    const nlohmann::json meta = slot.value("meta", nlohmann::json::object());
    for (const auto& k : meta.value("keys", nlohmann::json::array()))
      account["keys"].push_back(k.value("value", ""));
    account["readers"] = nlohmann::json::array();
    account["writers"] = nlohmann::json::array();
    const std::string id = body.value("id", "");
    for (auto& [name, assignment] : world.Section("role_assignments").items()) {
      const nlohmann::json& p = assignment["properties"];
      if (!ScopeContains(p.value("scope", ""), id)) continue;
      const std::string role = BuiltInRoleName(p.value("roleDefinitionId", ""));
      const std::string oid = Lower(p.value("principalId", ""));
      auto has = [&](const std::vector<std::string>& roles) {
        return std::find(roles.begin(), roles.end(), role) != roles.end();
      };
      if (has(WriterRoles())) account["writers"].push_back(oid);
      if (has(ReaderRoles())) account["readers"].push_back(oid);
    }
  }
  world.ReplaceStorageAccessMirror(std::move(mirror));
}

absl::Status AuthorizeStorageAccess(World& world, const std::string& account_name,
                                    const std::string& container, bool write,
                                    const StorageCredential& credential) {
  const nlohmann::json mirror = world.StorageAccessMirror();
  const nlohmann::json& accounts = mirror.value("accounts", nlohmann::json::object());
  auto account = accounts.find(Lower(account_name));
  if (account == accounts.end() || !account->contains("keys")) {
    return absl::UnavailableError(account_name + ".dfs.core.windows.net");
  }
  std::string oid;
  switch (credential.kind) {
    case StorageCredential::kNone:
      return absl::InvalidArgumentError("fs.azure.account.key");
    case StorageCredential::kSharedKey: {
      bool match = false;
      for (const auto& k : (*account)["keys"])
        match = match || (!credential.account_key.empty() && k == credential.account_key);
      if (!match) {
        return absl::UnauthenticatedError(
            "Server failed to authenticate the request. Make sure the value of Authorization "
            "header is "
            "formed correctly including the signature.");
      }
      break;
    }
    case StorageCredential::kManagedIdentity:
    case StorageCredential::kClientSecret: {
      const nlohmann::json clients = mirror.value("clients", nlohmann::json::object());
      auto client = clients.find(Lower(credential.client_id));
      const bool managed = credential.kind == StorageCredential::kManagedIdentity;
      if (client == clients.end() || (*client)["managed"] != managed) {
        return absl::FailedPreconditionError(
            managed ? "HTTP response: 400 Bad Request "
                      "{\"error\":\"invalid_request\",\"error_description\":"
                      "\"Identity not found\"} (no user-assigned identity has client id " +
                          credential.client_id + ")"
                    : "HTTP response: 400 AADSTS700016: Application with identifier '" +
                          credential.client_id + "' was not found in the directory.");
      }
      if (!managed && (*client).value("secret", "") != credential.client_secret) {
        return absl::FailedPreconditionError(
            "HTTP response: 401 AADSTS7000215: Invalid client secret provided.");
      }
      oid = (*client).value("oid", "");
      const nlohmann::json& allowed = (*account)[write ? "writers" : "readers"];
      if (std::find(allowed.begin(), allowed.end(), oid) == allowed.end()) {
        return absl::PermissionDeniedError(
            "This request is not authorized to perform this operation using this permission.");
      }
      break;
    }
  }
  const nlohmann::json containers = account->value("containers", nlohmann::json::array());
  if (std::find(containers.begin(), containers.end(), Lower(container)) == containers.end()) {
    return absl::NotFoundError("The specified filesystem does not exist.");
  }
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim
