#include "spec/diagnostic.h"

#include <tuple>

#include "absl/strings/str_cat.h"

namespace envctl::spec {

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) absl::StrAppend(&out, ":", line, ":", column);
  if (!field.empty()) absl::StrAppend(&out, out.empty() ? "" : ": ", field);
  absl::StrAppend(&out, out.empty() ? "" : ": ", message);
  return out;
}

bool Diagnostic::operator==(const Diagnostic& o) const {
  return std::tie(file, line, column, field, message) ==
         std::tie(o.file, o.line, o.column, o.field, o.message);
}

bool Diagnostic::operator<(const Diagnostic& o) const {
  return std::tie(file, line, column, field, message) <
         std::tie(o.file, o.line, o.column, o.field, o.message);
}

void Diagnostics::Add(const Location& at, std::string field, std::string message) {
  items_.push_back(Diagnostic{at.file, at.line, at.column, std::move(field), std::move(message)});
}

}  // namespace envctl::spec
