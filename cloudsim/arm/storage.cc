// Microsoft.Storage: storage accounts (create as a Location-polled LRO), keys, name
// checks, blob service properties and blob containers (reference §4).
#include <algorithm>
#include <map>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

constexpr absl::Duration kCreateDuration = absl::Seconds(3);
constexpr char kType[] = "Microsoft.Storage/storageAccounts";

bool ValidAccountName(const std::string& n) {
  static const std::regex kPattern("^[a-z0-9]{3,24}$");
  return std::regex_match(n, kPattern);
}

bool ValidContainerName(const std::string& n) {
  static const std::regex kPattern("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$");
  return n.size() >= 3 && n.size() <= 63 && std::regex_match(n, kPattern) &&
         n.find("--") == std::string::npos;
}

bool OneOf(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

// The account with this name anywhere in the (single) subscription, if any.
nlohmann::json* FindAccountByName(World& world, const std::string& name, std::string* key_out)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) == Lower(kType) &&
        Lower(body.value("name", "")) == Lower(name)) {
      if (key_out != nullptr) *key_out = key;
      return &slot;
    }
  }
  return nullptr;
}

nlohmann::json NewKeys(absl::Time now) {
  return nlohmann::json::array({{{"keyName", "key1"},
                                 {"value", RandomBase64(64)},
                                 {"permissions", "Full"},
                                 {"creationTime", IsoTime(now)}},
                                {{"keyName", "key2"},
                                 {"value", RandomBase64(64)},
                                 {"permissions", "Full"},
                                 {"creationTime", IsoTime(now)}}});
}

nlohmann::json Endpoints(const std::string& name) {
  nlohmann::json e;
  for (const char* svc : {"blob", "dfs", "file", "queue", "table", "web"}) {
    e[svc] = absl::StrCat("https://", name, ".", svc, ".core.windows.net/");
  }
  return e;
}

std::string SkuTier(const std::string& sku) {
  return absl::StartsWith(sku, "Premium") ? "Premium" : "Standard";
}

// Azure's geo pairs for the regions cloudsim accepts most often (secondaryLocation of
// GRS/GZRS accounts).
std::string PairedRegion(const std::string& location) {
  static const std::map<std::string, std::string> kPairs = {{"westeurope", "northeurope"},
                                                            {"northeurope", "westeurope"},
                                                            {"eastus", "westus"},
                                                            {"westus", "eastus"},
                                                            {"eastus2", "centralus"},
                                                            {"centralus", "eastus2"},
                                                            {"westus2", "westcentralus"},
                                                            {"westcentralus", "westus2"},
                                                            {"westus3", "eastus"},
                                                            {"uksouth", "ukwest"},
                                                            {"ukwest", "uksouth"},
                                                            {"germanywestcentral", "germanynorth"},
                                                            {"swedencentral", "swedensouth"},
                                                            {"francecentral", "francesouth"},
                                                            {"northcentralus", "southcentralus"},
                                                            {"southcentralus", "northcentralus"},
                                                            {"switzerlandnorth", "switzerlandwest"},
                                                            {"norwayeast", "norwaywest"}};
  std::string key = Lower(location);
  key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
  auto it = kPairs.find(key);
  return it == kPairs.end() ? key : it->second;
}

nlohmann::json RoutedEndpoints(const std::string& name, const std::string& routing,
                               std::initializer_list<const char*> services) {
  nlohmann::json e;
  for (const char* svc : services) {
    e[svc] = absl::StrCat("https://", name, "-", routing, ".", svc, ".core.windows.net/");
  }
  return e;
}

