// The repo's own configuration files: `envctl.yaml` (project, environments, resource file
// globs, default parameters, sync and azure defaults) and `environments/<env>.yaml`
// (parameter overrides, azure and sync overrides). Also expands the resource globs into
// the list of resource files. Not thread-safe: one per load.
#ifndef ENVCTL_SPEC_INTERNAL_REPO_CONFIG_H_
#define ENVCTL_SPEC_INTERNAL_REPO_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "envctl/v1/spec.pb.h"
#include "spec/diagnostic.h"
#include "yaml-cpp/yaml.h"

namespace envctl::spec::internal {

struct Named {
  std::string value;
  Location at;
};

// One parsed layer of parameters / azure / sync settings.
struct SettingsLayer {
  std::string file;
  std::map<std::string, std::string> parameters;
  YAML::Node azure;  // undefined when absent
  YAML::Node sync;
  YAML::Node annotations;
  // environments/<env>.yaml only: `promotion: {from, requireApproval}`.
  YAML::Node promotion;
  // The file exists but could not be read as YAML (its error is reported): the
  // environment's parameters are unknown, so nothing that uses them is checked.
  bool unreadable = false;
};

struct ProjectConfig {
  bool found = false;
  std::string project;
  std::vector<Named> environments;
  std::vector<Named> resources;  // folders, files or globs; default "resources"
  SettingsLayer defaults;
};

// Parses `envctl.yaml` in `dir`. found=false (and an error) when it is missing.
ProjectConfig ParseProject(const std::string& dir, Diagnostics* diags);

// Parses `environments/<env>.yaml`; `declared_at` is where envctl.yaml lists the env.
SettingsLayer ParseEnvironmentFile(const std::string& dir, const std::string& env,
                                   const Location& declared_at, Diagnostics* diags);

// Repo-relative resource files (sorted, unique) that `resources` entries name.
std::vector<std::string> ExpandResourceFiles(const std::string& dir,
                                             const std::vector<Named>& resources,
                                             Diagnostics* diags);

// Loads every YAML document of a file (JSON too). Parse errors become diagnostics.
std::vector<YAML::Node> LoadDocuments(const std::string& dir, const std::string& file,
                                      Diagnostics* diags);

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_REPO_CONFIG_H_
