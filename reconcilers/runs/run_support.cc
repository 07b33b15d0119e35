#include "reconcilers/runs/run_support.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "reconcilers/runs/covered_hash.h"

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

std::function<absl::Status(const std::string&)> g_after_submit_failpoint_for_test;

std::optional<PendingRun> AnyPending(const nlohmann::json& memory) {
  if (!memory.is_object() || !memory.contains("pending")) return std::nullopt;
  const nlohmann::json& p = memory["pending"];
  if (!p.is_object() || !p.contains("runId") || !p["runId"].is_string() ||
      p["runId"].get<std::string>().empty()) {
    return std::nullopt;
  }
  PendingRun run;
  run.run_id = p["runId"].get<std::string>();
  run.submitted = absl::FromUnixSeconds(p.value("submittedAt", int64_t{0}));
  run.deadline = p.contains("deadline") ? absl::FromUnixSeconds(p.value("deadline", int64_t{0}))
                                        : run.submitted + absl::Minutes(30);
  run.covered.hash = p.value("hash", "");
  run.covered.per_resource = p.value("covered", nlohmann::json::object());
  return run;
}

std::optional<PendingRun> PendingFor(const nlohmann::json& memory, const std::string& covered) {
  std::optional<PendingRun> run = AnyPending(memory);
  if (!run || run->covered.hash != covered) return std::nullopt;
  return run;
}

nlohmann::json WithIntent(const nlohmann::json& memory, const std::string& covered, absl::Time at) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m["intent"] = {{"hash", covered}, {"at", absl::ToUnixSeconds(at)}};
  return m;
}

std::optional<absl::Time> IntentFor(const nlohmann::json& memory, const std::string& covered) {
  if (!memory.is_object() || memory.contains("pending") || !memory.contains("intent")) {
    return std::nullopt;
  }
  const nlohmann::json& i = memory["intent"];
  if (!i.is_object() || i.value("hash", "") != covered) return std::nullopt;
  return absl::FromUnixSeconds(i.value("at", int64_t{0}));
}

Change PlanTestRun(const PriorState& prior, const Covered& covered) {
  Change change;
  const nlohmann::json& memory = prior.memory;
  const std::string tested = memory.is_object() ? memory.value("testedHash", "") : "";
  change.exists = !tested.empty();
  if (std::optional<PendingRun> pending = PendingFor(memory, covered.hash)) {
    change.action = Action::kRun;
    change.resumes_run = true;
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
                           const Covered& covered, absl::Time submitted, absl::Time deadline) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m.erase("intent");
  m["pending"] = {{"runId", run_id},
                  {"hash", covered.hash},
                  {"covered", covered.per_resource},
                  {"submittedAt", absl::ToUnixSeconds(submitted)},
                  {"deadline", absl::ToUnixSeconds(deadline)}};
  return m;
}

nlohmann::json Finished(const nlohmann::json& memory, const Covered& covered,
                        const std::string& run_id, envctl::v1::RunResult result) {
  nlohmann::json m = memory.is_object() ? memory : nlohmann::json::object();
  m.erase("pending");
  m.erase("intent");
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
  m.erase("intent");
  m["attempt"] = AttemptOf(memory) + 1;
  return m;
}

std::string IdempotencyToken(const envctl::v1::Environment& env, const std::string& test,
                             const std::string& covered, int attempt) {
  // SHA-256 hex is exactly 64 characters, the service's limit.
  return Sha256Hex(
      absl::StrCat(env.project(), "/", env.name(), "/", test, "/", covered, "/", attempt));
}

std::string RunKeyFor(const Context& ctx, const std::string& covered) {
  const nlohmann::json& memory = ctx.prior.memory;
  const int attempt = AttemptOf(ctx.prior.rerun_requested ? Abandoned(memory) : memory);
  return IdempotencyToken(ctx.environment, ctx.resource.name(), covered, attempt);
}

absl::Duration TimeoutOr(const google::protobuf::Duration& timeout, bool has_timeout) {
  if (has_timeout) {
    absl::Duration d = absl::Seconds(timeout.seconds()) + absl::Nanoseconds(timeout.nanos());
    if (d > absl::ZeroDuration()) return d;
  }
  return absl::Minutes(30);
}

absl::Duration RunPollDelay(absl::Duration elapsed) {
  return std::clamp(elapsed / 10, absl::Seconds(1), absl::Minutes(2));
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

namespace {

// A failed submit whose request may still have been carried out: the answer was lost
// (connection reset or timeout) or the service failed after accepting it (500/503).
bool AnswerMayBeLost(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status);
}

}  // namespace

absl::StatusOr<std::string> SubmitExactlyOnce(Clock& clock, const RunBackend& backend,
                                              absl::Time intent_at, int tries) {
  absl::Duration backoff = absl::Seconds(1);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::string> submitted = backend.submit();
    if (submitted.ok() || !backend.find_submitted || !AnswerMayBeLost(submitted.status())) {
      return submitted;
    }
    // The service may have created the run: look for it by its key before another submit.
    absl::StatusOr<std::string> found = backend.find_submitted(intent_at);
    if (!found.ok()) {
      return absl::Status(submitted.status().code(),
                          absl::StrCat(submitted.status().message(), "; looking the ", backend.noun,
                                       " up failed too (", found.status().message(),
                                       "); the next apply looks again"));
    }
    if (!found->empty()) return *found;
    if (attempt >= tries) return submitted;
    clock.SleepFor(backoff);
    backoff *= 2;
  }
}

