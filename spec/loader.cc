#include "spec/loader.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spec/hash.h"
#include "spec/internal/content.h"
#include "spec/internal/ignore_paths.h"
#include "spec/internal/repo_config.h"
#include "spec/internal/suggest.h"
#include "spec/internal/validate.h"
#include "spec/internal/yaml_to_proto.h"
#include "spec/references.h"
#include "spec/sync_windows.h"

namespace envctl::spec {

namespace {

using envctl::v1::Environment;
using envctl::v1::Resource;
using internal::FieldMarks;

// Adds `dep` to r's dependsOn unless it is there already.
void AddDependsOnOnce(Resource* r, const std::string& dep) {
  if (std::find(r->depends_on().begin(), r->depends_on().end(), dep) == r->depends_on().end()) {
    r->add_depends_on(dep);
  }
}

struct ParsedFile {
  std::string path;
  std::vector<YAML::Node> docs;
};

// Builds `into` from the layer's node for `key`, with parameters substituted.
void BuildSetting(const internal::SettingsLayer& layer, const YAML::Node& node,
                  const std::string& path, const std::map<std::string, std::string>& params,
                  google::protobuf::Message* into, Diagnostics* diags) {
  if (!node) return;
  internal::ProtoBuilder builder(layer.file, &params, diags, nullptr);
  builder.Build(node, path, into);
}

// Each of the layer's `sync.windows` has a known kind, a valid cron schedule, a duration
// between 1m and 31 days and a known time zone; a problem is reported at the field.
void CheckSyncWindows(const internal::SettingsLayer& layer,
                      const std::map<std::string, std::string>& params, Diagnostics* diags) {
  if (!layer.sync || !layer.sync.IsMap()) return;
  const YAML::Node windows = layer.sync["windows"];
  if (!windows || !windows.IsSequence()) return;
  for (size_t k = 0; k < windows.size(); ++k) {
    const YAML::Node node = windows[k];
    if (!node.IsMap()) continue;  // the schema check says what is wrong
    envctl::v1::SyncWindow window;
    Diagnostics schema;  // already reported by BuildSetting
    internal::ProtoBuilder builder(layer.file, &params, &schema, nullptr);
    builder.Build(node, "sync.windows", &window);
    for (const SyncWindowProblem& p : CheckSyncWindow(window)) {
      // A duration that did not parse is reported by the schema check already.
      if (p.field == "duration" && !schema.empty()) continue;
      const YAML::Node at = node[p.field];
      diags->Add(internal::LocationOf(layer.file, at ? at : node),
                 absl::StrCat("sync.windows[", k, "].", p.field), p.message);
    }
  }
}

// Each of the layer's `sync.ignoreDifferences` rules names a kind that takes ignore rules
// and paths its plan can show; a problem is reported at the kind or the path.
void CheckKindIgnoreRules(const internal::SettingsLayer& layer,
                          const std::map<std::string, std::string>& params, Diagnostics* diags) {
  if (!layer.sync || !layer.sync.IsMap()) return;
  const YAML::Node rules = layer.sync["ignoreDifferences"];
  if (!rules || !rules.IsSequence()) return;
  for (size_t k = 0; k < rules.size(); ++k) {
    const YAML::Node node = rules[k];
    if (!node.IsMap()) continue;  // the schema check says what is wrong
    envctl::v1::KindIgnoreRule rule;
    Diagnostics schema;  // already reported by BuildSetting
    internal::ProtoBuilder builder(layer.file, &params, &schema, nullptr);
    builder.Build(node, "sync.ignoreDifferences", &rule);
    const std::string at = absl::StrCat("sync.ignoreDifferences[", k, "]");
    const Kind kind = internal::KindByName(rule.kind());
    if (kind == envctl::v1::Resource::KIND_NOT_SET) {
      const YAML::Node where = node["kind"];
      const std::vector<std::string> kinds = internal::KindsWithIgnorePaths();
      diags->Add(
          internal::LocationOf(layer.file, where ? where : node), at + ".kind",
          rule.kind().empty()
              ? absl::StrCat("required: the kind the paths apply to (one of ",
                             absl::StrJoin(kinds, ", "), ")")
              : absl::StrCat("unknown kind \"", rule.kind(), "\"",
                             internal::DidYouMean(rule.kind(), kinds),
                             "; kinds that take ignore rules: ", absl::StrJoin(kinds, ", ")));
      continue;
    }
    const YAML::Node paths = node["jsonPaths"];
    for (int j = 0; j < rule.json_paths_size(); ++j) {
      const std::string error = internal::CheckIgnorePath(kind, rule.json_paths(j));
      if (error.empty()) continue;
      const YAML::Node where =
          paths && paths.IsSequence() && static_cast<size_t>(j) < paths.size() ? paths[j] : node;
      diags->Add(internal::LocationOf(layer.file, where), absl::StrCat(at, ".jsonPaths[", j, "]"),
                 error);
    }
  }
}

// Loads one environment; diagnostics that depend on it go to `diags`.
// `from_at` receives where `promotion.from` is written (for the cross-environment checks).
Environment LoadOne(const std::string& dir, const internal::ProjectConfig& config,
                    const internal::Named& env_name, const std::vector<ParsedFile>& files,
                    Diagnostics* diags, Location* from_at) {
  Environment env;
  env.set_name(env_name.value);
  env.set_project(config.project);
  const internal::SettingsLayer layer =
      internal::ParseEnvironmentFile(dir, env_name.value, env_name.at, diags);
  // Without its parameters every `${...}` of the environment would be reported as
  // undefined: only the file's own error says what to fix.
  if (layer.unreadable) {
    *from_at = Location{layer.file, 1, 1};
    return env;
  }

  std::map<std::string, std::string> params = config.defaults.parameters;
  for (const auto& [k, v] : layer.parameters) params[k] = v;
  params["environment"] = env_name.value;
  params["project"] = config.project;
  env.mutable_parameters()->insert(params.begin(), params.end());

  for (const internal::SettingsLayer* l : {&config.defaults, &layer}) {
    BuildSetting(*l, l->azure, "azure", params, env.mutable_azure(), diags);
    BuildSetting(*l, l->sync, "sync", params, env.mutable_sync(), diags);
    BuildSetting(*l, l->annotations, "annotations", params, env.mutable_annotations(), diags);
    CheckSyncWindows(*l, params, diags);
    CheckKindIgnoreRules(*l, params, diags);
  }
  BuildSetting(layer, layer.promotion, "promotion", params, env.mutable_promotion(), diags);
  *from_at = Location{layer.file, 1, 1};
  if (layer.promotion && layer.promotion.IsMap() && layer.promotion["from"]) {
    *from_at = internal::LocationOf(layer.file, layer.promotion["from"]);
  }

  std::vector<FieldMarks> marks;
  for (const ParsedFile& file : files) {
    std::vector<YAML::Node> nodes;
    for (const YAML::Node& doc : file.docs) {
      if (doc.IsNull()) continue;
      if (doc.IsSequence()) {
        for (size_t k = 0; k < doc.size(); ++k) nodes.push_back(doc[k]);
      } else {
        nodes.push_back(doc);
      }
    }
    for (const YAML::Node& node : nodes) {
      if (!node.IsMap()) {
        diags->Add(internal::LocationOf(file.path, node), "",
                   absl::StrCat("expected a resource (a map with name and one kind), got ",
                                internal::DescribeNode(node)));
        continue;
      }
      Resource* r = env.add_resources();
      marks.emplace_back();
      internal::ProtoBuilder builder(file.path, &params, diags, &marks.back());
      builder.Build(node, "", r);
      const Location at = internal::LocationOf(file.path, node);
      r->mutable_source()->set_file(at.file);
      r->mutable_source()->set_line(at.line);
      r->mutable_source()->set_column(at.column);
    }
  }

  internal::EnvironmentValidator validator(env, marks, diags);
  validator.Run();
  internal::ContentLoader content_loader(dir, env, validator, diags);
  std::vector<envctl::v1::ResourceContent> contents(env.resources_size());
  for (int i = 0; i < env.resources_size(); ++i) content_loader.Load(i, &contents[i]);
  content_loader.CheckDefinitionNames(contents);
  // Outputs used inside definition files order the definitions like any other reference.
  for (int i = 0; i < env.resources_size(); ++i) {
    Resource* r = env.mutable_resources(i);
    for (const Reference& ref : ContentReferences(contents[i])) {
      if (ref.target == r->name() || validator.Find(ref.target) < 0) continue;
      AddDependsOnOnce(r, ref.target);
    }
  }
  // Secrets of an RBAC vault wait for the deployer's role assignment there.
  const auto implied = ImpliedDependencies(env);
  for (int i = 0; i < env.resources_size(); ++i) {
    Resource* r = env.mutable_resources(i);
    auto it = implied.find(r->name());
    if (it == implied.end()) continue;
    for (const std::string& dep : it->second) AddDependsOnOnce(r, dep);
  }
  validator.CheckCycles();
  for (int i = 0; i < env.resources_size(); ++i) {
    contents[i].set_content_hash(ContentHash(env.resources(i), contents[i]));
    *env.add_contents() = std::move(contents[i]);
  }
  return env;
}

// promotion.from names another declared environment, and the chains have no cycle
// (checked only when every environment was loaded).
void CheckPromotion(const internal::ProjectConfig& config, const std::vector<Environment>& envs,
                    const std::map<std::string, Location>& from_at, bool all_loaded,
                    Diagnostics* diags) {
  std::vector<std::string> declared;
  for (const auto& e : config.environments) declared.push_back(e.value);
  std::map<std::string, std::string> upstream;
  for (const Environment& env : envs) {
    const std::string& from = env.promotion().from();
    if (from.empty()) continue;
    const Location at = from_at.at(env.name());
    if (from == env.name()) {
      diags->Add(at, "promotion.from",
                 absl::StrCat("environment \"", env.name(),
                              "\" cannot be promoted from itself; name the environment before it"));
    } else if (std::find(declared.begin(), declared.end(), from) == declared.end()) {
      diags->Add(at, "promotion.from",
                 absl::StrCat("\"", from, "\" is not a declared environment (declared: ",
                              absl::StrJoin(declared, ", "), ")"));
    } else {
      upstream[env.name()] = from;
    }
  }
  if (!all_loaded) return;
  std::set<std::string> reported;
  for (const auto& [start, unused] : upstream) {
    std::vector<std::string> chain{start};
    std::string at = start;
    while (upstream.count(at)) {
      at = upstream[at];
      auto seen = std::find(chain.begin(), chain.end(), at);
      if (seen != chain.end()) {
        if (reported.insert(*std::min_element(seen, chain.end())).second) {
          std::vector<std::string> cycle(seen, chain.end());
          cycle.push_back(at);
          diags->Add(from_at.at(start), "promotion.from",
                     absl::StrCat("promotion cycle: ", absl::StrJoin(cycle, " <- "),
                                  "; one environment of the chain must follow the source"));
        }
        break;
      }
      chain.push_back(at);
    }
  }
}

LoadResult Load(const std::string& dir, const std::string* only_env) {
  LoadResult result;
  Diagnostics shared;
  const internal::ProjectConfig config = internal::ParseProject(dir, &shared);
  if (config.found) {
    std::vector<ParsedFile> files;
    for (const std::string& path : internal::ExpandResourceFiles(dir, config.resources, &shared)) {
      files.push_back(ParsedFile{path, internal::LoadDocuments(dir, path, &shared)});
    }
    // Diagnostics of each environment, merged so a problem common to all is said once.
    std::map<Diagnostic, std::vector<std::string>> per_env;
    std::vector<Diagnostic> order;
    size_t env_count = 0;
    std::map<std::string, Location> from_at;
    for (const internal::Named& env_name : config.environments) {
      if (only_env != nullptr && env_name.value != *only_env) continue;
      ++env_count;
      Diagnostics diags;
      result.environments.push_back(
          LoadOne(dir, config, env_name, files, &diags, &from_at[env_name.value]));
      for (const Diagnostic& d : diags.items()) {
        auto& envs = per_env[d];
        if (envs.empty()) order.push_back(d);
        if (envs.empty() || envs.back() != env_name.value) envs.push_back(env_name.value);
      }
    }
    for (Diagnostic d : order) {
      const auto& envs = per_env[d];
      if (envs.size() < env_count) {
        absl::StrAppend(&d.message, " [environment", envs.size() > 1 ? "s " : " ",
                        absl::StrJoin(envs, ", "), "]");
      }
      shared.Add(std::move(d));
    }
    CheckPromotion(config, result.environments, from_at, only_env == nullptr, &shared);
  }
  result.errors = shared.items();
  std::sort(result.errors.begin(), result.errors.end());
  result.errors.erase(std::unique(result.errors.begin(), result.errors.end()), result.errors.end());
  return result;
}

}  // namespace

// The loader's boundary: no exception of yaml-cpp, nlohmann/json, protobuf or the file
// system gets past it.
static LoadResult GuardedLoad(const std::string& dir, const std::string* only_env) {
  try {
    return Load(dir, only_env);
  } catch (const std::exception& e) {
    LoadResult result;
    result.errors.push_back(Diagnostic{"envctl.yaml", 1, 1, "",
                                       absl::StrCat("the repo could not be loaded: ", e.what())});
    return result;
  }
}

LoadResult LoadRepo(const std::string& dir, const std::string& only_env) {
  if (only_env.empty()) return GuardedLoad(dir, nullptr);
  LoadResult result = GuardedLoad(dir, &only_env);
  if (result.environments.empty() && result.errors.empty()) {
    Diagnostics probe;
    const internal::ProjectConfig config = internal::ParseProject(dir, &probe);
    std::vector<std::string> names;
    for (const auto& e : config.environments) names.push_back(e.value);
    result.errors.push_back(Diagnostic{
        "envctl.yaml", 0, 0, "environments",
        absl::StrCat("environment \"", only_env,
                     "\" is not declared (declared: ", absl::StrJoin(names, ", "), ")")});
  }
  return result;
}

absl::StatusOr<Environment> LoadEnvironment(const std::string& dir, const std::string& env) {
  Diagnostics probe;
  const internal::ProjectConfig config = internal::ParseProject(dir, &probe);
  if (config.found) {
    std::vector<std::string> names;
    for (const auto& e : config.environments) names.push_back(e.value);
    if (std::find(names.begin(), names.end(), env) == names.end()) {
      return absl::NotFoundError(
          absl::StrCat("environment \"", env, "\" is not declared in ", dir,
                       "/envctl.yaml (declared: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  LoadResult result = GuardedLoad(dir, &env);
  if (!result.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(result.errors.size(), " error(s) in ", dir,
                                                   ":\n", FormatDiagnostics(result.errors)));
  }
  return std::move(result.environments.front());
}

std::string FormatDiagnostics(const std::vector<Diagnostic>& errors) {
  std::string out;
  for (const Diagnostic& d : errors) absl::StrAppend(&out, d.ToString(), "\n");
  return out;
}

}  // namespace envctl::spec
