#include "spec/internal/content.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sha256.h"
#include "nlohmann/json.hpp"
#include "spec/internal/substitute.h"
#include "spec/internal/suggest.h"

namespace envctl::spec::internal {

namespace fs = std::filesystem;
using envctl::v1::Resource;
using envctl::v1::ResourceContent;

namespace {

// Folders of ADF Git mode that hold one JSON definition per file.
const std::vector<std::string>& DefinitionFolders() {
  static const auto* folders =
      new std::vector<std::string>{"linkedService", "dataset",
                                   "pipeline",      "trigger",
                                   "dataflow",      "integrationRuntime",
                                   "credential",    "managedVirtualNetwork",
                                   "factory"};
  return *folders;
}

bool IsNotebook(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".py" || ext == ".scala" || ext == ".sql" || ext == ".r" || ext == ".R";
}

std::string RelativeTo(const fs::path& p, const fs::path& base) {
  return p.lexically_relative(base).generic_string();
}

// `"referenceName": "X"` objects of these types must name a definition of that folder.
const std::map<std::string, std::string>& ReferenceTypes() {
  static const auto* types =
      new std::map<std::string, std::string>{{"LinkedServiceReference", "linkedService"},
                                             {"DatasetReference", "dataset"},
                                             {"PipelineReference", "pipeline"},
                                             {"DataFlowReference", "dataflow"},
                                             {"CredentialReference", "credential"}};
  return *types;
}

void CollectDefinitionRefs(const nlohmann::json& j,
                           std::vector<std::pair<std::string, std::string>>* out) {
  if (j.is_object()) {
    auto type = j.find("type");
    auto name = j.find("referenceName");
    if (type != j.end() && name != j.end() && type->is_string() && name->is_string()) {
      auto folder = ReferenceTypes().find(type->get<std::string>());
      if (folder != ReferenceTypes().end())
        out->emplace_back(folder->second, name->get<std::string>());
    }
    for (const auto& [key, value] : j.items()) CollectDefinitionRefs(value, out);
  } else if (j.is_array()) {
    for (const auto& value : j) CollectDefinitionRefs(value, out);
  }
}

}  // namespace

ContentLoader::ContentLoader(std::string repo_dir, const envctl::v1::Environment& env,
                             EnvironmentValidator& validator, Diagnostics* diags)
    : repo_(std::move(repo_dir)), env_(env), validator_(validator), diags_(diags) {}

bool ContentLoader::Resolve(int i, const std::string& field, const std::string& rel,
                            bool want_dir) {
  if (rel.empty()) return false;  // "required" was reported by the validator
  const absl::StatusOr<std::string> resolved =
      want_dir ? repo_.ResolveDir(rel) : repo_.ResolveFile(rel);
  if (resolved.ok()) return true;
  if (absl::IsNotFound(resolved.status())) {
    diags_->Add(validator_.At(i, field), field,
                absl::StrCat(want_dir ? "folder" : "file", " \"", rel,
                             "\" not found in the repo; create it or fix the path"));
  } else {
    diags_->Add(validator_.At(i, field), field, std::string(resolved.status().message()));
  }
  return false;
}

void ContentLoader::Load(int i, ResourceContent* out) {
  out->set_resource(env_.resources(i).name());
  switch (env_.resources(i).kind_case()) {
    case Resource::kDatabricksNotebooks:
      LoadNotebooks(i, out);
      break;
    case Resource::kDatabricksLibrary:
      LoadLibrary(i, out);
      break;
    case Resource::kDataFactory:
      break;
    case Resource::kDataFactoryDefinitions:
      LoadDefinitions(i, out);
      break;
    default:
      break;
  }
}

void ContentLoader::LoadNotebooks(int i, ResourceContent* out) {
  const std::string field = "databricksNotebooks.sourceFolder";
  const std::string& rel = env_.resources(i).databricks_notebooks().source_folder();
  if (!Resolve(i, field, rel, /*want_dir=*/true)) return;
  const std::string folder = fs::path(rel).lexically_normal().generic_string();
  std::vector<std::string> files;
  for (const std::string& f : repo_.List(rel, /*recursive=*/true)) {
    if (IsNotebook(fs::path(f))) files.push_back(f);
  }
  for (const std::string& f : files) {
    auto* file = out->add_files();
    file->set_path(RelativeTo(f, folder));
    absl::StatusOr<std::string> content =
        repo_.Read(f, DefaultInputLimits().max_content_file_bytes);
    if (!content.ok()) {
      diags_->Add(validator_.At(i, field), field,
                  absl::StrCat("cannot read ", f, ": ", content.status().message()));
      content = std::string();
    }
    file->set_sha256(Sha256Hex(*content));
    file->set_content(std::move(*content));
  }
  if (files.empty()) {
    diags_->Add(validator_.At(i, field), field,
                absl::StrCat("folder \"", rel, "\" holds no notebooks (.py, .scala, .sql, .r)"));
  }
}

void ContentLoader::LoadLibrary(int i, ResourceContent* out) {
  const std::string field = "databricksLibrary.sourceFile";
  const std::string& rel = env_.resources(i).databricks_library().source_file();
  if (!Resolve(i, field, rel, /*want_dir=*/false)) return;
  absl::StatusOr<std::string> content =
      repo_.Read(rel, DefaultInputLimits().max_content_file_bytes);
  if (!content.ok()) {
    diags_->Add(validator_.At(i, field), field, std::string(content.status().message()));
    return;
  }
  auto* file = out->add_files();
  file->set_path(fs::path(rel).lexically_normal().generic_string());
  file->set_sha256(Sha256Hex(*content));
  file->set_content(std::move(*content));
}

void ContentLoader::LoadDefinitions(int i, ResourceContent* out) {
  const auto& defs = env_.resources(i).data_factory_definitions();
  const std::string field = "dataFactoryDefinitions.folder";
  if (!Resolve(i, field, defs.folder(), /*want_dir=*/true)) return;
  std::map<std::string, std::string> params(env_.parameters().begin(), env_.parameters().end());
  for (const auto& [k, v] : defs.parameters()) params[k] = v;
  const std::string folder = fs::path(defs.folder()).lexically_normal().generic_string();
  bool any = false;
  for (const std::string& sub : DefinitionFolders()) {
    // managedVirtualNetwork/<vnet>/managedPrivateEndpoint/*.json sit two levels down.
    const bool nested = sub == "managedVirtualNetwork";
    for (const std::string& f : repo_.List(absl::StrCat(folder, "/", sub), /*recursive=*/nested)) {
      if (fs::path(f).extension() != ".json") continue;
      if (nested) {
        const std::string rel = RelativeTo(f, absl::StrCat(folder, "/", sub));
        const bool vnet = rel.find('/') == std::string::npos;
        const bool endpoint = absl::StrContains(rel, "/managedPrivateEndpoint/") &&
                              std::count(rel.begin(), rel.end(), '/') == 2;
        if (!vnet && !endpoint) continue;
      }
      any = true;
      LoadDefinitionFile(i, RelativeTo(f, folder), folder, params, out);
    }
  }
  if (!any) {
    diags_->Add(
        validator_.At(i, field), field,
        absl::StrCat(
            "folder \"", defs.folder(),
            "\" holds no Data Factory definitions "
            "(expected linkedService/, dataset/, pipeline/, trigger/, dataflow/, "
            "integrationRuntime/, credential/, managedVirtualNetwork/ or factory/ *.json)"));
    return;
  }
  // Definitions refer to each other by name; a dangling name fails only at publish time.
  if (incomplete_.count(i)) return;
  std::set<std::string> names;
  for (const auto& file : out->files()) {
    names.insert(file.path().substr(0, file.path().size() - 5));  // "pipeline/X"
  }
  for (const auto& file : out->files()) {
    nlohmann::json j = nlohmann::json::parse(file.content(), nullptr, /*allow_exceptions=*/false);
    std::vector<std::pair<std::string, std::string>> refs;
    CollectDefinitionRefs(j, &refs);
    for (const auto& [sub, name] : refs) {
      if (names.count(absl::StrCat(sub, "/", name))) continue;
      const std::string path = absl::StrCat(folder, "/", file.path());
      const std::string raw =
          repo_.Read(path, DefaultInputLimits().max_spec_file_bytes).value_or("");
      size_t at = raw.find(absl::StrCat("\"", name, "\""), raw.find("\"referenceName\""));
      std::vector<std::string> candidates;
      for (const std::string& n : names) {
        if (absl::StartsWith(n, sub + "/")) candidates.push_back(n.substr(sub.size() + 1));
      }
      diags_->Add(LocationInText(path, raw, at == std::string::npos ? 0 : at), "referenceName",
                  absl::StrCat("no ", sub, " named \"", name, "\" in ", folder, "/", sub, "/",
                               DidYouMean(name, candidates)));
    }
  }
}

void ContentLoader::LoadDefinitionFile(int i, const std::string& rel_file,
                                       const std::string& folder_path,
                                       const std::map<std::string, std::string>& params,
                                       ResourceContent* out) {
  const std::string path = absl::StrCat(folder_path, "/", rel_file);  // repo-relative
  absl::StatusOr<std::string> read = repo_.Read(path, DefaultInputLimits().max_spec_file_bytes);
  if (!read.ok()) {
    // A symlink has no lines of its own: the error points at the resource's folder field.
    const std::string field = "dataFactoryDefinitions.folder";
    diags_->Add(validator_.At(i, field), field, std::string(read.status().message()));
    incomplete_.insert(i);
    return;
  }
  const std::string& raw = *read;
  if (std::optional<Diagnostic> problem = CheckJson(path, raw)) {
    diags_->Add(std::move(*problem));
    incomplete_.insert(i);
    return;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(raw);
  } catch (const nlohmann::json::parse_error& e) {
    const size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    const size_t colon = what.find("syntax error");
    diags_->Add(
        LocationInText(path, raw, byte), "",
        absl::StrCat("invalid JSON: ", colon == std::string::npos ? what : what.substr(colon)));
    incomplete_.insert(i);
    return;
  } catch (const nlohmann::json::exception& e) {
    diags_->Add(Location{path, 1, 1}, "", absl::StrCat("invalid JSON: ", e.what()));
    incomplete_.insert(i);
    return;
  }
  const std::string stem = fs::path(rel_file).stem().string();
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      !j.contains("properties") || !j["properties"].is_object()) {
    diags_->Add(Location{path, 1, 1}, "",
                "not a Data Factory definition: expected {\"name\": \"...\", \"properties\": "
                "{...}} as Data Factory's Git mode writes it");
    incomplete_.insert(i);
    return;
  }
  // factory/<factory>.json is named after the factory, which differs per environment.
  const bool factory_file = absl::StartsWith(rel_file, "factory/");
  if (!factory_file && j["name"].get<std::string>() != stem) {
    const size_t at = raw.find("\"name\"");
    diags_->Add(
        LocationInText(path, raw, at == std::string::npos ? 0 : at), "name",
        absl::StrCat("name \"", j["name"].get<std::string>(), "\" differs from the file name \"",
                     stem, ".json\"; Data Factory's Git mode names the file after the definition"));
  }
  // Substitute parameters in every string; report at the placeholder in the raw file.
  std::vector<nlohmann::json*> stack{&j};
  while (!stack.empty()) {
    nlohmann::json* node = stack.back();
    stack.pop_back();
    if (node->is_object() || node->is_array()) {
      for (auto& child : *node) stack.push_back(&child);
      continue;
    }
    if (!node->is_string()) continue;
    Substitution s = Substitute(node->get<std::string>(), params);
    for (const TextError& e : s.errors) {
      const std::string needle = node->get<std::string>().substr(
          e.offset, node->get<std::string>().find('}', e.offset) - e.offset + 1);
      const size_t at = raw.find(needle);
      diags_->Add(LocationInText(path, raw, at == std::string::npos ? 0 : at), "", e.message);
    }
    for (const TextOutputRef& ref : s.outputs) {
      const std::string needle = absl::StrCat("${", ref.resource, ".", ref.output, "}");
      const size_t at = raw.find(needle);
      validator_.CheckReference(i, Reference{"", ref.resource, Resource::KIND_NOT_SET, ref.output},
                                LocationInText(path, raw, at == std::string::npos ? 0 : at));
    }
    if (const size_t bad = FirstInvalidUtf8(s.text); bad != std::string_view::npos) {
      // Only a substituted value can bring bytes the file did not hold.
      const size_t at = raw.find("${");
      diags_->Add(LocationInText(path, raw, at == std::string::npos ? 0 : at), "",
                  "a substituted parameter makes this string invalid UTF-8");
      s.text.clear();
    }
    *node = s.text;
  }
  std::string canonical;
  try {
    canonical = j.dump();  // keys sorted, no whitespace: the canonical form
  } catch (const nlohmann::json::exception& e) {
    diags_->Add(Location{path, 1, 1}, "", absl::StrCat("cannot serialize: ", e.what()));
    incomplete_.insert(i);
    return;
  }
  auto* file = out->add_files();
  file->set_path(rel_file);
  file->set_content(std::move(canonical));
  file->set_sha256(Sha256Hex(file->content()));
}

