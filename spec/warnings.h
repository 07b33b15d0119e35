// Warnings: things in a valid repo that will bite later, reported by `envctl validate`
// without failing it (errors stop a load; these do not). Pure functions; thread-safe.
#ifndef ENVCTL_SPEC_WARNINGS_H_
#define ENVCTL_SPEC_WARNINGS_H_

#include <vector>

#include "envctl/v1/spec.pb.h"
#include "spec/diagnostic.h"

namespace envctl::spec {

// For every enabled Key Vault with access policies (soft delete is always on) whose
// deployer policy grants `set` but not `recover`: a secret deleted out of band stays
// soft-deleted and Key Vault refuses envctl's recover (403). Located at the resource
// (its SourceLocation), field `keyVault.accessPolicies[i].secretPermissions`.
std::vector<Diagnostic> Warnings(const envctl::v1::Environment& env);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_WARNINGS_H_
