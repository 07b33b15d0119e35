#include "spec/internal/suggest.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

namespace envctl::spec::internal {

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Normalize(const std::string& s) {
  // snake_case and camelCase spellings of one name compare equal.
  std::string out;
  for (char c : s) {
    if (c != '_' && c != '-')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string ClosestMatch(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string n = Normalize(name);
  std::string best;
  size_t best_distance = std::max<size_t>(2, n.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(n, Normalize(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (!best.empty()) return best;
  // A long shared prefix also suggests the same name (notebook_dir -> notebook_folder).
  size_t best_prefix = std::max<size_t>(4, (n.size() * 3 + 4) / 5);
  for (const std::string& c : candidates) {
    const std::string nc = Normalize(c);
    size_t p = 0;
    while (p < n.size() && p < nc.size() && n[p] == nc[p]) ++p;
    if (p >= best_prefix) {
      best_prefix = p + 1;
      best = c;
    }
  }
  return best;
}

std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best = ClosestMatch(name, candidates);
  return best.empty() ? "" : absl::StrCat(" (did you mean \"", best, "\"?)");
}

}  // namespace envctl::spec::internal
