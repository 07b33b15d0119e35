// PassReads: live bodies read once in one plan or apply pass of one environment and
// shared by the resources of that pass, so one request serves several resources (one
// listing of the role assignments at a scope serves every assignment declared there; the
// factory's GET serves its global parameters). An entry lives only as long as the pass
// (the Outputs object that owns it): the next pass reads live state again, so drift
// between passes is always seen. A resource that writes what an entry describes must
// Forget it. It also knows which containers (a resource group, storage account, vault,
// data factory, Databricks workspace) a resource created from nothing in this pass: what
// goes in them cannot exist yet, so their plans skip reads that could only answer 404
// (each one a request that a throttled service makes wait). Thread-safe; ReadOnce runs
// `read` at most once per key at a time (callers asking for the same key meanwhile wait
// for its answer). Errors are not kept.
#ifndef ENVCTL_RECONCILERS_PASS_READS_H_
#define ENVCTL_RECONCILERS_PASS_READS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace envctl::reconcilers {

// The key of a data factory's own body (its GET in this pass), by factory id.
std::string FactoryBodyKey(const std::string& factory_id);

class PassReads {
 public:
  // The body kept under `key`, else `read()` (kept when OK). Concurrent callers of the
  // same key share one read.
  absl::StatusOr<nlohmann::json> ReadOnce(
      const std::string& key, const std::function<absl::StatusOr<nlohmann::json>()>& read);
  // Keeps `body` under `key` (a body read anyway that another resource may use).
  void Remember(const std::string& key, nlohmann::json body);
  // The body kept under `key`, if any; never reads.
  std::optional<nlohmann::json> Recall(const std::string& key) const;
  // Drops `key` (its object was written in this pass).
  void Forget(const std::string& key);

  // Records that the resource named `resource` (its name in the environment) created its
  // object in this pass, where a read had just found none: nothing can be inside it yet.
  // Not for an object restored or recovered (a soft-deleted vault keeps its secrets).
  void MarkCreated(const std::string& resource);
  // Whether MarkCreated(resource) was called in this pass.
  bool CreatedInThisPass(const std::string& resource) const;
  // `read()` (an absl::StatusOr), or NotFound without a request when the resource named
  // `container` created its object in this pass: what `read` looks for inside it cannot
  // exist yet.
  template <typename Read>
  auto ReadInside(const std::string& container, const Read& read) const -> decltype(read()) {
    if (CreatedInThisPass(container)) {
      return absl::NotFoundError(
          absl::StrCat("not found: ", container, " was created in this pass"));
    }
    return read();
  }

 private:
  struct Entry {
    absl::Mutex mu;  // held while the entry is being read
    std::optional<nlohmann::json> body ABSL_GUARDED_BY(mu);
  };
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> created_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_PASS_READS_H_
