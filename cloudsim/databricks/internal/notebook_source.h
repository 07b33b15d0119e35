// The SOURCE notebook file format (databricks-rest.md §4.1): per-language header line,
// comment marker, cell separator and file extension. Notebooks are stored without their
// header line; export puts it back. Pure functions; thread-safe.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_SOURCE_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_SOURCE_H_

#include <optional>
#include <string>

namespace envctl::cloudsim::databricks {

// "PYTHON", "SCALA", "SQL", "R" -> the comment marker ("#", "//", "--"); nullopt if the
// language is unknown.
std::optional<std::string> CommentMarker(const std::string& language);
// "# Databricks notebook source" for PYTHON, and so on.
std::string NotebookHeader(const std::string& language);
// "py", "scala", "sql", "r".
std::string FileExtension(const std::string& language);
// The language a file extension (without dot, any case) stands for, if any.
std::optional<std::string> LanguageForExtension(const std::string& ext);

// Removes the header line (and its newline) when `content` starts with it. Legacy
// headers such as "// Databricks notebook source exported at <date>" also count.
std::string StripNotebookHeader(const std::string& language, const std::string& content);
// True when the first line of `content` is (starts with) the language's header.
bool HasNotebookHeader(const std::string& language, const std::string& content);
// Header + "\n" + body, as SOURCE export returns it (no trailing newline is added).
std::string ExportSource(const std::string& language, const std::string& body);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_NOTEBOOK_SOURCE_H_
