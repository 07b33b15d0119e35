#include "reconcilers/datafactory/definitions_reconciler.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "cloud/errors.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/datafactory/definition_order.h"
#include "reconcilers/datafactory/factory_ref.h"
#include "reconcilers/datafactory/integration_runtime.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/parallel.h"
#include "reconcilers/pass_reads.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers {
namespace {

using cloud::datafactory::DataFactoryClient;
using cloud::datafactory::EntityKind;
using cloud::datafactory::FactoryRef;
using datafactory::Entity;
using datafactory::EntityType;

constexpr char kMasked[] = "**********";
// Entities written at the same time, each as soon as what it references is written
// (ADF's per-factory write limits are generous; this keeps a 100-entity folder to a
// handful of round trips per level of references).
constexpr size_t kReadParallelism = 8;
constexpr size_t kWriteParallelism = 4;

EntityKind KindOf(EntityType type) {
  switch (type) {
    case EntityType::kLinkedService:
      return EntityKind::kLinkedService;
    case EntityType::kDataset:
      return EntityKind::kDataset;
    case EntityType::kPipeline:
      return EntityKind::kPipeline;
    case EntityType::kTrigger:
      return EntityKind::kTrigger;
    case EntityType::kDataFlow:
      return EntityKind::kDataFlow;
    case EntityType::kIntegrationRuntime:
      return EntityKind::kIntegrationRuntime;
    case EntityType::kCredential:
      return EntityKind::kCredential;
    case EntityType::kManagedVirtualNetwork:
      return EntityKind::kManagedVirtualNetwork;
    case EntityType::kManagedPrivateEndpoint:
      return EntityKind::kManagedPrivateEndpoint;
    case EntityType::kGlobalParameters:
      return EntityKind::kGlobalParameters;
  }
  return EntityKind::kPipeline;
}

// What the factory holds, read for one Plan: a kind with several entities to look at is
// listed once (one read per kind instead of a GET per entity, so a no-op resync of a
// folder costs a handful of reads); a kind with one entity is read with a GET. List
// entries are the same bodies a GET returns (ARM lists). A factory created in this pass
// holds nothing yet: then every entity is absent without a read. Not thread-safe (one
// Plan), but Get is once ListWanted has returned.
class LiveEntities {
 public:
  // `factory_body`: the factory's own GET of this pass (its data factory resource read
  // it), which carries the global parameters: they then cost no read of their own.
  LiveEntities(const DataFactoryClient& client, FactoryRef factory,
               std::map<EntityType, int> wanted, std::optional<nlohmann::json> factory_body,
               bool factory_created_in_this_pass)
      : client_(client),
        factory_(std::move(factory)),
        wanted_(std::move(wanted)),
        factory_body_(std::move(factory_body)),
        empty_factory_(factory_created_in_this_pass) {}

  // Lists every kind wanted more than once (the kinds at the same time), so that Get is
  // then a lookup for those kinds and safe to call from several threads (the other kinds
  // are one GET each).
  void ListWanted() {
    if (empty_factory_) return;
    std::vector<EntityType> types;
    for (const auto& [type, count] : wanted_) {
      if (count >= 2 && ListedByFactory(type)) types.push_back(type);
    }
    std::vector<absl::StatusOr<std::vector<nlohmann::json>>> lists(
        types.size(), absl::UnknownError("not listed"));
    RunParallel(types.size(), kReadParallelism, [&](size_t i) {
      lists[i] = client_.ListEntities(factory_, KindOf(types[i]));
      return absl::OkStatus();
    }).IgnoreError();
    for (size_t i = 0; i < types.size(); ++i) {
      absl::StatusOr<std::vector<nlohmann::json>>& items = lists[i];
      if (!items.ok() && !absl::IsNotFound(items.status())) {
        list_errors_[types[i]] = items.status();
        continue;
      }
      std::map<std::string, nlohmann::json> by_name;
      if (items.ok()) {
        for (nlohmann::json& item : *items) {
          const std::string name_key = absl::AsciiStrToLower(item.value("name", ""));
          by_name[name_key] = std::move(item);
        }
      }
      listed_.emplace(types[i], std::move(by_name));
    }
  }

