// NotebookProgram: what the run simulator understands of a notebook's source. The parser
// turns SOURCE-format text (header, `COMMAND ----------` cells, `MAGIC` lines) into an
// ordered list of steps: `cloudsim:` comment directives (fail, sleep, exit), the dbutils
// calls a deployment can break (notebook.run/exit, secrets.get, widgets.get/text/...,
// getArgument), Spark reads and writes of a path (method chains on spark.read and
// .write), `%run`, plain string assignments and `raise`/`throw`. Everything else is
// ignored. The grammar is deliberately small; cloudsim/README.md documents it. Pure
// functions; thread-safe.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_PROGRAM_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_PROGRAM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace envctl::cloudsim::databricks {

struct Step;

// An argument or right-hand side, as far as the simulator can evaluate it.
struct Expr {
  enum Kind { kUnknown, kString, kNumber, kVariable, kMap, kCall, kConcat, kInterpolated };
  Kind kind = kUnknown;
  // literal value, number text, variable name, or the template of a kInterpolated
  // string (`interp` 'f': Python f-string, 's': Scala s-string)
  std::string text;
  char interp = 0;
  std::vector<Expr> keys, values;  // kMap entries; kConcat uses `values`
  std::shared_ptr<Step> call;      // kCall
};

// `if <variable> == "<literal>":` (or `!=`), or the `else:` of one: the steps of the
// block run only when the test holds (Python cells).
struct Guard {
  std::string variable;
  std::string literal;
  bool equal = true;
};

struct Step {
  enum Kind {
    kFail,            // directive: fail "message"
    kSleep,           // directive: sleep <duration>
    kExit,            // directive exit "v", or dbutils.notebook.exit(expr)
    kDirectiveError,  // malformed or unknown directive (text = description)
    kWidgetDefine,    // dbutils.widgets.text/dropdown/combobox/multiselect(name, default, ...)
    kWidgetGet,       // dbutils.widgets.get(name), getArgument(name[, default])
    kSecretGet,       // dbutils.secrets.get/getBytes(scope, key)
    kNotebookRun,     // dbutils.notebook.run(path, timeout[, arguments])
    kRunInline,       // %run <path>
    kAssign,          // name = <literal or variable>
    kRaise,           // raise Type("message") / throw new Type("message")
    kDataRead,        // spark.read[...].parquet|csv|json|orc|text|load(path)  (text = method)
    kDataWrite,       // <df>.write[...].parquet|csv|json|orc|text|save(path) (text = method)
    kSparkConf,       // spark.conf.set(key, value)
  };
  Kind kind = kFail;
  int line = 0;        // 1-based line in the stored notebook body
  std::string target;  // variable assigned the step's value, if any
  std::string text;    // fail message, %run path, raise type, directive error
  absl::Duration sleep;
  std::vector<Expr> args;     // positional arguments, named ones mapped to their position
  std::vector<Guard> guards;  // enclosing if/else tests, outermost first
};

// Parses a notebook body (without its header, though a header line is tolerated) of
// `language` (PYTHON, SCALA, SQL, R). Never fails: what it cannot read it skips.
std::vector<Step> ParseNotebook(const std::string& language, const std::string& body);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_PROGRAM_H_
