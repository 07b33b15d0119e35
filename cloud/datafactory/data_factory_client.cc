#include "cloud/datafactory/data_factory_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace envctl::cloud::datafactory {
namespace {

using arm::RequestOptions;

std::string StringField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Same status, another code: keeps message and payloads (service code, request id).
absl::Status WithCode(const absl::Status& status, absl::StatusCode code) {
  absl::Status out(code, status.message());
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace

const char* EntitySegment(EntityKind kind) {
  switch (kind) {
    case EntityKind::kLinkedService:
      return "linkedservices";
    case EntityKind::kDataset:
      return "datasets";
    case EntityKind::kPipeline:
      return "pipelines";
    case EntityKind::kTrigger:
      return "triggers";
    case EntityKind::kDataFlow:
      return "dataflows";
    case EntityKind::kIntegrationRuntime:
      return "integrationRuntimes";
    case EntityKind::kCredential:
      return "credentials";
    case EntityKind::kManagedVirtualNetwork:
      return "managedVirtualNetworks";
    case EntityKind::kManagedPrivateEndpoint:
      return "managedPrivateEndpoints";
    case EntityKind::kGlobalParameters:
      return "globalParameters";
  }
  return "pipelines";
}

bool IsTerminal(RunStatus status) {
  return status == RunStatus::kSucceeded || status == RunStatus::kFailed ||
         status == RunStatus::kCancelled;
}

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued:
      return "Queued";
    case RunStatus::kInProgress:
      return "InProgress";
    case RunStatus::kSucceeded:
      return "Succeeded";
    case RunStatus::kFailed:
      return "Failed";
    case RunStatus::kCanceling:
      return "Canceling";
    case RunStatus::kCancelled:
      return "Cancelled";
    case RunStatus::kUnknown:
      break;
  }
  return "Unknown";
}

RunStatus ParseRunStatus(const std::string& status) {
  const std::string s = absl::AsciiStrToLower(status);
  if (s == "queued") return RunStatus::kQueued;
  if (s == "inprogress") return RunStatus::kInProgress;
  if (s == "succeeded") return RunStatus::kSucceeded;
  if (s == "failed") return RunStatus::kFailed;
  if (s == "canceling" || s == "cancelling") return RunStatus::kCanceling;
  if (s == "cancelled" || s == "canceled") return RunStatus::kCancelled;
  return RunStatus::kUnknown;
}

std::string FormatAdfTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

DataFactoryClient::DataFactoryClient(const arm::ArmClient& arm, std::string subscription_id)
    : arm_(arm), subscription_id_(std::move(subscription_id)) {}

std::string DataFactoryClient::FactoryId(const FactoryRef& factory) const {
  return absl::StrCat("/subscriptions/", subscription_id_, "/resourceGroups/",
                      factory.resource_group, "/providers/Microsoft.DataFactory/factories/",
                      factory.factory);
}

std::string DataFactoryClient::EntityPath(const FactoryRef& factory, EntityKind kind,
                                          const std::string& name) const {
  if (kind == EntityKind::kManagedPrivateEndpoint) {
    const size_t slash = name.find('/');
    return absl::StrCat(FactoryId(factory), "/managedVirtualNetworks/", name.substr(0, slash),
                        "/managedPrivateEndpoints/", name.substr(slash + 1));
  }
  return absl::StrCat(FactoryId(factory), "/", EntitySegment(kind), "/", name);
}

absl::StatusOr<nlohmann::json> DataFactoryClient::PutFactory(const FactoryRef& factory,
                                                             const nlohmann::json& body) const {
  return arm_.Put(FactoryId(factory), kDataFactoryApiVersion, body);
}

absl::StatusOr<nlohmann::json> DataFactoryClient::GetFactory(const FactoryRef& factory) const {
  return arm_.Get(FactoryId(factory), kDataFactoryApiVersion);
}

absl::StatusOr<nlohmann::json> DataFactoryClient::PatchFactory(const FactoryRef& factory,
                                                               const nlohmann::json& patch) const {
  return arm_.Patch(FactoryId(factory), kDataFactoryApiVersion, patch);
}

