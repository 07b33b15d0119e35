#include "reconcilers/keyvault/secret_reconciler.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "cloud/errors.h"
#include "cloud/keyvault/secrets_client.h"
#include "common/status_macros.h"
#include "reconcilers/json_diff.h"
#include "reconcilers/support.h"

namespace envctl::reconcilers {
namespace {

using cloud::keyvault::SecretsClient;

std::string Describe(const envctl::v1::KeyVaultSecretSpec& spec) {
  return absl::StrCat("secret ", spec.secret_name(), " in vault ", spec.vault());
}

absl::StatusOr<std::string> VaultUri(const Context& ctx) {
  const auto& spec = ctx.resource.key_vault_secret();
  auto uri = ctx.outputs.Get(spec.vault(), "vaultUri");
  if (!uri || uri->value.empty()) {
    return KnownAfterApplyError(
        absl::StrCat("output ", spec.vault(), ".vaultUri is not known yet (known after apply)"));
  }
  return uri->value;
}

// Tags the secret must carry: the resource's tags, the managed-by markers and the
// source's fingerprint.
nlohmann::json DesiredTags(const Context& ctx, const std::string& fingerprint) {
  nlohmann::json tags = ManagedTags(ctx.environment, ctx.resource);
  tags[kSourceTag] = fingerprint;
  return tags;
}

nlohmann::json TagsJson(const std::map<std::string, std::string>& tags) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j;
}

bool IsSoftDeletedConflict(const absl::Status& s) {
  return cloud::ServiceInnerErrorCode(s) == "ObjectIsDeletedButRecoverable";
}

// How a soft-deleted secret can be brought back, judged from the vault's spec: the
// deployer's access policy (an RBAC vault or an unknown vault is assumed to allow recover).
enum class Repair { kRecover, kPurgeAndSet, kNone };

Repair RepairOf(const Context& ctx) {
  const envctl::v1::Resource* vault =
      FindResource(ctx.environment, ctx.resource.key_vault_secret().vault());
  if (vault == nullptr || !vault->has_key_vault() ||
      vault->key_vault().enable_rbac_authorization()) {
    return Repair::kRecover;
  }
  bool recover = false, purge = false, deployer = false;
  for (const auto& policy : vault->key_vault().access_policies()) {
    if (!policy.principal().deployer()) continue;
    deployer = true;
    for (const std::string& p : policy.secret_permissions()) {
      recover |= p == "recover" || p == "all";
      purge |= p == "purge" || p == "all";
    }
  }
  if (!deployer || recover) return Repair::kRecover;
  return purge ? Repair::kPurgeAndSet : Repair::kNone;
}

}  // namespace

