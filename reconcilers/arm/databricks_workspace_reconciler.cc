#include "reconcilers/arm/databricks_workspace_reconciler.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud/arm/databricks_workspaces.h"
#include "cloud/arm/resource_id.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/tokens_api.h"
#include "cloud/errors.h"
#include "common/status_macros.h"
#include "common/wait_observer.h"
#include "reconcilers/arm/arm_support.h"
#include "reconcilers/ignored_fields.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers::arm {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::TokenInfo;
using cloud::databricks::TokensApi;
using nlohmann::json;

std::string What(const envctl::v1::Resource& r) {
  const auto& spec = r.databricks_workspace();
  if (spec.has_provisioned()) {
    return absl::StrCat("databricks workspace \"", spec.provisioned().workspace_name(), "\"");
  }
  return absl::StrCat("databricks workspace ", spec.existing().workspace_url());
}

absl::Duration Lifetime(const envctl::v1::DatabricksWorkspaceSpec& spec) {
  if (!spec.has_token_lifetime()) return kDefaultTokenLifetime;
  absl::Duration d = absl::Seconds(spec.token_lifetime().seconds()) +
                     absl::Nanoseconds(spec.token_lifetime().nanos());
  return d > absl::ZeroDuration() ? d : kDefaultTokenLifetime;
}

// envctl's tokens in a workspace as Plan listed them (none for a workspace created in
// this pass), and how many resources read the token.
struct EnvctlTokens {
  std::vector<std::string> usable;  // not due for rotation, newest first
  std::vector<std::string> due;     // expired or in the renewal window
  // Each dependent holds one token, so at most this many stay valid: the newest ones. An
  // older usable token (the orphan of a crash between a mint and the write) is not current
  // and goes at the next mint.
  int readers = 1;

  std::string Newest() const { return usable.empty() ? "" : usable.front(); }
  // The tokens a dependent may hold and be current.
  std::vector<std::string> Current() const { return NewestUsable(std::max(readers, 1)); }
  std::vector<std::string> NewestUsable(int n) const {
    return {usable.begin(), usable.begin() + std::min<size_t>(usable.size(), std::max(n, 0))};
  }
};

// Sorts the tokens carrying `comment`: usable ones do not expire within `window` of `now`.
EnvctlTokens ClassifyTokens(const std::vector<TokenInfo>& tokens, const std::string& comment,
                            absl::Time now, absl::Duration window, int readers) {
  EnvctlTokens out;
  out.readers = readers;
  std::vector<std::pair<int64_t, std::string>> usable;  // (creation time, id)
  for (const auto& t : tokens) {
    if (t.comment != comment) continue;
    const bool never_expires = t.expiry_time <= 0;
    if (!never_expires && absl::FromUnixMillis(t.expiry_time) - now <= window) {
      out.due.push_back(t.token_id);
    } else {
      usable.emplace_back(t.creation_time, t.token_id);
    }
  }
  std::sort(usable.begin(), usable.end(), std::greater<>());
  for (auto& u : usable) out.usable.push_back(std::move(u.second));
  return out;
}

constexpr int kTokenCreateAttempts = 3;

// The `token` fingerprint while envctl has no usable token: no dependent holds it, so each
// plans a write and the first to write mints.
constexpr char kNoUsableToken[] = "new-token";

