#include "common/log.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "spdlog/logger.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace envctl::log {

namespace {

struct Sink {
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::kText;
};

// Never destroyed: detached threads may still log while the process exits.
struct Registry {
  absl::Mutex mu;
  std::shared_ptr<const Sink> sink ABSL_GUARDED_BY(mu);
};
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}
std::atomic<int> enabled_level{static_cast<int>(Level::kOff)};

thread_local std::vector<std::pair<std::string, std::string>> context;

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kOff:
      break;
  }
  return spdlog::level::off;
}

std::string JsonString(absl::string_view s) {
  // Replace rather than throw on bytes that are not UTF-8 (a service message may hold any).
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TextValue(absl::string_view s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || !absl::ascii_isprint(c)) plain = false;
  }
  return plain ? std::string(s) : absl::StrCat("\"", absl::CEscape(s), "\"");
}

// One field's value: strings quoted the format's way, numbers and booleans bare in both.
void AppendValue(Format format, const Field& f, std::string* out) {
  switch (f.type) {
    case Field::Type::kString:
      absl::StrAppend(out, format == Format::kJson ? JsonString(f.str) : TextValue(f.str));
      break;
    case Field::Type::kInt:
      absl::StrAppend(out, f.num);
      break;
    case Field::Type::kBool:
      absl::StrAppend(out, f.num ? "true" : "false");
      break;
  }
}

std::string Render(Format format, absl::string_view event, const std::vector<Field>& fields) {
  const bool json = format == Format::kJson;
  std::string out = json ? absl::StrCat("\"event\":", JsonString(event)) : std::string(event);
  for (const Field& f : fields) {
    if (json) {
      absl::StrAppend(&out, ",", JsonString(f.key), ":");
    } else {
      absl::StrAppend(&out, " ", f.key, "=");
    }
    AppendValue(format, f, &out);
  }
  return out;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("log format \"", text, "\" is not one of text, json"));
}

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  if (text == "off") return Level::kOff;
  return absl::InvalidArgumentError(
      absl::StrCat("log level \"", text, "\" is not one of debug, info, warn, error, off"));
}

void Configure(const Options& options) {
  spdlog::sink_ptr out;
  if (options.stream != nullptr) {
    out = std::make_shared<spdlog::sinks::ostream_sink_mt>(*options.stream, /*force_flush=*/true);
  } else {
    out = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("envctl", out);
  // The timestamp and level come from spdlog's pattern (UTC, milliseconds); the event and
  // fields are rendered by Render() into %v.
  if (options.format == Format::kJson) {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(ToSpd(options.level));
  // Every line reaches the journal / pipe at once: an operator tails it live.
  logger->flush_on(spdlog::level::trace);
  auto next = std::make_shared<const Sink>(Sink{std::move(logger), options.format});
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  // A thread writing through the previous sink holds its own reference.
  r.sink = std::move(next);
  enabled_level.store(static_cast<int>(options.level));
}

void Disable() { enabled_level.store(static_cast<int>(Level::kOff)); }

bool Enabled(Level level) {
  const int min = enabled_level.load();
  return min != static_cast<int>(Level::kOff) && static_cast<int>(level) >= min;
}

Line::Line(Level level, absl::string_view event)
    : level_(level), enabled_(Enabled(level)), event_(enabled_ ? std::string(event) : "") {}

Line::~Line() {
  if (!enabled_) return;
  std::shared_ptr<const Sink> sink;
  {
    Registry& r = registry();
    absl::MutexLock lock(&r.mu);
    sink = r.sink;
  }
  if (sink == nullptr) return;
  // Context fields first (innermost wins), then the line's own (which win over context).
  std::vector<Field> all;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    bool shadowed = false;
    for (const Field& f : all) shadowed |= f.key == it->first;
    for (const Field& f : fields_) shadowed |= f.key == it->first;
    if (!shadowed && !it->second.empty())
      all.push_back(Field{it->first, Field::Type::kString, it->second, 0});
  }
  std::reverse(all.begin(), all.end());
  for (Field& f : fields_) all.push_back(std::move(f));
  const std::string text = Render(sink->format, event_, all);
  sink->logger->log(ToSpd(level_), spdlog::string_view_t(text.data(), text.size()));
}

Line& Line::Str(absl::string_view key, absl::string_view value) {
  if (enabled_)
    fields_.push_back(Field{std::string(key), Field::Type::kString, std::string(value), 0});
  return *this;
}

Line& Line::Int(absl::string_view key, int64_t value) {
  if (enabled_) fields_.push_back(Field{std::string(key), Field::Type::kInt, "", value});
  return *this;
}

Line& Line::Bool(absl::string_view key, bool value) {
  if (enabled_) fields_.push_back(Field{std::string(key), Field::Type::kBool, "", value ? 1 : 0});
  return *this;
}

Line& Line::Error(const absl::Status& status) {
  if (!enabled_ || status.ok()) return *this;
  Str("error", status.message());
  return Str("code", absl::StatusCodeToString(status.code()));
}

ScopedContext::ScopedContext(std::vector<std::pair<std::string, std::string>> fields)
    : previous_size_(context.size()) {
  for (auto& f : fields) context.push_back(std::move(f));
}

ScopedContext::~ScopedContext() { context.resize(previous_size_); }

std::string CurrentSyncId() {
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    if (it->first == "sync_id") return it->second;
  }
  return "";
}

}  // namespace envctl::log