absl::StatusOr<Change> KeyVaultSecretReconciler::Plan(Context& ctx) {
  const auto& spec = ctx.resource.key_vault_secret();
  ASSIGN_OR_RETURN(std::string vault_uri, VaultUri(ctx));
  SecretsClient client(transport_, vault_uri);
  Change change;

  // The source's fingerprint may be unknown while its producer is still to be created.
  absl::StatusOr<OutputValue> source = ctx.outputs.Resolve(spec.value());
  if (!source.ok() && !IsKnownAfterApply(source.status())) {
    return Annotate(source.status(), Describe(spec));
  }
  std::string fingerprint = source.ok() ? source->Fingerprint() : "(known after apply)";

  // A vault created in this pass holds no secret, live or deleted.
  const PassReads& reads = ctx.outputs.reads();
  absl::StatusOr<cloud::keyvault::Secret> live =
      reads.ReadInside(spec.vault(), [&] { return client.Get(spec.secret_name()); });
  if (!live.ok()) {
    if (!absl::IsNotFound(live.status())) return Annotate(live.status(), Describe(spec));
    if (!source.ok()) return source.status();
    change.action = Action::kCreate;
    change.reason = "secret does not exist";
    absl::StatusOr<cloud::keyvault::DeletedSecret> deleted =
        reads.ReadInside(spec.vault(), [&] { return client.GetDeleted(spec.secret_name()); });
    if (deleted.ok()) {
      change.observed["softDeleted"] = true;
      switch (RepairOf(ctx)) {
        case Repair::kRecover:
          change.label = "recover";
          change.reason =
              "secret is soft-deleted: it will be recovered (and set if its value is stale)";
          break;
        case Repair::kPurgeAndSet:
          change.label = "purge-and-set";
          change.observed["purgeAndSet"] = true;
          change.reason =
              "secret is soft-deleted and the deployer may purge but not recover: it will be "
              "purged and set";
          break;
        case Repair::kNone:
          return absl::FailedPreconditionError(absl::StrCat(
              Describe(spec), " is soft-deleted and the deployer's access policy in vault ",
              spec.vault(),
              " grants neither recover nor purge: add `recover` to its secretPermissions"));
      }
    } else if (!absl::IsNotFound(deleted.status())) {
      return Annotate(deleted.status(), Describe(spec));
    }
    change.fields.push_back({"value", "(none)", "(sensitive)", true});
    change.fields.push_back({absl::StrCat("tags.", kSourceTag), "(none)", fingerprint, false});
    return change;
  }
  // Never compared, never kept: only the metadata matters.
  live->value.assign(live->value.size(), '\0');
  live->value.clear();
  change.exists = true;
  change.observed["id"] = live->properties.id;
  const std::string live_fp =
      live->properties.tags.count(kSourceTag) ? live->properties.tags.at(kSourceTag) : "";
  // An earlier value that still works (an older PAT not due yet) is current: writing the
  // newest would mint a token for nothing.
  if (source.ok() && source->Holds(live_fp)) fingerprint = live_fp;

  DiffOptions exact;
  exact.exact = true;
  DiffJson(DesiredTags(ctx, fingerprint), TagsJson(live->properties.tags), &change.fields, exact,
           "tags");
  if (live->properties.content_type != spec.content_type()) {
    change.fields.push_back({"contentType", RenderValue(live->properties.content_type),
                             RenderValue(spec.content_type())});
  }
  if (change.fields.empty()) return change;
  if (!source.ok()) return source.status();
  change.action = Action::kUpdate;
  change.reason =
      live_fp != fingerprint ? "source value changed (new fingerprint)" : "secret metadata differs";
  return change;
}

