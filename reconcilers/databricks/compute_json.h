// What the cluster, job and permission reconcilers share: the Databricks API JSON a
// spec stands for (cluster configurations with their policy id, job settings with
// notebook paths and library entries resolved from the resources they name) and the
// canonical form live job settings are compared in (server defaults removed, tasks and
// job clusters sorted by key). Pure functions; thread-safe.
#ifndef ENVCTL_RECONCILERS_DATABRICKS_COMPUTE_JSON_H_
#define ENVCTL_RECONCILERS_DATABRICKS_COMPUTE_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "envctl/v1/spec.pb.h"
#include "nlohmann/json.hpp"
#include "reconcilers/outputs.h"
#include "reconcilers/support.h"  // FindResource

namespace envctl::reconcilers {

// The value of output `output` of `resource`; KnownAfterApplyError while it has none.
absl::StatusOr<std::string> RequireOutput(const Outputs& outputs, const std::string& resource,
                                          const std::string& output);

// A plain (not sensitive) output value, e.g. an id.
OutputValue IdOutput(const std::string& id);

// The workspace path of a notebook a DatabricksNotebooks resource deploys:
// targetFolder + "/" + path. InvalidArgument when `ref.notebooks` is not such a resource.
absl::StatusOr<std::string> NotebookPathOf(const envctl::v1::Environment& env,
                                           const envctl::v1::DatabricksNotebookRef& ref);

// new_cluster / clusters/create JSON of a configuration (policy name -> policy_id).
absl::StatusOr<nlohmann::json> ClusterConfigJson(const Outputs& outputs,
                                                 const envctl::v1::DatabricksClusterConfig& config);

// The jobs/create settings of a job spec.
absl::StatusOr<nlohmann::json> JobSettingsJson(const envctl::v1::Environment& env,
                                               const Outputs& outputs,
                                               const envctl::v1::DatabricksJobSpec& spec);

// Settings as compared: only what envctl manages, Databricks' defaults removed (run_if
// ALL_SUCCESS, timeout 0, empty notifications, notebook source WORKSPACE, ...), tasks and
// job clusters sorted by key, depends_on sorted.
nlohmann::json CanonicalJobSettings(const nlohmann::json& settings);

// The resources a job's content depends on: the notebooks, libraries, clusters and
// policies its tasks and job clusters name (for JobRunTest's covered hash).
std::vector<std::string> JobInputs(const envctl::v1::DatabricksJobSpec& spec);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_DATABRICKS_COMPUTE_JSON_H_
