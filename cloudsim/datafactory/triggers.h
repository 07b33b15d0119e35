// Data Factory trigger operations beyond CRUD (reference §7.5): start/stop, event
// subscriptions and POST F/querytriggers. World::mu held for all calls.
#ifndef ENVCTL_CLOUDSIM_DATAFACTORY_TRIGGERS_H_
#define ENVCTL_CLOUDSIM_DATAFACTORY_TRIGGERS_H_

#include <string>

#include "cloudsim/arm/arm_call.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

// POST F/triggers/{name}/{action} on the stored trigger `slot`; `action` is lower case
// (start, stop, subscribetoevents, unsubscribefromevents, geteventsubscriptionstatus).
// Returns a Response with status 0 when the method/action is not a trigger action, so
// the caller answers its usual 404.
Response HandleTriggerAction(ArmCall& call, nlohmann::json& slot, const std::string& action);

// POST F/querytriggers: {"parentTriggerName", "continuationToken"} ->
// {"value": [TriggerResource], "continuationToken"}.
Response QueryTriggers(ArmCall& call, const std::string& factory_id);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_DATAFACTORY_TRIGGERS_H_
