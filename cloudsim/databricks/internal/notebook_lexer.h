// Tokenizer for the notebook simulator: splits one cell of Python, Scala, SQL or R code
// into identifiers (dotted names kept whole), string literals (escapes decoded, prefixes
// such as r/b dropped, f and s noted as interpolated), numbers, punctuation, statement ends and
// `cloudsim:` directive comments. Other comments are dropped. Pure function; thread-safe.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_LEXER_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_LEXER_H_

#include <string>
#include <vector>

namespace envctl::cloudsim::databricks {

struct Token {
  enum Kind { kIdent, kString, kNumber, kPunct, kEnd, kDirective };
  Kind kind;
  std::string text;  // kDirective: the text after "cloudsim:"
  int line;
  // kString: 'f' for a Python f-string ({name}), 's' for a Scala s-string ($name,
  // ${name}); 0 for a plain literal.
  char interp = 0;
};

// `first_line` is the line number of the first line of `code`.
std::vector<Token> Tokenize(const std::string& language, const std::string& code, int first_line);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_LEXER_H_