  // The entity's body; NotFound when the factory has no such entity (or no factory).
  absl::StatusOr<nlohmann::json> Get(EntityType type, const std::string& name) const {
    if (empty_factory_) {
      return absl::NotFoundError(absl::StrCat(datafactory::CollectionOf(type), "/", name,
                                              " not found (factory created in this pass)"));
    }
    auto error = list_errors_.find(type);
    if (error != list_errors_.end()) return error->second;
    if (type == EntityType::kGlobalParameters && factory_body_.has_value() &&
        factory_body_->is_object()) {
      const nlohmann::json props = factory_body_->value("properties", nlohmann::json::object());
      auto gp = props.find("globalParameters");
      if (gp == props.end() || !gp->is_object()) {
        return absl::NotFoundError(absl::StrCat("globalParameters/", name, " not found"));
      }
      return nlohmann::json{{"name", name}, {"properties", *gp}};
    }
    auto listed = listed_.find(type);
    if (listed == listed_.end()) return client_.GetEntity(factory_, KindOf(type), name);
    auto it = listed->second.find(absl::AsciiStrToLower(name));
    if (it == listed->second.end()) {
      return absl::NotFoundError(
          absl::StrCat(datafactory::CollectionOf(type), "/", name, " not found"));
    }
    return it->second;
  }

 private:
  // Kinds ADF lists per factory (a private endpoint is listed per managed network; the
  // global parameters are one entity).
  static bool ListedByFactory(EntityType type) {
    return type != EntityType::kManagedPrivateEndpoint && type != EntityType::kGlobalParameters;
  }

  const DataFactoryClient& client_;
  const FactoryRef factory_;
  std::map<EntityType, int> wanted_;
  const std::optional<nlohmann::json> factory_body_;
  const bool empty_factory_;
  std::map<EntityType, std::map<std::string, nlohmann::json>> listed_;
  std::map<EntityType, absl::Status> list_errors_;
};

// An entity as envctl will deploy it.
struct DesiredEntity {
  Entity entity;
  std::string sha;                  // of the expanded properties
  std::set<std::string> sensitive;  // diff paths whose value came from a secret output
};

absl::StatusOr<FactoryRef> FactoryOf(const Context& ctx) {
  return FactoryRefOf(ctx.environment, ctx.resource.data_factory_definitions().data_factory());
}

// Expands ${resource.output} in every string of `node`, recording sensitive leaf paths.
absl::Status ExpandStrings(const Outputs& outputs, const std::string& path, nlohmann::json* node,
                           std::set<std::string>* sensitive) {
  if (node->is_string()) {
    const std::string text = node->get<std::string>();
    if (text.find("${") == std::string::npos) return absl::OkStatus();
    bool secret = false;
    ASSIGN_OR_RETURN(std::string expanded, outputs.Expand(text, &secret));
    *node = expanded;
    if (secret) sensitive->insert(path);
  } else if (node->is_object()) {
    for (auto& [k, v] : node->items()) {
      RETURN_IF_ERROR(ExpandStrings(outputs, absl::StrCat(path, ".", k), &v, sensitive));
    }
  } else if (node->is_array()) {
    for (size_t i = 0; i < node->size(); ++i) {
      RETURN_IF_ERROR(
          ExpandStrings(outputs, absl::StrCat(path, "[", i, "]"), &(*node)[i], sensitive));
    }
  }
  return absl::OkStatus();
}

// Global parameter types as the service answers them ("int" -> "Int").
nlohmann::json NormalizeGlobalParameters(nlohmann::json params) {
  static const std::vector<std::string> kTypes = {"Object", "String", "Int",
                                                  "Float",  "Bool",   "Array"};
  for (auto& [name, p] : params.items()) {
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) continue;
    for (const auto& t : kTypes) {
      if (absl::EqualsIgnoreCase(t, p["type"].get<std::string>())) p["type"] = t;
    }
  }
  return params;
}

// The folder's entities, expanded, in deploy order with their prerequisites
// (datafactory::DeployGraph).
struct DesiredGraph {
  std::vector<DesiredEntity> entities;
  std::vector<std::vector<size_t>> after;
};

