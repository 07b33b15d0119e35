// Turns an apply's EngineResult into the environment's persisted status: per-resource
// states and hashes, Kubernetes-style conditions (Ready, Synced, Drifted, Tested, Healthy)
// whose last_transition_time moves only when their status changes, and run records.
#ifndef ENVCTL_CONTROLLER_STATUS_BUILDER_H_
#define ENVCTL_CONTROLLER_STATUS_BUILDER_H_

#include "absl/time/time.h"
#include "controller/engine.h"
#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller {

void UpdateStatus(const envctl::v1::Environment& env, const EngineResult& result, absl::Time now,
                  envctl::v1::EnvironmentState* state);

// Records a targeted (event-driven) apply: the listed resources' states and runs; the
// others are kept; Healthy/Drifted/Ready recomputed over every resource's state.
void MergeStatus(const EngineResult& result, absl::Time now, envctl::v1::EnvironmentState* state);

// Records the outcome of Engine::PollRuns: the polled tests' resource states, finished
// runs (newest first), and the Tested / Testing conditions; other resources untouched.
void RecordRuns(const EngineResult& polled, absl::Time now, envctl::v1::EnvironmentState* state);

// Sets condition `type` on `status`, keeping last_transition_time when status is unchanged.
void SetCondition(envctl::v1::EnvironmentStatus* status, const std::string& type, bool value,
                  const std::string& reason, const std::string& message, absl::Time now);

// Maximum run records kept per environment.
inline constexpr int kMaxRunRecords = 50;

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_STATUS_BUILDER_H_
