// DependencyGraph: orders an environment's resources into waves. Wave 0 holds resources
// with no dependencies; wave n holds those whose dependencies all sit in earlier waves,
// so a wave's members can be reconciled in parallel. Built from explicit depends_on and
// the references each field implies (spec/references.h). Immutable once built.
#ifndef ENVCTL_CONTROLLER_GRAPH_H_
#define ENVCTL_CONTROLLER_GRAPH_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace envctl::controller {

class DependencyGraph {
 public:
  // `deps` maps every node to the nodes it depends on. InvalidArgument when a dependency
  // names an unknown node, or on a cycle (the message names it: "a -> b -> a").
  static absl::StatusOr<DependencyGraph> Build(
      const std::map<std::string, std::set<std::string>>& deps);

  // Waves in topological order; names sorted within a wave for stable output.
  const std::vector<std::vector<std::string>>& waves() const { return waves_; }
  int WaveOf(const std::string& node) const;
  // Every node that depends on `node`, directly or transitively.
  std::set<std::string> Dependents(const std::string& node) const;
  const std::set<std::string>& DependenciesOf(const std::string& node) const;

 private:
  std::map<std::string, std::set<std::string>> deps_;
  std::map<std::string, std::set<std::string>> reverse_;
  std::map<std::string, int> wave_of_;
  std::vector<std::vector<std::string>> waves_;
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_GRAPH_H_
