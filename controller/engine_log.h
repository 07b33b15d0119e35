// The engine's structured log lines (common/log.h): what happened to one resource in an
// apply — drift found / repaired / reported, the cloud write (action and the NAMES of the
// fields that changed, never their values), test runs submitted and finished, failures
// with the service's message. Environment, resource, kind and sync id come from the
// log::ScopedContext the engine sets around each resource task. Thread-safe.
#ifndef ENVCTL_CONTROLLER_ENGINE_LOG_H_
#define ENVCTL_CONTROLLER_ENGINE_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/engine.h"

namespace envctl::controller {

// Logged when an apply pass sees drift, before acting on it.
void LogDriftFound(const ResourceOutcome& o);
// Logged once a resource's work in an apply pass (or a prune, or a run poll) ended.
void LogFinished(const ResourceOutcome& o);

// sync_end: outcome ("converged", "incomplete", "failed"), revision, duration, counts of
// writes, drift and failures, and the error when the whole sync failed.
void LogSyncEnd(const std::string& environment, const std::string& sync_id,
                const std::string& revision, absl::Duration took,
                const absl::StatusOr<EngineResult>& result);

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_ENGINE_LOG_H_
