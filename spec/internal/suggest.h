// "did you mean" suggestions: the candidate closest to a misspelled name by edit distance
// (case-insensitive), when it is close enough to be a plausible typo. Thread-safe.
#ifndef ENVCTL_SPEC_INTERNAL_SUGGEST_H_
#define ENVCTL_SPEC_INTERNAL_SUGGEST_H_

#include <string>
#include <vector>

namespace envctl::spec::internal {

// Returns the closest candidate, or "" when none is within a third of the name's length
// (at least 2 edits are always allowed).
std::string ClosestMatch(const std::string& name, const std::vector<std::string>& candidates);

// ` (did you mean "x"?)` or "".
std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_SUGGEST_H_
