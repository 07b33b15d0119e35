#include "cloudsim/core/world.h"

#include "cloudsim/core/util.h"

namespace envctl::cloudsim {

World::World(WorldConfig config, Identity identity, const TokenService* tokens, Platform* platform)
    : db(nlohmann::json::object()),
      config_(std::move(config)),
      identity_(std::move(identity)),
      tokens_(tokens),
      platform_(platform) {}

absl::Status World::Load() {
  auto text = ReadFile(config_.state_dir + "/state.json");
  absl::MutexLock lock(&mu);
  if (!text.ok()) {
    db = nlohmann::json::object();
    return absl::OkStatus();
  }
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, false);
  if (!parsed.is_object()) {
    return absl::DataLossError(config_.state_dir +
                               "/state.json is corrupt (not a JSON object); move it away to "
                               "start with an empty cloud");
  }
  db = std::move(parsed);
  return absl::OkStatus();
}

absl::Status World::PersistIfDirty() {
  if (!dirty_) return absl::OkStatus();
  dirty_ = false;
  if (before_persist) before_persist(*this);
  return WriteFileAtomic(config_.state_dir + "/state.json", db.dump());
}

absl::StatusOr<std::string> World::ReadMirroredSecret(const std::string& vault_host_port,
                                                      const std::string& name) {
  absl::MutexLock lock(&mirror_mu_);
  auto vault = mirror_.find(Lower(vault_host_port));
  if (vault == mirror_.end()) {
    return absl::NotFoundError("no Key Vault answers at " + vault_host_port);
  }
  auto secret = vault->second.find(Lower(name));
  if (secret == vault->second.end()) {
    return absl::NotFoundError("A secret with (name/id) " + name +
                               " was not found in this key vault.");
  }
  return secret->second;
}

void World::ReplaceSecretMirror(std::map<std::string, std::map<std::string, std::string>> mirror) {
  absl::MutexLock lock(&mirror_mu_);
  mirror_ = std::move(mirror);
}

nlohmann::json World::StorageAccessMirror() {
  absl::MutexLock lock(&mirror_mu_);
  return storage_access_mirror_;
}

void World::ReplaceStorageAccessMirror(nlohmann::json mirror) {
  absl::MutexLock lock(&mirror_mu_);
  storage_access_mirror_ = std::move(mirror);
}

nlohmann::json& World::Section(const char* name) {
  nlohmann::json& s = db[name];
  if (!s.is_object()) s = nlohmann::json::object();
  return s;
}

}  // namespace envctl::cloudsim