void ContentLoader::CheckDefinitionNames(const std::vector<ResourceContent>& contents) {
  auto has = [&](int factory, const std::string& file) {
    for (const auto& f : contents[factory].files()) {
      if (f.path() == file) return true;
    }
    return false;
  };
  auto names_in = [&](int factory, const std::string& sub) {
    std::vector<std::string> names;
    for (const auto& f : contents[factory].files()) {
      if (absl::StartsWith(f.path(), sub + "/")) {
        names.push_back(f.path().substr(sub.size() + 1, f.path().size() - sub.size() - 6));
      }
    }
    return names;
  };
  for (int i = 0; i < env_.resources_size(); ++i) {
    const Resource& r = env_.resources(i);
    if (incomplete_.count(i)) continue;
    if (r.has_data_factory_definitions() && contents[i].files_size() > 0) {
      const auto& triggers = r.data_factory_definitions().started_triggers();
      for (int t = 0; t < triggers.size(); ++t) {
        if (!has(i, absl::StrCat("trigger/", triggers[t], ".json"))) {
          const std::string field = absl::StrCat("dataFactoryDefinitions.startedTriggers[", t, "]");
          diags_->Add(validator_.At(i, field), field,
                      absl::StrCat("no trigger \"", triggers[t], "\" in ",
                                   r.data_factory_definitions().folder(), "/trigger/",
                                   DidYouMean(triggers[t], names_in(i, "trigger"))));
        }
      }
    }
    if (!r.has_pipeline_run_test() || (r.has_enabled() && !r.enabled().value())) continue;
    const std::string& factory = r.pipeline_run_test().data_factory();
    const std::string& pipeline = r.pipeline_run_test().pipeline();
    if (pipeline.empty()) continue;
    int defs = -1;
    for (int f = 0; f < env_.resources_size(); ++f) {
      const Resource& d = env_.resources(f);
      if (!d.has_data_factory_definitions() ||
          d.data_factory_definitions().data_factory() != factory ||
          (d.has_enabled() && !d.enabled().value()) || contents[f].files_size() == 0) {
        continue;
      }
      if (incomplete_.count(f)) {
        defs = -2;  // cannot tell
        break;
      }
      defs = f;
      if (has(f, absl::StrCat("pipeline/", pipeline, ".json"))) {
        defs = -2;  // found
        break;
      }
    }
    if (defs >= 0) {
      diags_->Add(validator_.At(i, "pipelineRunTest.pipeline"), "pipelineRunTest.pipeline",
                  absl::StrCat("no pipeline \"", pipeline, "\" in ",
                               env_.resources(defs).data_factory_definitions().folder(),
                               "/pipeline/ for factory \"", factory, "\"",
                               DidYouMean(pipeline, names_in(defs, "pipeline"))));
    }
  }
}

}  // namespace envctl::spec::internal
