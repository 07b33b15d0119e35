#include "cmd/envctl/plan_render.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace envctl::cli {

using reconcilers::Action;

using reconcilers::ActionName;

namespace {

char Symbol(const ResourceOutcome& o) {
  if (o.reported_only) return '!';
  if (o.adopt) return '&';
  switch (o.action) {
    case Action::kCreate:
      return '+';
    case Action::kUpdate:
      return '~';
    case Action::kDelete:
      return '-';
    case Action::kRun:
      return '>';
    case Action::kNone:
      return ' ';
  }
  return ' ';
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d)); }

struct Counts {
  int adopt = 0, create = 0, update = 0, remove = 0, run = 0, drift = 0, reported = 0, errors = 0,
      blocked = 0, in_sync = 0, orphans = 0;
};

Counts Count(const EngineResult& result) {
  Counts c;
  for (const auto& o : result.resources) {
    if (!o.status.ok())
      ++c.errors;
    else if (!o.blocked_by.empty())
      ++c.blocked;
    else if (o.reported_only)
      ++c.reported;
    else if (o.adopt)
      ++c.adopt;
    else if (o.action == Action::kCreate)
      ++c.create;
    else if (o.action == Action::kUpdate)
      ++c.update;
    else if (o.action == Action::kRun)
      ++c.run;
    else
      ++c.in_sync;
    if (o.drift) ++c.drift;
  }
  for (const auto& o : result.prunes) {
    if (o.action == Action::kDelete)
      ++c.remove;
    else
      ++c.orphans;
  }
  return c;
}

}  // namespace

std::string RenderPlanText(const EngineResult& result) {
  std::string out = absl::StrCat("Environment ", result.environment, ":\n");
  auto line = [&out](const ResourceOutcome& o) {
    absl::StrAppend(&out, "  ", std::string(1, Symbol(o)), " ", o.name, " (", o.kind, ")");
    if (o.adopt) absl::StrAppend(&out, " [adopt]");
    if (!o.label.empty()) absl::StrAppend(&out, " [", o.label, "]");
    if (o.drift && !o.reported_only) absl::StrAppend(&out, " [drift]");
    if (!o.reason.empty()) absl::StrAppend(&out, "  # ", o.reason);
    absl::StrAppend(&out, "\n");
    for (const auto& f : o.fields) {
      absl::StrAppend(&out, "      ", f.path, ": ", f.old_value, " -> ", f.new_value, "\n");
    }
  };
  for (const auto& o : result.resources) {
    if (!o.status.ok()) {
      absl::StrAppend(&out, "  x ", o.name, " (", o.kind, ")  error: ", o.status.message(), "\n");
    } else if (!o.blocked_by.empty()) {
      absl::StrAppend(&out, "  x ", o.name, " (", o.kind, ")  blocked by ", o.blocked_by, "\n");
    } else if (o.action != Action::kNone || o.reported_only || o.adopt) {
      line(o);
    }
  }
  for (const auto& o : result.prunes) {
    if (o.action == Action::kDelete) {
      line(o);
    } else {
      absl::StrAppend(&out, "    ", o.name, " (", o.kind, ")  # ", o.reason, "\n");
    }
  }
  if (!result.prune_status.ok()) absl::StrAppend(&out, "  ", result.prune_status.message(), "\n");
  Counts c = Count(result);
  if (result.InSync()) {
    absl::StrAppend(&out, "No changes. ", c.in_sync + c.reported, " resource(s) in sync");
    if (c.reported) absl::StrAppend(&out, ", ", c.reported, " drifted (reported only)");
    absl::StrAppend(&out, ".\n");
  } else {
    absl::StrAppend(&out, "Plan: ");
    if (c.adopt) absl::StrAppend(&out, c.adopt, " to adopt, ");
    absl::StrAppend(&out, c.create, " to create, ", c.update, " to update, ", c.remove,
                    " to delete, ", c.run, " test run(s)");
    if (c.drift) absl::StrAppend(&out, "; ", c.drift, " drifted");
    if (c.errors || c.blocked)
      absl::StrAppend(&out, "; ", c.errors, " error(s), ", c.blocked, " blocked");
    absl::StrAppend(&out, ".\n");
  }
  return out;
}

