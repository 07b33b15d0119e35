#include "spec/internal/substitute.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spec/internal/suggest.h"

namespace envctl::spec::internal {

namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// Calls on_placeholder(offset, inner) for each `${inner}`; returns the text with
// each placeholder replaced by what the callback returns.
template <typename Fn>
std::string Scan(const std::string& text, std::vector<TextError>* errors, Fn on_placeholder) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find("${", pos);
    if (start == std::string::npos) break;
    out.append(text, pos, start - pos);
    const size_t end = text.find('}', start + 2);
    if (end == std::string::npos) {
      if (errors != nullptr) {
        errors->push_back({start, "unterminated \"${\": close the placeholder with '}'"});
      }
      out.append(text, start, std::string::npos);
      return out;
    }
    out += on_placeholder(start, text.substr(start + 2, end - start - 2));
    pos = end + 1;
  }
  if (pos < text.size()) out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace

Substitution Substitute(const std::string& text, const std::map<std::string, std::string>& params) {
  Substitution result;
  if (!absl::StrContains(text, "${")) {
    result.text = text;
    return result;
  }
  result.text = Scan(text, &result.errors, [&](size_t offset, const std::string& inner) {
    const std::string original = absl::StrCat("${", inner, "}");
    if (absl::StartsWith(inner, "env:")) {
      result.errors.push_back(
          {offset, absl::StrCat(original,
                                " is not allowed in specs: secrets never live in the repo; "
                                "read the variable at apply time with a ValueSource "
                                "`value: {env: ",
                                inner.substr(4), "}` on a secret")});
      return original;
    }
    const size_t dot = inner.find('.');
    if (dot != std::string::npos) {
      TextOutputRef ref{offset, inner.substr(0, dot), inner.substr(dot + 1)};
      if (!IsName(ref.resource) || !IsName(ref.output)) {
        result.errors.push_back(
            {offset, absl::StrCat("malformed output reference ", original,
                                  ": write ${resource.output}, e.g. ${keyvault.vaultUri}")});
      } else {
        result.outputs.push_back(std::move(ref));
      }
      return original;
    }
    auto it = params.find(inner);
    if (it != params.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [name, value] : params) names.push_back(name);
    result.errors.push_back(
        {offset, absl::StrCat("undefined parameter ", original, DidYouMean(inner, names),
                              ": define it under `parameters:` in envctl.yaml or the "
                              "environment's file")});
    return original;
  });
  return result;
}

std::vector<TextOutputRef> FindOutputRefs(const std::string& text) {
  std::vector<TextOutputRef> refs;
  if (!absl::StrContains(text, "${")) return refs;
  Scan(text, nullptr, [&](size_t offset, const std::string& inner) {
    const size_t dot = inner.find('.');
    if (dot != std::string::npos && !absl::StartsWith(inner, "env:")) {
      TextOutputRef ref{offset, inner.substr(0, dot), inner.substr(dot + 1)};
      if (IsName(ref.resource) && IsName(ref.output)) refs.push_back(std::move(ref));
    }
    return std::string();
  });
  return refs;
}

}  // namespace envctl::spec::internal
