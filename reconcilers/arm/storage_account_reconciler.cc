#include "reconcilers/arm/storage_account_reconciler.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/arm/storage_accounts.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using nlohmann::json;

std::string What(const envctl::v1::StorageAccountSpec& spec) {
  return absl::StrCat("storage account \"", spec.account_name(), "\"");
}

std::string ContainerPath(const std::string& name) {
  return absl::StrCat("containers[name=", name, "]");
}

bool IsPublic(const std::string& access) {
  return !access.empty() && !absl::EqualsIgnoreCase(access, "None");
}

std::string Or(const std::string& value, const char* fallback) {
  return value.empty() ? fallback : value;
}

struct Desired {
  std::string group;
  std::string location;
  // The full create body: {location, sku, kind, properties, tags}.
  json account;
  // Container name -> {"properties": {"publicAccess", "metadata"}}.
  std::map<std::string, json> containers;
};

absl::StatusOr<Desired> BuildDesired(const Context& ctx) {
  const auto& spec = ctx.resource.storage_account();
  Desired d;
  ASSIGN_OR_RETURN(d.group, ResourceGroupName(ctx.environment, spec.resource_group()));
  d.location = LocationOr(ctx.environment, spec.location());
  const std::string sku = Or(spec.sku(), "Standard_LRS");
  const std::string kind = Or(spec.kind(), "StorageV2");
  bool any_public = false;
  for (const auto& c : spec.containers()) {
    json metadata = json::object();
    for (const auto& [k, v] : c.metadata()) metadata[k] = v;
    const std::string access = Or(c.public_access(), "None");
    any_public |= IsPublic(access);
    d.containers[c.name()] = {{"properties", {{"publicAccess", access}, {"metadata", metadata}}}};
  }
  json props = {{"isHnsEnabled", spec.hierarchical_namespace()},
                {"minimumTlsVersion", Or(spec.minimum_tls_version(), "TLS1_2")},
                {"supportsHttpsTrafficOnly", true},
                {"allowBlobPublicAccess", any_public}};
  // Access tiers exist only for general-purpose v2 and blob accounts on standard skus
  // (premium accounts report "Premium", which is not a choice).
  const bool tiered =
      (absl::EqualsIgnoreCase(kind, "StorageV2") || absl::EqualsIgnoreCase(kind, "BlobStorage")) &&
      !absl::StartsWithIgnoreCase(sku, "Premium");
  if (!spec.access_tier().empty() || tiered) props["accessTier"] = Or(spec.access_tier(), "Hot");
  d.account = {{"location", d.location},
               {"sku", {{"name", sku}}},
               {"kind", kind},
               {"properties", props},
               {"tags", ManagedTags(ctx.environment, ctx.resource)}};
  return d;
}

// The mutable account-level fields of a body, with the service's defaults filled in for
// fields an older account may omit, so they compare like for like.
json Comparable(const json& account, const json& desired_props) {
  json props = account.value("properties", json::object());
  json out = {{"sku", {{"name", account.value("sku", json::object()).value("name", "")}}},
              {"properties", json::object()}};
  for (auto it = desired_props.begin(); it != desired_props.end(); ++it) {
    if (it.key() == "isHnsEnabled") continue;  // immutable, checked separately
    if (props.contains(it.key())) {
      out["properties"][it.key()] = props[it.key()];
    } else if (it.key() == "allowBlobPublicAccess") {
      out["properties"][it.key()] = false;
    } else if (it.key() == "supportsHttpsTrafficOnly") {
      out["properties"][it.key()] = true;
    }
  }
  return out;
}

json ContainerComparable(const json& container) {
  json props = container.value("properties", json::object());
  json metadata = props.value("metadata", json::object());
  if (!metadata.is_object()) metadata = json::object();
  return {{"properties",
           {{"publicAccess", props.value("publicAccess", std::string("None"))},
            {"metadata", metadata}}}};
}

