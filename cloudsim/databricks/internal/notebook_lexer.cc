#include "cloudsim/databricks/internal/notebook_lexer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace envctl::cloudsim::databricks {
namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(const std::string& language, const std::string& code, int first_line)
      : lang_(language), s_(code), line_(first_line) {}

  std::vector<Token> Run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\n') {
        if (depth_ == 0) Emit(Token::kEnd, "");
        ++line_;
        ++i_;
      } else if (c == '\\' && Peek(1) == '\n') {
        i_ += 2;
        ++line_;
      } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (AtLineComment()) {
        LineComment();
      } else if (lang_ == "SCALA" && c == '/' && Peek(1) == '*') {
        BlockComment();
      } else if (StringStart()) {
        String();
      } else if (IsIdentStart(c)) {
        Ident();
      } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        size_t start = i_;
        while (i_ < s_.size() && (IsIdentChar(s_[i_]) || s_[i_] == '.')) ++i_;
        Emit(Token::kNumber, s_.substr(start, i_ - start));
      } else {
        Punct();
      }
    }
    Emit(Token::kEnd, "");
    return std::move(out_);
  }

 private:
  char Peek(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void Emit(Token::Kind kind, std::string text) { out_.push_back({kind, std::move(text), line_}); }

  bool AtLineComment() const {
    char c = s_[i_];
    if (lang_ == "SCALA") return c == '/' && Peek(1) == '/';
    if (lang_ == "SQL") return c == '-' && Peek(1) == '-';
    return c == '#';
  }

  void LineComment() {
    size_t end = s_.find('\n', i_);
    if (end == std::string::npos) end = s_.size();
    absl::string_view text = absl::string_view(s_).substr(i_, end - i_);
    while (!text.empty() && (text.front() == '#' || text.front() == '/' || text.front() == '-')) {
      text.remove_prefix(1);
    }
    text = absl::StripLeadingAsciiWhitespace(text);
    if (absl::ConsumePrefix(&text, "cloudsim:")) {
      if (depth_ == 0) Emit(Token::kEnd, "");
      Emit(Token::kDirective, std::string(absl::StripAsciiWhitespace(text)));
    }
    i_ = end;
  }

  void BlockComment() {
    size_t end = s_.find("*/", i_ + 2);
    end = end == std::string::npos ? s_.size() : end + 2;
    for (size_t k = i_; k < end; ++k) line_ += s_[k] == '\n';
    i_ = end;
  }

  // A quote, possibly after a one- or two-letter prefix (f, r, b, u, rb, fr, s, ...).
  bool StringStart() const {
    size_t k = i_;
    while (k < s_.size() && k - i_ < 2 && absl::ascii_isalpha(static_cast<unsigned char>(s_[k]))) {
      char p = absl::ascii_tolower(s_[k]);
      if (p != 'f' && p != 'r' && p != 'b' && p != 'u' && p != 's') return false;
      ++k;
    }
    if (k >= s_.size() || (s_[k] != '"' && s_[k] != '\'')) return false;
    // A prefix must not be the tail of a longer identifier (handled by Ident consuming it).
    return true;
  }

  void String() {
    bool raw = false;
    char interp = 0;
    while (s_[i_] != '"' && s_[i_] != '\'') {
      char p = absl::ascii_tolower(s_[i_]);
      raw |= p == 'r';
      if (p == 'f' && lang_ != "SCALA") interp = 'f';
      if (p == 's' && lang_ == "SCALA") interp = 's';
      ++i_;
    }
    char q = s_[i_];
    bool triple = Peek(1) == q && Peek(2) == q;
    i_ += triple ? 3 : 1;
    std::string value;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (triple ? (c == q && Peek(1) == q && Peek(2) == q) : c == q) {
        i_ += triple ? 3 : 1;
        break;
      }
      if (c == '\n') {
        ++line_;
        if (!triple) break;  // unterminated literal: stop at the end of the line
      }
      if (c == '\\' && !raw && i_ + 1 < s_.size()) {
        char e = s_[i_ + 1];
        value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
        i_ += 2;
        continue;
      }
      value.push_back(c);
      ++i_;
    }
    Emit(Token::kString, std::move(value));
    out_.back().interp = interp;
  }

  void Ident() {
    size_t start = i_;
    while (i_ < s_.size() && (IsIdentChar(s_[i_]) ||
                              (s_[i_] == '.' && i_ + 1 < s_.size() && IsIdentStart(s_[i_ + 1])))) {
      ++i_;
    }
    Emit(Token::kIdent, s_.substr(start, i_ - start));
  }

  void Punct() {
    static const char* kTwo[] = {"->", "==", "!=", "<=", ">=", "=>"};
    for (const char* op : kTwo) {
      if (s_.compare(i_, 2, op) == 0) {
        Emit(Token::kPunct, op);
        i_ += 2;
        return;
      }
    }
    char c = s_[i_++];
    if (c == '(' || c == '[' || c == '{') ++depth_;
    if ((c == ')' || c == ']' || c == '}') && depth_ > 0) --depth_;
    if (c == ';' && depth_ == 0) {
      Emit(Token::kEnd, "");
      return;
    }
    Emit(Token::kPunct, std::string(1, c));
  }

  const std::string lang_;
  const std::string& s_;
  size_t i_ = 0;
  int line_;
  int depth_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> Tokenize(const std::string& language, const std::string& code, int first_line) {
  return Lexer(language, code, first_line).Run();
}

}  // namespace envctl::cloudsim::databricks
