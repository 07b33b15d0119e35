#include "spec/internal/repo_config.h"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "spec/internal/content.h"
#include "spec/internal/input_limits.h"
#include "spec/internal/repo_files.h"
#include "spec/internal/substitute.h"
#include "spec/internal/suggest.h"
#include "spec/internal/yaml_to_proto.h"

namespace envctl::spec::internal {

namespace fs = std::filesystem;

namespace {

constexpr char kProjectFile[] = "envctl.yaml";

bool IsResourceFile(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool IsParamName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsEnvName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

void ParseParameters(const std::string& file, const YAML::Node& node, Diagnostics* diags,
                     std::map<std::string, std::string>* out) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    diags->Add(LocationOf(file, node), "parameters",
               absl::StrCat("expected a map of name: value, got ", DescribeNode(node)));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
    const std::string path = absl::StrCat("parameters.", name);
    if (!IsParamName(name)) {
      diags->Add(LocationOf(file, it->first), path,
                 absl::StrCat("invalid parameter name \"", name,
                              "\": use letters, digits, '_' and '-' (no dots: `${a.b}` is an "
                              "output reference)"));
      continue;
    }
    if (name == "environment" || name == "project") {
      diags->Add(LocationOf(file, it->first), path,
                 absl::StrCat("\"", name, "\" is built in (the ", name,
                              "'s name) and cannot be redefined; pick another name"));
      continue;
    }
    if (!it->second.IsScalar() && !it->second.IsNull()) {
      diags->Add(LocationOf(file, it->second), path,
                 absl::StrCat("a parameter value must be a string, number or boolean, got ",
                              DescribeNode(it->second)));
      continue;
    }
    const std::string value = it->second.IsNull() ? "" : it->second.Scalar();
    for (const TextError& e : Substitute(value, {}).errors) {
      (void)e;
      diags->Add(LocationOf(file, it->second), path,
                 "a parameter value may hold output references (${resource.output}) but not "
                 "other parameters or ${env:...}");
      break;
    }
    if (out->count(name)) {
      diags->Add(LocationOf(file, it->first), path, "parameter set twice; keep one");
      continue;
    }
    (*out)[name] = value;
  }
}

// Reads a file's top-level map, reporting unknown keys against `known`.
YAML::Node LoadTopMap(const std::string& dir, const std::string& file,
                      const std::vector<std::string>& known, Diagnostics* diags) {
  std::vector<YAML::Node> docs = LoadDocuments(dir, file, diags);
  if (docs.empty() || docs[0].IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (docs.size() > 1) {
    diags->Add(LocationOf(file, docs[1]), "", "expected a single YAML document; remove the `---`");
  }
  if (!docs[0].IsMap()) {
    diags->Add(LocationOf(file, docs[0]), "",
               absl::StrCat("expected a map of settings, got ", DescribeNode(docs[0])));
    return YAML::Node(YAML::NodeType::Map);
  }
  for (auto it = docs[0].begin(); it != docs[0].end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string hint = DidYouMean(key, known);
      if (hint.empty()) hint = absl::StrCat(" (known keys: ", absl::StrJoin(known, ", "), ")");
      diags->Add(LocationOf(file, it->first), key, absl::StrCat("unknown key \"", key, "\"", hint));
    }
  }
  return docs[0];
}

std::vector<Named> StringList(const std::string& file, const YAML::Node& node,
                              const std::string& field, Diagnostics* diags) {
  std::vector<Named> out;
  if (node.IsScalar()) {
    out.push_back({node.Scalar(), LocationOf(file, node)});
    return out;
  }
  if (!node.IsSequence()) {
    diags->Add(LocationOf(file, node), field,
               absl::StrCat("expected a list of strings, got ", DescribeNode(node)));
    return out;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) {
      diags->Add(LocationOf(file, node[i]), absl::StrCat(field, "[", i, "]"),
                 absl::StrCat("expected a string, got ", DescribeNode(node[i])));
      continue;
    }
    out.push_back({node[i].Scalar(), LocationOf(file, node[i])});
  }
  return out;
}

void ReadLayer(const std::string& file, const YAML::Node& top, Diagnostics* diags,
               SettingsLayer* layer) {
  layer->file = file;
  if (top["parameters"]) ParseParameters(file, top["parameters"], diags, &layer->parameters);
  if (top["azure"]) layer->azure = top["azure"];
  if (top["sync"]) layer->sync = top["sync"];
  if (top["annotations"]) layer->annotations = top["annotations"];
}

}  // namespace

std::vector<YAML::Node> LoadDocuments(const std::string& dir, const std::string& file,
                                      Diagnostics* diags) {
  absl::StatusOr<std::string> read =
      RepoFiles(dir).Read(file, DefaultInputLimits().max_spec_file_bytes);
  if (!read.ok()) {
    diags->Add(Location{file, 1, 1}, "",
               absl::StrCat("cannot read the file: ", read.status().message()));
    return {};
  }
  std::string& text = *read;
  // YAML forbids tabs for indentation; JSON allows them as whitespace and never inside
  // strings, so replacing them keeps every column where it was.
  const bool json = absl::EndsWith(file, ".json");
  if (json) std::replace(text.begin(), text.end(), '\t', ' ');
  // libyaml first: yaml-cpp has no limits and runs away on some malformed input.
  ParsedYaml parsed = ParseYaml(file, text);
  if (parsed.problem) {
    if (json) absl::StrReplaceAll({{"invalid YAML", "invalid JSON"}}, &parsed.problem->message);
    diags->Add(std::move(*parsed.problem));
    return {};
  }
  return std::move(parsed.documents);
}