bool DiffContainer(const std::string& name, const json& desired, const json& live,
                   std::vector<FieldChange>* out) {
  const std::string path = ContainerPath(name);
  DiffOptions access;
  access.case_insensitive_paths = {path + ".properties.publicAccess"};
  bool differs = DiffJson(json{{"publicAccess", desired["properties"]["publicAccess"]}},
                          json{{"publicAccess", live["properties"]["publicAccess"]}}, out, access,
                          path + ".properties");
  DiffOptions exact;
  exact.exact = true;
  differs |= DiffJson(desired["properties"]["metadata"], live["properties"]["metadata"], out, exact,
                      path + ".properties.metadata");
  return differs;
}

std::vector<std::string> PriorContainers(const PriorState& prior) {
  std::vector<std::string> names;
  if (!prior.memory.is_object()) return names;
  auto it = prior.memory.find("containers");
  if (it == prior.memory.end() || !it->is_array()) return names;
  for (const auto& n : *it) {
    if (n.is_string()) names.push_back(n.get<std::string>());
  }
  return names;
}

}  // namespace

std::string StorageAccountReconciler::KeyFingerprint(const json& account,
                                                     const std::string& key_name) {
  const json props = account.value("properties", json::object());
  std::string created;
  auto times = props.find("keyCreationTime");
  if (times != props.end() && times->is_object()) {
    auto t = times->find(key_name);
    if (t != times->end() && t->is_string()) created = t->get<std::string>();
  }
  if (created.empty()) created = props.value("creationTime", std::string("unknown"));
  return absl::StrCat(key_name, "@", created);
}

std::string StorageAccountReconciler::ConnectionString(const json& account,
                                                       const std::string& key) {
  const std::string name = account.value("name", "");
  const json endpoints =
      account.value("properties", json::object()).value("primaryEndpoints", json::object());
  std::string blob = endpoints.value("blob", "");
  const std::string prefix = absl::StrCat("https://", name, ".blob.");
  std::string out =
      absl::StrCat("DefaultEndpointsProtocol=https;AccountName=", name, ";AccountKey=", key);
  if (absl::StartsWith(blob, prefix)) {
    std::string suffix = blob.substr(prefix.size());
    if (absl::EndsWith(suffix, "/")) suffix.pop_back();
    return absl::StrCat(out, ";EndpointSuffix=", suffix);
  }
  absl::StrAppend(&out, ";BlobEndpoint=", blob);
  if (endpoints.contains("dfs")) absl::StrAppend(&out, ";DfsEndpoint=", endpoints.value("dfs", ""));
  return out;
}

StorageAccountReconciler::StorageAccountReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                                   std::string default_subscription)
    : arm_(std::move(arm)), default_subscription_(std::move(default_subscription)) {}

namespace {

// Publishes id, dfsEndpoint and the lazy key outputs of a live account.
void PublishOutputs(Context& ctx, std::shared_ptr<const cloud::arm::ArmClient> arm,
                    const std::string& subscription, const std::string& group, const json& live) {
  const std::string& r = ctx.resource.name();
  const std::string account = live.value("name", ctx.resource.storage_account().account_name());
  OutputValue id;
  id.value = live.value("id", "");
  ctx.outputs.Set(r, "id", id);
  OutputValue dfs;
  dfs.value = live.value("properties", json::object())
                  .value("primaryEndpoints", json::object())
                  .value("dfs", "");
  ctx.outputs.Set(r, "dfsEndpoint", dfs);

  // key output name -> (key name, whether the value is a connection string)
  const std::vector<std::tuple<std::string, std::string, bool>> secrets = {
      {"primaryKey", "key1", false},
      {"secondaryKey", "key2", false},
      {"connectionString", "key1", true}};
  for (const auto& [output, key_name, connection] : secrets) {
    OutputValue v;
    v.sensitive = true;
    v.fingerprint = StorageAccountReconciler::KeyFingerprint(live, key_name);
    const std::string fingerprint = v.fingerprint;
    v.mint = [arm, subscription, group, account, live, key_name = key_name, connection = connection,
              fingerprint]() -> absl::StatusOr<OutputValue> {
      cloud::arm::StorageAccountsClient accounts(*arm, subscription);
      absl::StatusOr<std::vector<cloud::arm::StorageKey>> keys = accounts.ListKeys(group, account);
      if (!keys.ok()) {
        return Annotate(keys.status(), absl::StrCat("storage account \"", account, "\": listKeys"));
      }
      for (const auto& k : *keys) {
        if (k.name != key_name) continue;
        OutputValue out;
        out.sensitive = true;
        // The fingerprint Plan published, so consumers record what their next Plan compares.
        out.fingerprint = fingerprint;
        out.value =
            connection ? StorageAccountReconciler::ConnectionString(live, k.value) : k.value;
        return out;
      }
      return absl::InternalError(
          absl::StrCat("storage account \"", account, "\": listKeys returned no ", key_name));
    };
    ctx.outputs.Set(r, output, std::move(v));
  }
}

}  // namespace

