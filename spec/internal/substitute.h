// `${...}` placeholders in spec scalars and Data Factory JSON strings:
//   ${name}            a parameter, replaced by its merged value at load time;
//   ${resource.output} an output reference, left in place for the reconciler to resolve
//                      at apply time, and reported so the loader can validate it;
//   ${env:NAME}        refused: secrets reach envctl only through ValueSource.env.
// Pure functions; safe from any thread.
#ifndef ENVCTL_SPEC_INTERNAL_SUBSTITUTE_H_
#define ENVCTL_SPEC_INTERNAL_SUBSTITUTE_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace envctl::spec::internal {

struct TextOutputRef {
  size_t offset = 0;  // of the '$' in the input text
  std::string resource;
  std::string output;
};

struct TextError {
  size_t offset = 0;  // of the '$' in the input text
  std::string message;
};

struct Substitution {
  std::string text;  // the input with parameters replaced
  std::vector<TextOutputRef> outputs;
  std::vector<TextError> errors;
};

Substitution Substitute(const std::string& text, const std::map<std::string, std::string>& params);

// Only scans for `${resource.output}` references (no parameter handling).
std::vector<TextOutputRef> FindOutputRefs(const std::string& text);

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_SUBSTITUTE_H_
