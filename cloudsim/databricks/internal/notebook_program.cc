#include "cloudsim/databricks/internal/notebook_program.h"

#include <map>
#include <regex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloudsim/databricks/internal/notebook_lexer.h"
#include "cloudsim/databricks/internal/notebook_source.h"

namespace envctl::cloudsim::databricks {
namespace {

struct CallSpec {
  Step::Kind kind;
  std::vector<std::string> params;  // parameter names by position, for keyword arguments
};

const CallSpec* FindCall(const std::string& name) {
  static const auto* kCalls = new std::map<std::string, CallSpec>{
      {"dbutils.widgets.get", {Step::kWidgetGet, {"name"}}},
      {"dbutils.widgets.getArgument", {Step::kWidgetGet, {"name", "defaultValue"}}},
      {"getArgument", {Step::kWidgetGet, {"name", "defaultValue"}}},
      {"dbutils.widgets.text", {Step::kWidgetDefine, {"name", "defaultValue", "label"}}},
      {"dbutils.widgets.dropdown",
       {Step::kWidgetDefine, {"name", "defaultValue", "choices", "label"}}},
      {"dbutils.widgets.combobox",
       {Step::kWidgetDefine, {"name", "defaultValue", "choices", "label"}}},
      {"dbutils.widgets.multiselect",
       {Step::kWidgetDefine, {"name", "defaultValue", "choices", "label"}}},
      {"dbutils.secrets.get", {Step::kSecretGet, {"scope", "key"}}},
      {"dbutils.secrets.getBytes", {Step::kSecretGet, {"scope", "key"}}},
      {"dbutils.notebook.run", {Step::kNotebookRun, {"path", "timeout_seconds", "arguments"}}},
      {"dbutils.notebook.exit", {Step::kExit, {"value"}}},
      {"spark.conf.set", {Step::kSparkConf, {"key", "value"}}},
  };
  auto it = kCalls->find(name);
  return it == kCalls->end() ? nullptr : &it->second;
}

bool IsPunct(const Token& t, const char* p) { return t.kind == Token::kPunct && t.text == p; }

// A Spark data access at the end of a method chain (`chain` holds every name so far, the
// called method last): spark.read...<format>(path) reads, <df>...write...<format>(path)
// writes. kFail = neither.
Step::Kind DataAccess(const std::vector<std::string>& chain) {
  static const char* kReads[] = {"parquet", "csv", "json", "orc", "text", "load"};
  static const char* kWrites[] = {"parquet", "csv", "json", "orc", "text", "save"};
  if (chain.size() < 2) return Step::kFail;
  const std::string& method = chain.back();
  if (chain.size() >= 3 && chain[0] == "spark" &&
      (chain[1] == "read" || chain[1] == "readStream")) {
    for (const char* m : kReads) {
      if (method == m) return Step::kDataRead;
    }
  }
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (chain[i] != "write" && chain[i] != "writeStream") continue;
    for (const char* m : kWrites) {
      if (method == m) return Step::kDataWrite;
    }
  }
  return Step::kFail;
}
bool IsCloser(const Token& t) {
  return t.kind == Token::kEnd ||
         (t.kind == Token::kPunct &&
          (t.text == ")" || t.text == "]" || t.text == "}" || t.text == "," || t.text == ":" ||
           t.text == "->" || t.text == "=>" || t.text == "="));
}
bool IsOperator(const Token& t) {
  static const char* kOps[] = {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "|", "&"};
  if (t.kind == Token::kPunct) {
    for (const char* op : kOps) {
      if (t.text == op) return true;
    }
  }
  if (t.kind == Token::kIdent) {
    return t.text == "and" || t.text == "or" || t.text == "if" || t.text == "else" ||
           t.text == "in" || t.text == "is" || t.text == "not";
  }
  return false;
}

Step ParseDirective(const std::string& text, int line) {
  Step step;
  step.line = line;
  absl::string_view rest = text;
  std::string verb(rest.substr(0, rest.find(' ')));
  rest.remove_prefix(verb.size());
  rest = absl::StripAsciiWhitespace(rest);
  auto quoted = [&](std::string* out) {
    std::vector<Token> t = Tokenize("PYTHON", std::string(rest), line);
    if (t.empty() || t[0].kind != Token::kString) return false;
    *out = t[0].text;
    return true;
  };
  if (verb == "fail" || verb == "exit") {
    step.kind = verb == "fail" ? Step::kFail : Step::kExit;
    std::string value;
    if (!quoted(&value)) {
      step.kind = Step::kDirectiveError;
      step.text =
          "cloudsim: " + verb + " needs a quoted string, e.g. cloudsim: " + verb + " \"text\"";
      return step;
    }
    if (step.kind == Step::kFail) {
      step.text = value;
    } else {
      Expr e;
      e.kind = Expr::kString;
      e.text = value;
      step.args.push_back(std::move(e));
    }
    return step;
  }
  if (verb == "sleep") {
    step.kind = Step::kSleep;
    std::string d(rest);
    double seconds = 0;
    if (absl::SimpleAtod(d, &seconds) && seconds >= 0) {
      step.sleep = absl::Seconds(seconds);
    } else if (!absl::ParseDuration(d, &step.sleep) || step.sleep < absl::ZeroDuration()) {
      step.kind = Step::kDirectiveError;
      step.text = "cloudsim: sleep needs a duration such as 30s, 5m or 1h (got \"" + d + "\")";
    }
    return step;
  }
  step.kind = Step::kDirectiveError;
  step.text = "unknown cloudsim directive \"" + verb + "\" (expected fail, sleep or exit)";
  return step;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::vector<Step>* out) : t_(std::move(tokens)), out_(out) {}