absl::StatusOr<Change> StorageAccountReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.storage_account();
  ASSIGN_OR_RETURN(Desired d, BuildDesired(ctx));
  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  cloud::arm::StorageAccountsClient accounts(*arm_, subscription);
  Change change;
  json container_ops = json::object();
  json live_containers = json::object();
  absl::StatusOr<json> live = ctx.outputs.reads().ReadInside(
      spec.resource_group(), [&] { return accounts.Get(d.group, spec.account_name()); });
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    change.fields = CreateFields(d.account);
    for (const auto& [name, body] : d.containers) {
      change.fields.push_back(
          {ContainerPath(name), RenderValue(nullptr), RenderValue(body), false});
      container_ops[name] = "create";
    }
    change.observed = {{"containers", container_ops}};
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  change.external_id = live->value("id", "");
  change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
  PublishOutputs(ctx, arm_, subscription, d.group, *live);

  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), d.location));
  const std::string live_kind = live->value("kind", "");
  if (!absl::EqualsIgnoreCase(live_kind, d.account["kind"].get<std::string>())) {
    return ImmutableFieldError(What(spec), "kind", live_kind, d.account["kind"],
                               "delete the account and let envctl recreate it, or set kind back");
  }
  const bool live_hns = live->value("properties", json::object()).value("isHnsEnabled", false);
  if (live_hns != spec.hierarchical_namespace()) {
    return ImmutableFieldError(What(spec), "properties.isHnsEnabled", live_hns ? "true" : "false",
                               spec.hierarchical_namespace() ? "true" : "false",
                               "hierarchical namespace is chosen at creation; set "
                               "hierarchicalNamespace back or recreate the account");
  }
  DiffOptions options;
  options.case_insensitive_paths = {"sku.name", "properties.accessTier",
                                    "properties.minimumTlsVersion"};
  const json desired_cmp = {
      {"sku", d.account["sku"]},
      {"properties", Comparable(d.account, d.account["properties"])["properties"]}};
  std::vector<FieldChange> account_fields;
  DiffJson(desired_cmp, Comparable(*live, d.account["properties"]), &account_fields, options);
  DiffTags(d.account["tags"], LiveTags(*live), &account_fields);
  bool account_update = !account_fields.empty();
  change.fields = account_fields;

  for (const auto& [name, body] : d.containers) {
    absl::StatusOr<json> c = accounts.GetContainer(d.group, spec.account_name(), name);
    if (absl::IsNotFound(c.status())) {
      change.fields.push_back(
          {ContainerPath(name), RenderValue(nullptr), RenderValue(body), false});
      container_ops[name] = "create";
      continue;
    }
    if (!c.ok())
      return Annotate(c.status(), absl::StrCat(What(spec), ": container \"", name, "\""));
    if (DiffContainer(name, body, ContainerComparable(*c), &change.fields)) {
      container_ops[name] = "update";
      live_containers[name] = ContainerComparable(*c);
    }
  }
  for (const std::string& name : PriorContainers(ctx.prior)) {
    if (d.containers.count(name)) continue;
    absl::StatusOr<json> c = accounts.GetContainer(d.group, spec.account_name(), name);
    if (absl::IsNotFound(c.status())) continue;
    if (!c.ok())
      return Annotate(c.status(), absl::StrCat(What(spec), ": container \"", name, "\""));
    change.fields.push_back(
        {ContainerPath(name), RenderValue(ContainerComparable(*c)), RenderValue(nullptr), false});
    container_ops[name] = "delete";
  }
  change.observed = {{"account", *live},
                     {"account_update", account_update},
                     {"containers", container_ops},
                     {"live_containers", live_containers}};
  if (!change.fields.empty()) change.action = Action::kUpdate;
  return change;
}

