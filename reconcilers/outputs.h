// Outputs: values resources produce for their dependents during one plan or apply
// (resource ids, storage keys, the factory's principal id, workspace URL, tokens).
// Sensitive values (keys, tokens) flow to dependents but are never printed: every place
// that renders a value for humans asks IsSensitive() first. Thread-safe.
#ifndef ENVCTL_RECONCILERS_OUTPUTS_H_
#define ENVCTL_RECONCILERS_OUTPUTS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "envctl/v1/spec.pb.h"

namespace envctl::reconcilers {

struct OutputValue {
  std::string value;
  bool sensitive = false;
};

class Outputs {
 public:
  void Set(const std::string& resource, const std::string& name, OutputValue value);
  std::optional<OutputValue> Get(const std::string& resource, const std::string& name) const;

  // Resolves a ValueSource: an output of another resource or an environment variable.
  // FailedPrecondition when the output is not known yet (the producer does not exist:
  // "known after apply"); InvalidArgument when the environment variable is unset.
  absl::StatusOr<OutputValue> Resolve(const envctl::v1::ValueSource& source) const;

  // Replaces every ${resource.output} in `text`. Plain ${param} placeholders were already
  // substituted by the loader, so any left without a dot are an error. FailedPrecondition
  // names the first unknown output. `sensitive` (optional) is set when any expanded value is.
  absl::StatusOr<std::string> Expand(const std::string& text, bool* sensitive = nullptr) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::map<std::string, OutputValue>> values_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_OUTPUTS_H_
