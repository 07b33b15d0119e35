#include "reconcilers/arm/key_vault_reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/arm/key_vaults.h"
#include "cloud/errors.h"
#include "common/status_macros.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using nlohmann::json;

constexpr int kDefaultRetentionDays = 90;

std::string What(const envctl::v1::KeyVaultSpec& spec) {
  return absl::StrCat("key vault \"", spec.vault_name(), "\"");
}

std::string PolicyPath(const std::string& object_id) {
  return absl::StrCat("properties.accessPolicies[objectId=", object_id, "]");
}

struct Desired {
  std::string group;
  std::string location;
  std::string sku;
  int retention = kDefaultRetentionDays;
  bool purge_protection = false;
  // Azure RBAC instead of access policies for the data plane.
  bool rbac = false;
  // Normalized policies without tenantId (the vault's tenant is added when writing).
  json policies = json::array();
  json tags;
};

json PermissionsOf(const envctl::v1::AccessPolicySpec& p) {
  json perms = json::object();
  auto add = [&perms](const char* category, const auto& list) {
    if (list.empty()) return;
    json values = json::array();
    for (const auto& v : list) values.push_back(v);
    perms[category] = values;
  };
  add("secrets", p.secret_permissions());
  add("keys", p.key_permissions());
  add("certificates", p.certificate_permissions());
  return perms;
}

// The policies with every entry's tenantId set to `tenant`.
json WithTenant(const json& policies, const std::string& tenant) {
  json out = json::array();
  for (json p : policies) {
    p["tenantId"] = tenant;
    out.push_back(p);
  }
  return out;
}

json PutBody(const Desired& d, const std::string& tenant) {
  json props = {{"tenantId", tenant},
                {"sku", {{"family", "A"}, {"name", d.sku}}},
                {"accessPolicies", WithTenant(d.policies, tenant)},
                {"enableSoftDelete", true},
                {"softDeleteRetentionInDays", d.retention},
                {"enableRbacAuthorization", d.rbac}};
  // Purge protection cannot be switched off, so false is never sent: omitting it keeps
  // a vault that has it as it is (Plan reports that as an error instead).
  if (d.purge_protection) props["enablePurgeProtection"] = true;
  return {{"location", d.location}, {"tags", d.tags}, {"properties", props}};
}

// Compares normalized policy lists keyed by object id.
void DiffPolicies(const json& desired, const json& live, std::vector<FieldChange>* out) {
  std::map<std::string, json> want;
  std::map<std::string, json> have;
  for (const auto& p : desired) want[p.value("objectId", "")] = p;
  for (const auto& p : live) have[p.value("objectId", "")] = p;
  for (const auto& [oid, d] : want) {
    auto l = have.find(oid);
    if (l == have.end()) {
      out->push_back({PolicyPath(oid), RenderValue(nullptr),
                      RenderValue(json{{"permissions", d["permissions"]}}), false});
      continue;
    }
    const std::string live_tenant = l->second.value("tenantId", "");
    const std::string want_tenant = d.value("tenantId", "");
    if (!want_tenant.empty() && live_tenant != want_tenant) {
      out->push_back({PolicyPath(oid) + ".tenantId", RenderValue(live_tenant),
                      RenderValue(want_tenant), false});
    }
    std::set<std::string> categories;
    for (auto it = d["permissions"].begin(); it != d["permissions"].end(); ++it)
      categories.insert(it.key());
    const json& lp = l->second["permissions"];
    for (auto it = lp.begin(); it != lp.end(); ++it) categories.insert(it.key());
    for (const std::string& c : categories) {
      json dv = d["permissions"].value(c, json::array());
      json lv = lp.value(c, json::array());
      if (dv != lv) {
        out->push_back({absl::StrCat(PolicyPath(oid), ".permissions.", c), RenderValue(lv),
                        RenderValue(dv), false});
      }
    }
  }
  for (const auto& [oid, l] : have) {
    if (want.count(oid)) continue;
    out->push_back({PolicyPath(oid), RenderValue(json{{"permissions", l["permissions"]}}),
                    RenderValue(nullptr), false});
  }
}

}  // namespace

