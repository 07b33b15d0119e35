// Field-level diff of normalized JSON, shared by every reconciler: compares only what the
// spec declares (desired), so server defaults and read-only fields the spec does not set
// never show as drift. Objects are compared key by key, arrays element by element (
// normalize order first where the service does not keep it, e.g. access policies, ACLs).
#ifndef ENVCTL_RECONCILERS_JSON_DIFF_H_
#define ENVCTL_RECONCILERS_JSON_DIFF_H_

#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

struct DiffOptions {
  // Dotted paths whose values are sensitive (rendered "(sensitive)").
  std::set<std::string> sensitive_paths;
  // Compare strings case-insensitively at these paths (locations, ids).
  std::set<std::string> case_insensitive_paths;
  // When true, keys present in live but absent from desired are reported as removals
  // (used for maps the spec owns wholly, e.g. tags, ADF definitions).
  bool exact = false;
};

// Appends to `out` one FieldChange per leaf that differs, paths like "properties.sku.name"
// or "accessPolicies[2].permissions". Returns true when anything differs.
bool DiffJson(const nlohmann::json& desired, const nlohmann::json& live,
              std::vector<FieldChange>* out, const DiffOptions& options = {},
              const std::string& path = "");

// Lowercases location-like strings and drops spaces: "West Europe" -> "westeurope".
std::string NormalizeLocation(const std::string& location);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_JSON_DIFF_H_
