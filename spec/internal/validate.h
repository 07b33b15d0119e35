// Semantic checks of one loaded environment, after every resource document was built:
// names (Azure rules), required fields per kind, references (target exists, has the right
// kind, is enabled, produces the output), secrets only from outputs or env, duplicate
// resource names and dependency cycles. Errors are reported at the offending field.
// Not thread-safe: one validator per environment load.
#ifndef ENVCTL_SPEC_INTERNAL_VALIDATE_H_
#define ENVCTL_SPEC_INTERNAL_VALIDATE_H_

#include <map>
#include <string>
#include <vector>

#include "envctl/v1/spec.pb.h"
#include "spec/diagnostic.h"
#include "spec/internal/yaml_to_proto.h"
#include "spec/references.h"

namespace envctl::spec::internal {

class EnvironmentValidator {
 public:
  // `marks[i]` holds the field locations of env.resources(i). Both must outlive this.
  EnvironmentValidator(const envctl::v1::Environment& env, const std::vector<FieldMarks>& marks,
                       Diagnostics* diags);

  // Runs every check that needs only the specs, except cycles.
  void Run();

  // Reports dependency cycles; run after the loader added content references to dependsOn.
  void CheckCycles();

  // Checks one reference made by resource `from` (an index), reporting at `at`.
  void CheckReference(int from, const Reference& ref, const Location& at);

  // Location of `path` in resource i, falling back to its nearest recorded parent.
  Location At(int i, const std::string& path) const;

  // Index of the enabled-or-not resource called `name`, or -1.
  int Find(const std::string& name) const;

 private:
  void CheckNames();
  void CheckKind(int i);
  // Each ignoreDifferences path is one the kind's plan can show (spec/internal/ignore_paths.h).
  void CheckIgnoreDifferences(int i);
  // DatabricksClusterPolicy, DatabricksCluster, DatabricksJob, DatabricksPermissions,
  // JobRunTest (validate_databricks.cc).
  void CheckDatabricksKind(int i);
  void CheckClusterConfig(int i, const std::string& path,
                          const envctl::v1::DatabricksClusterConfig& c);
  void CheckValueSource(int i, const std::string& path, const envctl::v1::ValueSource& v);
  // A Key Vault access policy's or a role assignment's principal: exactly one, well formed.
  void CheckPrincipal(int i, const std::string& path, const envctl::v1::PrincipalRef& principal);
  // True when the builder already reported `path`, or an unknown field next to it (most
  // likely its misspelling).
  bool AlreadyReported(int i, const std::string& path) const;
  void Require(int i, const std::string& path, const std::string& value, const std::string& what);
  void Name(int i, const std::string& path, const std::string& error);
  void Error(int i, const std::string& path, std::string message);

  const envctl::v1::Environment& env_;
  const std::vector<FieldMarks>& marks_;
  Diagnostics* diags_;
  std::map<std::string, int> index_;
};

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_VALIDATE_H_
