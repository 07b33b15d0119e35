#include "spec/internal/input_limits.h"

#include <yaml.h>

#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace envctl::spec::internal {

namespace {

std::string Bytes(size_t n) {
  if (n >= (1 << 20) && n % (1 << 20) == 0) return absl::StrCat(n >> 20, " MiB");
  if (n >= (1 << 10) && n % (1 << 10) == 0) return absl::StrCat(n >> 10, " KiB");
  return absl::StrCat(n, " bytes");
}

Diagnostic At(const Location& at, std::string message) {
  return Diagnostic{at.file, at.line, at.column, "", std::move(message)};
}

std::optional<Diagnostic> CheckSizeAndUtf8(const std::string& file, const std::string& text,
                                           const InputLimits& limits, const char* what) {
  if (text.size() > limits.max_spec_file_bytes) {
    return Diagnostic{file, 1, 1, "",
                      absl::StrCat(what, " file of ", text.size(), " bytes exceeds the limit of ",
                                   Bytes(limits.max_spec_file_bytes), "; split it")};
  }
  const size_t bad = FirstInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    return At(LocationInText(file, text, bad),
              absl::StrCat("invalid UTF-8 (byte 0x",
                           absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2),
                           "); save the file as UTF-8"));
  }
  return std::nullopt;
}

// Walks libyaml's events, counting what the limits bound.
class YamlScan {
 public:
  YamlScan(const std::string& file, const std::string& text, const InputLimits& limits)
      : file_(file), text_(text), limits_(limits) {}

  std::optional<Diagnostic> Run() {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
      return Diagnostic{file_, 1, 1, "", "cannot initialize the YAML parser (out of memory)"};
    }
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text_.data()),
                                 text_.size());
    std::optional<Diagnostic> problem;
    while (!problem) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        problem = ParseError(parser);
        break;
      }
      const bool done = event.type == YAML_STREAM_END_EVENT;
      problem = OnEvent(event);
      yaml_event_delete(&event);
      if (done) break;
    }
    yaml_parser_delete(&parser);
    return problem;
  }

  // Documents libyaml read (all of them once Run() returned no problem).
  int documents() const { return documents_; }

 private:
  struct Open {
    std::string anchor;
    size_t expanded_at_start;
  };

  Location Mark(const yaml_mark_t& m) const {
    return Location{file_, static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
  }

  std::optional<Diagnostic> ParseError(const yaml_parser_t& parser) const {
    const std::string problem = parser.problem != nullptr ? parser.problem : "parse error";
    if (parser.error == YAML_READER_ERROR) {
      return At(LocationInText(file_, text_, parser.problem_offset),
                absl::StrCat("invalid YAML: ", problem));
    }
    std::string message = absl::StrCat("invalid YAML: ", problem);
    if (parser.context != nullptr) {
      absl::StrAppend(&message, " (", parser.context, " at line ", parser.context_mark.line + 1,
                      ", column ", parser.context_mark.column + 1, ")");
    }
    return At(Mark(parser.problem_mark), std::move(message));
  }

  std::optional<Diagnostic> Anchor(const unsigned char* anchor, const yaml_mark_t& at,
                                   std::string* name) {
    if (anchor == nullptr) return std::nullopt;
    if (++anchors_ > limits_.max_anchors) {
      return At(Mark(at), absl::StrCat("more than ", limits_.max_anchors,
                                       " YAML anchors (&name) in one file"));
    }
    *name = reinterpret_cast<const char*>(anchor);
    return std::nullopt;
  }

  std::optional<Diagnostic> Count(size_t nodes, const yaml_mark_t& at) {
    expanded_ += nodes;
    if (expanded_ > limits_.max_expanded_nodes) {
      return At(Mark(at),
                absl::StrCat("the document expands to more than ", limits_.max_expanded_nodes,
                             " nodes once aliases (*name) are resolved"));
    }
    return std::nullopt;
  }

  std::optional<Diagnostic> OnEvent(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        if (++documents_ > limits_.max_documents) {
          return At(Mark(e.start_mark), absl::StrCat("more than ", limits_.max_documents,
                                                     " YAML documents in one file"));
        }
        return std::nullopt;
      case YAML_SCALAR_EVENT: {
        if (e.data.scalar.length > limits_.max_scalar_bytes) {
          return At(Mark(e.start_mark),
                    absl::StrCat("a string of ", e.data.scalar.length,
                                 " bytes exceeds the limit of ", Bytes(limits_.max_scalar_bytes)));
        }
        std::string anchor;
        if (auto p = Anchor(e.data.scalar.anchor, e.start_mark, &anchor)) return p;
        if (!anchor.empty()) weights_[anchor] = 1;
        return Count(1, e.start_mark);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const unsigned char* a = e.type == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor
                                                                     : e.data.mapping_start.anchor;
        std::string anchor;
        if (auto p = Anchor(a, e.start_mark, &anchor)) return p;
        if (static_cast<int>(open_.size()) >= limits_.max_depth) {
          return At(Mark(e.start_mark), absl::StrCat("nested deeper than ", limits_.max_depth,
                                                     " levels of maps and lists"));
        }
        if (auto p = Count(1, e.start_mark)) return p;
        open_.push_back(Open{std::move(anchor), expanded_});
        return std::nullopt;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open_.empty()) {
          if (!open_.back().anchor.empty()) {
            weights_[open_.back().anchor] = expanded_ - open_.back().expanded_at_start + 1;
          }
          open_.pop_back();
        }
        return std::nullopt;
      case YAML_ALIAS_EVENT: {
        if (++aliases_ > limits_.max_aliases) {
          return At(Mark(e.start_mark), absl::StrCat("more than ", limits_.max_aliases,
                                                     " YAML aliases (*name) in one file"));
        }
        auto it = weights_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        return Count(it == weights_.end() ? 1 : it->second, e.start_mark);
      }
      default:
        return std::nullopt;
    }
  }

  const std::string& file_;
  const std::string& text_;
  const InputLimits& limits_;
  int documents_ = 0;
  int anchors_ = 0;
  int aliases_ = 0;
  size_t expanded_ = 0;
  std::vector<Open> open_;
  std::map<std::string, size_t> weights_;  // nodes under each anchor, aliases expanded
};