absl::StatusOr<DesiredGraph> DesiredGraphOf(const Context& ctx) {
  const std::string& folder = ctx.resource.data_factory_definitions().folder();
  std::vector<Entity> entities;
  std::map<std::string, std::set<std::string>> sensitive;
  for (const auto& file : ctx.content.files()) {
    const std::string where = absl::StrCat(folder, "/", file.path());
    absl::StatusOr<EntityType> type = datafactory::TypeFromPath(file.path());
    if (!type.ok())
      return absl::InvalidArgumentError(absl::StrCat(folder, "/", type.status().message()));
    nlohmann::json j = nlohmann::json::parse(file.content(), nullptr, false);
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() ||
        !j.contains("properties") || !j["properties"].is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a JSON object with \"name\" and \"properties\""));
    }
    Entity e{*type, j["name"].get<std::string>(), j["properties"]};
    if (*type == EntityType::kManagedPrivateEndpoint) {
      // managedVirtualNetwork/<vnet>/managedPrivateEndpoint/<name>.json
      const std::string vnet = file.path().substr(std::string("managedVirtualNetwork/").size(),
                                                  file.path().find("/managedPrivateEndpoint/") -
                                                      std::string("managedVirtualNetwork/").size());
      e.name = absl::StrCat(vnet, "/", e.name);
    } else if (*type == EntityType::kGlobalParameters) {
      // factory/<factory>.json: only its global parameters are deployed from here.
      if (!e.properties.contains("globalParameters") ||
          !e.properties["globalParameters"].is_object())
        continue;
      e = Entity{*type, "default", NormalizeGlobalParameters(e.properties["globalParameters"])};
    }
    RETURN_IF_ERROR(
        Annotate(ExpandStrings(ctx.outputs, e.Key(), &e.properties, &sensitive[e.Key()]), where));
    entities.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(datafactory::DeployGraph graph, datafactory::DeployGraphOf(std::move(entities)));
  DesiredGraph out;
  out.after = std::move(graph.after);
  for (Entity& e : graph.order) {
    const std::string key = e.Key();
    const std::string sha = Sha256Hex(e.properties.dump());
    out.entities.push_back({std::move(e), sha, sensitive[key]});
  }
  return out;
}

// Where the service masks a secure string, take the masked value into `desired` so the
// comparison skips it (the value cannot be read back).
void MaskLikeLive(nlohmann::json* desired, const nlohmann::json& live) {
  if (live.is_string() && live.get<std::string>() == kMasked && desired->is_string()) {
    *desired = kMasked;
  } else if (desired->is_object() && live.is_object()) {
    for (auto& [k, v] : desired->items()) {
      auto l = live.find(k);
      if (l != live.end()) MaskLikeLive(&v, *l);
    }
  } else if (desired->is_array() && live.is_array() && desired->size() == live.size()) {
    for (size_t i = 0; i < desired->size(); ++i) MaskLikeLive(&(*desired)[i], live[i]);
  }
}

absl::StatusOr<EntityType> TypeOfKey(const std::string& key) {
  return datafactory::TypeFromPath(key);
}
std::string NameOfKey(const std::string& key) { return key.substr(key.find('/') + 1); }

bool Contains(const nlohmann::json& list, const std::string& key) {
  return list.is_array() && std::find(list.begin(), list.end(), key) != list.end();
}

nlohmann::json Deployed(const PriorState& prior) {
  if (prior.memory.is_object() && prior.memory.contains("deployed") &&
      prior.memory["deployed"].is_object()) {
    return prior.memory["deployed"];
  }
  return nlohmann::json::object();
}

bool PruneEnabled(const envctl::v1::DataFactoryDefinitionsSpec& spec) {
  return !spec.has_prune() || spec.prune().value();
}

