#include "reconcilers/databricks/secret_scope_reconciler.h"

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/databricks/databricks_client.h"
#include "cloud/databricks/secrets_api.h"
#include "common/status_macros.h"
#include "reconcilers/databricks/workspace_ref.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {
namespace {

using cloud::databricks::DatabricksClient;
using cloud::databricks::KeyVaultBackend;
using cloud::databricks::SecretsApi;
using cloud::databricks::SecretScope;

std::string Describe(const envctl::v1::DatabricksSecretScopeSpec& spec) {
  return absl::StrCat("secret scope ", spec.scope_name());
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The Key Vault backend the spec asks for, from the KeyVault resource's outputs.
absl::StatusOr<std::optional<KeyVaultBackend>> DesiredBackend(const Context& ctx) {
  const auto& spec = ctx.resource.databricks_secret_scope();
  if (spec.key_vault().empty()) return std::optional<KeyVaultBackend>();
  auto id = ctx.outputs.Get(spec.key_vault(), "id");
  auto uri = ctx.outputs.Get(spec.key_vault(), "vaultUri");
  if (!id || !uri) {
    return KnownAfterApplyError(absl::StrCat("output ", spec.key_vault(), ".",
                                             !id ? "id" : "vaultUri",
                                             " is not known yet (known after apply)"));
  }
  // Databricks documents the DNS name with a trailing slash.
  return std::optional<KeyVaultBackend>(KeyVaultBackend{id->value, TrimSlash(uri->value) + "/"});
}

const nlohmann::json& MemoryOf(const PriorState& prior, const char* key) {
  static const nlohmann::json* none = new nlohmann::json(nlohmann::json::object());
  if (!prior.memory.is_object() || !prior.memory.contains(key)) return *none;
  return prior.memory[key];
}

std::string Upper(const std::string& s) { return absl::AsciiStrToUpper(s); }

// The fingerprint to record for a value written from `source`: the published one unless
// the minted value brings its own (see KeyVaultSecretReconciler).
std::string FingerprintFor(const absl::StatusOr<OutputValue>& published, const OutputValue& value) {
  if (value.fingerprint.empty() && published.ok() && !published->fingerprint.empty()) {
    return published->fingerprint;
  }
  return value.Fingerprint();
}

}  // namespace

absl::StatusOr<Change> DatabricksSecretScopeReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.databricks_secret_scope();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(std::optional<KeyVaultBackend> backend, DesiredBackend(ctx));
  if (backend && spec.secrets_size() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe(spec), ": a Key Vault-backed scope holds no secrets here; put them in vault ",
        spec.key_vault(), " (KeyVaultSecret) and remove `secrets`"));
  }
  DatabricksClient client(transport_, url);
  SecretsApi api(client);

  // A workspace created in this pass has no scopes.
  std::vector<SecretScope> scopes;
  if (!ctx.outputs.reads().CreatedInThisPass(spec.workspace())) {
    ASSIGN_OR_RETURN(scopes, WithContext(api.ListScopes(), "listing secret scopes"));
  }
  std::optional<SecretScope> live;
  for (const SecretScope& s : scopes) {
    if (absl::EqualsIgnoreCase(s.name, spec.scope_name())) live = s;
  }

  Change change;
  nlohmann::json puts = nlohmann::json::array();
  nlohmann::json deletes = nlohmann::json::array();
  nlohmann::json acl_puts = nlohmann::json::array();
  nlohmann::json acl_deletes = nlohmann::json::array();
  const nlohmann::json& recorded = MemoryOf(ctx.prior, "secrets");
  const nlohmann::json& recorded_acls = MemoryOf(ctx.prior, "acls");

  std::map<std::string, int64_t> live_secrets;
  std::map<std::string, std::string> live_acls;
  if (live) {
    change.exists = true;
    const std::string want = backend ? "AZURE_KEYVAULT" : "DATABRICKS";
    if (!absl::EqualsIgnoreCase(live->backend_type, want)) {
      return absl::FailedPreconditionError(absl::StrCat(
          Describe(spec), " exists with backend ", live->backend_type, " but the spec wants ", want,
          "; envctl does not recreate scopes (their secrets would be lost): delete the scope or "
          "choose another scopeName"));
    }
    if (backend && live->keyvault &&
        (!absl::EqualsIgnoreCase(live->keyvault->resource_id, backend->resource_id) ||
         !absl::EqualsIgnoreCase(TrimSlash(live->keyvault->dns_name),
                                 TrimSlash(backend->dns_name)))) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(spec), " is backed by vault ", live->keyvault->resource_id,
                       " but the spec wants ", backend->resource_id,
                       "; the backend of a scope cannot change: delete the scope or "
                       "choose another scopeName"));
    }
    if (!backend) {
      ASSIGN_OR_RETURN(auto secrets, WithContext(api.ListSecrets(live->name), Describe(spec)));
      for (const auto& s : secrets) live_secrets[s.key] = s.last_updated_timestamp;
    }
    // ACLs are envctl's only where declared or declared before (to remove them); a scope
    // with neither costs no ACL listing.
    if (spec.acls_size() > 0 || (recorded_acls.is_array() && !recorded_acls.empty())) {
      ASSIGN_OR_RETURN(auto acls, WithContext(api.ListAcls(live->name), Describe(spec)));
      for (const auto& a : acls) live_acls[a.principal] = Upper(a.permission);
    }
  } else {
    change.fields.push_back(
        {"scope", "(none)", backend ? "(create, Key Vault-backed)" : "(create)"});
  }

  std::set<std::string> declared;
  for (const auto& secret : spec.secrets()) {
    declared.insert(secret.key());
    const std::string path = absl::StrCat("secrets[", secret.key(), "]");
    absl::StatusOr<OutputValue> source = ctx.outputs.Resolve(secret.value());
    if (!source.ok())
      return Annotate(source.status(), absl::StrCat(Describe(spec), " key ", secret.key()));
    const std::string fp = source->Fingerprint();
    const nlohmann::json mem = recorded.is_object() && recorded.contains(secret.key())
                                   ? recorded[secret.key()]
                                   : nlohmann::json();
    auto l = live_secrets.find(secret.key());
    if (l == live_secrets.end()) {
      change.fields.push_back({path, "(none)", absl::StrCat("(value of fingerprint ", fp, ")")});
    } else if (!mem.is_object()) {
      change.fields.push_back(
          {path, "(not written by envctl)", absl::StrCat("(value of fingerprint ", fp, ")")});
    } else if (!source->Holds(mem.value("fingerprint", ""))) {
      change.fields.push_back(
          {path, absl::StrCat("(value of fingerprint ", mem.value("fingerprint", ""), ")"),
           absl::StrCat("(value of fingerprint ", fp, ")")});
    } else if (l->second > mem.value("written_ms", int64_t{0})) {
      change.fields.push_back(
          {path, "(overwritten outside envctl)", absl::StrCat("(value of fingerprint ", fp, ")")});
    } else {
      continue;
    }
    puts.push_back(secret.key());
  }
  for (const auto& [key, ts] : live_secrets) {
    if (declared.count(key) || !recorded.is_object() || !recorded.contains(key)) continue;
    change.fields.push_back(
        {absl::StrCat("secrets[", key, "]"), "(exists)", "(delete: removed from the spec)"});
    deletes.push_back(key);
  }

  std::set<std::string> declared_acls;
  for (const auto& acl : spec.acls()) {
    declared_acls.insert(acl.principal());
    auto l = live_acls.find(acl.principal());
    const std::string want = Upper(acl.permission());
    if (l != live_acls.end() && l->second == want) continue;
    change.fields.push_back({absl::StrCat("acls[", acl.principal(), "]"),
                             l == live_acls.end() ? "(none)" : RenderValue(l->second),
                             RenderValue(want)});
    acl_puts.push_back({{"principal", acl.principal()}, {"permission", want}});
  }
  if (recorded_acls.is_array()) {
    for (const auto& p : recorded_acls) {
      const std::string principal = p.get<std::string>();
      if (declared_acls.count(principal) || !live_acls.count(principal)) continue;
      change.fields.push_back({absl::StrCat("acls[", principal, "]"),
                               RenderValue(live_acls[principal]),
                               "(delete: removed from the spec)"});
      acl_deletes.push_back(principal);
    }
  }

  change.observed = {{"create", !live},     {"scope", live ? live->name : spec.scope_name()},
                     {"puts", puts},        {"deletes", deletes},
                     {"aclPuts", acl_puts}, {"aclDeletes", acl_deletes}};
  if (live && change.fields.empty()) return change;
  change.action = live ? Action::kUpdate : Action::kCreate;
  change.reason = live ? "scope content differs" : "scope does not exist";
  return change;
}

