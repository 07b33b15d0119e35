// Long-running operation monitors (Location and Azure-AsyncOperation styles, reference
// §2.7) and the settle step that completes operations whose time has come.
#include "absl/strings/str_cat.h"
#include "cloudsim/arm/providers.h"
#include "cloudsim/core/util.h"
#include "cloudsim/datafactory/runs.h"

namespace envctl::cloudsim {

void SettleWorld(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  int64_t now_ms = absl::ToUnixMillis(world.Now());
  nlohmann::json& ops = world.Section("operations");
  std::vector<std::string> finished_long_ago;
  for (auto& [id, op] : ops.items()) {
    if (op["status"] != "InProgress") {
      if (op.value("end_ms", int64_t{0}) + 3600 * 1000 < now_ms) finished_long_ago.push_back(id);
      continue;
    }
    if (op["done_at_ms"].get<int64_t>() > now_ms) continue;
    const std::string kind = op["kind"];
    if (kind == "rg_delete") CompleteResourceGroupDelete(world, op);
    if (kind == "storage_create") CompleteStorageCreate(world, op);
    if (kind == "workspace_create") CompleteWorkspaceCreate(world, op);
    if (kind == "workspace_delete") CompleteWorkspaceDelete(world, op);
    op["status"] = "Succeeded";
    op["end"] = IsoTime(world.Now());
    op["end_ms"] = now_ms;
    world.MarkDirty();
  }
  for (const auto& id : finished_long_ago) ops.erase(id);
  if (!finished_long_ago.empty()) world.MarkDirty();
  SettlePipelineRuns(world);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandleOperationPoll(ArmCall& call, size_t id_index,
                             bool async_style) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  nlohmann::json& ops = call.world.Section("operations");
  auto it = ops.find(call.seg[id_index]);
  if (it == ops.end()) {
    return ArmError(404, "OperationNotFound",
                    "The operation '" + call.seg[id_index] + "' was not found.");
  }
  nlohmann::json& op = *it;
  const std::string status = op["status"];
  if (async_style) {
    nlohmann::json body = {{"id", call.req.path},
                           {"name", call.seg[id_index]},
                           {"status", status},
                           {"startTime", op["start"]}};
    if (status != "InProgress") body["endTime"] = op["end"];
    Response r = ArmJson(200, body);
    if (status == "InProgress") {
      r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(call.world, it.key()));
    }
    return r;
  }
  if (status == "InProgress") {
    Response r = ArmEmpty(202);
    r.headers["Location"] = call.base_url + call.req.path + "?" + call.req.raw_query;
    r.headers["Retry-After"] = std::to_string(RetryAfterSeconds(call.world, it.key()));
    return r;
  }
  if (op["kind"] == "storage_create") {
    nlohmann::json* account = FindResource(call.world, op["resource_id"]);
    if (account != nullptr) return ArmJson(200, (*account)["body"]);
  }
  return ArmEmpty(op["kind"] == "rg_delete" ? 200 : 204);
}

}  // namespace envctl::cloudsim