json KeyVaultReconciler::NormalizePolicies(const json& policies) {
  // objectId -> (tenantId, category -> permissions)
  std::map<std::string, std::pair<std::string, std::map<std::string, std::set<std::string>>>>
      merged;
  if (policies.is_array()) {
    for (const auto& p : policies) {
      if (!p.is_object()) continue;
      const std::string oid = absl::AsciiStrToLower(p.value("objectId", ""));
      auto& entry = merged[oid];
      const std::string tenant = absl::AsciiStrToLower(p.value("tenantId", ""));
      if (!tenant.empty()) entry.first = tenant;
      const json perms = p.value("permissions", json::object());
      if (!perms.is_object()) continue;
      for (auto it = perms.begin(); it != perms.end(); ++it) {
        auto& set = entry.second[it.key()];
        if (!it.value().is_array()) continue;
        for (const auto& v : it.value()) {
          if (v.is_string()) set.insert(absl::AsciiStrToLower(v.get<std::string>()));
        }
      }
    }
  }
  json out = json::array();
  for (const auto& [oid, entry] : merged) {
    json perms = json::object();
    for (const auto& [category, values] : entry.second) {
      if (values.empty()) continue;
      perms[category] = json(std::vector<std::string>(values.begin(), values.end()));
    }
    json p = {{"objectId", oid}, {"permissions", perms}};
    if (!entry.first.empty()) p["tenantId"] = entry.first;
    out.push_back(p);
  }
  return out;
}

KeyVaultReconciler::KeyVaultReconciler(std::shared_ptr<const cloud::arm::ArmClient> arm,
                                       std::string default_subscription, std::string default_tenant,
                                       std::string deployer_object_id)
    : arm_(std::move(arm)),
      default_subscription_(std::move(default_subscription)),
      default_tenant_(std::move(default_tenant)),
      deployer_object_id_(std::move(deployer_object_id)) {}

namespace {

absl::StatusOr<std::string> ResolvePrincipal(const Context& ctx, const envctl::v1::PrincipalRef& p,
                                             const std::string& deployer, int index) {
  return PrincipalObjectId(ctx, p, deployer, absl::StrCat("accessPolicies[", index, "].principal"));
}

}  // namespace

