// Structured logging facade over spdlog: one line per event, either JSON (one object per
// line, for Loki / Elastic / Azure Monitor) or text (`key=value` pairs for a terminal).
// A line is an event name plus fields:
//
//   log::Info("sync_end").Str("environment", env).Int("duration_ms", 12).Str("outcome", "ok");
//
// The line is written when the temporary is destroyed. Fields set by a ScopedContext on
// the calling thread (environment, resource, kind, sync_id) are added to every line of
// that thread; the engine sets one per resource task on its executor threads, and cloud
// requests read the sync id from it for `x-ms-client-request-id`.
// Until Configure() is called nothing is written (library users and tests stay quiet).
// Never pass secret values as fields: callers log names (fields that changed, headers
// present), never contents. Thread-safe.
#ifndef ENVCTL_COMMON_LOG_H_
#define ENVCTL_COMMON_LOG_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace envctl::log {

enum class Format { kText, kJson };
enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// "text" | "json"; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);
// "debug" | "info" | "warn" | "error" | "off".
absl::StatusOr<Level> ParseLevel(absl::string_view text);

struct Options {
  Format format = Format::kText;
  Level level = Level::kInfo;
  // Where lines go: null = standard error. Tests pass a stringstream (must outlive use).
  std::ostream* stream = nullptr;
};

// Replaces the process logger. Safe to call again (tests); lines in flight finish first.
void Configure(const Options& options);
// Drops every line again (the state before Configure).
void Disable();
// Whether a line at `level` would be written.
bool Enabled(Level level);

// A field value: string, integer or boolean.
struct Field {
  enum class Type { kString, kInt, kBool };
  std::string key;
  Type type = Type::kString;
  std::string str;
  int64_t num = 0;
};

// One line under construction; written by the destructor. Cheap when the level is off.
class Line {
 public:
  Line(Level level, absl::string_view event);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Str(absl::string_view key, absl::string_view value);
  Line& Int(absl::string_view key, int64_t value);
  Line& Bool(absl::string_view key, bool value);
  // "duration_ms" in whole milliseconds.
  Line& Duration(absl::Duration d) { return Int("duration_ms", absl::ToInt64Milliseconds(d)); }
  // "error" (the status message, which carries the service's message) and "code".
  Line& Error(const absl::Status& status);

 private:
  const Level level_;
  const bool enabled_;
  std::string event_;
  std::vector<Field> fields_;
};

inline Line Debug(absl::string_view event) { return Line(Level::kDebug, event); }
inline Line Info(absl::string_view event) { return Line(Level::kInfo, event); }
inline Line Warn(absl::string_view event) { return Line(Level::kWarn, event); }
inline Line Error(absl::string_view event) { return Line(Level::kError, event); }

// Adds fields to every line written by this thread while it lives (nests; an inner
// scope's field replaces an outer one of the same key). Not movable: a stack object.
class ScopedContext {
 public:
  explicit ScopedContext(std::vector<std::pair<std::string, std::string>> fields);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  size_t previous_size_;
};

// This thread's context fields, outermost first: a helper thread doing part of this
// thread's work installs them with a ScopedContext, so its lines (and its requests'
// x-ms-client-request-id) say whose work it is.
std::vector<std::pair<std::string, std::string>> CurrentContext();

// The innermost "sync_id" of this thread's context ("" when none): the correlation id
// cloud requests carry as x-ms-client-request-id.
std::string CurrentSyncId();

}  // namespace envctl::log

#endif  // ENVCTL_COMMON_LOG_H_
