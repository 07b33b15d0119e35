#include "cloudsim/arm/arm_call.h"

#include <cctype>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/core/util.h"
#include "cloudsim/http/url.h"

namespace envctl::cloudsim {

absl::StatusOr<nlohmann::json> ArmCall::Body() const {
  if (req.body.empty()) return nlohmann::json::object();
  nlohmann::json j = ParseRequestJson(req.body);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(
        "The request content was invalid and could not be deserialized: the body is not valid "
        "JSON.");
  }
  return j;
}

Response ArmJson(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  r.body = body.dump();
  return r;
}

Response ArmEmpty(int status) {
  Response r;
  r.status = status;
  return r;
}

namespace {

// Public-cloud regions (`az account list-locations`), names as ARM stores them.
constexpr const char* kRegions[] = {"australiacentral", "australiacentral2",
                                    "australiaeast",    "australiasoutheast",
                                    "austriaeast",      "belgiumcentral",
                                    "brazilsouth",      "brazilsoutheast",
                                    "canadacentral",    "canadaeast",
                                    "centralindia",     "centralus",
                                    "centraluseuap",    "chilecentral",
                                    "eastasia",         "eastus",
                                    "eastus2",          "eastus2euap",
                                    "francecentral",    "francesouth",
                                    "germanynorth",     "germanywestcentral",
                                    "indonesiacentral", "israelcentral",
                                    "italynorth",       "japaneast",
                                    "japanwest",        "jioindiacentral",
                                    "jioindiawest",     "koreacentral",
                                    "koreasouth",       "malaysiawest",
                                    "mexicocentral",    "newzealandnorth",
                                    "northcentralus",   "northeurope",
                                    "norwayeast",       "norwaywest",
                                    "polandcentral",    "qatarcentral",
                                    "southafricanorth", "southafricawest",
                                    "southcentralus",   "southeastasia",
                                    "southindia",       "spaincentral",
                                    "swedencentral",    "swedensouth",
                                    "switzerlandnorth", "switzerlandwest",
                                    "uaecentral",       "uaenorth",
                                    "uksouth",          "ukwest",
                                    "westcentralus",    "westeurope",
                                    "westindia",        "westus",
                                    "westus2",          "westus3"};

std::string RegionKey(const std::string& location) {
  std::string out;
  for (char c : location) {
    if (c != ' ') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::optional<Response> LocationError(const nlohmann::json& body,
                                      const std::string& resource_type) {
  const std::string location =
      body.is_object() && body.contains("location") && body["location"].is_string()
          ? body["location"].get<std::string>()
          : "";
  if (location.empty()) {
    return ArmError(400, "LocationRequired",
                    "The location property is required for this definition.");
  }
  const std::string key = RegionKey(location);
  for (const char* region : kRegions) {
    if (key == region) return std::nullopt;
  }
  std::string regions;
  for (const char* region : kRegions) absl::StrAppend(&regions, regions.empty() ? "" : ",", region);
  if (resource_type.empty()) {
    return ArmError(
        400, "LocationNotAvailableForResourceGroup",
        absl::StrCat("The provided location '", location,
                     "' is not available for resource group. List of available regions is '",
                     regions, "'."));
  }
  return ArmError(
      400, "LocationNotAvailableForResourceType",
      absl::StrCat("The provided location '", location, "' is not available for resource type '",
                   resource_type, "'. List of available regions for the resource type is '",
                   regions, "'."));
}

Response ArmError(int status, const std::string& code, const std::string& message) {
  return ArmJson(status, {{"error",
                           {{"code", code},
                            {"message", message},
                            {"target", nullptr},
                            {"details", nlohmann::json::array()},
                            {"additionalInfo", nlohmann::json::array()}}}});
}

Response BadBody(const absl::Status& status) {
  return ArmError(400, "InvalidRequestContent", std::string(status.message()));
}

Response ArmList(const ArmCall& call, const std::vector<nlohmann::json>& items) {
  size_t page = static_cast<size_t>(std::max(1, call.world.config().page_size));
  int top = 0;
  if (absl::SimpleAtoi(call.req.Query("$top"), &top) && top > 0) {
    page = std::min(page, static_cast<size_t>(top));
  }
  size_t skip = 0;
  if (!absl::SimpleAtoi(call.req.Query("$skiptoken"), &skip)) skip = 0;
  nlohmann::json value = nlohmann::json::array();
  for (size_t i = skip; i < items.size() && i < skip + page; ++i) value.push_back(items[i]);
  nlohmann::json body = {{"value", value}};
  if (skip + page < items.size()) {
    std::string query;
    for (const auto& [k, v] : call.req.query) {
      if (k == "$skiptoken") continue;
      absl::StrAppend(&query, query.empty() ? "" : "&", PercentEncode(k), "=", PercentEncode(v));
    }
    absl::StrAppend(&query, "&%24skiptoken=", skip + page);
    body["nextLink"] = absl::StrCat(call.base_url, call.req.path, "?", query);
  }
  return ArmJson(200, body);
}

nlohmann::json* FindResourceGroup(World& world, const std::string& name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& rgs = world.Section("resource_groups");
  auto it = rgs.find(Lower(name));
  return it == rgs.end() ? nullptr : &*it;
}

Response ResourceGroupNotFound(const std::string& name) {
  return ArmError(404, "ResourceGroupNotFound",
                  absl::StrCat("Resource group '", name, "' could not be found."));
}

Response ResourceNotFound(const std::string& type, const std::string& name, const std::string& rg) {
  return ArmError(404, "ResourceNotFound",
                  absl::StrCat("The Resource '", type, "/", name, "' under resource group '", rg,
                               "' was not found. For more details please go to "
                               "https://aka.ms/ARMResourceNotFoundFix"));
}

nlohmann::json* FindResource(World& world, const std::string& id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& all = world.Section("resources");
  auto it = all.find(Lower(id));
  return it == all.end() ? nullptr : &*it;
}

nlohmann::json& PutResource(World& world, const std::string& id, nlohmann::json body)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& slot = world.Section("resources")[Lower(id)];
  if (!slot.is_object()) slot = {{"meta", nlohmann::json::object()}};
  slot["body"] = std::move(body);
  world.MarkDirty();
  return slot;
}

void EraseResource(World& world, const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  world.Section("resources").erase(Lower(id));
  world.MarkDirty();
}

std::vector<std::string> ResourceIdsUnder(World& world, const std::string& prefix)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::string p = Lower(prefix) + "/";
  std::vector<std::string> out;
  for (auto& [key, value] : world.Section("resources").items()) {
    if (absl::StartsWith(key, p)) out.push_back(key);
  }
  return out;
}

std::string StartOperation(World& world, const std::string& kind, const std::string& resource_id,
                           absl::Duration base_duration, nlohmann::json extra)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::string id = NewGuid();
  absl::Time now = world.Now();
  nlohmann::json op = {{"kind", kind},
                       {"resource_id", resource_id},
                       {"start", IsoTime(now)},
                       {"done_at_ms", absl::ToUnixMillis(now + world.Scaled(base_duration))},
                       {"status", "InProgress"},
                       {"extra", extra.is_null() ? nlohmann::json::object() : extra}};
  world.Section("operations")[id] = op;
  world.MarkDirty();
  return id;
}