absl::StatusOr<Change> KeyVaultReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.key_vault();
  Desired d;
  ASSIGN_OR_RETURN(d.group, ResourceGroupName(ctx.environment, spec.resource_group()));
  d.location = LocationOr(ctx.environment, spec.location());
  d.sku = absl::AsciiStrToLower(spec.sku().empty() ? "standard" : spec.sku());
  d.retention = spec.soft_delete_retention_days() > 0 ? spec.soft_delete_retention_days()
                                                      : kDefaultRetentionDays;
  d.purge_protection = spec.purge_protection();
  d.rbac = spec.enable_rbac_authorization();
  d.tags = ManagedTags(ctx.environment, ctx.resource);
  json policies = json::array();
  for (int i = 0; i < spec.access_policies_size(); ++i) {
    const auto& p = spec.access_policies(i);
    absl::StatusOr<std::string> oid = ResolvePrincipal(ctx, p.principal(), deployer_object_id_, i);
    if (!oid.ok()) return Annotate(oid.status(), What(spec));
    policies.push_back({{"objectId", *oid}, {"permissions", PermissionsOf(p)}});
  }
  d.policies = NormalizePolicies(policies);

  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  cloud::arm::KeyVaultsClient vaults(*arm_, subscription);
  const std::string tenant_default = ctx.environment.azure().tenant_id().empty()
                                         ? default_tenant_
                                         : ctx.environment.azure().tenant_id();
  Change change;
  absl::StatusOr<json> live = ctx.outputs.reads().ReadInside(
      spec.resource_group(), [&] { return vaults.Get(d.group, spec.vault_name()); });
  if (absl::IsNotFound(live.status())) {
    change.action = Action::kCreate;
    const json body = PutBody(d, tenant_default);
    change.fields = CreateFields(body);
    // Read-only: is the name held by a soft-deleted vault that Apply must recover? Not
    // asked in a group created in this pass (the vault's create comes right after): a
    // soft-deleted name makes that create answer 409 "deleted state", and Apply recovers
    // then, as for a vault deleted between Plan and Apply. A plan alone still asks.
    const bool soft_deleted = !ctx.outputs.reads().CreatedInThisPass(spec.resource_group()) &&
                              vaults.GetDeleted(d.location, spec.vault_name()).ok();
    if (soft_deleted) change.reason = "recover the soft-deleted vault of the same name";
    change.observed = {{"body", body}, {"soft_deleted", soft_deleted}};
    return change;
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  change.exists = true;
  change.external_id = live->value("id", "");
  change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
  const json& props = (*live)["properties"];
  OutputValue id;
  id.value = live->value("id", "");
  ctx.outputs.Set(ctx.resource.name(), "id", id);
  OutputValue uri;
  uri.value = cloud::arm::KeyVaultsClient::VaultUri(*live);
  ctx.outputs.Set(ctx.resource.name(), "vaultUri", uri);

  RETURN_IF_ERROR(CheckLocation(What(spec), live->value("location", ""), d.location));
  const int live_retention = props.value("softDeleteRetentionInDays", kDefaultRetentionDays);
  if (live_retention != d.retention) {
    return ImmutableFieldError(What(spec), "properties.softDeleteRetentionInDays",
                               std::to_string(live_retention), std::to_string(d.retention),
                               "retention is fixed when the vault is created; set "
                               "softDeleteRetentionDays back");
  }
  const bool live_purge = props.value("enablePurgeProtection", false);
  if (live_purge && !d.purge_protection) {
    return ImmutableFieldError(What(spec), "properties.enablePurgeProtection", "true", "false",
                               "purge protection can only be turned on; set purgeProtection: true");
  }
  const std::string tenant = props.value("tenantId", tenant_default);
  std::vector<FieldChange>& fields = change.fields;
  DiffOptions options;
  options.case_insensitive_paths = {"properties.sku.name"};
  json desired_cmp = {{"properties",
                       {{"sku", {{"name", d.sku}}},
                        {"enablePurgeProtection", d.purge_protection},
                        {"enableRbacAuthorization", d.rbac}}}};
  json live_cmp = {{"properties",
                    {{"sku", {{"name", props.value("sku", json::object()).value("name", "")}}},
                     {"enablePurgeProtection", live_purge},
                     {"enableRbacAuthorization", props.value("enableRbacAuthorization", false)}}}};
  DiffJson(desired_cmp, live_cmp, &fields, options);
  DiffTags(d.tags, LiveTags(*live), &fields);
  DiffPolicies(NormalizePolicies(WithTenant(d.policies, tenant)),
               NormalizePolicies(props.value("accessPolicies", json::array())), &fields);
  if (!fields.empty()) change.action = Action::kUpdate;
  change.observed = {{"body", PutBody(d, tenant)}, {"soft_deleted", false}, {"live", *live}};
  return change;
}