// Counts yaml-cpp's documents and remembers where the last one started.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    ++documents;
    start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  int documents = 0;
  YAML::Mark start;
};

// yaml-cpp's documents of `text`, at most `expected` of them (what libyaml counted), or
// where yaml-cpp starts one more. Each HandleNextDocument call returns; only the
// caller's loop (LoadAll's has no bound) could run forever.
std::optional<Diagnostic> CheckYamlCppDocuments(const std::string& file, const std::string& text,
                                                int expected) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (parser.HandleNextDocument(counter)) {
    if (counter.documents > expected) {
      return Diagnostic{
          file, counter.start.line + 1, counter.start.column + 1, "",
          absl::StrCat("invalid YAML: envctl's YAML library (yaml-cpp) would start document ",
                       counter.documents, " here where libyaml reads ", expected,
                       " in the file (a top-level scalar after a !tag or &anchor continued in "
                       "column 1?); indent the continuation line or quote the value")};
    }
  }
  return std::nullopt;
}

}  // namespace

ParsedYaml ParseYaml(const std::string& file, const std::string& text, const InputLimits& limits) {
  ParsedYaml parsed;
  if ((parsed.problem = CheckSizeAndUtf8(file, text, limits, "YAML"))) return parsed;
  YamlScan scan(file, text, limits);
  if ((parsed.problem = scan.Run())) return parsed;
  try {
    if ((parsed.problem = CheckYamlCppDocuments(file, text, scan.documents()))) return parsed;
    parsed.documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    parsed.problem = Diagnostic{file, e.mark.line + 1, e.mark.column + 1, "",
                                absl::StrCat("invalid YAML: ", e.msg)};
  } catch (const std::exception& e) {
    parsed.problem = Diagnostic{file, 1, 1, "", absl::StrCat("invalid YAML: ", e.what())};
  }
  return parsed;
}

const InputLimits& DefaultInputLimits() {
  static const InputLimits limits;
  return limits;
}

size_t FirstInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::optional<Diagnostic> CheckYaml(const std::string& file, const std::string& text,
                                    const InputLimits& limits) {
  if (auto p = CheckSizeAndUtf8(file, text, limits, "YAML")) return p;
  return YamlScan(file, text, limits).Run();
}

std::optional<Diagnostic> CheckJson(const std::string& file, const std::string& text,
                                    const InputLimits& limits) {
  if (auto p = CheckSizeAndUtf8(file, text, limits, "JSON")) return p;
  int depth = 0;
  size_t string_start = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (i - string_start > limits.max_scalar_bytes) {
          return At(LocationInText(file, text, string_start),
                    absl::StrCat("a string of ", i - string_start - 1,
                                 " bytes exceeds the limit of ", Bytes(limits.max_scalar_bytes)));
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      string_start = i;
    } else if (c == '{' || c == '[') {
      if (++depth > limits.max_depth) {
        return At(
            LocationInText(file, text, i),
            absl::StrCat("nested deeper than ", limits.max_depth, " levels of objects and arrays"));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::nullopt;
}

Location LocationInText(const std::string& file, const std::string& text, size_t offset) {
  Location at{file, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return at;
}

}  // namespace envctl::spec::internal
