#include "spec/warnings.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spec/kinds.h"
#include "spec/references.h"

namespace envctl::spec {

std::vector<Diagnostic> Warnings(const envctl::v1::Environment& env) {
  std::vector<Diagnostic> out;
  // A secret of an RBAC vault with no role assignment for the deployer to write it with.
  const auto implied = ImpliedDependencies(env);
  for (const auto& r : env.resources()) {
    if (!r.has_key_vault_secret() || !IsEnabled(r)) continue;
    const envctl::v1::Resource* vault = nullptr;
    for (const auto& v : env.resources()) {
      if (v.name() == r.key_vault_secret().vault() && v.has_key_vault()) vault = &v;
    }
    if (vault == nullptr || !vault->key_vault().enable_rbac_authorization() ||
        implied.count(r.name())) {
      continue;
    }
    Diagnostic d;
    d.file = r.source().file();
    d.line = r.source().line();
    d.column = r.source().column();
    d.field = "keyVaultSecret.vault";
    d.message = absl::StrCat(
        "vault ", vault->key_vault().vault_name(),
        " uses Azure RBAC and no roleAssignment grants the deployer a role at it or its "
        "resource group: Key Vault refuses envctl's write (403 ForbiddenByRbac). Add a "
        "roleAssignment {scope: ",
        vault->name(),
        ", role: Key Vault Secrets Officer, principal: {deployer: true}} [environment ", env.name(),
        "]");
    out.push_back(std::move(d));
  }
  for (const auto& r : env.resources()) {
    if (!r.has_key_vault() || !IsEnabled(r)) continue;
    const auto& kv = r.key_vault();
    if (kv.enable_rbac_authorization()) continue;
    for (int i = 0; i < kv.access_policies_size(); ++i) {
      const auto& policy = kv.access_policies(i);
      if (!policy.principal().deployer()) continue;
      const auto& perms = policy.secret_permissions();
      auto has = [&perms](const char* p) {
        return std::find(perms.begin(), perms.end(), p) != perms.end();
      };
      if (!has("set") || has("recover") || has("all")) continue;
      Diagnostic d;
      d.file = r.source().file();
      d.line = r.source().line();
      d.column = r.source().column();
      d.field = absl::StrCat("keyVault.accessPolicies[", i, "].secretPermissions");
      d.message = absl::StrCat(
          "vault ", kv.vault_name(),
          " has soft delete and the deployer may set secrets but not recover them: "
          "a secret deleted out of band stays soft-deleted and Key Vault refuses to recover it "
          "(403)",
          has("purge") ? "; envctl falls back to purge-and-set" : "; envctl cannot repair it",
          ". Add `recover` [environment ", env.name(), "]");
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace envctl::spec
