#include "reconcilers/tests/run_support.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "reconcilers/tests/covered_hash.h"

namespace envctl::reconcilers {

Covered CoveredOf(const envctl::v1::Environment& env, const std::string& test,
                  const google::protobuf::RepeatedPtrField<std::string>& covers) {
  Covered c;
  c.hash = CoveredHash(env, test, covers);
  c.per_resource = nlohmann::json::object();
  std::vector<std::string> names(covers.begin(), covers.end());
  names.push_back(test);
  for (const std::string& name : names) {
    std::string hash = "absent";
    for (const auto& content : env.contents()) {
      if (content.resource() == name) hash = content.content_hash();
    }
    c.per_resource[name] = hash;
  }
  return c;
}

std::optional<PendingRun> PendingFor(const nlohmann::json& memory, const std::string& covered) {
  if (!memory.is_object() || !memory.contains("pending")) return std::nullopt;
  const nlohmann::json& p = memory["pending"];
  if (!p.is_object() || p.value("hash", "") != covered || p.value("runId", "").empty()) {
    return std::nullopt;
  }
  return PendingRun{p.value("runId", ""),
                    absl::FromUnixSeconds(p.value("submittedAt", int64_t{0}))};
}

Change PlanTestRun(const PriorState& prior, const Covered& covered) {
  Change change;
  const nlohmann::json& memory = prior.memory;
  const std::string tested = memory.is_object() ? memory.value("testedHash", "") : "";
  change.exists = !tested.empty();
  if (std::optional<PendingRun> pending = PendingFor(memory, covered.hash)) {
    change.action = Action::kRun;
    change.reason =
        absl::StrCat("resuming run ", pending->run_id, " (submitted earlier, not finished)");
    return change;
  }
  if (prior.rerun_requested) {
    change.action = Action::kRun;
    change.reason = "run requested";
    return change;
  }
  if (tested == covered.hash) {
    change.reason =
        absl::StrCat("covered content already tested (", memory.value("result", ""), ")");
    return change;
  }
  change.action = Action::kRun;
  change.fields.push_back({"testedHash",
                           tested.empty() ? "(none)" : RenderValue(tested.substr(0, 12)),
                           RenderValue(covered.hash.substr(0, 12))});
  if (tested.empty()) {
    change.reason = "never run";
    return change;
  }
  std::vector<std::string> changed;
  const nlohmann::json before = memory.value("covered", nlohmann::json::object());
  for (const auto& [name, hash] : covered.per_resource.items()) {
    if (!before.is_object() || !before.contains(name) || before[name] != hash)
      changed.push_back(name);
  }
  for (const auto& [name, hash] : before.items()) {
    if (!covered.per_resource.contains(name))
      changed.push_back(absl::StrCat(name, " (no longer covered)"));
  }
  change.reason = changed.empty()
                      ? "covered content changed"
                      : absl::StrCat("covered content changed: ", absl::StrJoin(changed, ", "));
  return change;
}

nlohmann::json WithPending(const nlohmann::json& memory, const std::string& run_id,
                           const std::string& covered, absl::Time submitted) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m["pending"] = {
      {"runId", run_id}, {"hash", covered}, {"submittedAt", absl::ToUnixSeconds(submitted)}};
  return m;
}

nlohmann::json Finished(const nlohmann::json& memory, const Covered& covered,
                        const std::string& run_id, envctl::v1::RunResult result) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m.erase("pending");
  m["testedHash"] = covered.hash;
  m["covered"] = covered.per_resource;
  m["runId"] = run_id;
  m["result"] = envctl::v1::RunResult_Name(result);
  return m;
}

int AttemptOf(const nlohmann::json& memory) {
  return memory.is_object() ? memory.value("attempt", 0) : 0;
}

nlohmann::json Abandoned(const nlohmann::json& memory) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m.erase("pending");
  m["attempt"] = AttemptOf(memory) + 1;
  return m;
}

std::string IdempotencyToken(const envctl::v1::Environment& env, const std::string& test,
                             const std::string& covered, int attempt) {
  // SHA-256 hex is exactly 64 characters, the service's limit.
  return Sha256Hex(
      absl::StrCat(env.project(), "/", env.name(), "/", test, "/", covered, "/", attempt));
}

absl::Duration TimeoutOr(const google::protobuf::Duration& timeout, bool has_timeout) {
  if (has_timeout) {
    absl::Duration d = absl::Seconds(timeout.seconds()) + absl::Nanoseconds(timeout.nanos());
    if (d > absl::ZeroDuration()) return d;
  }
  return absl::Minutes(30);
}

absl::StatusOr<bool> PollUntil(Clock& clock, absl::Time deadline, const PollOptions& options,
                               const std::function<absl::StatusOr<bool>()>& poll) {
  absl::Duration interval = std::max(options.initial, absl::Milliseconds(1));
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> done = poll();
    if (!done.ok() || *done) return done;
    const absl::Time now = clock.Now();
    if (now >= deadline) return false;
    clock.SleepFor(std::min(interval, deadline - now));
    interval = std::min(interval * 2, std::max(options.max, options.initial));
  }
  return false;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ns = absl::ToUnixNanos(t);
  ts.set_seconds(ns / 1000000000);
  ts.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return ts;
}

std::string RunResultText(envctl::v1::RunResult result) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(envctl::v1::RunResult_Name(result), "RUN_RESULT_"));
}

}  // namespace envctl::reconcilers