absl::StatusOr<ApplyResult> StorageAccountReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.storage_account();
  ASSIGN_OR_RETURN(Desired d, BuildDesired(ctx));
  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  cloud::arm::StorageAccountsClient accounts(*arm_, subscription);
  absl::StatusOr<json> live;
  if (!change.exists) {
    live = accounts.Create(d.group, spec.account_name(), d.account);
  } else if (AnyFieldUnder(change.fields, "sku") || AnyFieldUnder(change.fields, "properties") ||
             AnyFieldUnder(change.fields, "tags")) {
    // PATCH only what may change; kind, location and isHnsEnabled are create-time only.
    // Ignored paths go back with their live values (the PATCH replaces the tags map).
    json props = d.account["properties"];
    props.erase("isHnsEnabled");
    json patch = {{"sku", d.account["sku"]}, {"tags", d.account["tags"]}, {"properties", props}};
    KeepIgnoredLiveValues(change.ignored_paths, change.observed.value("account", json::object()),
                          &patch);
    live = accounts.Update(d.group, spec.account_name(), patch);
  } else {
    live = change.observed["account"];
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  // A new account carries nothing yet (role assignments at it, ...).
  if (!change.exists) ctx.outputs.reads().MarkCreated(ctx.resource.name());

  const json ops = change.observed.value("containers", json::object());
  for (auto it = ops.begin(); it != ops.end(); ++it) {
    const std::string& name = it.key();
    const std::string op = it.value().get<std::string>();
    const std::string what = absl::StrCat(What(spec), ": container \"", name, "\"");
    // Only what is left after ignoreDifferences.
    if (change.exists && !AnyFieldUnder(change.fields, ContainerPath(name))) continue;
    if (op == "delete") {
      RETURN_IF_ERROR(Annotate(accounts.DeleteContainer(d.group, spec.account_name(), name), what));
      continue;
    }
    auto desired = d.containers.find(name);
    if (desired == d.containers.end()) continue;
    json body = desired->second;
    if (op == "update") {
      // Ignored paths inside the container keep their live values.
      KeepIgnoredLiveValues(
          change.ignored_paths,
          change.observed.value("live_containers", json::object()).value(name, json::object()),
          &body, ContainerPath(name));
    }
    absl::StatusOr<json> c =
        op == "create" ? accounts.PutContainer(d.group, spec.account_name(), name, body)
                       : accounts.UpdateContainer(d.group, spec.account_name(), name, body);
    if (!c.ok()) return Annotate(c.status(), what);
  }

  PublishOutputs(ctx, arm_, subscription, d.group, *live);
  ApplyResult result;
  result.external_id = live->value("id", accounts.Id(d.group, spec.account_name()));
  json names = json::array();
  for (const auto& [name, body] : d.containers) names.push_back(name);
  result.memory = {{"containers", names}, {"resourceGroup", d.group}};
  return result;
}

absl::Status StorageAccountReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.storage_account();
  ASSIGN_OR_RETURN(std::string group, GroupForDelete(ctx, spec.resource_group()));
  cloud::arm::StorageAccountsClient accounts(
      *arm_, SubscriptionFor(ctx.environment, default_subscription_));
  absl::StatusOr<json> live = accounts.Get(group, spec.account_name());
  if (absl::IsNotFound(live.status())) return absl::OkStatus();
  if (!live.ok()) return Annotate(live.status(), What(spec));
  RETURN_IF_ERROR(CheckDeletable(What(spec), *live, ctx.environment));
  return Annotate(accounts.Delete(group, spec.account_name()), What(spec));
}

}  // namespace envctl::reconcilers::arm
