#include "controller/etcd_state_store.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace envctl::controller {

std::string EtcdStateStore::StateKey(const std::string& environment) const {
  return absl::StrCat(prefix_, "/state/", environment);
}

absl::StatusOr<envctl::v1::EnvironmentState> EtcdStateStore::Load(const std::string& environment) {
  absl::StatusOr<std::optional<KeyValue>> got = kv_.Get(StateKey(environment));
  if (!got.ok()) return got.status();
  envctl::v1::EnvironmentState state;
  if (!got->has_value()) {
    state.set_environment(environment);
    return state;
  }
  if (!state.ParseFromString((*got)->value)) {
    return absl::DataLossError(absl::StrCat("etcd key ", StateKey(environment),
                                            " does not hold an EnvironmentState; delete it to "
                                            "start from live state"));
  }
  return state;
}

absl::Status EtcdStateStore::CheckOwnership(const std::string& environment) {
  if (replicas_ == nullptr) {
    return absl::FailedPreconditionError("read-only etcd state store: no replica to write as");
  }
  return replicas_->CheckOwnership(environment);
}

absl::Status EtcdStateStore::Save(const envctl::v1::EnvironmentState& state) {
  if (absl::Status owned = CheckOwnership(state.environment()); !owned.ok()) return owned;
  const int64_t lease = replicas_->lease();
  absl::StatusOr<bool> written =
      kv_.PutIf({{KvGuard::Kind::kValueAndLease, replicas_->OwnerKey(state.environment()),
                  replicas_->replica_id(), lease}},
                StateKey(state.environment()), state.SerializeAsString(), /*lease=*/0);
  if (!written.ok()) return written.status();
  if (!*written) {
    replicas_->MarkLost(state.environment());
    return absl::FailedPreconditionError(
        absl::StrCat("fenced: replica ", replicas_->replica_id(), " no longer owns environment ",
                     state.environment(), " (etcd refused the write); another replica carries on"));
  }
  return absl::OkStatus();
}

std::unique_ptr<KvWatch> EtcdStateStore::WatchChanges(
    std::function<void(const std::string&)> on_change) {
  const std::string prefix = absl::StrCat(prefix_, "/state/");
  absl::StatusOr<std::unique_ptr<KvWatch>> watch =
      kv_.WatchPrefix(prefix, [prefix, on_change = std::move(on_change)](const std::string& key) {
        on_change(key.substr(prefix.size()));
      });
  if (!watch.ok()) {
    log::Warn("state_watch_unavailable").Str("prefix", prefix).Error(watch.status());
    return nullptr;
  }
  return std::move(*watch);
}

absl::StatusOr<std::vector<std::string>> EtcdStateStore::Environments() {
  const std::string prefix = absl::StrCat(prefix_, "/state/");
  absl::StatusOr<std::vector<KeyValue>> all = kv_.List(prefix);
  if (!all.ok()) return all.status();
  std::vector<std::string> out;
  for (const KeyValue& kv : *all) out.push_back(kv.key.substr(prefix.size()));
  return out;
}

absl::StatusOr<std::string> EtcdStateStore::Owner(const std::string& environment) {
  absl::StatusOr<std::optional<KeyValue>> got =
      kv_.Get(absl::StrCat(prefix_, "/owners/", environment));
  if (!got.ok()) return got.status();
  return got->has_value() ? (*got)->value : std::string();
}

}  // namespace envctl::controller