  void Run() {
    while (!AtEof()) {
      const Token& tok = t_[pos_];
      if (tok.kind == Token::kDirective) {
        out_->push_back(ParseDirective(tok.text, tok.line));
        ++pos_;
      } else if (tok.kind == Token::kEnd) {
        ++pos_;
      } else {
        Statement();
      }
    }
  }

 private:
  bool AtEof() const { return pos_ >= t_.size(); }
  const Token& Cur() const { return t_[std::min(pos_, t_.size() - 1)]; }
  const Token& At(size_t k) const { return t_[std::min(pos_ + k, t_.size() - 1)]; }

  void Statement() {
    int line = Cur().line;
    if (Cur().kind == Token::kIdent && (Cur().text == "raise" || Cur().text == "throw")) {
      Raise();
      SkipToEnd();
      return;
    }
    std::string target;
    size_t k = 0;
    if (At(0).kind == Token::kIdent && (At(0).text == "val" || At(0).text == "var")) k = 1;
    if (At(k).kind == Token::kIdent && At(k).text.find('.') == std::string::npos) {
      if (IsPunct(At(k + 1), "=")) {
        target = At(k).text;
        pos_ += k + 2;
      } else if (IsPunct(At(k + 1), ":") && At(k + 2).kind == Token::kIdent &&
                 IsPunct(At(k + 3), "=")) {  // Scala `val x: String = ...`
        target = At(k).text;
        pos_ += k + 4;
      }
    }
    Expr e = ParseExpr();
    if (e.kind == Expr::kCall) {
      e.call->target = target;
      out_->push_back(*e.call);
    } else if (!target.empty() || HasCalls(e)) {
      Step step;
      step.kind = Step::kAssign;
      step.line = line;
      step.target = target;
      step.args.push_back(std::move(e));
      out_->push_back(std::move(step));
    }
    // Whatever follows on the statement may still hold calls worth simulating.
    while (!AtEof() && Cur().kind != Token::kEnd && Cur().kind != Token::kDirective) {
      size_t before = pos_;
      Expr rest = ParseExpr();
      if (HasCalls(rest)) {
        Step step;
        step.kind = Step::kAssign;
        step.line = line;
        step.args.push_back(std::move(rest));
        out_->push_back(std::move(step));
      }
      if (pos_ == before) ++pos_;
    }
  }

