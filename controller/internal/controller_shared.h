// What the controller's files share (controller.cc: the scheduler, controller_api.cc: the
// RPCs): work-queue keys, the suspension condition and small status readers. Private to
// controller/.
#ifndef ENVCTL_CONTROLLER_INTERNAL_CONTROLLER_SHARED_H_
#define ENVCTL_CONTROLLER_INTERNAL_CONTROLLER_SHARED_H_

#include <string>

#include "envctl/v1/spec.pb.h"
#include "envctl/v1/status.pb.h"

namespace envctl::controller::internal {

// Work-queue keys.
inline constexpr char kSourceKey[] = "source";
inline constexpr char kEnvPrefix[] = "env/";
// Polls of the test runs an environment has in progress (no sync waits on a run).
inline constexpr char kRunsPrefix[] = "runs/";
// Event-driven repair of the resources a cloud event named (not the whole environment).
inline constexpr char kTargetsPrefix[] = "targets/";
// The cheap change look of resources no cloud event covers (Databricks notebooks).
inline constexpr char kChangesPrefix[] = "changes/";
// The periodic look at upstreams other replicas may own (promotion across replicas).
inline constexpr char kUpstreamsKey[] = "upstreams";

// Condition recording a suspension made through the API (survives restarts).
inline constexpr char kSuspendedCondition[] = "Suspended";

inline bool IsTestKind(const envctl::v1::Resource& r) {
  return r.kind_case() == envctl::v1::Resource::kIntegrationTest ||
         r.kind_case() == envctl::v1::Resource::kPipelineRunTest ||
         r.kind_case() == envctl::v1::Resource::kJobRunTest;
}

inline const envctl::v1::Condition* FindCondition(const envctl::v1::EnvironmentStatus& status,
                                                  const std::string& type) {
  for (const auto& c : status.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

inline bool IsTrue(const envctl::v1::Condition* c) {
  return c != nullptr && c->status() == envctl::v1::CONDITION_STATUS_TRUE;
}

}  // namespace envctl::controller::internal

#endif  // ENVCTL_CONTROLLER_INTERNAL_CONTROLLER_SHARED_H_
