// ArmCall: one authenticated ARM request as resource-provider handlers see it (path
// segments in original and lower case, api-version, caller claims, the World), and the
// helpers every provider uses: ARM JSON/error responses, list paging with absolute
// nextLink + $skiptoken, LRO bookkeeping. Handlers run with World::mu held.
#ifndef ENVCTL_CLOUDSIM_ARM_ARM_CALL_H_
#define ENVCTL_CLOUDSIM_ARM_ARM_CALL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudsim/aad/tokens.h"
#include "cloudsim/core/world.h"
#include "cloudsim/http/http_types.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

struct ArmCall {
  World& world;
  const Request& req;
  std::vector<std::string> seg;   // path segments as sent
  std::vector<std::string> lseg;  // lower-cased
  std::string api_version;
  TokenClaims caller;
  std::string base_url;  // "https://<Host>" as the client addressed us

  const std::string& L(size_t i) const {
    static const std::string kEmpty;
    return i < lseg.size() ? lseg[i] : kEmpty;
  }
  // The request body as JSON ({} when empty). InvalidArgument when malformed.
  absl::StatusOr<nlohmann::json> Body() const;
  // "/subscriptions/{sub}/resourceGroups/{rg}" with the stored casing of the RG.
  std::string SubscriptionId() const {
    return "/subscriptions/" + world.identity().subscription_id;
  }
};

Response ArmJson(int status, const nlohmann::json& body);
Response ArmEmpty(int status);
Response ArmError(int status, const std::string& code, const std::string& message);
Response BadBody(const absl::Status& status);  // 400 InvalidRequestContent

// ARM's location check of a create/replace body: 400 LocationRequired when "location" is
// missing, LocationNotAvailableForResourceType (LocationNotAvailableForResourceGroup when
// `resource_type` is empty) when it is not a public Azure region. Regions compare like ARM
// does: case- and space-insensitive ("West Europe" is "westeurope").
std::optional<Response> LocationError(const nlohmann::json& body, const std::string& resource_type);

// The public-cloud region names LocationError accepts ("westeurope", ...).
std::vector<std::string> PublicRegions();

// Pages `items` with the configured page size (or a smaller $top); nextLink repeats the
// request's query with $skiptoken.
Response ArmList(const ArmCall& call, const std::vector<nlohmann::json>& items);

// Resource group helpers (World::mu held).
nlohmann::json* FindResourceGroup(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
Response ResourceGroupNotFound(const std::string& name);
Response ResourceNotFound(const std::string& type, const std::string& name, const std::string& rg);

// Stored resources: db["resources"][lower(id)] = {"body": {...}, "meta": {...}}.
nlohmann::json* FindResource(World& world, const std::string& id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
nlohmann::json& PutResource(World& world, const std::string& id, nlohmann::json body)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
void EraseResource(World& world, const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// Every stored resource whose id starts with `prefix` + "/" (case-insensitive).
std::vector<std::string> ResourceIdsUnder(World& world, const std::string& prefix)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// Starts a long-running operation of `kind` on `resource_id` that completes after
// `base_duration` (scaled by speed). Returns the operation id. `extra` is kept on the
// record for the completion step.
std::string StartOperation(World& world, const std::string& kind, const std::string& resource_id,
                           absl::Duration base_duration, nlohmann::json extra = {})
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);
// Seconds until operation `id` completes, rounded up (0 when done).
int RetryAfterSeconds(World& world, const std::string& op_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// Applies tags/properties of a PATCH: top-level keys replace, "properties" merges one
// level deep, "tags" replaces wholesale.
void MergePatch(nlohmann::json& target, const nlohmann::json& patch);

// Validates the `tags` member if present (object of strings, <= 50). Empty if fine.
std::string ValidateTags(const nlohmann::json& body);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ARM_ARM_CALL_H_