// Deletes definitions (keys) in reverse dependency order: triggers, pipelines, datasets,
// linked services. A definition still referenced by one deleted later in the same pass
// is retried after the others.
absl::Status DeleteKeys(const DataFactoryClient& client, const FactoryRef& factory,
                        std::vector<std::string> keys,
                        const std::function<absl::Status(const std::string&)>& on_deleted) {
  auto rank = [](const std::string& key) {
    absl::StatusOr<EntityType> t = TypeOfKey(key);
    return t.ok() ? 9 - datafactory::TypeRank(*t) : 10;
  };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  for (int pass = 0; pass < 3 && !keys.empty(); ++pass) {
    std::vector<std::string> retry;
    absl::Status last;
    for (const std::string& key : keys) {
      ASSIGN_OR_RETURN(EntityType type, TypeOfKey(key));
      const std::string name = NameOfKey(key);
      if (type == EntityType::kManagedVirtualNetwork) {
        // The API cannot delete a managed virtual network; it goes with the factory.
        RETURN_IF_ERROR(on_deleted(key));
        continue;
      }
      if (type == EntityType::kTrigger) {
        absl::StatusOr<std::string> state = client.TriggerRuntimeState(factory, name);
        if (state.ok() && *state == "Started") {
          RETURN_IF_ERROR(
              Annotate(client.StopTrigger(factory, name), absl::StrCat("stopping ", key)));
        }
      }
      absl::Status s = client.DeleteEntity(factory, KindOf(type), name);
      if (s.ok() || absl::IsNotFound(s)) {
        RETURN_IF_ERROR(on_deleted(key));
        continue;
      }
      if (!absl::IsFailedPrecondition(s) && !absl::IsInvalidArgument(s)) {
        return Annotate(s, absl::StrCat("deleting ", key));
      }
      last = Annotate(s, absl::StrCat("deleting ", key));
      retry.push_back(key);
    }
    if (retry.size() == keys.size()) return last;
    keys = std::move(retry);
  }
  return absl::OkStatus();
}

}  // namespace

DataFactoryDefinitionsReconciler::DataFactoryDefinitionsReconciler(
    cloud::HttpTransport& datafactory, Clock& clock, const std::string& arm_endpoint,
    const std::string& subscription_id, const cloud::arm::LroOptions& lro) {
  cloud::arm::ArmClientOptions options;
  options.error_service = cloud::Service::kDataFactory;
  options.lro = lro;
  arm_ = std::make_unique<cloud::arm::ArmClient>(datafactory, clock, arm_endpoint, options);
  client_ = std::make_unique<DataFactoryClient>(*arm_, subscription_id);
}

