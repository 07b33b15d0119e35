#include "spec/internal/ignore_paths.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spec/internal/suggest.h"

namespace envctl::spec::internal {
namespace {

using envctl::v1::Resource;

// Path patterns, one token per step: a key, `*` (any key), `**` (anything below, or
// nothing), `[k=*]` (an element selected by key k) or `[*]` (any element). A path is
// accepted when it matches a pattern or a leading part of one.
const std::map<Kind, std::vector<std::string>>& Patterns() {
  static const auto* patterns = new std::map<Kind, std::vector<std::string>>{
      {Resource::kResourceGroup, {"tags.**"}},
      {Resource::kUserAssignedIdentity, {"tags.**"}},
      {Resource::kStorageAccount,
       {"tags.**", "sku.name", "properties.accessTier", "properties.minimumTlsVersion",
        "properties.supportsHttpsTrafficOnly", "properties.allowBlobPublicAccess",
        "containers[name=*].properties.publicAccess", "containers[name=*].properties.metadata.**"}},
      {Resource::kKeyVault,
       {"tags.**", "properties.sku.name", "properties.enablePurgeProtection",
        "properties.enableRbacAuthorization", "properties.accessPolicies[objectId=*].tenantId",
        "properties.accessPolicies[objectId=*].permissions.secrets",
        "properties.accessPolicies[objectId=*].permissions.keys",
        "properties.accessPolicies[objectId=*].permissions.certificates"}},
      {Resource::kDataFactory,
       {"tags.**", "identity.type", "identity.userAssignedIdentities",
        "properties.repoConfiguration.type", "properties.repoConfiguration.accountName",
        "properties.repoConfiguration.projectName", "properties.repoConfiguration.repositoryName",
        "properties.repoConfiguration.collaborationBranch",
        "properties.repoConfiguration.rootFolder", "properties.repoConfiguration.tenantId",
        "properties.repoConfiguration.hostName", "properties.repoConfiguration.disablePublish"}},
      {Resource::kDatabricksWorkspace, {"tags.**", "sku.name"}},
      // Job settings and cluster attributes as the Jobs 2.2 / Clusters 2.1 APIs name them.
      {Resource::kDatabricksJob,
       {"max_concurrent_runs", "timeout_seconds", "schedule.quartz_cron_expression",
        "schedule.timezone_id", "schedule.pause_status", "tags.**", "email_notifications.**",
        "webhook_notifications.**", "parameters.**", "run_as.**", "tasks.**", "job_clusters.**"}},
      {Resource::kDatabricksCluster,
       {"spark_version", "node_type_id", "driver_node_type_id", "num_workers",
        "autoscale.min_workers", "autoscale.max_workers", "autotermination_minutes", "policy_id",
        "custom_tags.**", "spark_conf.**", "spark_env_vars.**"}},
  };
  return *patterns;
}

// "a.b[k=v].c" -> {"a", "b", "[k=v]", "c"}. Empty steps ("a..b", ".a") give "".
std::vector<std::string> Steps(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  bool pending = true;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '.') {
      if (pending) out.push_back(cur);
      cur.clear();
      pending = true;
    } else if (c == '[') {
      if (pending && !cur.empty()) out.push_back(cur);
      const size_t close = path.find(']', i);
      const size_t end = close == std::string::npos ? path.size() : close + 1;
      out.push_back(path.substr(i, end - i));
      i = end - 1;
      cur.clear();
      pending = false;
    } else {
      if (!pending) {  // "x[0]y": a key glued to a bracket
        out.push_back("");
        pending = true;
      }
      cur.push_back(c);
    }
  }
  if (pending) out.push_back(cur);
  return out;
}

bool StepMatches(const std::string& pattern, const std::string& step) {
  if (step.empty()) return false;
  const bool bracket = step[0] == '[';
  if (pattern == "*") return !bracket;
  if (pattern == "[*]") return bracket && step.size() > 2 && step.back() == ']';
  if (absl::EndsWith(pattern, "=*]")) {
    const std::string head = pattern.substr(0, pattern.size() - 2);  // "[k="
    return absl::StartsWith(step, head) && step.size() > head.size() + 1 && step.back() == ']';
  }
  return pattern == step;
}

// How many leading steps of `path` the pattern accepts; `path.size()` when all.
size_t Matched(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
  for (size_t i = 0; i < path.size(); ++i) {
    if (i >= pattern.size() || path[i].empty()) return i;
    if (pattern[i] == "**") return path.size();
    if (!StepMatches(pattern[i], path[i])) return i;
  }
  return path.size();
}

std::string Join(const std::vector<std::string>& steps) {
  std::string out;
  for (const std::string& s : steps) {
    if (!out.empty() && !s.empty() && s[0] != '[') out.push_back('.');
    out += s;
  }
  return out;
}

}  // namespace

std::vector<std::string> KindsWithIgnorePaths() {
  std::vector<std::string> out;
  for (Kind k : AllKinds()) {
    if (Patterns().count(k)) out.push_back(KindName(k));
  }
  return out;
}

Kind KindByName(const std::string& name) {
  for (Kind k : AllKinds()) {
    if (KindName(k) == name) return k;
  }
  return Resource::KIND_NOT_SET;
}

std::string CheckIgnorePath(Kind kind, const std::string& path) {
  auto it = Patterns().find(kind);
  if (it == Patterns().end()) {
    return absl::StrCat(
        "a ", KindName(kind),
        " has no fields ignoreDifferences can name; remove it (kinds that take it: ",
        absl::StrJoin(KindsWithIgnorePaths(), ", "), ")");
  }
  const std::vector<std::string> steps = Steps(path);
  size_t best = 0;
  std::vector<std::string> next;  // what the pattern allows at the first wrong step
  std::vector<std::string> examples;
  for (const std::string& p : it->second) {
    const std::vector<std::string> pattern = Steps(p);
    examples.push_back(p);
    const size_t m = path.empty() ? 0 : Matched(pattern, steps);
    if (m == steps.size() && !path.empty()) return "";
    if (m > best) {
      best = m;
      next.clear();
    }
    if (m == best && m < pattern.size() && pattern[m] != "**") next.push_back(pattern[m]);
  }
  std::string hint;
  if (best < steps.size()) {
    std::vector<std::string> literal;
    for (const std::string& n : next) {
      if (n.find('*') == std::string::npos) literal.push_back(n);
    }
    const std::string closest = ClosestMatch(steps[best], literal);
    if (!closest.empty()) {
      std::vector<std::string> fixed = steps;
      fixed[best] = closest;
      hint = absl::StrCat(" (did you mean \"", Join(fixed), "\"?)");
    }
  }
  std::vector<std::string> shown;
  for (const std::string& e : examples) shown.push_back(e);
  return absl::StrCat(path.empty() ? "empty path" : absl::StrCat("\"", path, "\""),
                      " is not a path ", KindName(kind), " plan can show", hint,
                      "; paths: ", absl::StrJoin(shown, ", "),
                      " (* is any name, ** anything below)");
}

}  // namespace envctl::spec::internal