namespace {

// OK when `scope` exists with the backend envctl asked for; FailedPrecondition otherwise.
absl::Status ScopeIsAsCreated(const SecretsApi& api, const std::string& scope,
                              const std::optional<KeyVaultBackend>& backend) {
  absl::StatusOr<std::vector<cloud::databricks::SecretScope>> scopes = api.ListScopes();
  if (!scopes.ok()) return scopes.status();
  for (const auto& s : *scopes) {
    if (s.name != scope) continue;
    const bool want_akv = backend.has_value();
    const bool is_akv = s.backend_type == "AZURE_KEYVAULT";
    if (want_akv == is_akv &&
        (!want_akv || (s.keyvault.has_value() &&
                       absl::EqualsIgnoreCase(s.keyvault->resource_id, backend->resource_id)))) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "secret scope \"", scope, "\" was created meanwhile by someone else with backend ",
        s.backend_type, "; envctl does not take it over (rename the scope or delete it)"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("secret scope \"", scope, "\" is said to exist but is not listed"));
}

}  // namespace

absl::StatusOr<ApplyResult> DatabricksSecretScopeReconciler::Apply(Context& ctx,
                                                                   const Change& change) {
  const auto& spec = ctx.resource.databricks_secret_scope();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  ASSIGN_OR_RETURN(std::optional<KeyVaultBackend> backend, DesiredBackend(ctx));
  DatabricksClient client(transport_, url);
  SecretsApi api(client);
  const nlohmann::json& obs = change.observed;
  const std::string scope = obs.value("scope", spec.scope_name());

  // Creating the scope and getting the values to write (a storage key is a listKeys
  // call) do not depend on each other: both at once, one round trip (and its retries)
  // fewer before the secrets are written. (A value that is minted, such as a rotated
  // token, is then minted even when the create fails; the next pass mints again.) The
  // future joins before anything it uses goes.
  std::future<absl::Status> creating;
  if (obs.value("create", false)) {
    creating = std::async(std::launch::async, [&api, &scope, &backend, &spec]() {
      absl::Status created = api.CreateScope(scope, backend, spec.initial_manage_principal());
      if (absl::IsAlreadyExists(created)) {
        // Observe saw no such scope: it is envctl's own (a retried create whose first answer
        // was lost) when its backend is the one asked for; otherwise someone else made it.
        created = ScopeIsAsCreated(api, scope, backend);
      }
      return Annotate(created, absl::StrCat("creating ", Describe(spec)));
    });
  }
  struct ToWrite {
    std::string key;
    absl::StatusOr<OutputValue> published;
    absl::StatusOr<OutputValue> value;
  };
  std::vector<ToWrite> to_write;
  for (const auto& secret : spec.secrets()) {
    const auto& puts = obs["puts"];
    if (std::find(puts.begin(), puts.end(), secret.key()) == puts.end()) continue;
    to_write.push_back({secret.key(), ctx.outputs.Resolve(secret.value()),
                        ctx.outputs.Materialize(secret.value())});
  }
  if (creating.valid()) RETURN_IF_ERROR(creating.get());

  nlohmann::json secrets = MemoryOf(ctx.prior, "secrets");
  if (!secrets.is_object()) secrets = nlohmann::json::object();
  std::set<std::string> written;
  for (const ToWrite& w : to_write) {
    if (!w.value.ok())
      return Annotate(w.value.status(), absl::StrCat(Describe(spec), " key ", w.key));
    absl::Status put = api.PutSecret(scope, w.key, w.value->value);
    RETURN_IF_ERROR(Annotate(put, absl::StrCat("writing key ", w.key, " of ", Describe(spec))));
    secrets[w.key] = {{"fingerprint", FingerprintFor(w.published, *w.value)}, {"written_ms", 0}};
    written.insert(w.key);
  }
  for (const auto& key : obs["deletes"]) {
    absl::Status s = api.DeleteSecret(scope, key.get<std::string>());
    if (!s.ok() && !absl::IsNotFound(s)) {
      return Annotate(
          s, absl::StrCat("deleting key ", key.get<std::string>(), " of ", Describe(spec)));
    }
    secrets.erase(key.get<std::string>());
  }
  for (const auto& acl : obs["aclPuts"]) {
    RETURN_IF_ERROR(Annotate(api.PutAcl(scope, acl["principal"], acl["permission"]),
                             absl::StrCat("setting ACL of ", acl["principal"].get<std::string>(),
                                          " on ", Describe(spec))));
  }
  for (const auto& principal : obs["aclDeletes"]) {
    absl::Status s = api.DeleteAcl(scope, principal.get<std::string>());
    if (!s.ok() && !absl::IsNotFound(s)) {
      return Annotate(s, absl::StrCat("deleting ACL of ", principal.get<std::string>(), " on ",
                                      Describe(spec)));
    }
  }
  if (!written.empty()) {
    // The service's own timestamp of our write: a later one means someone else wrote.
    ASSIGN_OR_RETURN(auto listed, WithContext(api.ListSecrets(scope), Describe(spec)));
    for (const auto& s : listed) {
      if (written.count(s.key)) secrets[s.key]["written_ms"] = s.last_updated_timestamp;
    }
  }
  nlohmann::json acls = nlohmann::json::array();
  for (const auto& acl : spec.acls()) acls.push_back(acl.principal());
  ApplyResult result;
  result.external_id = scope;
  result.memory = {{"secrets", secrets}, {"acls", acls}};
  return result;
}

absl::Status DatabricksSecretScopeReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.databricks_secret_scope();
  ASSIGN_OR_RETURN(std::string url, WorkspaceUrlOf(ctx.outputs, spec.workspace()));
  DatabricksClient client(transport_, url);
  SecretsApi api(client);
  absl::Status s = api.DeleteScope(spec.scope_name());
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return Annotate(s, absl::StrCat("deleting ", Describe(spec)));
}

}  // namespace envctl::reconcilers
