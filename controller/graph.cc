#include "controller/graph.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace envctl::controller {

namespace {

// Finds one cycle among `nodes` (all of which are on or behind a cycle) by walking
// dependency edges until a node repeats.
std::vector<std::string> FindCycle(const std::map<std::string, std::set<std::string>>& deps,
                                   const std::set<std::string>& nodes) {
  std::vector<std::string> path;
  std::map<std::string, size_t> index;
  std::string current = *nodes.begin();
  while (!index.count(current)) {
    index[current] = path.size();
    path.push_back(current);
    for (const std::string& d : deps.at(current)) {
      if (nodes.count(d)) {
        current = d;
        break;
      }
    }
  }
  std::vector<std::string> cycle(path.begin() + index[current], path.end());
  cycle.push_back(current);
  return cycle;
}

}  // namespace

absl::StatusOr<DependencyGraph> DependencyGraph::Build(
    const std::map<std::string, std::set<std::string>>& deps) {
  DependencyGraph g;
  g.deps_ = deps;
  for (const auto& [node, ds] : deps) {
    g.reverse_[node];
    for (const std::string& d : ds) {
      if (!deps.count(d)) {
        return absl::InvalidArgumentError(
            absl::StrCat(node, " depends on unknown resource \"", d, "\""));
      }
      g.reverse_[d].insert(node);
    }
  }
  std::set<std::string> remaining;
  for (const auto& [node, ds] : deps) remaining.insert(node);
  while (!remaining.empty()) {
    std::vector<std::string> wave;
    for (const std::string& node : remaining) {
      const auto& ds = deps.at(node);
      if (std::none_of(ds.begin(), ds.end(),
                       [&](const std::string& d) { return remaining.count(d) > 0; })) {
        wave.push_back(node);
      }
    }
    if (wave.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dependency cycle: ", absl::StrJoin(FindCycle(deps, remaining), " -> ")));
    }
    for (const std::string& node : wave) {
      remaining.erase(node);
      g.wave_of_[node] = static_cast<int>(g.waves_.size());
    }
    g.waves_.push_back(std::move(wave));
  }
  return g;
}

int DependencyGraph::WaveOf(const std::string& node) const {
  auto it = wave_of_.find(node);
  return it == wave_of_.end() ? -1 : it->second;
}

std::set<std::string> DependencyGraph::Dependents(const std::string& node) const {
  std::set<std::string> out;
  std::vector<std::string> stack = {node};
  while (!stack.empty()) {
    std::string n = stack.back();
    stack.pop_back();
    auto it = reverse_.find(n);
    if (it == reverse_.end()) continue;
    for (const std::string& d : it->second) {
      if (out.insert(d).second) stack.push_back(d);
    }
  }
  return out;
}

const std::set<std::string>& DependencyGraph::DependenciesOf(const std::string& node) const {
  static const std::set<std::string>* empty = new std::set<std::string>();
  auto it = deps_.find(node);
  return it == deps_.end() ? *empty : it->second;
}

}  // namespace envctl::controller
