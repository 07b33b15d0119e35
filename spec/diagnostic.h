// Diagnostic: one problem found while loading a GitOps repo, with the place it was found
// (repo-relative file, 1-based line and column), the field path inside the document
// (e.g. `storageAccount.containers[0].name`) and a message that says what to do.
// Diagnostics is a plain collector; neither type is thread-safe (one per load).
#ifndef ENVCTL_SPEC_DIAGNOSTIC_H_
#define ENVCTL_SPEC_DIAGNOSTIC_H_

#include <string>
#include <vector>

namespace envctl::spec {

struct Diagnostic {
  std::string file;  // repo-relative path
  int line = 0;      // 1-based; 0 when the problem concerns the whole file
  int column = 0;    // 1-based
  std::string field;
  std::string message;

  // "file:line:col: field: message" (parts that are empty are left out).
  std::string ToString() const;
  bool operator==(const Diagnostic& other) const;
  bool operator<(const Diagnostic& other) const;  // by file, line, column, field, message
};

// A place in a file, 1-based. line 0 means "the file as a whole".
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

class Diagnostics {
 public:
  void Add(const Location& at, std::string field, std::string message);
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& mutable_items() { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace envctl::spec

#endif  // ENVCTL_SPEC_DIAGNOSTIC_H_