  void SkipToEnd() {
    while (!AtEof() && Cur().kind != Token::kEnd && Cur().kind != Token::kDirective) ++pos_;
  }

  void Raise() {
    Step step;
    step.kind = Step::kRaise;
    step.line = Cur().line;
    ++pos_;
    if (Cur().kind == Token::kIdent && Cur().text == "new") ++pos_;
    step.text = Cur().kind == Token::kIdent ? Cur().text : "Exception";
    if (Cur().kind == Token::kIdent) ++pos_;
    if (IsPunct(Cur(), "(")) {
      ++pos_;
      if (!IsPunct(Cur(), ")")) step.args.push_back(ParseExpr());
    }
    out_->push_back(std::move(step));
  }

  static bool HasCalls(const Expr& e) {
    if (e.kind == Expr::kCall) return true;
    for (const Expr& v : e.values) {
      if (HasCalls(v)) return true;
    }
    for (const Expr& v : e.keys) {
      if (HasCalls(v)) return true;
    }
    return false;
  }

  // primary (operator primary)*; '+' of string-valued operands is kept as kConcat.
  Expr ParseExpr() {
    Expr left = Primary();
    while (!AtEof() && IsOperator(Cur())) {
      bool plus = IsPunct(Cur(), "+");
      ++pos_;
      Expr right = Primary();
      if (plus && left.kind != Expr::kUnknown && right.kind != Expr::kUnknown &&
          left.kind != Expr::kMap && right.kind != Expr::kMap) {
        if (left.kind != Expr::kConcat) {
          Expr c;
          c.kind = Expr::kConcat;
          c.values.push_back(std::move(left));
          left = std::move(c);
        }
        left.values.push_back(std::move(right));
      } else {
        Expr u;
        u.kind = Expr::kUnknown;
        u.values.push_back(std::move(left));
        u.values.push_back(std::move(right));
        left = std::move(u);
      }
    }
    return left;
  }