// Fills what Azure derives from the stored account's settings (after a create, replace
// or PATCH): encryption service details, network ACL defaults, geo-replication and
// routing-preference endpoints.
void DeriveAccountProperties(nlohmann::json& account, absl::Time now) {
  const std::string name = account.value("name", "");
  const std::string sku = account["sku"].value("name", "");
  nlohmann::json& p = account["properties"];
  // encryption.services.{blob,file}: enabled, keyType, lastEnabledTime.
  if (!p["encryption"].is_object()) p["encryption"] = nlohmann::json::object();
  nlohmann::json& enc = p["encryption"];
  if (!enc.contains("keySource")) enc["keySource"] = "Microsoft.Storage";
  if (!enc["services"].is_object()) enc["services"] = nlohmann::json::object();
  for (const char* svc : {"blob", "file"}) {
    nlohmann::json& s = enc["services"][svc];
    if (!s.is_object()) s = nlohmann::json::object();
    if (!s.contains("enabled")) s["enabled"] = true;
    if (!s.contains("keyType")) s["keyType"] = "Account";
    if (!s.contains("lastEnabledTime"))
      s["lastEnabledTime"] = p.value("creationTime", IsoTime(now));
  }
  // networkAcls: a partial set (PATCH {"networkAcls":{"defaultAction":"Deny"}}) keeps the
  // defaults of the members it leaves out.
  if (!p["networkAcls"].is_object()) p["networkAcls"] = nlohmann::json::object();
  nlohmann::json& acls = p["networkAcls"];
  if (!acls.contains("bypass")) acls["bypass"] = "AzureServices";
  if (!acls.contains("defaultAction")) acls["defaultAction"] = "Allow";
  if (!acls.contains("ipRules")) acls["ipRules"] = nlohmann::json::array();
  if (!acls.contains("virtualNetworkRules")) acls["virtualNetworkRules"] = nlohmann::json::array();
  // Geo-redundant SKUs replicate to the paired region.
  const bool geo = absl::StrContains(sku, "GRS") || absl::StrContains(sku, "GZRS");
  const bool read_access = absl::StartsWith(sku, "Standard_RA");
  p.erase("secondaryLocation");
  p.erase("statusOfSecondary");
  p.erase("secondaryEndpoints");
  if (geo) {
    p["secondaryLocation"] = PairedRegion(account.value("location", ""));
    p["statusOfSecondary"] = "available";
  }
  if (read_access) {
    nlohmann::json e;
    for (const char* svc : {"blob", "dfs", "queue", "table", "web"}) {
      e[svc] = absl::StrCat("https://", name, "-secondary.", svc, ".core.windows.net/");
    }
    p["secondaryEndpoints"] = e;
  }
  // Routing preference publishes extra endpoint sets next to the primary ones.
  nlohmann::json& primary = p["primaryEndpoints"];
  primary.erase("microsoftEndpoints");
  primary.erase("internetEndpoints");
  if (p.contains("routingPreference") && p["routingPreference"].is_object()) {
    const nlohmann::json& rp = p["routingPreference"];
    if (rp.value("publishMicrosoftEndpoints", false)) {
      primary["microsoftEndpoints"] = RoutedEndpoints(
          name, "microsoftrouting", {"blob", "dfs", "file", "queue", "table", "web"});
    }
    if (rp.value("publishInternetEndpoints", false)) {
      primary["internetEndpoints"] =
          RoutedEndpoints(name, "internetrouting", {"blob", "dfs", "file", "web"});
    }
  }
}

