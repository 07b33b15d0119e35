// MemoryStateStore: the StateStore of tests — each environment's EnvironmentState kept in
// memory (the engine's inventory, memories and run records), an empty state for one never
// saved. Wrap it to inject faults (tests/reconcilers_data/crash_injection_test.cc).
// Thread-safe.
#ifndef ENVCTL_TESTS_FAKES_MEMORY_STATE_STORE_H_
#define ENVCTL_TESTS_FAKES_MEMORY_STATE_STORE_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/state_store.h"

namespace envctl::testing {

class MemoryStateStore : public controller::StateStore {
 public:
  absl::StatusOr<envctl::v1::EnvironmentState> Load(const std::string& environment) override {
    absl::MutexLock lock(&mu_);
    auto it = states_.find(environment);
    if (it != states_.end()) return it->second;
    envctl::v1::EnvironmentState empty;
    empty.set_environment(environment);
    return empty;
  }
  absl::Status Save(const envctl::v1::EnvironmentState& state) override {
    absl::MutexLock lock(&mu_);
    states_[state.environment()] = state;
    ++saves_;
    return absl::OkStatus();
  }

  // The memory JSON recorded for `resource` ("" when none).
  std::string Memory(const std::string& environment, const std::string& resource) {
    absl::MutexLock lock(&mu_);
    auto it = states_.find(environment);
    if (it == states_.end()) return "";
    for (const auto& m : it->second.inventory()) {
      if (m.name() == resource) return m.memory_json();
    }
    return "";
  }
  int Saves() {
    absl::MutexLock lock(&mu_);
    return saves_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, envctl::v1::EnvironmentState> states_ ABSL_GUARDED_BY(mu_);
  int saves_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace envctl::testing

#endif  // ENVCTL_TESTS_FAKES_MEMORY_STATE_STORE_H_
