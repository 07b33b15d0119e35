#include "cloudsim/databricks/internal/notebook_source.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace envctl::cloudsim::databricks {

std::optional<std::string> CommentMarker(const std::string& language) {
  if (language == "PYTHON" || language == "R") return "#";
  if (language == "SCALA") return "//";
  if (language == "SQL") return "--";
  return std::nullopt;
}

std::string NotebookHeader(const std::string& language) {
  return CommentMarker(language).value_or("#") + " Databricks notebook source";
}

std::string FileExtension(const std::string& language) {
  if (language == "SCALA") return "scala";
  if (language == "SQL") return "sql";
  if (language == "R") return "r";
  return "py";
}

std::optional<std::string> LanguageForExtension(const std::string& ext) {
  std::string e = absl::AsciiStrToLower(ext);
  if (e == "py") return "PYTHON";
  if (e == "scala") return "SCALA";
  if (e == "sql") return "SQL";
  if (e == "r") return "R";
  return std::nullopt;
}

bool HasNotebookHeader(const std::string& language, const std::string& content) {
  size_t eol = content.find('\n');
  std::string first = content.substr(0, eol);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  return absl::StartsWith(first, NotebookHeader(language));
}

std::string StripNotebookHeader(const std::string& language, const std::string& content) {
  if (!HasNotebookHeader(language, content)) return content;
  size_t eol = content.find('\n');
  return eol == std::string::npos ? std::string() : content.substr(eol + 1);
}

std::string ExportSource(const std::string& language, const std::string& body) {
  return NotebookHeader(language) + "\n" + body;
}

}  // namespace envctl::cloudsim::databricks
