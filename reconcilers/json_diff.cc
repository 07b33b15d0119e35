#include "reconcilers/json_diff.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace envctl::reconcilers {

std::string RenderValue(const nlohmann::json& value, bool sensitive) {
  if (sensitive) return "(sensitive)";
  if (value.is_null()) return "(none)";
  return value.dump();
}

std::string NormalizeLocation(const std::string& location) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(location, {{" ", ""}}));
}

namespace {

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

void AddChange(const std::string& path, const nlohmann::json& live, const nlohmann::json& desired,
               const DiffOptions& options, std::vector<FieldChange>* out) {
  bool sensitive = options.sensitive_paths.count(path) > 0;
  out->push_back({path, RenderValue(live, sensitive), RenderValue(desired, sensitive), sensitive});
}

}  // namespace

bool DiffJson(const nlohmann::json& desired, const nlohmann::json& live,
              std::vector<FieldChange>* out, const DiffOptions& options, const std::string& path) {
  if (desired.is_object() && live.is_object()) {
    bool differs = false;
    for (auto it = desired.begin(); it != desired.end(); ++it) {
      const std::string child = Join(path, it.key());
      auto l = live.find(it.key());
      if (l == live.end()) {
        if (it.value().is_null()) continue;
        AddChange(child, nullptr, it.value(), options, out);
        differs = true;
      } else {
        differs |= DiffJson(it.value(), *l, out, options, child);
      }
    }
    if (options.exact) {
      for (auto it = live.begin(); it != live.end(); ++it) {
        if (!desired.contains(it.key()) && !it.value().is_null()) {
          AddChange(Join(path, it.key()), it.value(), nullptr, options, out);
          differs = true;
        }
      }
    }
    return differs;
  }
  if (desired.is_array() && live.is_array() && desired.size() == live.size()) {
    bool differs = false;
    for (size_t i = 0; i < desired.size(); ++i) {
      differs |= DiffJson(desired[i], live[i], out, options, absl::StrCat(path, "[", i, "]"));
    }
    return differs;
  }
  if (desired.is_string() && live.is_string() && options.case_insensitive_paths.count(path)) {
    if (absl::EqualsIgnoreCase(desired.get<std::string>(), live.get<std::string>())) return false;
  } else if (desired.is_number() && live.is_number()) {
    if (desired.get<double>() == live.get<double>()) return false;
  } else if (desired == live) {
    return false;
  }
  AddChange(path, live, desired, options, out);
  return true;
}

}  // namespace envctl::reconcilers
