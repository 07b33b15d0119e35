#include "cloudsim/datafactory/triggers.h"

#include <vector>

#include "cloudsim/core/util.h"
#include "cloudsim/datafactory/entities.h"

namespace envctl::cloudsim {
namespace {

bool IsEventTrigger(const nlohmann::json& props) {
  const std::string type = props.value("type", "");
  return type == "BlobEventsTrigger" || type == "CustomEventsTrigger";
}

// Every trigger but a tumbling window one (a single `pipeline`) runs `pipelines`.
bool HasPipelines(const nlohmann::json& props) {
  if (props.contains("pipeline") && props["pipeline"].is_object()) return true;
  return props.contains("pipelines") && props["pipelines"].is_array() &&
         !props["pipelines"].empty();
}

// Event-trigger subscription state, kept beside the trigger (not part of its body: the
// spec reports it only through getEventSubscriptionStatus).
std::string SubscriptionStatus(const nlohmann::json& slot) {
  return slot["meta"].value("eventSubscription", "Disabled");
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleTriggerAction(ArmCall& call, nlohmann::json& slot,
                             const std::string& action) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  nlohmann::json& body = slot["body"];
  const std::string name = body["name"];
  if (call.req.method != "POST") return ArmEmpty(0);
  if (action == "start" || action == "stop") {
    // Real ADF refuses to start a trigger with nothing to run (seen as
    // "Missing or invalid pipeline references for trigger <name>", 400 BadRequest).
    if (action == "start" && !HasPipelines(slot["meta"]["raw"])) {
      return ArmError(400, "BadRequest",
                      "Missing or invalid pipeline references for trigger " + name);
    }
    const std::string state = action == "start" ? "Started" : "Stopped";
    body["properties"]["runtimeState"] = state;
    slot["meta"]["raw"]["runtimeState"] = state;
    // Starting an event trigger subscribes it to its events, as in ADF.
    if (IsEventTrigger(slot["meta"]["raw"]))
      slot["meta"]["eventSubscription"] = action == "start" ? "Enabled" : "Disabled";
    world.MarkDirty();
    return ArmEmpty(200);
  }
  if (action == "subscribetoevents" || action == "unsubscribefromevents") {
    slot["meta"]["eventSubscription"] = action == "subscribetoevents" ? "Enabled" : "Disabled";
    world.MarkDirty();
    return ArmJson(200, {{"triggerName", name}, {"status", SubscriptionStatus(slot)}});
  }
  if (action == "geteventsubscriptionstatus") {
    return ArmJson(200, {{"triggerName", name}, {"status", SubscriptionStatus(slot)}});
  }
  return ArmEmpty(0);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response QueryTriggers(ArmCall& call,
                       const std::string& factory_id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto request = call.Body();
  if (!request.ok()) return BadBody(request.status());
  const std::string parent = request->is_object() ? request->value("parentTriggerName", "") : "";
  std::vector<nlohmann::json> items;
  for (const auto& key : ResourceIdsUnder(call.world, factory_id + "/triggers")) {
    const nlohmann::json& slot = *FindResource(call.world, key);
    if (!parent.empty()) {
      // Only rerun triggers name a parent (typeProperties.parentTrigger).
      const nlohmann::json& raw = slot["meta"]["raw"];
      const nlohmann::json tp = raw.value("typeProperties", nlohmann::json::object());
      if (!tp.contains("parentTrigger") || !tp["parentTrigger"].is_string() ||
          Lower(tp["parentTrigger"].get<std::string>()) != Lower(parent)) {
        continue;
      }
    }
    items.push_back(slot["body"]);
  }
  auto page = QueryPage(items, *request, call.world.config().page_size);
  if (!page.ok()) return ArmError(400, "BadRequest", std::string(page.status().message()));
  return ArmJson(200, *page);
}

}  // namespace envctl::cloudsim
