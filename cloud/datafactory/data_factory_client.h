// DataFactoryClient: typed calls for Azure Data Factory 2018-06-01 (azure-rest.md §7):
// factories, their child entities (linked services, datasets, pipelines, triggers),
// trigger start/stop, pipeline runs and activity-run queries. It rides on an ArmClient
// built over CloudSession::DataFactory() with error_service = Service::kDataFactory.
// Entity bodies are ADF JSON ({"properties":{...}}); secure strings come back masked.
// Stateless besides the ArmClient reference: thread-safe.
#ifndef ENVCTL_CLOUD_DATAFACTORY_DATA_FACTORY_CLIENT_H_
#define ENVCTL_CLOUD_DATAFACTORY_DATA_FACTORY_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud/arm/arm_client.h"
#include "nlohmann/json.hpp"

namespace envctl::cloud::datafactory {

inline constexpr char kDataFactoryApiVersion[] = "2018-06-01";

enum class EntityKind {
  kLinkedService,
  kDataset,
  kPipeline,
  kTrigger,
  kDataFlow,
  kIntegrationRuntime,
  kCredential,
  kManagedVirtualNetwork,
  // Named "<managedVirtualNetwork>/<endpoint>".
  kManagedPrivateEndpoint,
  // The factory's one set of global parameters, named "default".
  kGlobalParameters,
};
// "linkedservices", "datasets", "pipelines", "triggers" (the path segment).
const char* EntitySegment(EntityKind kind);

struct FactoryRef {
  std::string resource_group;
  std::string factory;
};

enum class RunStatus {
  kUnknown,
  kQueued,
  kInProgress,
  kSucceeded,
  kFailed,
  kCanceling,
  kCancelled
};
// Succeeded, Failed, Cancelled.
bool IsTerminal(RunStatus status);
// "Queued", "InProgress", ..., "Unknown".
const char* RunStatusName(RunStatus status);

struct PipelineRun {
  std::string run_id;
  std::string pipeline_name;
  RunStatus status = RunStatus::kUnknown;
  std::string status_text;  // as sent ("Cancelled"), also when not a known value
  std::string message;      // failure message, "" on success
  std::string run_start;    // RFC 3339 or ""
  std::string run_end;      // "" while running
  nlohmann::json raw;       // the whole run body
};

class DataFactoryClient {
 public:
  DataFactoryClient(const arm::ArmClient& arm, std::string subscription_id);

  // ".../resourceGroups/{rg}/providers/Microsoft.DataFactory/factories/{factory}".
  std::string FactoryId(const FactoryRef& factory) const;

  // PUT {"location","identity":{"type":"SystemAssigned"},"tags","properties":{}}: the
  // factory (with identity.principalId). NotFound when the group is missing.
  absl::StatusOr<nlohmann::json> PutFactory(const FactoryRef& factory,
                                            const nlohmann::json& body) const;
  // The factory, or NotFound.
  absl::StatusOr<nlohmann::json> GetFactory(const FactoryRef& factory) const;
  // PATCH {"tags"} / {"identity"}: the factory.
  absl::StatusOr<nlohmann::json> PatchFactory(const FactoryRef& factory,
                                              const nlohmann::json& patch) const;
  // OK when the factory is gone, including never existed.
  absl::Status DeleteFactory(const FactoryRef& factory) const;
  // identity.principalId of a factory body (the object id to grant in Key Vault), or "".
  static std::string PrincipalId(const nlohmann::json& factory);

  // PUT an entity ({"properties":{...}}), with If-Match when `if_match` is non-empty
  // (FailedPrecondition/PreconditionFailed on an etag mismatch): the stored entity.
  // Updating a started trigger is FailedPrecondition (TriggerEnabledCannotUpdate): stop it
  // first. A reference to a missing entity is InvalidArgument.
  absl::StatusOr<nlohmann::json> PutEntity(const FactoryRef& factory, EntityKind kind,
                                           const std::string& name, const nlohmann::json& body,
                                           const std::string& if_match = "") const;
  // The entity, or NotFound.
  absl::StatusOr<nlohmann::json> GetEntity(const FactoryRef& factory, EntityKind kind,
                                           const std::string& name) const;
  // OK when gone, including never existed. An entity still referenced by another is
  // FailedPrecondition ("... referenced by X"); a started trigger is FailedPrecondition.
  absl::Status DeleteEntity(const FactoryRef& factory, EntityKind kind,
                            const std::string& name) const;
  // Every entity of the kind (all pages).
  absl::StatusOr<std::vector<nlohmann::json>> ListEntities(const FactoryRef& factory,
                                                           EntityKind kind) const;

  // POST triggers/{name}/start | stop (waits if the service answers with an LRO).
  // NotFound for an unknown trigger.
  absl::Status StartTrigger(const FactoryRef& factory, const std::string& name) const;
  absl::Status StopTrigger(const FactoryRef& factory, const std::string& name) const;
  // properties.runtimeState: "Started", "Stopped" or "Disabled"; NotFound if absent.
  absl::StatusOr<std::string> TriggerRuntimeState(const FactoryRef& factory,
                                                  const std::string& name) const;

  // POST pipelines/{pipeline}/createRun with the parameter values (object; null = {}):
  // the new runId. Not retried after an ambiguous failure (it would start a second run);
  // NotFound for an unknown pipeline, InvalidArgument for bad parameters.
  absl::StatusOr<std::string> CreateRun(const FactoryRef& factory, const std::string& pipeline,
                                        const nlohmann::json& parameters) const;
  // GET pipelineruns/{runId}, or NotFound.
  absl::StatusOr<PipelineRun> GetPipelineRun(const FactoryRef& factory,
                                             const std::string& run_id) const;
  // POST pipelineruns/{runId}/cancel[?isRecursive=true]: OK (the run goes Canceling then
  // Cancelled). NotFound for an unknown run.
  absl::Status CancelPipelineRun(const FactoryRef& factory, const std::string& run_id,
                                 bool recursive = false) const;
  // POST queryPipelineRuns for runs of `pipeline` last updated in [after, before],
  // following continuationToken: every such run (oldest first as the service pages them).
  absl::StatusOr<std::vector<PipelineRun>> QueryPipelineRuns(const FactoryRef& factory,
                                                             const std::string& pipeline,
                                                             absl::Time last_updated_after,
                                                             absl::Time last_updated_before) const;
  // POST pipelineruns/{runId}/queryActivityruns for activities last updated in
  // [after, before] (both required by the service), optional `filters` array, following
  // continuationToken: every activity run.
  absl::StatusOr<std::vector<nlohmann::json>> QueryActivityRuns(
      const FactoryRef& factory, const std::string& run_id, absl::Time last_updated_after,
      absl::Time last_updated_before, const nlohmann::json& filters = nullptr) const;

 private:
  std::string EntityPath(const FactoryRef& factory, EntityKind kind, const std::string& name) const;

  const arm::ArmClient& arm_;
  const std::string subscription_id_;
};

// RFC 3339 UTC with fractional seconds, as ADF expects ("2018-06-16T00:36:44.3345758Z").
std::string FormatAdfTime(absl::Time t);
RunStatus ParseRunStatus(const std::string& status);

}  // namespace envctl::cloud::datafactory

#endif  // ENVCTL_CLOUD_DATAFACTORY_DATA_FACTORY_CLIENT_H_