absl::StatusOr<ApplyResult> KeyVaultReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.key_vault();
  ASSIGN_OR_RETURN(std::string group, ResourceGroupName(ctx.environment, spec.resource_group()));
  cloud::arm::KeyVaultsClient vaults(*arm_,
                                     SubscriptionFor(ctx.environment, default_subscription_));
  json body = change.observed["body"];
  // The PUT replaces the vault's settings: ignored paths go back with their live values.
  if (change.exists)
    KeepIgnoredLiveValues(change.ignored_paths, change.observed.value("live", json::object()),
                          &body);
  // Recovers the soft-deleted vault: a PUT with createMode recover brings it back with its
  // old settings and secrets; the PUT below then makes it what the spec says.
  auto recover = [&]() -> absl::Status {
    ctx.progress("recovering soft-deleted vault");
    json r = {{"location", body["location"]},
              {"tags", body["tags"]},
              {"properties",
               {{"createMode", "recover"},
                {"tenantId", body["properties"]["tenantId"]},
                {"sku", body["properties"]["sku"]}}}};
    return vaults.CreateOrUpdate(group, spec.vault_name(), r).status();
  };
  bool recovered = false;
  if (!change.exists && change.observed.value("soft_deleted", false)) {
    RETURN_IF_ERROR(Annotate(recover(), What(spec)));
    recovered = true;
  }
  absl::StatusOr<json> live = vaults.CreateOrUpdate(group, spec.vault_name(), body);
  if (!change.exists && !live.ok() &&
      (cloud::ServiceErrorCode(live.status()) == "ConflictError" ||
       absl::StrContains(live.status().message(), "deleted state"))) {
    // Deleted between Plan and Apply.
    RETURN_IF_ERROR(Annotate(recover(), What(spec)));
    recovered = true;
    live = vaults.CreateOrUpdate(group, spec.vault_name(), body);
  }
  if (!live.ok()) return Annotate(live.status(), What(spec));
  // A vault made from nothing holds no secrets (a recovered one keeps its old ones): its
  // secrets' plans need not read them.
  if (!change.exists && !recovered) ctx.outputs.reads().MarkCreated(ctx.resource.name());
  OutputValue id;
  id.value = live->value("id", "");
  ctx.outputs.Set(ctx.resource.name(), "id", id);
  OutputValue uri;
  uri.value = cloud::arm::KeyVaultsClient::VaultUri(*live);
  ctx.outputs.Set(ctx.resource.name(), "vaultUri", uri);
  ApplyResult result;
  result.external_id = id.value;
  result.memory = {{"resourceGroup", group}, {"location", live->value("location", "")}};
  return result;
}

absl::Status KeyVaultReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.key_vault();
  ASSIGN_OR_RETURN(std::string group, GroupForDelete(ctx, spec.resource_group()));
  cloud::arm::KeyVaultsClient vaults(*arm_,
                                     SubscriptionFor(ctx.environment, default_subscription_));
  std::string location = ctx.prior.memory.is_object() ? ctx.prior.memory.value("location", "") : "";
  if (location.empty()) location = LocationOr(ctx.environment, spec.location());
  absl::StatusOr<json> live = vaults.Get(group, spec.vault_name());
  if (live.ok()) {
    RETURN_IF_ERROR(CheckDeletable(What(spec), *live, ctx.environment));
    location = live->value("location", location);
    RETURN_IF_ERROR(Annotate(vaults.Delete(group, spec.vault_name()), What(spec)));
  } else if (!absl::IsNotFound(live.status())) {
    return Annotate(live.status(), What(spec));
  }
  if (!spec.purge_on_delete()) return absl::OkStatus();
  if (!live.ok()) {
    // Already deleted (out of band): purge the soft-deleted leftover that still holds the
    // name, but only when its tags say it was this environment's.
    absl::StatusOr<json> deleted =
        vaults.GetDeleted(NormalizeLocation(location), spec.vault_name());
    if (absl::IsNotFound(deleted.status())) return absl::OkStatus();
    if (!deleted.ok()) return Annotate(deleted.status(), What(spec));
    const json props = deleted->value("properties", json::object());
    if (!IsManagedBy(props.value("tags", json::object()), ctx.environment)) return absl::OkStatus();
  }
  absl::Status purged = vaults.Purge(NormalizeLocation(location), spec.vault_name());
  if (absl::IsNotFound(purged)) return absl::OkStatus();
  return Annotate(purged, absl::StrCat(What(spec), ": purge"));
}

}  // namespace envctl::reconcilers::arm
