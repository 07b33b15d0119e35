#include "reconcilers/ignored_fields.h"

#include <cstdlib>

#include "absl/strings/match.h"

namespace envctl::reconcilers {
namespace {

using nlohmann::json;

// The element of array `a` that `step` ("[3]" or "[name=x]") selects, or -1.
long FindElement(const json* a, const std::string& step) {
  if (a == nullptr || !a->is_array()) return -1;
  const std::string inner = step.substr(1, step.size() - 2);
  const size_t eq = inner.find('=');
  if (eq == std::string::npos) {
    char* end = nullptr;
    const long n = std::strtol(inner.c_str(), &end, 10);
    if (inner.empty() || *end != '\0' || n < 0 || static_cast<size_t>(n) >= a->size()) return -1;
    return n;
  }
  const std::string key = inner.substr(0, eq);
  const std::string value = inner.substr(eq + 1);
  for (size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    if (!e.is_object()) continue;
    auto it = e.find(key);
    if (it == e.end()) continue;
    const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
    if (absl::EqualsIgnoreCase(v, value)) return static_cast<long>(i);
  }
  return -1;
}

const json* Child(const json* node, const std::string& key) {
  if (node == nullptr || !node->is_object()) return nullptr;
  auto it = node->find(key);
  return it == node->end() ? nullptr : &*it;
}

// Copies live's value at `rest` into body (removing it from body when live has none).
// `live` is null when live has nothing at this point.
void Carry(const std::string& rest, const json* live, json* body) {
  if (rest.empty()) {
    if (live != nullptr) *body = *live;
    return;
  }
  if (rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos || !body->is_array()) return;
    const std::string step = rest.substr(0, close + 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty() && after[0] == '.') after.erase(0, 1);
    const long in_live = FindElement(live, step);
    const long in_body = FindElement(body, step);
    const json* live_elem = in_live < 0 ? nullptr : &(*live)[static_cast<size_t>(in_live)];
    if (after.empty()) {
      if (live_elem != nullptr && in_body >= 0) {
        (*body)[static_cast<size_t>(in_body)] = *live_elem;
      } else if (live_elem != nullptr) {
        body->push_back(*live_elem);
      } else if (in_body >= 0) {
        body->erase(static_cast<size_t>(in_body));
      }
      return;
    }
    if (in_body >= 0) Carry(after, live_elem, &(*body)[static_cast<size_t>(in_body)]);
    return;
  }
  if (!body->is_object()) return;
  // The key is the longest prefix of `rest` (cut at '.' or '[') that either side has, so
  // a tag named "cost.center" is one key.
  std::vector<size_t> cuts;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '.' || rest[i] == '[') cuts.push_back(i);
  }
  cuts.push_back(rest.size());
  for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
    const std::string key = rest.substr(0, *it);
    const json* live_child = Child(live, key);
    const bool in_body = body->contains(key);
    if (live_child == nullptr && !in_body && *it != cuts.front()) continue;
    std::string after = rest.substr(*it);
    if (!after.empty() && after[0] == '.') after.erase(0, 1);
    if (after.empty()) {
      if (live_child != nullptr) {
        (*body)[key] = *live_child;
      } else {
        body->erase(key);
      }
    } else if (in_body) {
      Carry(after, live_child, &(*body)[key]);
    }
    return;
  }
}

}  // namespace

bool PathCovers(const std::string& ignored, const std::string& path) {
  if (ignored.empty()) return false;
  if (path == ignored) return true;
  return path.size() > ignored.size() && absl::StartsWith(path, ignored) &&
         (path[ignored.size()] == '.' || path[ignored.size()] == '[');
}

bool IsIgnored(const std::string& path, const std::vector<std::string>& ignored) {
  for (const std::string& p : ignored) {
    if (PathCovers(p, path)) return true;
  }
  return false;
}

void KeepIgnoredLiveValues(const std::vector<std::string>& ignored, const json& live, json* body,
                           const std::string& root) {
  for (const std::string& p : ignored) {
    if (!root.empty() && PathCovers(p, root)) {
      *body = live;
      continue;
    }
    std::string rest;
    if (root.empty()) {
      rest = p;
    } else if (PathCovers(root, p)) {
      rest = p.substr(root.size());
      if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
    } else {
      continue;
    }
    Carry(rest, live.is_null() ? nullptr : &live, body);
  }
}

bool DropIgnoredFields(const std::vector<std::string>& ignored, Change* change) {
  change->ignored_paths = ignored;
  if (ignored.empty() || change->action != Action::kUpdate) return false;
  std::vector<FieldChange> kept;
  for (FieldChange& f : change->fields) {
    if (!IsIgnored(f.path, ignored)) kept.push_back(std::move(f));
  }
  const bool dropped = kept.size() != change->fields.size();
  const bool all_ignored = kept.empty() && !change->fields.empty();
  change->fields = std::move(kept);
  if (all_ignored) {
    change->action = Action::kNone;
    change->reason = "differences ignored (ignoreDifferences)";
  }
  return dropped;
}

bool AnyFieldUnder(const std::vector<FieldChange>& fields, const std::string& prefix) {
  for (const FieldChange& f : fields) {
    if (PathCovers(prefix, f.path)) return true;
  }
  return false;
}

}  // namespace envctl::reconcilers