absl::Status DataFactoryClient::DeleteFactory(const FactoryRef& factory) const {
  return arm_.Delete(FactoryId(factory), kDataFactoryApiVersion);
}

std::string DataFactoryClient::PrincipalId(const nlohmann::json& factory) {
  if (!factory.is_object() || !factory.contains("identity")) return "";
  return StringField(factory["identity"], "principalId");
}

absl::StatusOr<nlohmann::json> DataFactoryClient::PutEntity(const FactoryRef& factory,
                                                            EntityKind kind,
                                                            const std::string& name,
                                                            const nlohmann::json& body,
                                                            const std::string& if_match) const {
  RequestOptions options;
  if (!if_match.empty()) options.headers["If-Match"] = if_match;
  return arm_.Put(EntityPath(factory, kind, name), kDataFactoryApiVersion, body, options);
}

absl::StatusOr<nlohmann::json> DataFactoryClient::GetEntity(const FactoryRef& factory,
                                                            EntityKind kind,
                                                            const std::string& name) const {
  return arm_.Get(EntityPath(factory, kind, name), kDataFactoryApiVersion);
}

absl::Status DataFactoryClient::DeleteEntity(const FactoryRef& factory, EntityKind kind,
                                             const std::string& name) const {
  absl::Status st = arm_.Delete(EntityPath(factory, kind, name), kDataFactoryApiVersion);
  // ADF answers "still referenced" with a plain 400 BadRequest; it is a state conflict
  // (delete the referrer first), not a malformed request.
  if (st.code() == absl::StatusCode::kInvalidArgument &&
      absl::StrContains(st.message(), "referenced by")) {
    return WithCode(st, absl::StatusCode::kFailedPrecondition);
  }
  return st;
}

absl::StatusOr<std::vector<nlohmann::json>> DataFactoryClient::ListEntities(
    const FactoryRef& factory, EntityKind kind) const {
  return arm_.List(absl::StrCat(FactoryId(factory), "/", EntitySegment(kind)),
                   kDataFactoryApiVersion);
}

absl::Status DataFactoryClient::StartTrigger(const FactoryRef& factory,
                                             const std::string& name) const {
  RequestOptions options;
  options.idempotent = true;  // starting a started trigger is a no-op
  return arm_
      .Post(absl::StrCat(EntityPath(factory, EntityKind::kTrigger, name), "/start"),
            kDataFactoryApiVersion, nullptr, options)
      .status();
}

absl::Status DataFactoryClient::StopTrigger(const FactoryRef& factory,
                                            const std::string& name) const {
  RequestOptions options;
  options.idempotent = true;
  return arm_
      .Post(absl::StrCat(EntityPath(factory, EntityKind::kTrigger, name), "/stop"),
            kDataFactoryApiVersion, nullptr, options)
      .status();
}

absl::StatusOr<std::string> DataFactoryClient::TriggerRuntimeState(const FactoryRef& factory,
                                                                   const std::string& name) const {
  ASSIGN_OR_RETURN(nlohmann::json trigger, GetEntity(factory, EntityKind::kTrigger, name));
  if (!trigger.is_object() || !trigger.contains("properties")) return std::string();
  return StringField(trigger["properties"], "runtimeState");
}

absl::StatusOr<std::string> DataFactoryClient::CreateRun(const FactoryRef& factory,
                                                         const std::string& pipeline,
                                                         const nlohmann::json& parameters) const {
  ASSIGN_OR_RETURN(
      nlohmann::json body,
      arm_.Post(absl::StrCat(EntityPath(factory, EntityKind::kPipeline, pipeline), "/createRun"),
                kDataFactoryApiVersion,
                parameters.is_object() ? parameters : nlohmann::json::object()));
  std::string run_id = StringField(body, "runId");
  if (run_id.empty()) {
    return absl::InternalError(
        absl::StrCat("Data Factory createRun of pipeline ", pipeline, ": response has no runId"));
  }
  return run_id;
}

