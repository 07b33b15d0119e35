#include "cloudsim/core/world.h"

#include "cloudsim/core/util.h"

namespace envctl::cloudsim {

World::World(WorldConfig config, Identity identity, const TokenService* tokens,
             Platform* platform)
    : db(nlohmann::json::object()), config_(std::move(config)), identity_(std::move(identity)),
      tokens_(tokens), platform_(platform) {}

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
  return WriteFileAtomic(config_.state_dir + "/state.json", db.dump());
}

nlohmann::json& World::Section(const char* name) {
  nlohmann::json& s = db[name];
  if (!s.is_object()) s = nlohmann::json::object();
  return s;
}

}  // namespace envctl::cloudsim