// token/create, then token/delete of every token Plan saw but the newest readers - 1 usable
// ones: those stay valid because another dependent, written in an earlier pass, may hold one
// (OutputValue::still_valid); the one minting now holds the new token.
// token/create is retried here, not by the transport (the service may have made a token
// whose answer was lost), after the Retry-After the service asked for. After a lost answer
// the tokens are listed, and such orphans (ours, neither known to Plan nor the one
// returned) are revoked too.
absl::StatusOr<OutputValue> MintToken(cloud::HttpTransport& transport, Clock& clock,
                                      const std::string& url, const std::string& comment,
                                      absl::Duration lifetime, const std::string& what,
                                      const EnvctlTokens& known) {
  DatabricksClient client(transport, url);
  TokensApi tokens(client);
  absl::StatusOr<cloud::databricks::CreatedToken> created;
  bool answer_lost = false;
  for (int attempt = 1;; ++attempt) {
    created = tokens.Create(absl::ToInt64Seconds(lifetime), comment);
    const bool again = !created.ok() && (absl::IsUnavailable(created.status()) ||
                                         absl::IsDeadlineExceeded(created.status()) ||
                                         absl::IsResourceExhausted(created.status()));
    if (!again || attempt >= kTokenCreateAttempts) break;
    answer_lost = true;
    // As long as the service asked (Retry-After), else a short backoff.
    absl::Duration wait = cloud::RetryAfter(created.status());
    if (wait <= absl::ZeroDuration()) wait = absl::Seconds(attempt);
    ScopedBlockingWait waiting;
    clock.SleepFor(wait);
  }
  if (!created.ok()) return Annotate(created.status(), absl::StrCat(what, ": token/create"));
  const std::vector<std::string> kept = known.NewestUsable(known.readers - 1);
  std::vector<std::string> revoke = known.due;
  revoke.insert(revoke.end(), known.usable.begin() + kept.size(), known.usable.end());
  if (answer_lost) {
    absl::StatusOr<std::vector<TokenInfo>> all = tokens.List();
    if (all.ok()) {
      for (const auto& t : *all) {
        const bool orphan =
            t.comment == comment && t.token_id != created->info.token_id &&
            std::find(known.usable.begin(), known.usable.end(), t.token_id) == known.usable.end() &&
            std::find(known.due.begin(), known.due.end(), t.token_id) == known.due.end();
        if (orphan) revoke.push_back(t.token_id);
      }
    }
  }
  // Best effort: the new token is valid whatever happens to the old ones.
  for (const std::string& id : revoke) (void)tokens.Delete(id);
  OutputValue v;
  v.value = std::move(created->token_value);
  v.sensitive = true;
  v.fingerprint = created->info.token_id;
  v.still_valid = kept;
  return v;
}

struct Provisioned {
  std::string group;
  std::string name;
  std::string location;
  std::string sku;
  std::string managed_group_id;
  json tags;
  json Body() const {
    return {{"location", location},
            {"sku", {{"name", sku}}},
            {"tags", tags},
            {"properties", {{"managedResourceGroupId", managed_group_id}}}};
  }
};

absl::StatusOr<Provisioned> DesiredProvisioned(const Context& ctx,
                                               const std::string& subscription) {
  const auto& p = ctx.resource.databricks_workspace().provisioned();
  Provisioned d;
  ASSIGN_OR_RETURN(d.group, ResourceGroupName(ctx.environment, p.resource_group()));
  d.name = p.workspace_name();
  d.location = LocationOr(ctx.environment, p.location());
  d.sku = absl::AsciiStrToLower(p.sku().empty() ? "premium" : p.sku());
  const std::string managed = p.managed_resource_group().empty()
                                  ? absl::StrCat("databricks-rg-", p.workspace_name())
                                  : p.managed_resource_group();
  d.managed_group_id = ResourceGroupId(subscription, managed);
  d.tags = ManagedTags(ctx.environment, ctx.resource);
  return d;
}

}  // namespace

std::string DatabricksWorkspaceReconciler::TokenComment(const envctl::v1::Environment& env,
                                                        const envctl::v1::Resource& resource) {
  return env.project().empty()
             ? absl::StrCat("envctl ", env.name(), "/", resource.name())
             : absl::StrCat("envctl ", env.project(), "/", env.name(), "/", resource.name());
}

DatabricksWorkspaceReconciler::DatabricksWorkspaceReconciler(
    std::shared_ptr<const cloud::arm::ArmClient> arm, std::string default_subscription,
    cloud::HttpTransport& databricks, Clock& clock)
    : arm_(std::move(arm)),
      default_subscription_(std::move(default_subscription)),
      databricks_(databricks),
      clock_(clock) {}

namespace {

// Publishes id and workspaceUrl.
void PublishLocation(Context& ctx, const std::string& id, const std::string& url) {
  OutputValue v;
  v.value = id;
  ctx.outputs.Set(ctx.resource.name(), "id", v);
  // Like Azure's properties.workspaceUrl: host (and port) without a scheme, so specs write
  // "https://${workspace.workspaceUrl}".
  v.value = std::string(absl::StripPrefix(absl::StripPrefix(url, "https://"), "http://"));
  while (!v.value.empty() && v.value.back() == '/') v.value.pop_back();
  ctx.outputs.Set(ctx.resource.name(), "workspaceUrl", v);
}

// Publishes the lazy `token` output: fingerprint = the newest usable token (kNoUsableToken
// when there is none), the current ones (EnvctlTokens::Current) still valid, and a mint for
// a dependent that must write (the value of an existing token cannot be read back). Nothing is
// minted here: a workspace whose token nobody consumes gets no token.
void PublishToken(Context& ctx, cloud::HttpTransport* transport, Clock* clock,
                  const std::string& url, const std::string& comment, absl::Duration lifetime,
                  const std::string& what, const EnvctlTokens& known) {
  OutputValue v;
  v.sensitive = true;
  v.fingerprint = known.usable.empty() ? kNoUsableToken : known.Newest();
  v.still_valid = known.Current();
  v.mint = [transport, clock, url, comment, lifetime, what, known]() {
    return MintToken(*transport, *clock, url, comment, lifetime, what, known);
  };
  ctx.outputs.Set(ctx.resource.name(), "token", std::move(v));
}

}  // namespace