  Expr Primary() {
    Expr e;
    // The dotted names of a method chain so far (`spark`, `read`, `option`, ...).
    std::vector<std::string> chain;
    if (AtEof() || IsCloser(Cur())) return e;
    const Token tok = Cur();
    if (tok.kind == Token::kDirective) return e;
    if (tok.kind == Token::kString) {
      e.kind = Expr::kString;
      for (size_t k = pos_; t_[k].kind == Token::kString && k < t_.size(); ++k) {
        if (t_[k].interp) e.interp = t_[k].interp;
      }
      while (Cur().kind == Token::kString) {
        const Token& part = t_[pos_++];
        std::string text = part.text;
        if (e.interp && !part.interp) {  // a plain literal beside an interpolated one
          if (e.interp == 'f') {
            text = absl::StrReplaceAll(text, {{"{", "{{"}, {"}", "}}"}});
          } else {
            text = absl::StrReplaceAll(text, {{"$", "$$"}});
          }
        }
        e.text += text;
      }
      if (e.interp) e.kind = Expr::kInterpolated;
    } else if (tok.kind == Token::kNumber) {
      e.kind = Expr::kNumber;
      e.text = tok.text;
      ++pos_;
    } else if (IsPunct(tok, "{")) {
      ++pos_;
      e = Entries("}", ":");
    } else if (tok.kind == Token::kIdent && tok.text == "Map" && IsPunct(At(1), "(")) {
      pos_ += 2;
      e = Entries(")", "->");
    } else if (tok.kind == Token::kIdent && IsPunct(At(1), "(") && FindCall(tok.text)) {
      pos_ += 2;
      e = Call(tok);
    } else if (tok.kind == Token::kIdent && IsPunct(At(1), "(")) {
      // Another function or method: the postfix loop below reads its arguments.
      ++pos_;
      e.kind = Expr::kUnknown;
      chain = absl::StrSplit(tok.text, '.');
    } else if (tok.kind == Token::kIdent) {
      ++pos_;
      chain = absl::StrSplit(tok.text, '.');
      if (tok.text.find('.') == std::string::npos && tok.text != "None" && tok.text != "null" &&
          tok.text != "True" && tok.text != "False" && tok.text != "not") {
        e.kind = Expr::kVariable;
        e.text = tok.text;
      }
    } else if (IsPunct(tok, "(") || IsPunct(tok, "[")) {
      ++pos_;
      e = Entries(tok.text == "(" ? ")" : "]", "");
      if (tok.text == "(" && e.values.size() == 1 && e.kind != Expr::kUnknown) {
        Expr inner = std::move(e.values[0]);
        e = std::move(inner);
      } else {
        e.kind = Expr::kUnknown;
      }
    } else {
      ++pos_;  // some other punctuation: not understood
    }
    // Postfix: `x.strip()`, `x[0]`, `f(a)(b)` make the value unknown but keep the calls;
    // a call that ends a Spark read or write chain becomes a kDataRead/kDataWrite step.
    while (!AtEof() && (IsPunct(Cur(), "[") || IsPunct(Cur(), "(") ||
                        (Cur().kind == Token::kPunct && Cur().text == "."))) {
      std::string open = Cur().text;
      ++pos_;
      Expr wrapper;
      wrapper.kind = Expr::kUnknown;
      wrapper.values.push_back(std::move(e));
      if (open == ".") {
        if (Cur().kind == Token::kIdent) {
          for (absl::string_view name : absl::StrSplit(Cur().text, '.')) chain.emplace_back(name);
          ++pos_;
        } else {
          chain.clear();
        }
      } else if (open == "(") {
        std::vector<Expr> args;
        std::map<std::string, Expr> named;
        Arguments(&args, &named);
        Step::Kind access = DataAccess(chain);
        if (access != Step::kFail) {
          auto step = std::make_shared<Step>();
          step->kind = access;
          step->line = Cur().line;
          step->text = chain.back();
          // args[0] is the path; the rest are evaluated for their side effects.
          auto path = named.find("path");
          if (path != named.end()) {
            step->args.push_back(std::move(path->second));
            named.erase(path);
          } else if (!args.empty()) {
            step->args.push_back(std::move(args.front()));
            args.erase(args.begin());
          } else {
            step->args.emplace_back();  // no path given (e.g. option("path", ...)): unknown
          }
          step->args.push_back(std::move(wrapper.values.front()));
          for (Expr& a : args) step->args.push_back(std::move(a));
          for (auto& [k, v] : named) step->args.push_back(std::move(v));
          wrapper = Expr();
          wrapper.kind = Expr::kCall;
          wrapper.call = std::move(step);
        } else {
          for (Expr& a : args) wrapper.values.push_back(std::move(a));
          for (auto& [k, v] : named) wrapper.values.push_back(std::move(v));
        }
      } else {
        chain.clear();
        Expr inner = Entries("]", "");
        wrapper.values.push_back(std::move(inner));
      }
      e = std::move(wrapper);
    }
    return e;
  }

  // After `(`: positional and keyword arguments up to and including `)`.
  void Arguments(std::vector<Expr>* args, std::map<std::string, Expr>* named) {
    while (!AtEof() && !IsPunct(Cur(), ")") && Cur().kind != Token::kDirective) {
      size_t before = pos_;
      if (Cur().kind == Token::kEnd) {
        ++pos_;
        continue;
      }
      if (Cur().kind == Token::kIdent && IsPunct(At(1), "=")) {
        std::string key = Cur().text;
        pos_ += 2;
        (*named)[key] = ParseExpr();
      } else {
        args->push_back(ParseExpr());
      }
      if (IsPunct(Cur(), ",")) ++pos_;
      if (pos_ == before) ++pos_;
    }
    if (!AtEof() && IsPunct(Cur(), ")")) ++pos_;
  }

