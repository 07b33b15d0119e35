// Azure Event Grid deliveries to /webhooks/eventgrid: the subscription validation handshake
// and ARM resource events, in the Event Grid schema (a JSON array of
// {id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion}) or the
// CloudEvents 1.0 schema (structured: one object or a batch array of
// {specversion, id, source, type, subject, time, data}; binary: ce-* headers and the data
// as body). Events only say "look at this resource" (level-triggered): the controller maps
// ids to the resources it manages and reconciles them; nothing here is trusted as state.
// Stateless functions; thread-safe.
#ifndef ENVCTL_WATCHERS_EVENT_GRID_H_
#define ENVCTL_WATCHERS_EVENT_GRID_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchers/http_headers.h"

namespace envctl::watchers {

struct ResourceChange {
  std::string resource_id;  // ARM id, as sent (ARM ids compare case-insensitively)
  std::string event_type;   // e.g. "Microsoft.Resources.ResourceWriteSuccess"
  bool deleted = false;     // ResourceDeleteSuccess
  std::string event_id;
  std::string source;  // the event's topic (Event Grid) or source (CloudEvents)
  // Who caused it. ARM events: data.httpRequest.clientRequestId, the
  // x-ms-client-request-id of the request that made the change (envctl sends its sync id
  // there), "" when the event has none. Key Vault events carry no request id.
  std::string client_request_id;
  // Key Vault secret events: the version the event is about (data.Version, else the last
  // segment of data.Id); "" otherwise.
  std::string version;
};

struct EventGridDelivery {
  // A SubscriptionValidationEvent: reply HTTP 200 with `validation_response` as the
  // JSON body ({"validationResponse": "<data.validationCode>"}).
  bool is_validation = false;
  std::string validation_response;
  // Resource events in delivery order, and their distinct ids in order of first appearance.
  std::vector<ResourceChange> changes;
  std::vector<std::string> resource_ids;
  // Events of types we do not act on (failures, cancels, other publishers).
  int ignored_events = 0;
};

// Parses one POST. InvalidArgument when the body is not JSON, an event has neither
// schema's type field, a validation event lacks data.validationCode, or the
// `aeg-event-type: SubscriptionValidation` header comes without a validation event.
// Reply 200 on success (Event Grid retries anything else), 400 on InvalidArgument.
absl::StatusOr<EventGridDelivery> ParseEventGridDelivery(const HttpHeaders& headers,
                                                         absl::string_view body);

// The CloudEvents abuse-protection handshake (an HTTP OPTIONS request): the value to send
// back as `WebHook-Allowed-Origin` (the request's `WebHook-Request-Origin`).
// InvalidArgument when that header is missing.
absl::StatusOr<std::string> CloudEventsAllowedOrigin(const HttpHeaders& headers);

}  // namespace envctl::watchers

#endif  // ENVCTL_WATCHERS_EVENT_GRID_H_
