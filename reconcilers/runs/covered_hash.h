// The content a test covers: a SHA-256 over the test's own content hash and the content
// hashes of every resource it lists in `covers`, so a test reruns exactly when something
// it tests changed (a notebook edit, a new library, a rotated secret's source...).
#ifndef ENVCTL_RECONCILERS_RUNS_COVERED_HASH_H_
#define ENVCTL_RECONCILERS_RUNS_COVERED_HASH_H_

#include <string>

#include "envctl/v1/spec.pb.h"
#include "google/protobuf/repeated_field.h"

namespace envctl::reconcilers {

std::string CoveredHash(const envctl::v1::Environment& env, const std::string& test_name,
                        const google::protobuf::RepeatedPtrField<std::string>& covers);

}  // namespace envctl::reconcilers

#endif  // ENVCTL_RECONCILERS_RUNS_COVERED_HASH_H_
