// Data Factory entity helpers shared by the factory API and the run engine (World::mu
// held): secure-string masking, reference discovery, and lookups of child entities.
#ifndef ENVCTL_CLOUDSIM_DATAFACTORY_ENTITIES_H_
#define ENVCTL_CLOUDSIM_DATAFACTORY_ENTITIES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cloudsim/core/world.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

inline constexpr char kFactoryType[] = "Microsoft.DataFactory/factories";

// Child kinds as path segments (lower case) and the reference type naming each.
const std::vector<std::pair<std::string, std::string>>& DataFactoryChildKinds();
// "LinkedServiceReference" -> "linkedservices" ("" when unknown).
std::string KindOfReference(const std::string& reference_type);

// A copy of `properties` with every SecureString value replaced by "**********".
nlohmann::json MaskSecureStrings(const nlohmann::json& properties);

// Every (kind, name) an entity's properties reference.
std::vector<std::pair<std::string, std::string>> ReferencesOf(const nlohmann::json& properties);

// The stored slot of child `kind`/`name` of factory `factory_id`, or nullptr. The slot's
// meta["raw"] holds the unmasked properties.
nlohmann::json* FindChild(World& world, const std::string& factory_id, const std::string& kind,
                          const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu);

// One page of a query API (queryPipelineRuns, queryActivityruns, querytriggers): ADF pages
// these with an opaque "continuationToken" in the body, not ARM's nextLink. `request` is the
// query body (its continuationToken, if any, says where to resume); `page_size` is the
// configured list page size. Returns {"value": [...], "continuationToken"?}, or
// InvalidArgument for a token this emulator did not issue.
absl::StatusOr<nlohmann::json> QueryPage(const std::vector<nlohmann::json>& items,
                                         const nlohmann::json& request, int page_size);

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_DATAFACTORY_ENTITIES_H_