absl::StatusOr<Change> DatabricksWorkspaceReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_workspace();
  const std::string what = What(ctx.resource);
  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  Change change;
  std::string id;
  std::string url;
  bool arm_update = false;
  bool sku_change = false;
  // The live sku and tags (what ignored paths keep on a write).
  json live_arm = json::object();
  if (spec.has_existing()) {
    if (spec.existing().workspace_url().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": existing.workspaceUrl is empty"));
    }
    id = spec.existing().resource_id();
    url = DatabricksClient::NormalizeWorkspaceUrl(spec.existing().workspace_url());
    change.exists = true;
  } else if (spec.has_provisioned()) {
    ASSIGN_OR_RETURN(Provisioned d, DesiredProvisioned(ctx, subscription));
    cloud::arm::DatabricksWorkspacesClient workspaces(*arm_, subscription);
    absl::StatusOr<json> live = ctx.outputs.reads().ReadInside(
        spec.provisioned().resource_group(), [&] { return workspaces.Get(d.group, d.name); });
    if (absl::IsNotFound(live.status())) {
      change.action = Action::kCreate;
      change.fields = CreateFields(d.Body());
      return change;
    }
    if (!live.ok()) return Annotate(live.status(), what);
    change.exists = true;
    change.foreign = !IsManagedBy(LiveTags(*live), ctx.environment);
    id = live->value("id", "");
    change.external_id = id;
    url = cloud::arm::DatabricksWorkspacesClient::WorkspaceUrl(*live);
    live_arm = {{"sku", live->value("sku", json::object())}, {"tags", LiveTags(*live)}};
    RETURN_IF_ERROR(CheckLocation(what, live->value("location", ""), d.location));
    const std::string live_managed =
        live->value("properties", json::object()).value("managedResourceGroupId", "");
    if (!cloud::arm::SameResourceId(live_managed, d.managed_group_id)) {
      return ImmutableFieldError(what, "properties.managedResourceGroupId", live_managed,
                                 d.managed_group_id,
                                 "set managedResourceGroup back, or recreate the workspace");
    }
    DiffOptions options;
    options.case_insensitive_paths = {"sku.name"};
    sku_change =
        DiffJson(json{{"sku", {{"name", d.sku}}}},
                 json{{"sku", {{"name", live->value("sku", json::object()).value("name", "")}}}},
                 &change.fields, options);
    arm_update = DiffTags(d.tags, LiveTags(*live), &change.fields) || sku_change;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        ctx.resource.name(), ": databricksWorkspace sets neither existing nor provisioned"));
  }
  PublishLocation(ctx, id, url);
  if (url.empty()) {
    return absl::UnavailableError(
        absl::StrCat(what, " has no workspaceUrl yet (still provisioning?)"));
  }

  // envctl's tokens: which still work, which are due for rotation.
  const std::string comment = TokenComment(ctx.environment, ctx.resource);
  const absl::Duration lifetime = Lifetime(spec);
  DatabricksClient client(databricks_, url);
  absl::StatusOr<std::vector<TokenInfo>> tokens = TokensApi(client).List();
  if (!tokens.ok()) return Annotate(tokens.status(), absl::StrCat(what, ": token/list"));
  const int readers = ReadersOfOutput(ctx.environment, ctx.resource.name(),
                                      [](const std::string& output) { return output == "token"; });
  const EnvctlTokens known = ClassifyTokens(*tokens, comment, clock_.Now(), lifetime / 3, readers);
  PublishToken(ctx, &databricks_, &clock_, url, comment, lifetime, what, known);
  if (!change.fields.empty()) change.action = Action::kUpdate;
  change.observed = {{"arm_update", arm_update},
                     {"sku_change", sku_change},
                     {"id", id},
                     {"url", url},
                     {"live", live_arm}};
  return change;
}

