// Loads a GitOps repo (docs/spec-format.md) into fully resolved Environment protos:
// envctl.yaml + environments/<env>.yaml + resource files (YAML or JSON) with `${param}`
// substituted per environment, strict schema checks, references, names, cycles, the
// files of notebook / library / Data Factory resources, and a content hash per resource.
// Every problem found in every file and environment is reported, never only the first.
// Stateless functions; safe to call from several threads on different repos (they only
// read the file system).
#ifndef ENVCTL_SPEC_LOADER_H_
#define ENVCTL_SPEC_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "envctl/v1/spec.pb.h"
#include "spec/diagnostic.h"

namespace envctl::spec {

struct LoadResult {
  // One per environment of envctl.yaml, in its order; filled even when there are errors
  // (best effort), so callers must check `errors` first.
  std::vector<envctl::v1::Environment> environments;
  // Sorted by file, line and column. A problem that occurs only in some environments
  // says which in its message: "... [environment test]".
  std::vector<Diagnostic> errors;

  bool ok() const { return errors.empty(); }
};

// Loads every environment of the repo at `dir`, or only `only_env` when not empty
// (an error names the declared environments when it is not one of them).
LoadResult LoadRepo(const std::string& dir, const std::string& only_env = "");

// Loads one environment. NotFound when `env` is not declared in envctl.yaml;
// InvalidArgument listing every diagnostic (one per line) when the repo has errors
// that concern this environment.
absl::StatusOr<envctl::v1::Environment> LoadEnvironment(const std::string& dir,
                                                        const std::string& env);

// One diagnostic per line, "file:line:col: field: message".
std::string FormatDiagnostics(const std::vector<Diagnostic>& errors);

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_LOADER_H_
