// ReconcilerRegistry: which reconciler handles which resource kind. Owns its reconcilers.
// Filled once at start-up (reconcilers/cloud_reconcilers.h wires every kind to a cloud
// session; tests register fakes), then read concurrently.
#ifndef ENVCTL_RECONCILERS_REGISTRY_H_
#define ENVCTL_RECONCILERS_REGISTRY_H_

#include <map>
#include <memory>
#include <vector>

#include "envctl/v1/spec.pb.h"
#include "reconcilers/reconciler.h"

namespace envctl::reconcilers {

class ReconcilerRegistry {
 public:
  // Registers a reconciler the registry does not own (tests).
  void Register(envctl::v1::Resource::KindCase kind, Reconciler* reconciler) {
    by_kind_[kind] = reconciler;
  }
  void Register(envctl::v1::Resource::KindCase kind, std::unique_ptr<Reconciler> reconciler) {
    by_kind_[kind] = reconciler.get();
    owned_.push_back(std::move(reconciler));
  }
  // nullptr when no reconciler handles `kind`.
  Reconciler* For(envctl::v1::Resource::KindCase kind) const {
    auto it = by_kind_.find(kind);
    return it == by_kind_.end() ? nullptr : it->second;
  }

 private:
  std::map<envctl::v1::Resource::KindCase, Reconciler*> by_kind_;
  std::vector<std::unique_ptr<Reconciler>> owned_;
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_REGISTRY_H_