absl::StatusOr<ApplyResult> DatabricksWorkspaceReconciler::Apply(Context& ctx,
                                                                 const Change& change) {
  const auto& spec = ctx.resource.databricks_workspace();
  const std::string what = What(ctx.resource);
  const std::string subscription = SubscriptionFor(ctx.environment, default_subscription_);
  std::string id = change.observed.value("id", "");
  std::string url = change.observed.value("url", "");
  ApplyResult result;
  if (spec.has_provisioned()) {
    ASSIGN_OR_RETURN(Provisioned d, DesiredProvisioned(ctx, subscription));
    cloud::arm::DatabricksWorkspacesClient workspaces(*arm_, subscription);
    // Stays an empty object when no ARM write is needed.
    absl::StatusOr<json> live = json::object();
    // What is left after ignoreDifferences decides the write; ignored paths keep their
    // live values in it (the PUT and the tags PATCH replace what they carry).
    json body = d.Body();
    if (change.exists)
      KeepIgnoredLiveValues(change.ignored_paths, change.observed.value("live", json::object()),
                            &body);
    const bool sku_change =
        change.observed.value("sku_change", false) && AnyFieldUnder(change.fields, "sku");
    const bool tags_change =
        change.observed.value("arm_update", false) && AnyFieldUnder(change.fields, "tags");
    if (!change.exists || sku_change) {
      ctx.progress(change.exists ? "updating workspace sku" : "creating workspace (long-running)");
      live = workspaces.CreateOrUpdate(d.group, d.name, body);
    } else if (tags_change) {
      live = workspaces.UpdateTags(d.group, d.name, body.value("tags", json::object()));
    }
    if (!live.ok()) return Annotate(live.status(), what);
    // A new workspace holds no notebooks, jobs, scopes or files of envctl's yet: their
    // plans need not read them.
    if (!change.exists) ctx.outputs.reads().MarkCreated(ctx.resource.name());
    if (live->is_object() && !live->empty()) {
      id = live->value("id", id);
      std::string live_url = cloud::arm::DatabricksWorkspacesClient::WorkspaceUrl(*live);
      if (!live_url.empty()) url = live_url;
    }
    result.memory = {{"resourceGroup", d.group}};
  }
  if (url.empty()) {
    return absl::UnavailableError(absl::StrCat(what, " has no workspaceUrl after provisioning"));
  }
  PublishLocation(ctx, id, url);

  // A workspace created now has no token yet. An existing one keeps the token output its
  // Plan published in this pass: this Apply changed none of its tokens.
  if (!change.exists) {
    PublishToken(ctx, &databricks_, &clock_, url, TokenComment(ctx.environment, ctx.resource),
                 Lifetime(spec), what, EnvctlTokens{});
  }
  result.external_id = id.empty() ? url : id;
  return result;
}

absl::Status DatabricksWorkspaceReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_workspace();
  const std::string what = What(ctx.resource);
  if (spec.has_existing()) {
    // Not ours to delete: only revoke the tokens envctl made in it.
    const std::string comment = TokenComment(ctx.environment, ctx.resource);
    DatabricksClient client(databricks_, spec.existing().workspace_url());
    TokensApi tokens(client);
    absl::StatusOr<std::vector<TokenInfo>> all = tokens.List();
    if (!all.ok()) return Annotate(all.status(), absl::StrCat(what, ": token/list"));
    for (const auto& t : *all) {
      if (t.comment != comment) continue;
      absl::Status s = tokens.Delete(t.token_id);
      if (!s.ok() && !absl::IsNotFound(s)) return Annotate(s, absl::StrCat(what, ": token/delete"));
    }
    return absl::OkStatus();
  }
  const auto& p = spec.provisioned();
  ASSIGN_OR_RETURN(std::string group, GroupForDelete(ctx, p.resource_group()));
  cloud::arm::DatabricksWorkspacesClient workspaces(
      *arm_, SubscriptionFor(ctx.environment, default_subscription_));
  absl::StatusOr<json> live = workspaces.Get(group, p.workspace_name());
  if (absl::IsNotFound(live.status())) return absl::OkStatus();
  if (!live.ok()) return Annotate(live.status(), what);
  RETURN_IF_ERROR(CheckDeletable(what, *live, ctx.environment));
  return Annotate(workspaces.Delete(group, p.workspace_name()), what);
}

}  // namespace envctl::reconcilers::arm
