// References between the resources of one environment: explicit `dependsOn`, the fields
// that name another resource (resourceGroup, vault, workspace, dataFactory, keyVault,
// covers, access-policy principals), ValueSource outputs and `${resource.output}`
// placeholders in string fields. The controller orders resources by
// ResourceDependencies(); the loader validates every Reference (target exists, has the
// expected kind, produces the output) and rejects cycles.
// Pure functions; safe from any thread.
#ifndef ENVCTL_SPEC_REFERENCES_H_
#define ENVCTL_SPEC_REFERENCES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "envctl/v1/spec.pb.h"
#include "spec/kinds.h"

namespace envctl::spec {

struct Reference {
  // JSON path of the referencing field within the resource document, e.g.
  // "storageAccount.resourceGroup" or "keyVault.accessPolicies[1].principal.dataFactory";
  // for content references, "files/<path>" of the definition file.
  std::string path;
  // Name of the referenced resource.
  std::string target;
  // Kind the target must have; KIND_NOT_SET accepts any kind.
  Kind expected_kind = envctl::v1::Resource::KIND_NOT_SET;
  // Output name for output references (ValueSource.output, `${target.output}`); else "".
  std::string output;
  // Needed only when the resource runs, not when it is written: a job's notebooks and
  // libraries (Databricks checks them when a run starts). Validated like any reference,
  // but the resource does not wait for the target; what runs it does (ImpliedDependencies).
  bool run_time = false;
};

// Every reference written in the resource's spec, in field order.
std::vector<Reference> References(const envctl::v1::Resource& resource);

// `${resource.output}` references inside the resource's loaded files (Data Factory
// definitions), path "files/<file>". The loader validates them and appends their targets
// to the resource's dependsOn, so ResourceDependencies() orders the definitions after
// the vault and workspace whose outputs they use.
std::vector<Reference> ContentReferences(const envctl::v1::ResourceContent& content);

// Dependencies no field spells (resource name -> what it waits for; disabled resources
// left out). The loader appends them to dependsOn:
// - each KeyVaultSecret of a vault in RBAC mode (`enableRbacAuthorization`) waits for the
//   role assignments that grant the deployer a role at that vault or its resource group,
//   because envctl writes the secret with that grant;
// - each jobRunTest waits for its job's run-time references (the notebooks and libraries
//   its tasks name), which the job itself does not wait for.
std::map<std::string, std::set<std::string>> ImpliedDependencies(
    const envctl::v1::Environment& env);

// Names of the resources that must be reconciled before `resource`: dependsOn plus every
// target of References(resource) but the run-time ones. Never contains the resource itself.
std::set<std::string> ResourceDependencies(const envctl::v1::Resource& resource);

// ResourceDependencies of every enabled resource of `env`, restricted to enabled
// resources; the shape controller::DependencyGraph::Build takes.
std::map<std::string, std::set<std::string>> DependencyMap(const envctl::v1::Environment& env);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_REFERENCES_H_
