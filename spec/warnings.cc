#include "spec/warnings.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace envctl::spec {

std::vector<Diagnostic> Warnings(const envctl::v1::Environment& env) {
  std::vector<Diagnostic> out;
  for (const auto& r : env.resources()) {
    if (!r.has_key_vault() || (r.has_enabled() && !r.enabled().value())) continue;
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