// Validates and normalizes a create/replace body into the stored account.
Response BuildAccount(ArmCall& call, const std::string& id, const std::string& name,
                      const nlohmann::json& body, const nlohmann::json* existing,
                      nlohmann::json* out) {
  if (auto error = LocationError(body, kType)) return *error;
  std::string location = body.value("location", "");
  if (!body.contains("sku") || !body["sku"].is_object() || !body["sku"].contains("name")) {
    return ArmError(400, "MissingRequiredProperty",
                    "The 'sku' property with a 'name' is required.");
  }
  std::string sku = body["sku"].value("name", "");
  if (!OneOf(sku, {"Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS",
                   "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS"})) {
    return ArmError(400, "InvalidValuesForRequestParameters",
                    "Values for request parameters are invalid: sku.name '" + sku + "'.");
  }
  std::string kind = body.value("kind", "StorageV2");
  if (!OneOf(kind, {"Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"})) {
    return ArmError(400, "InvalidValuesForRequestParameters",
                    "Values for request parameters are invalid: kind '" + kind + "'.");
  }
  std::string tag_error = ValidateTags(body);
  if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
  nlohmann::json props = body.contains("properties") && body["properties"].is_object()
                             ? body["properties"]
                             : nlohmann::json::object();
  for (const char* ro : {"provisioningState", "creationTime", "primaryEndpoints", "primaryLocation",
                         "statusOfPrimary", "keyCreationTime"}) {
    props.erase(ro);
  }
  if (props.contains("accessTier") &&
      !OneOf(props.value("accessTier", ""), {"Hot", "Cool", "Cold", "Premium"})) {
    return ArmError(400, "InvalidValuesForRequestParameters",
                    "Values for request parameters are invalid: accessTier.");
  }
  if (props.contains("minimumTlsVersion") &&
      !OneOf(props.value("minimumTlsVersion", ""), {"TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"})) {
    return ArmError(400, "InvalidValuesForRequestParameters",
                    "Values for request parameters are invalid: minimumTlsVersion.");
  }
  absl::Time now = call.world.Now();
  nlohmann::json p = {{"isHnsEnabled", false},
                      {"minimumTlsVersion", "TLS1_2"},
                      {"allowBlobPublicAccess", false},
                      {"allowSharedKeyAccess", true},
                      {"supportsHttpsTrafficOnly", true},
                      {"publicNetworkAccess", "Enabled"},
                      {"allowCrossTenantReplication", false},
                      {"defaultToOAuthAuthentication", false},
                      {"networkAcls",
                       {{"bypass", "AzureServices"},
                        {"defaultAction", "Allow"},
                        {"ipRules", nlohmann::json::array()},
                        {"virtualNetworkRules", nlohmann::json::array()}}},
                      {"encryption",
                       {{"services",
                         {{"blob", {{"keyType", "Account"}, {"enabled", true}}},
                          {"file", {{"keyType", "Account"}, {"enabled", true}}}}},
                        {"keySource", "Microsoft.Storage"},
                        {"requireInfrastructureEncryption", false}}}};
  if (kind == "StorageV2" || kind == "BlobStorage") p["accessTier"] = "Hot";
  for (auto& [k, v] : props.items()) p[k] = v;
  if (existing != nullptr) {
    const nlohmann::json& old = (*existing)["properties"];
    if (p["isHnsEnabled"] != old.value("isHnsEnabled", false)) {
      return ArmError(400, "PropertyChangeNotAllowed",
                      "Changing property 'isHnsEnabled' is not allowed: hierarchical namespace is "
                      "set when the account is created.");
    }
    if (Lower(existing->value("location", location)) != Lower(location)) {
      return ArmError(409, "InvalidResourceLocation",
                      "The resource '" + name + "' already exists in location '" +
                          (*existing).value("location", "") +
                          "'. A resource with the same name "
                          "cannot be created in location '" +
                          location + "'.");
    }
    for (const char* keep : {"provisioningState", "creationTime", "keyCreationTime"}) {
      if (old.contains(keep)) p[keep] = old[keep];
    }
  } else {
    p["provisioningState"] = "Creating";
    p["creationTime"] = IsoTime(now);
    p["keyCreationTime"] = {{"key1", IsoTime(now)}, {"key2", IsoTime(now)}};
  }
  p["primaryEndpoints"] = Endpoints(name);
  p["primaryLocation"] = location;
  p["statusOfPrimary"] = "available";
  *out = {{"id", id},
          {"name", name},
          {"type", kType},
          {"location", location},
          {"kind", kind},
          {"sku", {{"name", sku}, {"tier", SkuTier(sku)}}},
          {"tags", body.contains("tags") && body["tags"].is_object() ? body["tags"]
                                                                     : nlohmann::json::object()},
          {"properties", p}};
  if (body.contains("identity")) (*out)["identity"] = body["identity"];
  // Edge zones: kept as sent ({"name","type":"EdgeZone"}).
  if (body.contains("extendedLocation") && body["extendedLocation"].is_object()) {
    (*out)["extendedLocation"] = body["extendedLocation"];
  }
  DeriveAccountProperties(*out, now);
  return ArmEmpty(0);
}