ProjectConfig ParseProject(const std::string& dir, Diagnostics* diags) {
  ProjectConfig config;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / kProjectFile, ec)) {
    diags->Add(Location{kProjectFile, 0, 0}, "",
               absl::StrCat("not found in ", dir,
                            ": an envctl repo has an envctl.yaml with `project:` and "
                            "`environments:` at its root"));
    return config;
  }
  config.found = true;
  const YAML::Node top = LoadTopMap(
      dir, kProjectFile,
      {"project", "environments", "resources", "parameters", "sync", "azure", "annotations"},
      diags);
  const Location file_start{kProjectFile, 1, 1};
  if (top["project"] && top["project"].IsScalar() && !top["project"].Scalar().empty()) {
    config.project = top["project"].Scalar();
  } else {
    diags->Add(top["project"] ? LocationOf(kProjectFile, top["project"]) : file_start, "project",
               "required: the project's name, e.g. `project: bikeshare`");
  }
  if (top["environments"]) {
    config.environments = StringList(kProjectFile, top["environments"], "environments", diags);
  }
  if (config.environments.empty()) {
    diags->Add(top["environments"] ? LocationOf(kProjectFile, top["environments"]) : file_start,
               "environments", "required: list the environments, e.g. `environments: [dev, test]`");
  }
  std::set<std::string> seen;
  std::vector<Named> valid;
  for (size_t i = 0; i < config.environments.size(); ++i) {
    const Named& e = config.environments[i];
    if (!IsEnvName(e.value)) {
      diags->Add(e.at, absl::StrCat("environments[", i, "]"),
                 absl::StrCat("invalid environment name \"", e.value,
                              "\": use lowercase letters, digits and '-'"));
    } else if (!seen.insert(e.value).second) {
      diags->Add(e.at, absl::StrCat("environments[", i, "]"),
                 absl::StrCat("environment \"", e.value, "\" is listed twice"));
    } else {
      valid.push_back(e);
    }
  }
  config.environments = std::move(valid);
  if (top["resources"]) {
    config.resources = StringList(kProjectFile, top["resources"], "resources", diags);
  } else {
    config.resources.push_back({"resources", file_start});
  }
  ReadLayer(kProjectFile, top, diags, &config.defaults);
  return config;
}

SettingsLayer ParseEnvironmentFile(const std::string& dir, const std::string& env,
                                   const Location& declared_at, Diagnostics* diags) {
  SettingsLayer layer;
  const std::string file = absl::StrCat("environments/", env, ".yaml");
  layer.file = file;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / file, ec)) {
    diags->Add(declared_at, "environments",
               absl::StrCat("environment \"", env, "\" has no ", file,
                            "; create it with the environment's `parameters:`"));
    return layer;
  }
  const size_t errors_before = diags->size();
  const YAML::Node top =
      LoadTopMap(dir, file, {"parameters", "azure", "sync", "annotations", "promotion"}, diags);
  // An empty map with new errors: the file did not parse (LoadTopMap reported why).
  layer.unreadable = top.IsMap() && top.size() == 0 && diags->size() > errors_before;
  ReadLayer(file, top, diags, &layer);
  if (top && top.IsMap() && top["promotion"]) layer.promotion = top["promotion"];
  return layer;
}

std::vector<std::string> ExpandResourceFiles(const std::string& dir,
                                             const std::vector<Named>& resources,
                                             Diagnostics* diags) {
  std::set<std::string> files;
  const fs::path root = fs::path(dir);
  for (size_t i = 0; i < resources.size(); ++i) {
    const Named& entry = resources[i];
    const std::string field = absl::StrCat("resources[", i, "]");
    const fs::path rel = fs::path(entry.value).lexically_normal();
    if (entry.value.empty() || rel.is_absolute() || (!rel.empty() && *rel.begin() == "..")) {
      diags->Add(
          entry.at, field,
          absl::StrCat("\"", entry.value, "\" must be a folder, file or glob inside the repo"));
      continue;
    }
    if (rel != "." && entry.value.find_first_of("*?[") == std::string::npos) {
      const absl::Status inside = RepoFiles(dir).ResolveDir(rel.string()).status();
      if (absl::IsInvalidArgument(inside)) {
        diags->Add(entry.at, field, std::string(inside.message()));
        continue;
      }
    }
    size_t before = files.size();
    bool matched_any = false;
    auto add = [&](const fs::path& p) {
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        matched_any = true;
        for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
             it.increment(ec)) {
          if (it->is_regular_file() && IsResourceFile(it->path())) {
            files.insert(it->path().lexically_relative(root).generic_string());
          }
        }
      } else if (fs::is_regular_file(p, ec)) {
        matched_any = true;
        files.insert(p.lexically_relative(root).generic_string());
      }
    };
    if (entry.value.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      if (glob((root / rel).string().c_str(), 0, nullptr, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; ++k) {
          const fs::path p(g.gl_pathv[k]);
          if (fs::is_directory(p) || IsResourceFile(p)) add(p);
        }
      }
      globfree(&g);
    } else {
      add(root / rel);
    }
    if (!matched_any) {
      diags->Add(entry.at, field,
                 absl::StrCat("\"", entry.value, "\" matches no file or folder in the repo"));
    } else if (files.size() == before && entry.value != "resources") {
      diags->Add(
          entry.at, field,
          absl::StrCat("\"", entry.value, "\" holds no .yaml, .yml or .json resource files"));
    }
  }
  return std::vector<std::string>(files.begin(), files.end());
}

}  // namespace envctl::spec::internal