namespace {

PipelineRun PipelineRunFrom(nlohmann::json body, const std::string& run_id) {
  PipelineRun run;
  run.run_id = StringField(body, "runId");
  if (run.run_id.empty()) run.run_id = run_id;
  run.pipeline_name = StringField(body, "pipelineName");
  run.status_text = StringField(body, "status");
  run.status = ParseRunStatus(run.status_text);
  run.message = StringField(body, "message");
  run.run_start = StringField(body, "runStart");
  run.run_end = StringField(body, "runEnd");
  run.raw = std::move(body);
  return run;
}

}  // namespace

absl::StatusOr<PipelineRun> DataFactoryClient::GetPipelineRun(const FactoryRef& factory,
                                                              const std::string& run_id) const {
  ASSIGN_OR_RETURN(
      nlohmann::json body,
      arm_.Get(absl::StrCat(FactoryId(factory), "/pipelineruns/", run_id), kDataFactoryApiVersion));
  return PipelineRunFrom(std::move(body), run_id);
}

absl::StatusOr<std::vector<PipelineRun>> DataFactoryClient::QueryPipelineRuns(
    const FactoryRef& factory, const std::string& pipeline, absl::Time last_updated_after,
    absl::Time last_updated_before) const {
  RequestOptions options;
  options.idempotent = true;  // a query
  nlohmann::json body = {
      {"lastUpdatedAfter", FormatAdfTime(last_updated_after)},
      {"lastUpdatedBefore", FormatAdfTime(last_updated_before)},
      {"filters", nlohmann::json::array({{{"operand", "PipelineName"},
                                          {"operator", "Equals"},
                                          {"values", nlohmann::json::array({pipeline})}}})}};
  std::vector<PipelineRun> out;
  const std::string path = absl::StrCat(FactoryId(factory), "/queryPipelineRuns");
  for (int page = 0; page < 10000; ++page) {  // bounded against a repeating token
    ASSIGN_OR_RETURN(nlohmann::json result, arm_.Post(path, kDataFactoryApiVersion, body, options));
    if (result.is_object() && result.contains("value") && result["value"].is_array()) {
      for (auto& item : result["value"]) out.push_back(PipelineRunFrom(std::move(item), ""));
    }
    const std::string token = StringField(result, "continuationToken");
    if (token.empty()) break;
    body["continuationToken"] = token;
  }
  return out;
}

absl::Status DataFactoryClient::CancelPipelineRun(const FactoryRef& factory,
                                                  const std::string& run_id, bool recursive) const {
  RequestOptions options;
  options.idempotent = true;  // cancelling twice is harmless
  if (recursive) options.query.emplace_back("isRecursive", "true");
  return arm_
      .Post(absl::StrCat(FactoryId(factory), "/pipelineruns/", run_id, "/cancel"),
            kDataFactoryApiVersion, nullptr, options)
      .status();
}

absl::StatusOr<std::vector<nlohmann::json>> DataFactoryClient::QueryActivityRuns(
    const FactoryRef& factory, const std::string& run_id, absl::Time last_updated_after,
    absl::Time last_updated_before, const nlohmann::json& filters) const {
  RequestOptions options;
  options.idempotent = true;  // a query
  nlohmann::json body = {{"lastUpdatedAfter", FormatAdfTime(last_updated_after)},
                         {"lastUpdatedBefore", FormatAdfTime(last_updated_before)}};
  if (filters.is_array()) body["filters"] = filters;
  std::vector<nlohmann::json> out;
  const std::string path =
      absl::StrCat(FactoryId(factory), "/pipelineruns/", run_id, "/queryActivityruns");
  // Bounded: a service repeating its token must not spin forever.
  for (int page = 0; page < 10000; ++page) {
    ASSIGN_OR_RETURN(nlohmann::json result, arm_.Post(path, kDataFactoryApiVersion, body, options));
    if (result.is_object() && result.contains("value") && result["value"].is_array()) {
      for (auto& item : result["value"]) out.push_back(std::move(item));
    }
    const std::string token = StringField(result, "continuationToken");
    if (token.empty()) break;
    body["continuationToken"] = token;
  }
  return out;
}

}  // namespace envctl::cloud::datafactory