nlohmann::json RenderPlanJson(const EngineResult& result) {
  nlohmann::json changes = nlohmann::json::array();
  auto add = [&changes](const ResourceOutcome& o) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : o.fields) {
      fields.push_back({{"path", f.path},
                        {"old", f.old_value},
                        {"new", f.new_value},
                        {"sensitive", f.sensitive}});
    }
    nlohmann::json c = {{"resource", o.name},
                        {"kind", o.kind},
                        {"action", o.reported_only    ? "drift"
                                   : o.adopt          ? "adopt"
                                   : !o.label.empty() ? o.label.c_str()
                                                      : ActionName(o.action)},
                        {"wave", o.wave},
                        {"drift", o.drift},
                        {"reason", o.reason},
                        {"fields", fields}};
    if (!o.status.ok()) c["error"] = std::string(o.status.message());
    if (!o.blocked_by.empty()) c["blockedBy"] = o.blocked_by;
    changes.push_back(c);
  };
  for (const auto& o : result.resources) add(o);
  for (const auto& o : result.prunes) add(o);
  Counts c = Count(result);
  nlohmann::json out = {{"environment", result.environment},
                        {"inSync", result.InSync()},
                        {"changes", changes},
                        {"summary",
                         {{"adopt", c.adopt},
                          {"create", c.create},
                          {"update", c.update},
                          {"delete", c.remove},
                          {"run", c.run},
                          {"drifted", c.drift},
                          {"reportedDrift", c.reported},
                          {"inSync", c.in_sync},
                          {"errors", c.errors},
                          {"blocked", c.blocked}}}};
  if (!result.prune_status.ok()) out["pruneError"] = std::string(result.prune_status.message());
  return out;
}

std::string RenderProgressLine(Phase phase, const ResourceOutcome& o) {
  std::string head = absl::StrCat("[wave ", o.wave, "] ", o.name, " (", o.kind, ")");
  if (phase == Phase::kStarted) return absl::StrCat(head, " ...");
  if (!o.status.ok())
    return absl::StrCat(head, " FAILED after ", Seconds(o.duration), ": ", o.status.message());
  if (!o.blocked_by.empty()) return absl::StrCat(head, " blocked by ", o.blocked_by);
  std::string what = o.reported_only ? "drift reported"
                     : o.applied     ? ActionName(o.action)
                                     : "in sync";
  if (o.applied && o.drift) what += " (drift repaired)";
  if (o.run_in_progress) what = absl::StrCat("run ", o.run_external_id, " submitted (in progress)");
  return absl::StrCat(head, " ", what, " ", Seconds(o.duration));
}

std::string RenderApplySummary(const EngineResult& result, absl::Duration elapsed) {
  int created = 0, updated = 0, deleted = 0, ran = 0, in_sync = 0, failed = 0, blocked = 0,
      drift = 0;
  for (const auto& o : result.resources) {
    if (!o.status.ok())
      ++failed;
    else if (!o.blocked_by.empty())
      ++blocked;
    else if (o.reported_only)
      ++drift;
    else if (!o.applied)
      ++in_sync;
    else if (o.action == Action::kCreate)
      ++created;
    else if (o.action == Action::kUpdate)
      ++updated;
    else if (o.action == Action::kRun)
      ++ran;
  }
  for (const auto& o : result.prunes) {
    if (o.applied)
      ++deleted;
    else if (!o.status.ok())
      ++failed;
  }
  std::string out =
      absl::StrCat("Apply ", result.ok() ? "complete" : "incomplete", " for ", result.environment,
                   " in ", Seconds(elapsed), ": ", created, " created, ", updated, " updated, ",
                   deleted, " deleted, ", ran, " test run(s), ", in_sync, " in sync");
  if (drift) absl::StrAppend(&out, ", ", drift, " drift reported");
  if (failed || blocked) absl::StrAppend(&out, ", ", failed, " failed, ", blocked, " blocked");
  if (!result.prune_status.ok()) absl::StrAppend(&out, "\n", result.prune_status.message());
  if (result.critical_path.size() > 1) {
    absl::StrAppend(&out, "\n  critical path (", Seconds(result.critical_path_duration),
                    "): ", absl::StrJoin(result.critical_path, " -> "));
  }
  return out;
}

}  // namespace envctl::cli