absl::StatusOr<ApplyResult> KeyVaultSecretReconciler::Apply(Context& ctx, const Change& change) {
  const auto& spec = ctx.resource.key_vault_secret();
  ASSIGN_OR_RETURN(std::string vault_uri, VaultUri(ctx));
  SecretsClient client(transport_, vault_uri);

  auto recover = [&]() -> absl::Status {
    RETURN_IF_ERROR(Annotate(client.Recover(spec.secret_name()).status(),
                             absl::StrCat("recovering soft-deleted ", Describe(spec))));
    // Recovery completes asynchronously in Azure: wait (bounded) until the secret reads.
    absl::Duration wait = absl::Milliseconds(200);
    for (int attempt = 0; attempt < 20; ++attempt) {
      absl::StatusOr<cloud::keyvault::Secret> s = client.Get(spec.secret_name());
      if (s.ok() || !absl::IsNotFound(s.status())) return absl::OkStatus();
      clock_.SleepFor(wait);
      wait = std::min(wait * 2, absl::Seconds(5));
    }
    return absl::DeadlineExceededError(
        absl::StrCat(Describe(spec), ": still not readable after recovery"));
  };
  // Purging is asynchronous too: the name is free once a set stops conflicting.
  auto purge = [&]() -> absl::Status {
    RETURN_IF_ERROR(Annotate(client.Purge(spec.secret_name()),
                             absl::StrCat("purging soft-deleted ", Describe(spec))));
    return absl::OkStatus();
  };
  absl::StatusOr<OutputValue> published = ctx.outputs.Resolve(spec.value());
  if (change.observed.is_object() && change.observed.value("softDeleted", false)) {
    if (change.observed.value("purgeAndSet", false)) {
      RETURN_IF_ERROR(purge());
    } else {
      absl::Status recovered = recover();
      if (absl::IsPermissionDenied(recovered) && RepairOf(ctx) != Repair::kNone) {
        // The policy in the spec said recover, Key Vault disagrees: try purge-and-set.
        ctx.progress("recover refused (403); purging and setting instead");
        RETURN_IF_ERROR(purge());
      } else {
        RETURN_IF_ERROR(recovered);
        // The recovered version may already carry the current value: nothing to write
        // (and no new token or key to mint for it).
        absl::StatusOr<cloud::keyvault::Secret> back = client.Get(spec.secret_name());
        if (back.ok()) {
          back->value.assign(back->value.size(), '\0');
          back->value.clear();
          const auto& tags = back->properties.tags;
          const std::string held = tags.count(kSourceTag) ? tags.at(kSourceTag) : "";
          const bool current = published.ok() && published->Holds(held) &&
                               back->properties.content_type == spec.content_type();
          if (current) {
            ApplyResult result;
            result.external_id = back->properties.id;
            result.memory = {{"fingerprint", held}, {"recovered", true}};
            return result;
          }
        }
      }
    }
  }

  // The fingerprint Plan compares is the published one; a minted value that carries none
  // keeps it (otherwise the next plan would see a different fingerprint).
  absl::StatusOr<OutputValue> materialized = ctx.outputs.Materialize(spec.value());
  if (!materialized.ok()) {
    return Annotate(materialized.status(), absl::StrCat("value of ", Describe(spec)));
  }
  OutputValue value = *std::move(materialized);
  const std::string fingerprint =
      !value.fingerprint.empty() || !published.ok() || published->fingerprint.empty()
          ? value.Fingerprint()
          : published->fingerprint;
  cloud::keyvault::SetSecretOptions options;
  options.content_type = spec.content_type();
  const nlohmann::json tags = DesiredTags(ctx, fingerprint);
  for (auto it = tags.begin(); it != tags.end(); ++it)
    options.tags[it.key()] = it.value().get<std::string>();
  absl::StatusOr<cloud::keyvault::SecretProperties> set =
      client.Set(spec.secret_name(), value.value, options);
  if (!set.ok() && IsSoftDeletedConflict(set.status())) {
    if (change.observed.value("purgeAndSet", false)) {
      // The purge has not settled yet: retry the set (bounded).
      absl::Duration wait = absl::Milliseconds(200);
      for (int attempt = 0; attempt < 20 && !set.ok() && IsSoftDeletedConflict(set.status());
           ++attempt) {
        clock_.SleepFor(wait);
        wait = std::min(wait * 2, absl::Seconds(5));
        set = client.Set(spec.secret_name(), value.value, options);
      }
    } else {
      // Deleted between plan and apply: recover, then set again.
      RETURN_IF_ERROR(recover());
      set = client.Set(spec.secret_name(), value.value, options);
    }
  }
  value.value.assign(value.value.size(), '\0');
  if (!set.ok()) return Annotate(set.status(), absl::StrCat("setting ", Describe(spec)));

  ApplyResult result;
  result.external_id = set->id;
  result.memory = {{"fingerprint", fingerprint}, {"version", set->version}};
  return result;
}

absl::Status KeyVaultSecretReconciler::Delete(Context& ctx) {
  const auto& spec = ctx.resource.key_vault_secret();
  ASSIGN_OR_RETURN(std::string vault_uri, VaultUri(ctx));
  SecretsClient client(transport_, vault_uri);
  absl::StatusOr<cloud::keyvault::DeletedSecret> deleted = client.Delete(spec.secret_name());
  if (!deleted.ok() && !absl::IsNotFound(deleted.status())) {
    return Annotate(deleted.status(), absl::StrCat("deleting ", Describe(spec)));
  }
  // Purge so the name can be reused; with purge protection ("Recoverable" without
  // "Purgeable") the secret stays soft-deleted until its retention ends.
  if (deleted.ok() && deleted->properties.recovery_level.find("Purgeable") == std::string::npos &&
      !deleted->properties.recovery_level.empty()) {
    return absl::OkStatus();
  }
  // Deletion is asynchronous: the deleted secret may 404 for a moment.
  absl::Duration wait = absl::Milliseconds(200);
  for (int attempt = 0; attempt < 20; ++attempt) {
    absl::Status purged = client.Purge(spec.secret_name());
    if (purged.ok()) return absl::OkStatus();
    const bool settling =
        absl::IsNotFound(purged) || cloud::ServiceInnerErrorCode(purged) == "ObjectIsBeingDeleted";
    if (!settling) return Annotate(purged, absl::StrCat("purging ", Describe(spec)));
    // NotFound when nothing was soft-deleted at all (already gone before the delete).
    if (!deleted.ok()) return absl::OkStatus();
    clock_.SleepFor(wait);
    wait = std::min(wait * 2, absl::Seconds(5));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("purging ", Describe(spec), ": the deleted secret never appeared"));
}

}  // namespace envctl::reconcilers
