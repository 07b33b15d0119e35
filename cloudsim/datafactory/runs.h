// Data Factory pipeline runs: creation, cancellation, and the settle step that advances
// runs through Queued -> InProgress -> Succeeded|Failed (Canceling -> Cancelled) and
// executes their activities — DatabricksNotebook activities resolve their linked
// service's access token (inline or from Key Vault as the factory's managed identity)
// and run the notebook on the simulated workspace. World::mu held for all calls.
#ifndef ENVCTL_CLOUDSIM_DATAFACTORY_RUNS_H_
#define ENVCTL_CLOUDSIM_DATAFACTORY_RUNS_H_

#include <string>

#include "cloudsim/arm/arm_call.h"
#include "cloudsim/core/world.h"

namespace envctl::cloudsim {

// POST F/pipelines/{name}/createRun; `factory_id` is the stored factory id.
Response CreatePipelineRun(ArmCall& call, const std::string& factory_id,
                           const std::string& pipeline_key);
// GET F/pipelineruns/{id}, POST .../cancel, POST .../queryActivityruns, POST F/queryPipelineRuns.
Response HandlePipelineRuns(ArmCall& call, const std::string& factory_id, size_t index);
Response QueryPipelineRuns(ArmCall& call, const std::string& factory_id);
void SettlePipelineRuns(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_DATAFACTORY_RUNS_H_
