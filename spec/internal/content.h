// Loads the repo files that folder and file resources deploy: Databricks notebooks,
// a library file, Data Factory definitions (ADF Git-mode layout; `${param}` substituted,
// canonicalized JSON, output references validated). Each file is stored with its sha256.
// Not thread-safe: one loader per environment load.
#ifndef ENVCTL_SPEC_INTERNAL_CONTENT_H_
#define ENVCTL_SPEC_INTERNAL_CONTENT_H_

#include <map>
#include <set>
#include <string>

#include "envctl/v1/spec.pb.h"
#include "spec/diagnostic.h"
#include "spec/internal/input_limits.h"
#include "spec/internal/repo_files.h"
#include "spec/internal/validate.h"

namespace envctl::spec::internal {

class ContentLoader {
 public:
  ContentLoader(std::string repo_dir, const envctl::v1::Environment& env,
                EnvironmentValidator& validator, Diagnostics* diags);

  // Fills out->files for resource i (no-op for kinds without files).
  void Load(int i, envctl::v1::ResourceContent* out);

  // Checks that a PipelineRunTest's pipeline exists among its factory's definitions and
  // that a factory's startedTriggers exist; `contents` parallel to env.resources.
  void CheckDefinitionNames(const std::vector<envctl::v1::ResourceContent>& contents);

 private:
  // Checks a repo-relative path through the repo gate; reports escapes and missing
  // entries at `field`.
  bool Resolve(int i, const std::string& field, const std::string& rel, bool want_dir);
  void LoadNotebooks(int i, envctl::v1::ResourceContent* out);
  void LoadLibrary(int i, envctl::v1::ResourceContent* out);
  void LoadDefinitions(int i, envctl::v1::ResourceContent* out);
  void LoadDefinitionFile(int i, const std::string& rel_file, const std::string& folder_path,
                          const std::map<std::string, std::string>& params,
                          envctl::v1::ResourceContent* out);

  // Resources with a definition file that could not be parsed: name checks against
  // their definitions would only repeat that error.
  std::set<int> incomplete_;
  RepoFiles repo_;
  const envctl::v1::Environment& env_;
  EnvironmentValidator& validator_;
  Diagnostics* diags_;
};

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_CONTENT_H_