absl::StatusOr<Change> DataFactoryDefinitionsReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.data_factory_definitions();
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  ASSIGN_OR_RETURN(DesiredGraph graph, DesiredGraphOf(ctx));
  const std::vector<DesiredEntity>& desired = graph.entities;
  const nlohmann::json deployed = Deployed(ctx.prior);
  const std::set<std::string> started(spec.started_triggers().begin(),
                                      spec.started_triggers().end());

  Change change;
  nlohmann::json puts = nlohmann::json::array();
  nlohmann::json restarts = nlohmann::json::array();
  nlohmann::json starts = nlohmann::json::array();
  nlohmann::json deletes = nlohmann::json::array();
  nlohmann::json stops = nlohmann::json::array();
  std::set<std::string> declared;
  const bool prune = PruneEnabled(spec);
  std::map<EntityType, int> wanted;
  for (const DesiredEntity& d : desired) {
    ++wanted[d.entity.type];
    declared.insert(d.entity.Key());
  }
  if (prune) {
    for (const auto& [key, sha] : deployed.items()) {
      if (!declared.count(key) && TypeOfKey(key).ok()) ++wanted[*TypeOfKey(key)];
    }
  }
  // One listing per kind wanted several times; the remaining single entities are read at
  // once (bounded): in sequence each one's latency, and under throttling each one's
  // Retry-After, would add up.
  LiveEntities live_entities(
      *client_, factory, wanted,
      ctx.outputs.reads().Recall(FactoryBodyKey(client_->FactoryId(factory))),
      ctx.outputs.reads().CreatedInThisPass(spec.data_factory()));
  live_entities.ListWanted();
  std::vector<absl::StatusOr<nlohmann::json>> lives(desired.size(), absl::UnknownError("not read"));
  RunParallel(desired.size(), kReadParallelism, [&](size_t i) {
    lives[i] = live_entities.Get(desired[i].entity.type, desired[i].entity.name);
    return absl::OkStatus();
  }).IgnoreError();
  for (size_t i = 0; i < desired.size(); ++i) {
    const DesiredEntity& d = desired[i];
    const Entity& e = d.entity;
    const std::string key = e.Key();
    absl::StatusOr<nlohmann::json>& live = lives[i];
    if (!live.ok() && !absl::IsNotFound(live.status())) {
      return Annotate(live.status(),
                      absl::StrCat("reading ", key, " of factory ", factory.factory));
    }
    if (!live.ok()) {
      change.fields.push_back({key, "(none)", "(create)"});
      puts.push_back(key);
      if (e.type == EntityType::kTrigger && started.count(e.name)) starts.push_back(key);
      continue;
    }
    change.exists = true;
    if (IsSelfHostedRuntime(e)) {
      RETURN_IF_ERROR(
          PublishRuntimeKeys(ctx, *arm_, live->value("id", ""), e.name, live->value("etag", "")));
    }
    const nlohmann::json live_props = live->value("properties", nlohmann::json::object());
    nlohmann::json want = e.properties;
    MaskLikeLive(&want, live_props);
    DiffOptions options;
    options.sensitive_paths = d.sensitive;
    bool differs = DiffJson(want, live_props, &change.fields, options, key);
    if (!differs && deployed.contains(key) && deployed[key] != d.sha) {
      // The file changed in a way the live diff cannot see (e.g. a field was removed).
      change.fields.push_back({key, "(deployed definition)", "(changed in the repo)"});
      differs = true;
    }
    if (differs) puts.push_back(key);
    if (e.type == EntityType::kTrigger) {
      const std::string state = live_props.value("runtimeState", "");
      if (differs && state == "Started") restarts.push_back(key);
      if (started.count(e.name) && state != "Started") {
        starts.push_back(key);
        change.fields.push_back(
            {absl::StrCat(key, ".runtimeState"), RenderValue(state), RenderValue("Started")});
      }
      if (!started.count(e.name) && state == "Started") {
        // Not in startedTriggers, so it stays stopped: someone started it by hand.
        stops.push_back(key);
        change.fields.push_back(
            {absl::StrCat(key, ".runtimeState"), RenderValue(state), RenderValue("Stopped")});
      }
    }
  }
  if (prune) {
    for (const auto& [key, sha] : deployed.items()) {
      if (declared.count(key) || !TypeOfKey(key).ok()) continue;
      absl::StatusOr<nlohmann::json> live = live_entities.Get(*TypeOfKey(key), NameOfKey(key));
      if (!live.ok() && !absl::IsNotFound(live.status())) {
        return Annotate(live.status(),
                        absl::StrCat("reading ", key, " of factory ", factory.factory));
      }
      if (!live.ok()) continue;
      change.exists = true;
      change.fields.push_back({key, "(deployed)", "(delete: removed from the repo)"});
      deletes.push_back(key);
    }
  }
  change.observed = {{"puts", puts},
                     {"restarts", restarts},
                     {"starts", starts},
                     {"stops", stops},
                     {"deletes", deletes}};
  if (puts.empty() && starts.empty() && deletes.empty() && stops.empty()) return change;
  change.action = change.exists ? Action::kUpdate : Action::kCreate;
  std::vector<std::string> what;
  if (!puts.empty()) what.push_back(absl::StrCat(puts.size(), " to write"));
  if (!starts.empty()) what.push_back(absl::StrCat(starts.size(), " trigger(s) to start"));
  if (!stops.empty()) what.push_back(absl::StrCat(stops.size(), " trigger(s) to stop"));
  if (!deletes.empty()) what.push_back(absl::StrCat(deletes.size(), " to delete"));
  change.reason = absl::StrJoin(what, ", ");
  return change;
}

