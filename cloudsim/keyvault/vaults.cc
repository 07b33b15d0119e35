#include "cloudsim/keyvault/vaults.h"

#include "cloudsim/core/util.h"

namespace envctl::cloudsim {

nlohmann::json* FindVaultByName(World& world, const std::string& name) {
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) == Lower(kVaultType) &&
        Lower(body.value("name", "")) == Lower(name)) {
      return &slot;
    }
  }
  return nullptr;
}

nlohmann::json& VaultData(World& world, const std::string& name) {
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

}  // namespace envctl::cloudsim
