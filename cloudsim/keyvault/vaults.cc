#include "cloudsim/keyvault/vaults.h"

#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/url.h"

namespace envctl::cloudsim {

nlohmann::json* FindVaultByName(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) == Lower(kVaultType) &&
        Lower(body.value("name", "")) == Lower(name)) {
      return &slot;
    }
  }
  return nullptr;
}

nlohmann::json& VaultData(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& data = world.Section("vault_data")[Lower(name)];
  if (!data.is_object()) data = nlohmann::json::object();
  if (!data.contains("secrets")) data["secrets"] = nlohmann::json::object();
  if (!data.contains("deleted")) data["deleted"] = nlohmann::json::object();
  return data;
}

bool HasSecretPermission(const nlohmann::json& vault_body, const std::string& oid,
                         const std::string& permission) {
  const nlohmann::json& props = vault_body["properties"];
  if (!props.contains("accessPolicies") || !props["accessPolicies"].is_array()) return false;
  for (const auto& policy : props["accessPolicies"]) {
    if (Lower(policy.value("objectId", "")) != Lower(oid)) continue;
    if (!policy.contains("permissions") || !policy["permissions"].contains("secrets")) continue;
    for (const auto& p : policy["permissions"]["secrets"]) {
      if (!p.is_string()) continue;
      std::string v = Lower(p.get<std::string>());
      if (v == "all" || v == Lower(permission)) return true;
    }
  }
  return false;
}

namespace {
std::string HostPort(const std::string& uri) {
  auto parsed = ParseUrl(uri);
  if (!parsed.ok()) return Lower(uri);
  return Lower(absl::StrCat(parsed->host, ":", parsed->port));
}
}  // namespace

void RebuildSecretMirror(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::map<std::string, std::map<std::string, std::string>> mirror;
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) != Lower(kVaultType)) continue;
    std::map<std::string, std::string> values;
    nlohmann::json& data = VaultData(world, body.value("name", ""));
    for (auto& [name, secret] : data["secrets"].items()) {
      const nlohmann::json& latest = secret["versions"].back();
      if (latest["attributes"].value("enabled", true)) values[name] = latest["value"];
    }
    mirror[HostPort(body["properties"].value("vaultUri", ""))] = values;
    mirror[Lower(body.value("name", "")) + ".vault.azure.net:443"] = values;
  }
  world.ReplaceSecretMirror(std::move(mirror));
}

absl::StatusOr<std::string> ReadSecretFromMirror(World& world, const std::string& vault_uri,
                                                 const std::string& key) {
  std::string uri = vault_uri;
  if (uri.find("://") == std::string::npos) uri = "https://" + uri;
  return world.ReadMirroredSecret(HostPort(uri), key);
}

}  // namespace envctl::cloudsim