nlohmann::json ContainerBody(const std::string& id, const std::string& name) {
  return {{"id", id},
          {"name", name},
          {"type", "Microsoft.Storage/storageAccounts/blobServices/containers"},
          {"etag", "\"0x8D" + RandomHex(6) + "\""},
          {"properties",
           {{"publicAccess", "None"},
            {"metadata", nlohmann::json::object()},
            {"leaseStatus", "Unlocked"},
            {"leaseState", "Available"},
            {"hasImmutabilityPolicy", false},
            {"hasLegalHold", false},
            {"deleted", false},
            {"remainingRetentionDays", 0},
            {"defaultEncryptionScope", "$account-encryption-key"},
            {"denyEncryptionScopeOverride", false}}}};
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleContainers(ArmCall& call, nlohmann::json& account,
                          const std::string& account_id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  // l[8] == "blobservices", l[9] == "default"
  if (l.size() < 10 || l[8] != "blobservices" || l[9] != "default") {
    return ArmError(404, "InvalidResourceType", "Unsupported storage path " + call.req.path);
  }
  std::string service_id = account_id + "/blobServices/default";
  if (l.size() == 10) {
    nlohmann::json& meta = account["meta"];
    if (!meta.contains("blob_service")) {
      meta["blob_service"] = {{"deleteRetentionPolicy", {{"enabled", false}}},
                              {"containerDeleteRetentionPolicy", {{"enabled", false}}},
                              {"isVersioningEnabled", false},
                              {"cors", {{"corsRules", nlohmann::json::array()}}}};
    }
    if (m == "PUT" || m == "PATCH") {
      auto body = call.Body();
      if (!body.ok()) return BadBody(body.status());
      if (body->contains("properties") && (*body)["properties"].is_object()) {
        for (auto& [k, v] : (*body)["properties"].items()) meta["blob_service"][k] = v;
      }
      world.MarkDirty();
    } else if (m != "GET") {
      return ArmError(405, "MethodNotAllowed", "Use GET or PUT on blob service properties.");
    }
    return ArmJson(200, {{"id", service_id},
                         {"name", "default"},
                         {"type", "Microsoft.Storage/storageAccounts/blobServices"},
                         {"sku", account["body"]["sku"]},
                         {"properties", meta["blob_service"]}});
  }
  if (l[10] != "containers" || l.size() > 12) {
    return ArmError(404, "InvalidResourceType", "Unsupported storage path " + call.req.path);
  }
  if (l.size() == 11) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list containers.");
    std::vector<nlohmann::json> items;
    for (const auto& key : ResourceIdsUnder(world, service_id + "/containers")) {
      items.push_back((*FindResource(world, key))["body"]);
    }
    return ArmList(call, items);
  }
  const std::string& name = call.seg[11];
  std::string id = service_id + "/containers/" + name;
  nlohmann::json* existing = FindResource(world, id);
  if (m == "GET") {
    if (existing == nullptr) {
      return ArmError(404, "ContainerNotFound", "The specified container does not exist.");
    }
    return ArmJson(200, (*existing)["body"]);
  }
  if (m == "DELETE") {
    if (existing == nullptr) return ArmEmpty(204);
    EraseResource(world, id);
    return ArmEmpty(200);
  }
  if (m != "PUT" && m != "PATCH") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (m == "PATCH" && existing == nullptr) {
    return ArmError(404, "ContainerNotFound", "The specified container does not exist.");
  }
  if (!ValidContainerName(name)) {
    return ArmError(400, "ContainerOperationFailure",
                    "The specified resource name contains invalid characters or length: container "
                    "names are 3-63 lower-case letters, digits and single hyphens.");
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  nlohmann::json props = body->contains("properties") && (*body)["properties"].is_object()
                             ? (*body)["properties"]
                             : nlohmann::json::object();
  std::string access = props.value("publicAccess", "None");
  if (!OneOf(access, {"None", "Blob", "Container"})) {
    return ArmError(400, "InvalidValuesForRequestParameters",
                    "publicAccess must be None, Blob or Container.");
  }
  if (access != "None" && !account["body"]["properties"].value("allowBlobPublicAccess", false)) {
    return ArmError(409, "PublicAccessNotPermitted",
                    "Public access is not permitted on this storage account.");
  }
  bool created = existing == nullptr;
  nlohmann::json stored = created ? ContainerBody(id, name) : (*existing)["body"];
  if (m == "PUT") {
    stored["properties"]["publicAccess"] = access;
    stored["properties"]["metadata"] =
        props.contains("metadata") ? props["metadata"] : nlohmann::json::object();
  } else {
    for (auto& [k, v] : props.items()) stored["properties"][k] = v;
  }
  stored["properties"]["lastModifiedTime"] = IsoTime(world.Now());
  stored["etag"] = "\"0x8D" + RandomHex(6) + "\"";
  PutResource(world, id, stored);
  return ArmJson(created ? 201 : 200, stored);
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleStorage(ArmCall& call) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  // Subscription scope: /subscriptions/{s}/providers/Microsoft.Storage/...
  if (l[2] == "providers") {
    if (l.size() == 5 && l[4] == "storageaccounts" && m == "GET") {
      std::vector<nlohmann::json> items;
      for (auto& [key, slot] : world.Section("resources").items()) {
        if (Lower(slot["body"].value("type", "")) == Lower(kType)) items.push_back(slot["body"]);
      }
      return ArmList(call, items);
    }
    if (l.size() == 5 && l[4] == "checknameavailability" && m == "POST") {
      auto body = call.Body();
      if (!body.ok()) return BadBody(body.status());
      std::string name = body->value("name", "");
      if (!ValidAccountName(name)) {
        return ArmJson(200, {{"nameAvailable", false},
                             {"reason", "AccountNameInvalid"},
                             {"message", name + " is not a valid storage account name. Storage "
                                                "account name must be between 3 and 24 characters "
                                                "in length and use numbers and lower-case letters "
                                                "only."}});
      }
      if (FindAccountByName(world, name, nullptr) != nullptr) {
        return ArmJson(200,
                       {{"nameAvailable", false},
                        {"reason", "AlreadyExists"},
                        {"message", "The storage account named " + name + " is already taken."}});
      }
      return ArmJson(200, {{"nameAvailable", true}});
    }
    return ArmError(404, "InvalidResourceType", "Unsupported storage path " + call.req.path);
  }
  // Resource group scope: l[4]=providers l[5]=microsoft.storage l[6]=storageaccounts
  if (l.size() < 7 || l[6] != "storageaccounts") {
    return ArmError(404, "InvalidResourceType", "Unsupported storage path " + call.req.path);
  }
  const std::string rg_name = (*FindResourceGroup(world, call.seg[3]))["name"];
  if (l.size() == 7) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "Use GET to list storage accounts.");
    std::string prefix = Lower((*FindResourceGroup(world, call.seg[3]))["id"].get<std::string>());
    std::vector<nlohmann::json> items;
    for (auto& [key, slot] : world.Section("resources").items()) {
      if (Lower(slot["body"].value("type", "")) == Lower(kType) &&
          absl::StartsWith(key, prefix + "/")) {
        items.push_back(slot["body"]);
      }
    }
    return ArmList(call, items);
  }
  const std::string name = call.seg[7];
  const std::string id =
      absl::StrCat("/subscriptions/", world.identity().subscription_id, "/resourceGroups/", rg_name,
                   "/providers/Microsoft.Storage/storageAccounts/", name);
  nlohmann::json* slot = FindResource(world, id);
  if (l.size() >= 9) {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    const std::string stored_id = (*slot)["body"]["id"];
    if (l.size() == 9 && m == "POST" && (l[8] == "listkeys" || l[8] == "regeneratekey")) {
      nlohmann::json& keys = (*slot)["meta"]["keys"];
      if (!keys.is_array()) keys = NewKeys(world.Now());
      if (l[8] == "regeneratekey") {
        auto body = call.Body();
        if (!body.ok()) return BadBody(body.status());
        std::string key_name = body->value("keyName", "");
        bool found = false;
        for (auto& k : keys) {
          if (k["keyName"] == key_name) {
            k["value"] = RandomBase64(64);
            k["creationTime"] = IsoTime(world.Now());
            (*slot)["body"]["properties"]["keyCreationTime"][key_name] = IsoTime(world.Now());
            found = true;
          }
        }
        if (!found) {
          return ArmError(400, "InvalidValuesForRequestParameters",
                          "keyName must be key1 or key2, got '" + key_name + "'.");
        }
        world.MarkDirty();
      }
      return ArmJson(200, {{"keys", keys}});
    }
    return HandleContainers(call, *slot, stored_id);
  }
  if (m == "GET") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    return ArmJson(200, (*slot)["body"]);
  }
  if (m == "DELETE") {
    if (slot == nullptr) return ArmEmpty(204);
    std::string stored_id = (*slot)["body"]["id"];
    for (const auto& key : ResourceIdsUnder(world, stored_id)) EraseResource(world, key);
    EraseResource(world, stored_id);
    return ArmEmpty(200);
  }
  if (m == "PATCH") {
    if (slot == nullptr) return ResourceNotFound(kType, name, rg_name);
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    std::string tag_error = ValidateTags(*body);
    if (!tag_error.empty()) return ArmError(400, "InvalidTag", tag_error);
    nlohmann::json& stored = (*slot)["body"];
    if (body->contains("properties") && (*body)["properties"].contains("isHnsEnabled") &&
        (*body)["properties"]["isHnsEnabled"] !=
            stored["properties"].value("isHnsEnabled", false)) {
      return ArmError(400, "PropertyChangeNotAllowed",
                      "Changing property 'isHnsEnabled' is not allowed: hierarchical namespace is "
                      "set when the account is created.");
    }
    nlohmann::json patch = *body;
    if (patch.contains("sku") && patch["sku"].is_object()) {
      patch["sku"]["tier"] = SkuTier(patch["sku"].value("name", ""));
    }
    patch.erase("extendedLocation");  // set at creation only
    MergePatch(stored, patch);
    DeriveAccountProperties(stored, world.Now());
    world.MarkDirty();
    return ArmJson(200, stored);
  }
  if (m != "PUT") return ArmError(405, "MethodNotAllowed", "Method not allowed.");
  if (!ValidAccountName(name)) {
    return ArmError(400, "AccountNameInvalid",
                    name +
                        " is not a valid storage account name. Storage account name must be "
                        "between 3 and 24 characters in length and use numbers and lower-case "
                        "letters only.");
  }
  std::string other_key;
  if (slot == nullptr && FindAccountByName(world, name, &other_key) != nullptr) {
    return ArmError(409, "StorageAccountAlreadyTaken",
                    "The storage account named " + name + " is already taken.");
  }
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  nlohmann::json account;
  Response invalid =
      BuildAccount(call, slot != nullptr ? (*slot)["body"]["id"].get<std::string>() : id, name,
                   *body, slot != nullptr ? &(*slot)["body"] : nullptr, &account);
  if (invalid.status != 0) return invalid;
  if (slot != nullptr) {
    (*slot)["body"] = account;
    world.MarkDirty();
    return ArmJson(200, account);
  }
  nlohmann::json& stored = PutResource(world, id, account);
  stored["meta"]["keys"] = NewKeys(world.Now());
  std::string op = StartOperation(world, "storage_create", id, kCreateDuration);
  Response r = ArmEmpty(202);
  r.headers["Location"] = absl::StrCat(
      call.base_url, "/subscriptions/", world.identity().subscription_id,
      "/providers/Microsoft.Storage/locations/", Lower(account["location"].get<std::string>()),
      "/asyncoperations/", op, "?monitor=true&api-version=", call.api_version);
  r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(world, op));
  return r;
}

void CompleteStorageCreate(World& world, const nlohmann::json& op)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  nlohmann::json* slot = FindResource(world, op["resource_id"]);
  if (slot == nullptr) return;
  (*slot)["body"]["properties"]["provisioningState"] = "Succeeded";
  world.MarkDirty();
}

}  // namespace envctl::cloudsim
