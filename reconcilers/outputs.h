// Outputs: values resources produce for their dependents during one plan or apply
// (resource ids, storage keys, the factory's principal id, workspace URL, tokens).
// Sensitive values (keys, tokens) flow to dependents but are never printed: every place
// that renders a value for humans asks IsSensitive() first. It also carries the pass's
// shared live reads (reads()). Thread-safe.
#ifndef ENVCTL_RECONCILERS_OUTPUTS_H_
#define ENVCTL_RECONCILERS_OUTPUTS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "envctl/v1/spec.pb.h"
#include "reconcilers/pass_reads.h"

namespace envctl::reconcilers {

// A published output. Secret outputs are published lazily: `fingerprint` is a non-secret
// identity of the current value (a storage key's creation time, a PAT's token id, or a
// hash) that consumers store and compare, so a no-op resync needs neither the value nor
// a write; `mint` produces the value (listKeys, or creating a new PAT) only when a
// consumer must write it. Apply-time only: Plan never calls mint.
struct OutputValue {
  std::string value;
  bool sensitive = false;
  std::string fingerprint;
  std::function<absl::StatusOr<OutputValue>()> mint;
  // Fingerprints of earlier values that still work (envctl's older PATs not yet due for
  // rotation): a consumer holding one of them is current and writes nothing, so consumers
  // written at different times never make each other mint again.
  std::vector<std::string> still_valid;

  // `fingerprint` when set, else a short SHA-256 of the value (safe to store in tags).
  std::string Fingerprint() const;
  // Whether a consumer that recorded `held` holds a working value: Fingerprint() or one
  // of `still_valid`.
  bool Holds(const std::string& held) const;
};

// The explicit "output known only after apply" signal: a FailedPrecondition carrying a
// payload, so the engine never mistakes a real precondition failure (an Azure 409, a
// missing resource group) for a pending output.
absl::Status KnownAfterApplyError(const std::string& message);
bool IsKnownAfterApply(const absl::Status& status);

class Outputs {
 public:
  void Set(const std::string& resource, const std::string& name, OutputValue value);
  std::optional<OutputValue> Get(const std::string& resource, const std::string& name) const;

  // Resolves a ValueSource: an output of another resource or an environment variable.
  // KnownAfterApplyError when the output is not known yet (the producer does not exist
  // yet); InvalidArgument when the environment variable is unset.
  absl::StatusOr<OutputValue> Resolve(const envctl::v1::ValueSource& source) const;

  // Resolves `source` and returns the value itself, minting it when only a fingerprint was
  // published. Updates the stored output with the minted value so it is produced once:
  // consumers materializing the same output concurrently wait for one mint.
  absl::StatusOr<OutputValue> Materialize(const envctl::v1::ValueSource& source);

  // Replaces every ${resource.output} in `text`. Plain ${param} placeholders were already
  // substituted by the loader, so any left without a dot are an error. FailedPrecondition
  // names the first unknown output. `sensitive` (optional) is set when any expanded value is.
  absl::StatusOr<std::string> Expand(const std::string& text, bool* sensitive = nullptr) const;

  // Live bodies shared by the resources of this pass (Outputs lives exactly one pass of
  // one environment): see pass_reads.h.
  PassReads& reads() { return reads_; }

 private:
  PassReads reads_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::map<std::string, OutputValue>> values_ ABSL_GUARDED_BY(mu_);
  // "resource.output" -> held while that output is minted.
  std::map<std::string, std::shared_ptr<absl::Mutex>> minting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_OUTPUTS_H_