int RetryAfterSeconds(World& world, const std::string& op_id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json& ops = world.Section("operations");
  auto it = ops.find(op_id);
  if (it == ops.end()) return 0;
  int64_t remaining_ms = (*it)["done_at_ms"].get<int64_t>() - absl::ToUnixMillis(world.Now());
  if (remaining_ms <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(60, (remaining_ms + 999) / 1000));
}

void MergePatch(nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object()) return;
  for (auto& [key, value] : patch.items()) {
    if (key == "properties" && value.is_object() && target.contains("properties") &&
        target["properties"].is_object()) {
      for (auto& [pk, pv] : value.items()) target["properties"][pk] = pv;
    } else if (key == "id" || key == "name" || key == "type") {
      continue;
    } else {
      target[key] = value;
    }
  }
}

std::string ValidateTags(const nlohmann::json& body) {
  if (!body.contains("tags") || body["tags"].is_null()) return "";
  const nlohmann::json& tags = body["tags"];
  if (!tags.is_object()) return "The 'tags' property must be an object of string values.";
  if (tags.size() > 50) {
    return absl::StrCat("The number of tags (", tags.size(), ") exceeds the limit of 50.");
  }
  for (auto& [k, v] : tags.items()) {
    if (!v.is_string()) return "Tag '" + k + "' must have a string value.";
    if (k.size() > 512 || v.get<std::string>().size() > 256) {
      return "Tag '" + k + "' is too long (name <= 512, value <= 256 characters).";
    }
    if (k.find_first_of("<>%&\\?/") != std::string::npos) {
      return "The tag name '" + k + "' has invalid characters '<,>,%,&,\\,?,/'.";
    }
  }
  return "";
}

std::vector<std::string> PublicRegions() { return {std::begin(kRegions), std::end(kRegions)}; }

}  // namespace envctl::cloudsim