absl::StatusOr<ApplyResult> DataFactoryDefinitionsReconciler::Apply(Context& ctx,
                                                                    const Change& change) {
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  ASSIGN_OR_RETURN(DesiredGraph graph, DesiredGraphOf(ctx));
  const std::vector<DesiredEntity>& desired = graph.entities;
  const nlohmann::json& observed = change.observed;
  nlohmann::json memory =
      ctx.prior.memory.is_object() ? ctx.prior.memory : nlohmann::json::object();
  memory["deployed"] = Deployed(ctx.prior);
  absl::Mutex memory_mu;  // the writers record into `memory` and checkpoint it

  auto write_one = [&](const DesiredEntity& d) -> absl::Status {
    const Entity& e = d.entity;
    const std::string key = e.Key();
    const bool is_trigger = e.type == EntityType::kTrigger;
    if (Contains(observed["puts"], key)) {
      const bool restart = Contains(observed["restarts"], key);
      if (restart) {
        RETURN_IF_ERROR(
            Annotate(client_->StopTrigger(factory, e.name), absl::StrCat("stopping ", key)));
      }
      absl::StatusOr<nlohmann::json> put =
          client_->PutEntity(factory, KindOf(e.type), e.name, {{"properties", e.properties}});
      if (!put.ok() && is_trigger && !restart && absl::IsFailedPrecondition(put.status())) {
        // Started since the plan: stop, update, start.
        RETURN_IF_ERROR(
            Annotate(client_->StopTrigger(factory, e.name), absl::StrCat("stopping ", key)));
        put = client_->PutEntity(factory, KindOf(e.type), e.name, {{"properties", e.properties}});
        if (put.ok()) {
          RETURN_IF_ERROR(
              Annotate(client_->StartTrigger(factory, e.name), absl::StrCat("starting ", key)));
        }
      }
      RETURN_IF_ERROR(
          Annotate(put.status(), absl::StrCat("writing ", key, " to factory ", factory.factory)));
      if (IsSelfHostedRuntime(e)) {
        RETURN_IF_ERROR(
            PublishRuntimeKeys(ctx, *arm_, put->value("id", ""), e.name, put->value("etag", "")));
      }
      {
        absl::MutexLock lock(&memory_mu);
        memory["deployed"][key] = d.sha;
        RETURN_IF_ERROR(ctx.checkpoint(memory));
      }
      if (restart && !Contains(observed["starts"], key) && !Contains(observed["stops"], key)) {
        RETURN_IF_ERROR(
            Annotate(client_->StartTrigger(factory, e.name), absl::StrCat("restarting ", key)));
      }
    }
    if (is_trigger && Contains(observed["starts"], key)) {
      RETURN_IF_ERROR(
          Annotate(client_->StartTrigger(factory, e.name), absl::StrCat("starting ", key)));
    }
    if (is_trigger && Contains(observed["stops"], key) && !Contains(observed["restarts"], key)) {
      RETURN_IF_ERROR(
          Annotate(client_->StopTrigger(factory, e.name), absl::StrCat("stopping ", key)));
    }
    return absl::OkStatus();
  };
  // Each entity is written once everything it references is in place; independent
  // entities are written together.
  RETURN_IF_ERROR(RunAfter(desired.size(), graph.after, kWriteParallelism,
                           [&](size_t i) { return write_one(desired[i]); }));

  std::vector<std::string> deletes;
  for (const auto& key : observed.value("deletes", nlohmann::json::array())) deletes.push_back(key);
  RETURN_IF_ERROR(DeleteKeys(*client_, factory, deletes, [&](const std::string& key) {
    memory["deployed"].erase(key);
    return ctx.checkpoint(memory);
  }));

  // Everything the folder declares is envctl's from now on (prune may remove it later).
  for (const DesiredEntity& d : desired) memory["deployed"][d.entity.Key()] = d.sha;
  ApplyResult result;
  result.external_id = client_->FactoryId(factory);
  result.memory = memory;
  return result;
}

absl::Status DataFactoryDefinitionsReconciler::Delete(Context& ctx) {
  ASSIGN_OR_RETURN(FactoryRef factory, FactoryOf(ctx));
  nlohmann::json memory =
      ctx.prior.memory.is_object() ? ctx.prior.memory : nlohmann::json::object();
  memory["deployed"] = Deployed(ctx.prior);
  std::vector<std::string> keys;
  for (const auto& [key, sha] : memory["deployed"].items()) keys.push_back(key);
  return DeleteKeys(*client_, factory, keys, [&](const std::string& key) {
    memory["deployed"].erase(key);
    return ctx.checkpoint(memory);
  });
}

}  // namespace envctl::reconcilers
