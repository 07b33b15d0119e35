#include "watchers/event_grid.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace envctl::watchers {
namespace {

using nlohmann::json;

constexpr absl::string_view kValidationEvent = "Microsoft.EventGrid.SubscriptionValidationEvent";
constexpr absl::string_view kWrite = "Microsoft.Resources.ResourceWriteSuccess";
constexpr absl::string_view kDelete = "Microsoft.Resources.ResourceDeleteSuccess";
constexpr absl::string_view kAction = "Microsoft.Resources.ResourceActionSuccess";
// Key Vault system-topic events about secrets (SecretNewVersionCreated, SecretNearExpiry,
// SecretExpired): data-plane changes ARM never sees.
constexpr absl::string_view kKeyVaultSecretPrefix = "Microsoft.KeyVault.Secret";

// One event, whichever schema it came in.
struct Event {
  std::string id;
  std::string type;
  std::string subject;
  std::string source;  // Event Grid "topic" / CloudEvents "source"
  json data;
};

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

absl::StatusOr<Event> ToEvent(const json& e, size_t index) {
  if (!e.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("event [", index, "] is not a JSON object"));
  }
  Event out;
  out.id = Str(e, "id");
  out.subject = Str(e, "subject");
  if (e.contains("specversion")) {
    out.type = Str(e, "type");
    out.source = Str(e, "source");
  } else {
    out.type = Str(e, "eventType");
    out.source = Str(e, "topic");
  }
  if (out.type.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event [", index,
                     "] has no \"eventType\" (Event Grid schema) or \"type\" "
                     "(CloudEvents 1.0 schema)"));
  }
  if (auto it = e.find("data"); it != e.end()) out.data = *it;
  return out;
}

// The ARM id an event is about: data.resourceUri, else the subject (made absolute against
// the source when it is relative, as CloudEvents subjects of system topics are).
std::string ResourceIdOf(const Event& e) {
  if (e.data.is_object()) {
    std::string uri = Str(e.data, "resourceUri");
    if (!uri.empty()) return uri;
  }
  if (e.subject.empty() || absl::StartsWith(e.subject, "/")) return e.subject;
  if (e.source.empty()) return e.subject;
  return absl::StrCat(e.source, "/", e.subject);
}

// The secret a Key Vault event is about, as its versionless id
// "https://<vault>/secrets/<name>" (data.Id without the version), or "".
std::string SecretIdOf(const Event& e) {
  if (!e.data.is_object()) return "";
  std::string id = Str(e.data, "Id");
  if (id.empty()) id = Str(e.data, "id");
  const size_t at = id.find("/secrets/");
  if (at == std::string::npos) return "";
  const size_t name_end = id.find('/', at + 9);
  return name_end == std::string::npos ? id : id.substr(0, name_end);
}

// The x-ms-client-request-id of the request behind an ARM event
// (data.httpRequest.clientRequestId), or "".
std::string ClientRequestIdOf(const Event& e) {
  if (!e.data.is_object()) return "";
  auto http = e.data.find("httpRequest");
  if (http == e.data.end() || !http->is_object()) return "";
  return Str(*http, "clientRequestId");
}

// The secret version a Key Vault event is about: data.Version (Event Grid's own casing,
// also "version"), else the segment after the name in data.Id; "" when neither says.
std::string SecretVersionOf(const Event& e) {
  if (!e.data.is_object()) return "";
  std::string version = Str(e.data, "Version");
  if (version.empty()) version = Str(e.data, "version");
  if (!version.empty()) return version;
  std::string id = Str(e.data, "Id");
  if (id.empty()) id = Str(e.data, "id");
  const size_t at = id.find("/secrets/");
  if (at == std::string::npos) return "";
  const size_t name_end = id.find('/', at + 9);
  return name_end == std::string::npos ? "" : id.substr(name_end + 1);
}

absl::StatusOr<std::vector<Event>> ParseEvents(const HttpHeaders& headers, absl::string_view body) {
  std::vector<Event> events;
  // CloudEvents binary mode: attributes in ce-* headers, the body is the data.
  if (const std::string* type = FindHeader(headers, "ce-type")) {
    Event e;
    e.type = *type;
    if (const std::string* v = FindHeader(headers, "ce-id")) e.id = *v;
    if (const std::string* v = FindHeader(headers, "ce-subject")) e.subject = *v;
    if (const std::string* v = FindHeader(headers, "ce-source")) e.source = *v;
    if (!body.empty()) {
      e.data = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
      if (e.data.is_discarded()) {
        return absl::InvalidArgumentError("CloudEvents (binary mode) body is not valid JSON");
      }
    }
    events.push_back(std::move(e));
    return events;
  }

  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("Event Grid delivery is not valid JSON");
  }
  if (doc.is_object()) doc = json::array({std::move(doc)});  // one structured CloudEvent
  if (!doc.is_array()) {
    return absl::InvalidArgumentError(
        "Event Grid delivery must be a JSON array of events (or one CloudEvents object)");
  }
  for (size_t i = 0; i < doc.size(); ++i) {
    auto event = ToEvent(doc[i], i);
    if (!event.ok()) return event.status();
    events.push_back(std::move(event).value());
  }
  return events;
}

}  // namespace

absl::StatusOr<EventGridDelivery> ParseEventGridDelivery(const HttpHeaders& headers,
                                                         absl::string_view body) {
  auto events = ParseEvents(headers, body);
  if (!events.ok()) return events.status();

  EventGridDelivery out;
  std::set<std::string> seen;  // lower-cased ids: ARM ids are case-insensitive
  for (const Event& e : *events) {
    if (e.type == kValidationEvent) {
      std::string code = e.data.is_object() ? Str(e.data, "validationCode") : "";
      if (code.empty()) {
        return absl::InvalidArgumentError("SubscriptionValidationEvent has no data.validationCode");
      }
      out.is_validation = true;
      out.validation_response = json{{"validationResponse", code}}.dump();
      continue;
    }
    const bool secret_event = absl::StartsWith(e.type, kKeyVaultSecretPrefix);
    if (e.type != kWrite && e.type != kDelete && e.type != kAction && !secret_event) {
      ++out.ignored_events;
      continue;
    }
    std::string id = secret_event ? SecretIdOf(e) : ResourceIdOf(e);
    if (id.empty()) {
      ++out.ignored_events;
      continue;
    }
    ResourceChange change;
    change.resource_id = id;
    change.event_type = e.type;
    change.deleted = e.type == kDelete;
    change.event_id = e.id;
    change.source = e.source;
    if (secret_event) {
      change.version = SecretVersionOf(e);
    } else {
      change.client_request_id = ClientRequestIdOf(e);
    }
    out.changes.push_back(std::move(change));
    if (seen.insert(absl::AsciiStrToLower(id)).second) out.resource_ids.push_back(id);
  }

  const std::string* aeg_type = FindHeader(headers, "aeg-event-type");
  if (aeg_type != nullptr && *aeg_type == "SubscriptionValidation" && !out.is_validation) {
    return absl::InvalidArgumentError(
        "aeg-event-type is SubscriptionValidation but the body holds no "
        "Microsoft.EventGrid.SubscriptionValidationEvent");
  }
  return out;
}

absl::StatusOr<std::string> CloudEventsAllowedOrigin(const HttpHeaders& headers) {
  const std::string* origin = FindHeader(headers, "WebHook-Request-Origin");
  if (origin == nullptr || origin->empty()) {
    return absl::InvalidArgumentError(
        "CloudEvents validation request has no WebHook-Request-Origin header");
  }
  return *origin;
}

}  // namespace envctl::watchers