  // Comma-separated items up to `close`; with `sep` (":" or "->") they are key/value pairs
  // and the result is a kMap, else the items go to `values` of a kUnknown.
  Expr Entries(const std::string& close, const std::string& sep) {
    Expr e;
    e.kind = sep.empty() ? Expr::kUnknown : Expr::kMap;
    while (!AtEof() && !IsPunct(Cur(), close.c_str()) && Cur().kind != Token::kDirective) {
      size_t before = pos_;
      if (Cur().kind == Token::kEnd) {
        ++pos_;
        continue;
      }
      Expr item = ParseExpr();
      if (!sep.empty() && IsPunct(Cur(), sep.c_str())) {
        ++pos_;
        e.keys.push_back(std::move(item));
        e.values.push_back(ParseExpr());
      } else if (!sep.empty()) {
        e.kind = Expr::kUnknown;
        e.values.push_back(std::move(item));
      } else {
        e.values.push_back(std::move(item));
      }
      if (IsPunct(Cur(), ",")) ++pos_;
      if (pos_ == before) ++pos_;
    }
    if (!AtEof() && IsPunct(Cur(), close.c_str())) ++pos_;
    return e;
  }

  // After `name(`: arguments up to ')'. A recognized dbutils call becomes a kCall.
  Expr Call(const Token& name) {
    const CallSpec* spec = FindCall(name.text);
    std::vector<Expr> args;
    std::map<std::string, Expr> named;
    Arguments(&args, &named);
    Expr e;
    if (!spec) {
      e.kind = Expr::kUnknown;
      e.values = std::move(args);
      for (auto& [k, v] : named) e.values.push_back(std::move(v));
      return e;
    }
    for (size_t i = 0; i < spec->params.size(); ++i) {
      auto it = named.find(spec->params[i]);
      if (it == named.end()) continue;
      if (args.size() <= i) args.resize(i + 1);
      args[i] = std::move(it->second);
    }
    auto step = std::make_shared<Step>();
    step->kind = spec->kind;
    step->line = name.line;
    step->args = std::move(args);
    e.kind = Expr::kCall;
    e.call = std::move(step);
    return e;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  std::vector<Step>* out_;
};

// Language of a `%lang` magic cell, or "" when the cell is not code we simulate.
std::string MagicLanguage(const std::string& magic) {
  if (magic == "%python") return "PYTHON";
  if (magic == "%scala") return "SCALA";
  if (magic == "%r") return "R";
  return "";
}

void ParseCell(const std::string& language, const std::vector<std::string>& lines, int first_line,
               std::vector<Step>* out) {
  const std::string marker = CommentMarker(language).value_or("#");
  const std::string magic_prefix = marker + " MAGIC";
  bool magic = false;
  std::vector<std::string> code;
  for (const std::string& line : lines) {
    absl::string_view l = line;
    if (absl::ConsumePrefix(&l, magic_prefix)) {
      magic = true;
      absl::ConsumePrefix(&l, " ");
    }
    code.emplace_back(l);
  }
  std::string cell_language = language;
  if (magic) {
    size_t first = 0;
    while (first < code.size() && absl::StripAsciiWhitespace(code[first]).empty()) ++first;
    if (first == code.size()) return;
    std::string head(absl::StripAsciiWhitespace(code[first]));
    std::string cmd = head.substr(0, head.find(' '));
    if (cmd == "%run") {
      Step step;
      step.kind = Step::kRunInline;
      step.line = first_line + static_cast<int>(first);
      std::string rest(absl::StripAsciiWhitespace(absl::string_view(head).substr(cmd.size())));
      step.text = rest.substr(0, rest.find(' '));
      if (step.text.size() >= 2 && (step.text.front() == '"' || step.text.front() == '\'')) {
        step.text = step.text.substr(1, step.text.size() - 2);
      }
      out->push_back(std::move(step));
      return;
    }
    cell_language = MagicLanguage(cmd);
    if (cell_language.empty()) return;  // %md, %sql, %sh, %pip, %fs: nothing to simulate
    code[first] = head.substr(cmd.size());
  }
  if (cell_language != "PYTHON") {
    Parser(Tokenize(cell_language, absl::StrJoin(code, "\n"), first_line), out).Run();
    return;
  }
  // Python: `if name == "literal":` / `else:` blocks (by indentation) guard their steps.
  // Runs of lines under the same tests are parsed together.
  static const std::regex kIf(
      R"re(^if\s+([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)')\s*:\s*$)re");
  struct Open {
    size_t indent;
    Guard guard;
  };
  std::vector<Open> open;
  std::vector<std::string> run;
  size_t run_start = 0;
  std::vector<Guard> run_guards;
  auto flush = [&](size_t next_start) {
    std::vector<Step> steps;
    Parser(
        Tokenize(cell_language, absl::StrJoin(run, "\n"), first_line + static_cast<int>(run_start)),
        &steps)
        .Run();
    for (Step& step : steps) {
      step.guards.insert(step.guards.begin(), run_guards.begin(), run_guards.end());
      out->push_back(std::move(step));
    }
    run.clear();
    run_start = next_start;
  };
  auto current = [&] {
    std::vector<Guard> g;
    for (const Open& o : open) g.push_back(o.guard);
    return g;
  };
  auto same = [](const std::vector<Guard>& a, const std::vector<Guard>& b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
      if (a[k].variable != b[k].variable || a[k].literal != b[k].literal ||
          a[k].equal != b[k].equal)
        return false;
    }
    return true;
  };
  for (size_t j = 0; j < code.size(); ++j) {
    const std::string& line = code[j];
    const std::string stripped(absl::StripAsciiWhitespace(line));
    std::string control;  // the line is an if/else header: parsed as a blank line
    if (!stripped.empty() && stripped[0] != '#') {
      const size_t indent = line.find_first_not_of(" \t");
      while (!open.empty() && indent <= open.back().indent &&
             !(indent == open.back().indent && stripped == "else:")) {
        open.pop_back();
      }
      std::smatch m;
      if (std::regex_match(stripped, m, kIf)) {
        open.push_back({indent, {m[1], m[3].matched ? m[3].str() : m[4].str(), m[2] == "=="}});
        control = stripped;
      } else if (stripped == "else:" && !open.empty() && open.back().indent == indent) {
        open.back().guard.equal = !open.back().guard.equal;
        control = stripped;
      }
    }
    std::vector<Guard> guards = current();
    if (!same(guards, run_guards)) {
      if (!run.empty()) flush(j);
      run_start = j;
      run_guards = guards;
    }
    run.push_back(control.empty() ? line : std::string());
  }
  if (!run.empty()) flush(code.size());
}

}  // namespace

std::vector<Step> ParseNotebook(const std::string& language, const std::string& body) {
  std::vector<std::string> lines = absl::StrSplit(body, '\n');
  for (std::string& l : lines) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
  }
  const std::string marker = CommentMarker(language).value_or("#");
  const std::string separator = marker + " COMMAND ----------";
  std::vector<Step> steps;
  size_t i = 0;
  if (!lines.empty() && HasNotebookHeader(language, lines[0])) i = 1;
  while (i < lines.size()) {
    size_t start = i;
    std::vector<std::string> cell;
    while (i < lines.size() && absl::StripTrailingAsciiWhitespace(lines[i]) != separator) {
      cell.push_back(lines[i++]);
    }
    ParseCell(language, cell, static_cast<int>(start) + 1, &steps);
    ++i;  // the separator
  }
  return steps;
}

}  // namespace envctl::cloudsim::databricks
