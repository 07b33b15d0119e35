// Bounds on what the loader accepts before a parser library sees the bytes, so that no
// repo content can crash the loader or make it run away (docs/spec-format.md, "Limits").
// YAML is checked with libyaml's event parser (linear time, constant stack) before
// yaml-cpp builds nodes; Data Factory JSON is scanned for depth and UTF-8 before
// nlohmann/json parses it. Stateless functions, safe from several threads.
#ifndef ENVCTL_SPEC_INTERNAL_INPUT_LIMITS_H_
#define ENVCTL_SPEC_INTERNAL_INPUT_LIMITS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/diagnostic.h"
#include "yaml-cpp/yaml.h"

namespace envctl::spec::internal {

struct InputLimits {
  size_t max_spec_file_bytes = 1 << 20;      // a YAML or Data Factory JSON file
  size_t max_content_file_bytes = 64 << 20;  // a notebook or library uploaded as is
  int max_documents = 1000;                  // `---` separated YAML documents per file
  int max_depth = 64;                        // nested maps / lists / objects / arrays
  size_t max_scalar_bytes = 256 << 10;       // one string
  int max_anchors = 1000;
  int max_aliases = 1000;
  // Nodes after expanding every alias: a "billion laughs" file stays small on disk but
  // expands exponentially when walked.
  size_t max_expanded_nodes = 1000000;
};

const InputLimits& DefaultInputLimits();

// Offset of the first byte that is not well-formed UTF-8 (overlongs, surrogates and
// code points above U+10FFFF are refused), or npos.
size_t FirstInvalidUtf8(std::string_view text);

// Checks `text` (the contents of repo file `file`) with libyaml against the limits.
// Returns the first problem, located, or nullopt when yaml-cpp may parse it.
std::optional<Diagnostic> CheckYaml(const std::string& file, const std::string& text,
                                    const InputLimits& limits = DefaultInputLimits());

// A YAML file as yaml-cpp's nodes (with their marks), or the first problem, located.
struct ParsedYaml {
  std::vector<YAML::Node> documents;
  std::optional<Diagnostic> problem;
};

// CheckYaml, then yaml-cpp builds the nodes. yaml-cpp 0.7 does not always read the
// document structure libyaml reads: after a top-level `!tag` or `&anchor` scalar it ends
// the scalar at a continuation line in column 1 (`!t a\nb` is one document for libyaml,
// two for yaml-cpp), and when that line starts with a `,` (a token it cannot place there)
// YAML::LoadAll loops forever appending empty documents without consuming it. So
// yaml-cpp's parser is first driven one document at a time, stopping at the first
// document libyaml did not count (a located error there), and only then builds nodes.
// Every yaml-cpp exception becomes the problem.
ParsedYaml ParseYaml(const std::string& file, const std::string& text,
                     const InputLimits& limits = DefaultInputLimits());

// Checks a Data Factory JSON file's size, UTF-8 and nesting depth without recursion.
std::optional<Diagnostic> CheckJson(const std::string& file, const std::string& text,
                                    const InputLimits& limits = DefaultInputLimits());

// 1-based line and column of byte `offset` of `text` (columns count bytes).
Location LocationInText(const std::string& file, const std::string& text, size_t offset);

}  // namespace envctl::spec::internal

#endif  // ENVCTL_SPEC_INTERNAL_INPUT_LIMITS_H_
