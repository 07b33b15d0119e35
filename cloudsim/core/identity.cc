#include "cloudsim/core/identity.h"

#include "cloudsim/core/util.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

absl::StatusOr<Identity> LoadOrCreateIdentity(const std::string& state_dir) {
  const std::string path = state_dir + "/identity.json";
  auto text = ReadFile(path);
  Identity id;
  if (text.ok()) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return absl::DataLossError(path + " is not valid JSON");
    id.tenant_id = j.value("tenant_id", "");
    id.subscription_id = j.value("subscription_id", "");
    id.client_id = j.value("client_id", "");
    id.client_secret = j.value("client_secret", "");
    id.object_id = j.value("object_id", "");
    id.signing_key = j.value("signing_key", "");
    if (id.tenant_id.empty() || id.client_secret.empty() || id.signing_key.empty()) {
      return absl::DataLossError(path + " lacks required fields");
    }
    return id;
  }
  id.tenant_id = NewGuid();
  id.subscription_id = NewGuid();
  id.client_id = NewGuid();
  // Shaped like Entra secrets (40 chars, with a '~'), never logged.
  id.client_secret = "cs~" + Base64UrlEncode(RandomHex(14)).substr(0, 37);
  id.object_id = NewGuid();
  id.signing_key = RandomHex(32);
  nlohmann::json j = {{"tenant_id", id.tenant_id}, {"subscription_id", id.subscription_id},
                      {"client_id", id.client_id}, {"client_secret", id.client_secret},
                      {"object_id", id.object_id}, {"signing_key", id.signing_key}};
  auto st = WriteFileAtomic(path, j.dump(2), 0600);
  if (!st.ok()) return st;
  return id;
}

}  // namespace envctl::cloudsim