absl::StatusOr<ApplyResult> SubmitTestRun(Context& ctx, Clock& clock, const Covered& covered,
                                          absl::Duration timeout, const RunBackend& backend) {
  nlohmann::json memory =
      ctx.prior.memory.is_object() ? ctx.prior.memory : nlohmann::json::object();
  ApplyResult result;
  result.run_in_progress = true;
  if (std::optional<PendingRun> pending = PendingFor(memory, covered.hash)) {
    ctx.progress(absl::StrCat("resuming ", backend.noun, " ", pending->run_id));
    result.external_id = pending->run_id;
    result.memory = memory;
    return result;
  }
  if (std::optional<PendingRun> outdated = AnyPending(memory)) {
    // cancelOutdatedRuns: the run tests content that is no longer what the repo declares.
    absl::Status cancelled = backend.cancel(outdated->run_id);
    ctx.progress(absl::StrCat("cancelled outdated ", backend.noun, " ", outdated->run_id,
                              cancelled.ok() ? "" : absl::StrCat(" (", cancelled.message(), ")")));
    memory.erase("pending");
  }
  if (ctx.prior.rerun_requested) memory = Abandoned(memory);

  std::string run_id;
  if (std::optional<absl::Time> intent = IntentFor(memory, covered.hash);
      intent && backend.find_submitted) {
    ASSIGN_OR_RETURN(run_id, backend.find_submitted(*intent));
    if (!run_id.empty())
      ctx.progress(
          absl::StrCat("found ", backend.noun, " ", run_id, " submitted before a restart"));
  }
  absl::Time submitted = clock.Now();
  if (run_id.empty()) {
    memory = WithIntent(memory, covered.hash, submitted);
    RETURN_IF_ERROR(ctx.checkpoint(memory));
    ASSIGN_OR_RETURN(run_id, SubmitExactlyOnce(clock, backend, submitted));
    if (g_after_submit_failpoint_for_test)
      RETURN_IF_ERROR(g_after_submit_failpoint_for_test(run_id));
    ctx.progress(absl::StrCat("submitted ", backend.noun, " ", run_id));
  }
  memory = WithPending(memory, run_id, covered, submitted, submitted + timeout);
  // From here on a restart polls this run instead of submitting another.
  RETURN_IF_ERROR(ctx.checkpoint(memory));
  result.external_id = run_id;
  result.memory = std::move(memory);
  return result;
}

absl::StatusOr<RunPoll> PollTestRun(Context& ctx, Clock& clock, const RunBackend& backend) {
  const nlohmann::json& memory = ctx.prior.memory;
  std::optional<PendingRun> pending = AnyPending(memory);
  if (!pending) return absl::NotFoundError("no run in progress");
  RunPoll poll;
  poll.submitted = pending->submitted;
  absl::StatusOr<std::optional<envctl::v1::RunRecord>> checked = backend.check(*pending);
  if (!checked.ok()) {
    if (absl::IsNotFound(checked.status())) {
      // The run is gone (purged or deleted): forget it; the next apply submits anew.
      RETURN_IF_ERROR(ctx.checkpoint(Abandoned(memory)));
      return absl::NotFoundError(
          absl::StrCat(backend.noun, " ", pending->run_id,
                       " no longer exists; the next apply submits a new run"));
    }
    return Annotate(checked.status(),
                    absl::StrCat("checking ", backend.noun, " ", pending->run_id));
  }
  envctl::v1::RunRecord rec;
  const absl::Time now = clock.Now();
  if (checked->has_value()) {
    rec = **checked;
  } else if (now >= pending->deadline) {
    // Past the spec timeout: cancel and record it, never wait forever.
    absl::Status cancelled = backend.cancel(pending->run_id);
    rec.set_result(envctl::v1::RUN_RESULT_TIMED_OUT);
    rec.set_message(absl::StrCat(
        "timed out after ", absl::FormatDuration(pending->deadline - pending->submitted), "; ",
        backend.noun, " ", pending->run_id,
        cancelled.ok() ? " cancelled"
                       : absl::StrCat(" (cancel failed: ", cancelled.message(), ")")));
    *rec.mutable_start_time() = ToTimestamp(pending->submitted);
    *rec.mutable_end_time() = ToTimestamp(now);
  } else {
    return poll;  // still going
  }
  const std::string& test = ctx.resource.name();
  rec.set_run_id(
      absl::StrCat(test, "-", pending->covered.hash.substr(0, 12), "-", AttemptOf(memory)));
  rec.set_environment(ctx.environment.name());
  rec.set_test(test);
  rec.set_external_run_id(pending->run_id);
  rec.set_tested_hash(pending->covered.hash);
  if (!rec.has_start_time()) *rec.mutable_start_time() = ToTimestamp(pending->submitted);
  if (!rec.has_end_time()) *rec.mutable_end_time() = ToTimestamp(now);
  ctx.progress(absl::StrCat(backend.noun, " ", pending->run_id, ": ", RunResultText(rec.result())));
  poll.done = true;
  poll.result.external_id = pending->run_id;
  poll.result.memory = Finished(memory, pending->covered, pending->run_id, rec.result());
  poll.result.run = std::move(rec);
  return poll;
}

}  // namespace envctl::reconcilers
