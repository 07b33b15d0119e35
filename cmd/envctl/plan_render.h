// Renders plan and apply results for people (Terraform-like text) and machines (JSON).
// Sensitive values are already "(sensitive)" in FieldChange; nothing here can print a
// secret. Pure functions, thread-compatible.
#ifndef ENVCTL_CMD_ENVCTL_PLAN_RENDER_H_
#define ENVCTL_CMD_ENVCTL_PLAN_RENDER_H_

#include <string>

#include "controller/engine.h"
#include "nlohmann/json.hpp"

namespace envctl::cli {

using controller::EngineResult;
using controller::Phase;
using controller::ResourceOutcome;

// Plan as text:
//   + name (Kind)                  create
//   ~ name (Kind)                  update, one indented "path: old -> new" line per field
//   - name (Kind)                  delete (prune)
//   ! name (Kind)                  drift found on live state, reported only
//   > name (Kind)                  test run due
// followed by a summary line. Resources without changes are omitted.
std::string RenderPlanText(const EngineResult& result);

// {"environment", "inSync", "changes": [{"resource","kind","action","wave","drift",
//  "reason","fields":[{"path","old","new","sensitive"}],"error"}], "summary": {...}}
nlohmann::json RenderPlanJson(const EngineResult& result);

// One progress line for apply: "[wave 1] storage (StorageAccount) create ... done 2.1s".
std::string RenderProgressLine(Phase phase, const ResourceOutcome& outcome);

// Apply summary: counts of created / updated / deleted / in sync / failed / blocked.
std::string RenderApplySummary(const EngineResult& result, absl::Duration elapsed);

}  // namespace envctl::cli

#endif  // ENVCTL_CMD_ENVCTL_PLAN_RENDER_H_
