#include "cloudsim/databricks/internal/interpreter.h"

#include <cctype>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cloudsim/databricks/internal/abfs.h"
#include "cloudsim/databricks/internal/notebook_program.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr char kWorkflowPrefix[] =
    "com.databricks.WorkflowException: com.databricks.NotebookExecutionException: ";

struct Frame {
  std::string path;
  std::map<std::string, std::string> params;   // base_parameters / arguments
  std::map<std::string, std::string> widgets;  // defaults from dbutils.widgets.text(...)
  std::map<std::string, std::string> vars;
  // Variables whose value the simulator could not compute (vars holds "" for them).
  std::set<std::string> unknown;
  // spark.conf.set values of this notebook's Spark session (%run shares it; a
  // dbutils.notebook.run child has its own).
  std::map<std::string, std::string> spark_conf;
  absl::Duration elapsed;
};

bool IsName(absl::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// Fills an f-string ({name}, {{ and }}) or s-string ($name, ${name}, $$) template from
// `frame`; *known is false when a placeholder is not a known variable.
std::string Interpolate(const std::string& t, char style, const Frame& frame, bool* known) {
  std::string out;
  auto lookup = [&](absl::string_view name) {
    std::string n(name);
    auto it = frame.vars.find(n);
    if (!IsName(name) || it == frame.vars.end() || frame.unknown.count(n)) {
      *known = false;
      return std::string();
    }
    return it->second;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (style == 'f' && (c == '{' || c == '}') && i + 1 < t.size() && t[i + 1] == c) {
      out.push_back(c);
      ++i;
    } else if (style == 'f' && c == '{') {
      size_t end = t.find('}', i);
      if (end == std::string::npos) end = t.size();
      out += lookup(absl::string_view(t).substr(i + 1, end - i - 1));
      i = end;
    } else if (style == 's' && c == '$' && i + 1 < t.size() && t[i + 1] == '$') {
      out.push_back('$');
      ++i;
    } else if (style == 's' && c == '$' && i + 1 < t.size() && t[i + 1] == '{') {
      size_t end = t.find('}', i);
      if (end == std::string::npos) end = t.size();
      out += lookup(absl::string_view(t).substr(i + 2, end - i - 2));
      i = end;
    } else if (style == 's' && c == '$') {
      size_t end = i + 1;
      while (end < t.size() && (std::isalnum(static_cast<unsigned char>(t[end])) || t[end] == '_'))
        ++end;
      out += lookup(absl::string_view(t).substr(i + 1, end - i - 1));
      i = end - 1;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Spark's fully qualified form of a DBFS path in its messages.
std::string QualifiedPath(const std::string& path) {
  return !path.empty() && path[0] == '/' ? "dbfs:" + path : path;
}

enum class Flow { kNext, kExit, kFail };

class Interpreter {
 public:
  explicit Interpreter(RuntimeEnv& env) : env_(env) {}

  ExecutionResult Run(const std::string& path, const std::map<std::string, std::string>& params,
                      int depth) {
    ExecutionResult result;
    auto notebook = env_.FindNotebook(path);
    if (!notebook) {
      result.failed = true;
      result.error = "Notebook not found: " + path;
      result.error_trace = result.error;
      return result;
    }
    Frame frame;
    frame.path = path;
    frame.params = params;
    frame.elapsed = kNotebookBaseRunTime;
    std::vector<Step> steps = ParseNotebook(notebook->language, notebook->body);
    Flow flow = RunSteps(steps, frame, depth);
    result.duration = frame.elapsed;
    if (flow == Flow::kFail) {
      result.failed = true;
      result.error = error_;
      result.error_trace = trace_;
    } else if (flow == Flow::kExit) {
      result.exited = true;
      result.exit_value = exit_value_;
    }
    return result;
  }

  // Secret values read during the run, for redaction.
  const std::set<std::string>& secrets() const { return secrets_; }

 private:
  Flow RunSteps(const std::vector<Step>& steps, Frame& frame, int depth) {
    for (const Step& step : steps) {
      if (!GuardsHold(step, frame)) continue;
      std::string value;
      Flow flow = Exec(step, frame, depth, &value);
      if (flow != Flow::kNext) return flow;
    }
    return Flow::kNext;
  }

  // A step inside `if name == "literal":` (or its else) runs only when the test holds; a
  // test on a value the simulator does not know runs the step (as before guards existed).
  static bool GuardsHold(const Step& step, const Frame& frame) {
    for (const Guard& g : step.guards) {
      auto it = frame.vars.find(g.variable);
      if (it == frame.vars.end() || frame.unknown.count(g.variable)) continue;
      if ((it->second == g.literal) != g.equal) return false;
    }
    return true;
  }

  Flow Fail(const Frame& frame, int line, std::string error) {
    error_ = std::move(error);
    trace_ = absl::StrCat(
        "---------------------------------------------------------------------------\n",
        error_.substr(0, error_.find(':')), "  Traceback (most recent call last)\n", "File ",
        frame.path, ", line ", line, "\n", error_);
    return Flow::kFail;
  }

  // Evaluates `e`; unknown values evaluate to "" (the simulator cannot compute them),
  // and then *known (when given) is set false.
  Flow Eval(const Expr& e, Frame& frame, int depth, std::string* out, bool* known = nullptr) {
    out->clear();
    bool ignored_known = true;
    if (!known) known = &ignored_known;
    switch (e.kind) {
      case Expr::kString:
      case Expr::kNumber:
        *out = e.text;
        return Flow::kNext;
      case Expr::kInterpolated:
        *out = Interpolate(e.text, e.interp, frame, known);
        return Flow::kNext;
      case Expr::kVariable: {
        auto it = frame.vars.find(e.text);
        if (it != frame.vars.end()) *out = it->second;
        if (it == frame.vars.end() || frame.unknown.count(e.text)) *known = false;
        return Flow::kNext;
      }
      case Expr::kCall:
        if (!ValueKnown(*e.call)) *known = false;
        return Exec(*e.call, frame, depth, out);
      case Expr::kConcat: {
        for (const Expr& part : e.values) {
          std::string v;
          Flow f = Eval(part, frame, depth, &v, known);
          if (f != Flow::kNext) return f;
          *out += v;
        }
        return Flow::kNext;
      }
      case Expr::kMap:
      case Expr::kUnknown: {
        // Evaluate the parts for their side effects (a secret lookup inside an unknown
        // expression must still succeed).
        std::string ignored;
        for (const Expr& k : e.keys) {
          Flow f = Eval(k, frame, depth, &ignored);
          if (f != Flow::kNext) return f;
        }
        for (const Expr& v : e.values) {
          Flow f = Eval(v, frame, depth, &ignored);
          if (f != Flow::kNext) return f;
        }
        out->clear();
        *known = false;
        return Flow::kNext;
      }
    }
    return Flow::kNext;
  }

  // Whether a call step yields a value the simulator knows (a widget, secret or child
  // notebook's exit value); Spark reads, for one, yield DataFrames it does not model.
  static bool ValueKnown(const Step& step) {
    return step.kind == Step::kWidgetGet || step.kind == Step::kSecretGet ||
           step.kind == Step::kNotebookRun;
  }

  // Evaluates argument `i` (or "" when absent).
  Flow Arg(const Step& step, size_t i, Frame& frame, int depth, std::string* out) {
    out->clear();
    if (i >= step.args.size()) return Flow::kNext;
    return Eval(step.args[i], frame, depth, out);
  }

  Flow Exec(const Step& step, Frame& frame, int depth, std::string* value) {
    // An assignment is as known as its right-hand side; a call as its kind.
    bool known = step.kind == Step::kAssign || ValueKnown(step);
    Flow flow = step.kind == Step::kAssign && !step.args.empty()
                    ? Eval(step.args[0], frame, depth, value, &known)
                    : ExecInner(step, frame, depth, value);
    if (flow == Flow::kNext && !step.target.empty()) {
      frame.vars[step.target] = *value;
      if (known) {
        frame.unknown.erase(step.target);
      } else {
        frame.unknown.insert(step.target);
      }
    }
    return flow;
  }

  // A Spark read fails when its DBFS path was never written (as Spark's AnalysisException);
  // a write leaves the data there. Unknown paths are not checked.
  Flow DataAccess(const Step& step, Frame& frame, int depth) {
    std::string path;
    bool known = !step.args.empty() && step.args[0].kind != Expr::kUnknown;
    Flow f;
    if (!step.args.empty() && (f = Eval(step.args[0], frame, depth, &path, &known)) != Flow::kNext)
      return f;
    std::string ignored;
    for (size_t i = 1; i < step.args.size(); ++i) {
      if ((f = Eval(step.args[i], frame, depth, &ignored)) != Flow::kNext) return f;
    }
    if (!known || path.empty()) return Flow::kNext;
    if (std::optional<AbfsPath> abfs = ParseAbfsPath(path)) {
      const bool write = step.kind == Step::kDataWrite;
      StorageAccess access;
      absl::Status st = ResolveAbfsCredential(frame.spark_conf, abfs->account, &access);
      access.container = abfs->container;
      access.write = write;
      if (st.ok()) st = env_.AuthorizeStorage(access);
      if (!st.ok()) return Fail(frame, step.line, AbfsError(st, *abfs, write, access));
      return Flow::kNext;
    }
    if (step.kind == Step::kDataWrite) {
      env_.WriteDataPath(path);
    } else if (!env_.DataPathExists(path)) {
      return Fail(
          frame, step.line,
          "AnalysisException: [PATH_NOT_FOUND] Path does not exist: " + QualifiedPath(path) + ".");
    }
    return Flow::kNext;
  }

  Flow ExecInner(const Step& step, Frame& frame, int depth, std::string* value) {
    value->clear();
    std::string a, b;
    Flow f;
    switch (step.kind) {
      case Step::kFail:
        error_ = step.text;
        trace_ = absl::StrCat(step.text, "\n(cloudsim: fail directive at ", frame.path, ", line ",
                              step.line, ")");
        return Flow::kFail;
      case Step::kDirectiveError:
        return Fail(frame, step.line, "CloudsimDirectiveError: " + step.text);
      case Step::kSleep:
        frame.elapsed += step.sleep;
        return Flow::kNext;
      case Step::kExit:
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        exit_value_ = a;
        return Flow::kExit;
      case Step::kAssign:
        return Arg(step, 0, frame, depth, value);
      case Step::kRaise:
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        return Fail(frame, step.line, step.text + ": " + a);
      case Step::kWidgetDefine:
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        if ((f = Arg(step, 1, frame, depth, &b)) != Flow::kNext) return f;
        frame.widgets[a] = b;
        return Flow::kNext;
      case Step::kWidgetGet: {
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        if (auto it = frame.params.find(a); it != frame.params.end()) {
          *value = it->second;
        } else if (auto w = frame.widgets.find(a); w != frame.widgets.end()) {
          *value = w->second;
        } else if (step.args.size() > 1) {  // getArgument(name, default)
          return Arg(step, 1, frame, depth, value);
        } else {
          return Fail(frame, step.line,
                      "com.databricks.dbutils_v1.InputWidgetNotDefined: No input widget named " +
                          a + " is defined");
        }
        return Flow::kNext;
      }
      case Step::kSecretGet: {
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        if ((f = Arg(step, 1, frame, depth, &b)) != Flow::kNext) return f;
        auto secret = env_.GetSecret(a, b);
        if (absl::IsPermissionDenied(secret.status())) {
          return Fail(
              frame, step.line,
              "com.databricks.common.client.DatabricksServiceException: PERMISSION_DENIED: " +
                  std::string(secret.status().message()));
        }
        if (!secret.ok()) {
          return Fail(frame, step.line,
                      "IllegalArgumentException: Secret does not exist with scope: " + a +
                          " and key: " + b);
        }
        if (!secret->empty()) secrets_.insert(*secret);
        *value = *secret;
        return Flow::kNext;
      }
      case Step::kSparkConf:
        if ((f = Arg(step, 0, frame, depth, &a)) != Flow::kNext) return f;
        if ((f = Arg(step, 1, frame, depth, &b)) != Flow::kNext) return f;
        if (!a.empty()) frame.spark_conf[a] = b;
        return Flow::kNext;
      case Step::kRunInline:
        return RunInline(step, frame, depth);
      case Step::kDataRead:
      case Step::kDataWrite:
        return DataAccess(step, frame, depth);
      case Step::kNotebookRun:
        return RunChild(step, frame, depth, value);
    }
    return Flow::kNext;
  }

  Flow RunInline(const Step& step, Frame& frame, int depth) {
    std::string path = ResolveNotebookPath(frame.path, step.text);
    auto notebook = env_.FindNotebook(path);
    if (!notebook) return Fail(frame, step.line, "Exception: Notebook not found: " + path);
    if (depth + 1 > kMaxNotebookDepth) {
      return Fail(frame, step.line,
                  "Exception: %run nesting is deeper than " + std::to_string(kMaxNotebookDepth) +
                      " notebooks");
    }
    // Same namespace: the included notebook sees and sets the caller's variables.
    std::string saved_path = frame.path;
    frame.path = path;
    Flow flow = RunSteps(ParseNotebook(notebook->language, notebook->body), frame, depth + 1);
    frame.path = saved_path;
    return flow;
  }

  Flow RunChild(const Step& step, Frame& frame, int depth, std::string* value) {
    std::string raw_path, timeout_text;
    Flow f;
    if ((f = Arg(step, 0, frame, depth, &raw_path)) != Flow::kNext) return f;
    if ((f = Arg(step, 1, frame, depth, &timeout_text)) != Flow::kNext) return f;
    std::map<std::string, std::string> args;
    if (step.args.size() > 2 && step.args[2].kind == Expr::kMap) {
      const Expr& m = step.args[2];
      for (size_t i = 0; i < m.keys.size(); ++i) {
        std::string k, v;
        if ((f = Eval(m.keys[i], frame, depth, &k)) != Flow::kNext) return f;
        if ((f = Eval(m.values[i], frame, depth, &v)) != Flow::kNext) return f;
        args[k] = v;
      }
    } else if (step.args.size() > 2) {
      std::string ignored;
      if ((f = Eval(step.args[2], frame, depth, &ignored)) != Flow::kNext) return f;
    }
    std::string path = ResolveNotebookPath(frame.path, raw_path);
    if (depth + 1 > kMaxNotebookDepth) {
      return Fail(frame, step.line,
                  std::string(kWorkflowPrefix) +
                      "FAILED: Notebook workflows are nested deeper than " +
                      std::to_string(kMaxNotebookDepth) + " levels");
    }
    double timeout_s = 0;
    if (!absl::SimpleAtod(timeout_text, &timeout_s)) timeout_s = 0;

    // The child runs in its own namespace with its own error/exit state.
    std::string saved_error = error_, saved_trace = trace_, saved_exit = exit_value_;
    exit_value_.clear();
    ExecutionResult child = Run(path, args, depth + 1);
    error_ = saved_error;
    trace_ = saved_trace;
    exit_value_ = saved_exit;

    if (timeout_s > 0 && child.duration > absl::Seconds(timeout_s)) {
      frame.elapsed += absl::Seconds(timeout_s);
      return Fail(frame, step.line,
                  std::string(kWorkflowPrefix) + "TIMEDOUT: Notebook " + path +
                      " did not finish within " + timeout_text + " seconds");
    }
    frame.elapsed += child.duration;
    if (child.failed) {
      Flow out = Fail(frame, step.line, std::string(kWorkflowPrefix) + "FAILED: " + child.error);
      trace_ += "\nCaused by (" + path + "):\n" + child.error_trace;
      return out;
    }
    *value = child.exited ? child.exit_value : "";
    return Flow::kNext;
  }

  RuntimeEnv& env_;
  std::set<std::string> secrets_;
  std::string error_, trace_, exit_value_;
};

std::string Redact(std::string text, const std::set<std::string>& secrets) {
  for (const std::string& s : secrets) text = absl::StrReplaceAll(text, {{s, "[REDACTED]"}});
  return text;
}

}  // namespace

std::string ResolveNotebookPath(const std::string& caller, const std::string& path) {
  std::vector<std::string> parts;
  if (path.empty() || path[0] != '/') {
    std::vector<std::string> base = absl::StrSplit(caller, '/', absl::SkipEmpty());
    if (!base.empty()) base.pop_back();  // the caller's own name
    parts = std::move(base);
  }
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(p);
  }
  return "/" + absl::StrJoin(parts, "/");
}

ExecutionResult ExecuteNotebook(RuntimeEnv& env, const std::string& path,
                                const std::map<std::string, std::string>& params) {
  Interpreter interpreter(env);
  ExecutionResult result = interpreter.Run(path, params, 0);
  result.error = Redact(result.error, interpreter.secrets());
  result.error_trace = Redact(result.error_trace, interpreter.secrets());
  result.exit_value = Redact(result.exit_value, interpreter.secrets());
  return result;
}

}  // namespace envctl::cloudsim::databricks
