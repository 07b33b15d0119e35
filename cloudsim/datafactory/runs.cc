#include "cloudsim/datafactory/runs.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloudsim/core/util.h"
#include "cloudsim/datafactory/entities.h"
#include "cloudsim/keyvault/data_plane.h"

namespace envctl::cloudsim {
namespace {

constexpr absl::Duration kQueueTime = absl::Seconds(1);
constexpr absl::Duration kTrivialActivityTime = absl::Seconds(1);

nlohmann::json& Runs(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  return world.Section("pipeline_runs");
}

std::string Stringify(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Evaluates the small subset of ADF expressions notebooks parameters use:
// @pipeline().parameters.X, @pipeline().RunId, @pipeline().Pipeline, @{...} interpolation.
std::string EvalExpr(const std::string& expr, const nlohmann::json& run) {
  std::string e(absl::StripAsciiWhitespace(expr));
  static const std::regex kParam(R"(^pipeline\(\)\.parameters\.([A-Za-z0-9_]+)$)",
                                 std::regex::icase);
  std::smatch m;
  if (std::regex_match(e, m, kParam)) {
    const nlohmann::json& params = run["parameters"];
    return params.contains(m[1].str()) ? Stringify(params[m[1].str()]) : "";
  }
  if (Lower(e) == "pipeline().runid") return run["runId"];
  if (Lower(e) == "pipeline().pipeline") return run["pipelineName"];
  if (Lower(e) == "pipeline().datafactory") return run.value("factoryName", "");
  return "@" + e;  // unsupported: passed through verbatim
}

std::string Resolve(const nlohmann::json& value, const nlohmann::json& run) {
  if (value.is_object() && value.value("type", "") == "Expression")
    return Resolve(value.value("value", ""), run);
  if (!value.is_string()) return Stringify(value);
  const std::string s = value;
  if (absl::StartsWith(s, "@@")) return s.substr(1);
  if (absl::StartsWith(s, "@") && !absl::StartsWith(s, "@{")) return EvalExpr(s.substr(1), run);
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = s.find("@{", pos);
    if (start == std::string::npos) break;
    size_t end = s.find('}', start);
    if (end == std::string::npos) break;
    out += s.substr(pos, start - pos) + EvalExpr(s.substr(start + 2, end - start - 2), run);
    pos = end + 1;
  }
  return out + s.substr(pos);
}

// "[d.]hh:mm:ss" -> duration (default 12 h).
absl::Duration ParseTimeout(const std::string& text) {
  static const std::regex kPattern(R"(^(?:(\d+)\.)?(\d\d):(\d\d):(\d\d)$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) return absl::Hours(12);
  int64_t days = m[1].matched ? std::stoll(m[1]) : 0;
  return absl::Hours(24 * days + std::stoll(m[2])) + absl::Minutes(std::stoll(m[3])) +
         absl::Seconds(std::stoll(m[4]));
}

void Fail(nlohmann::json& act, const std::string& code, const std::string& message) {
  act["status"] = "Failed";
  act["error"] = {{"errorCode", code},
                  {"message", message},
                  {"failureType", "UserError"},
                  {"target", act["activityName"]}};
}

// Resolves the access token for an AzureDatabricks linked service. Errors become
// activity failures with ADF-like messages.
absl::StatusOr<std::string> DatabricksToken(World& world, const std::string& factory_id,
                                            const nlohmann::json& factory, const nlohmann::json& tp)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  std::string principal =
      factory.contains("identity") ? factory["identity"].value("principalId", "") : "";
  if (Lower(tp.value("authentication", "")) == "msi") {
    if (principal.empty())
      return absl::FailedPreconditionError(
          "The data factory has no managed identity to authenticate to Databricks with MSI.");
    return world.tokens().Issue(kDatabricksAudience, principal, principal);
  }
  if (!tp.contains("accessToken") || !tp["accessToken"].is_object()) {
    return absl::InvalidArgumentError("The AzureDatabricks linked service has no accessToken.");
  }
  const nlohmann::json& at = tp["accessToken"];
  if (at.value("type", "") == "SecureString") return at.value("value", "");
  if (at.value("type", "") != "AzureKeyVaultSecret") {
    return absl::InvalidArgumentError("Unsupported accessToken type '" + at.value("type", "") +
                                      "'.");
  }
  std::string store = at.contains("store") ? at["store"].value("referenceName", "") : "";
  std::string secret_name = Stringify(at.value("secretName", nlohmann::json("")));
  std::string secret_version = at.contains("secretVersion") ? Stringify(at["secretVersion"]) : "";
  nlohmann::json* kv = FindChild(world, factory_id, "linkedservices", store);
  if (kv == nullptr)
    return absl::NotFoundError("The linked service '" + store + "' does not exist.");
  std::string base_url =
      (*kv)["meta"]["raw"].value("typeProperties", nlohmann::json::object()).value("baseUrl", "");
  auto wrap = [&](const absl::Status& st) {
    return absl::Status(
        st.code(),
        absl::StrCat("Failed to get the secret from key vault, secretName: ", secret_name,
                     ", secretVersion: ", secret_version, ", vaultBaseUrl: ", base_url,
                     ". The error message is: ", st.message()));
  };
  if (principal.empty()) {
    return wrap(absl::PermissionDeniedError(
        "The data factory has no managed identity to read Key Vault secrets with."));
  }
  auto value = ReadSecretAs(world, base_url, secret_name, secret_version, principal);
  if (!value.ok()) return wrap(value.status());
  return *value;
}

void StartDatabricksNotebook(World& world, nlohmann::json& run, nlohmann::json& act,
                             const nlohmann::json& def) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  const std::string factory_id = run["factoryId"];
  nlohmann::json* factory = FindResource(world, factory_id);
  std::string ls_name =
      def.contains("linkedServiceName") ? def["linkedServiceName"].value("referenceName", "") : "";
  nlohmann::json* ls = FindChild(world, factory_id, "linkedservices", ls_name);
  if (factory == nullptr || ls == nullptr) {
    return Fail(act, "2103",
                "The linked service '" + ls_name + "' referenced by activity '" +
                    act["activityName"].get<std::string>() + "' does not exist.");
  }
  act["linkedServiceName"] = ls_name;
  const nlohmann::json& raw = (*ls)["meta"]["raw"];
  if (raw.value("type", "") != "AzureDatabricks") {
    return Fail(act, "2103",
                "The linked service '" + ls_name + "' is not an AzureDatabricks linked service.");
  }
  const nlohmann::json tp = raw.value("typeProperties", nlohmann::json::object());
  auto token = DatabricksToken(world, factory_id, (*factory)["body"], tp);
  if (!token.ok()) return Fail(act, "2011", std::string(token.status().message()));
  std::string domain = Lower(Resolve(tp.value("domain", nlohmann::json("")), run));
  domain = std::string(
      absl::StripSuffix(absl::StripPrefix(absl::StripPrefix(domain, "https://"), "http://"), "/"));
  std::string workspace_id;
  for (auto& [key, slot] : world.Section("resources").items()) {
    const nlohmann::json& body = slot["body"];
    if (Lower(body.value("type", "")) == "microsoft.databricks/workspaces" &&
        Lower(body["properties"].value("workspaceUrl", "")) == domain) {
      workspace_id = body["properties"].value("workspaceId", "");
    }
  }
  if (workspace_id.empty()) {
    return Fail(act, "3200",
                "Failed to connect to the Databricks workspace at '" + domain +
                    "': no such workspace (the remote name could not be resolved).");
  }
  const nlohmann::json tprops = def.value("typeProperties", nlohmann::json::object());
  std::string path = Resolve(tprops.value("notebookPath", nlohmann::json("")), run);
  std::map<std::string, std::string> params;
  if (tprops.contains("baseParameters") && tprops["baseParameters"].is_object()) {
    for (auto& [k, v] : tprops["baseParameters"].items()) params[k] = Resolve(v, run);
  }
  absl::Duration timeout =
      ParseTimeout(def.contains("policy") ? def["policy"].value("timeout", "") : "");
  auto run_id = world.platform().SubmitNotebookRun(workspace_id, *token, path, params, timeout);
  if (!run_id.ok()) {
    return Fail(act, absl::IsPermissionDenied(run_id.status()) ? "3200" : "3202",
                std::string(run_id.status().message()));
  }
  act["input"] = {{"notebookPath", path}, {"baseParameters", params}};
  act["databricks"] = {{"workspaceId", workspace_id}, {"runId", *run_id}};
}

void StartActivity(World& world, nlohmann::json& run, nlohmann::json& act,
                   const nlohmann::json& def) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  absl::Time now = world.Now();
  act["status"] = "InProgress";
  act["activityRunId"] = NewGuid();
  act["activityRunStart"] = IsoTime(now);
  act["startMs"] = absl::ToUnixMillis(now);
  std::string type = def.value("type", "");
  if (type == "DatabricksNotebook") {
    StartDatabricksNotebook(world, run, act, def);
    return;
  }
  absl::Duration d = kTrivialActivityTime;
  if (type == "Wait") {
    int64_t seconds = 1;
    const nlohmann::json tp = def.value("typeProperties", nlohmann::json::object());
    int64_t parsed = 0;
    if (tp.contains("waitTimeInSeconds") &&
        absl::SimpleAtoi(Resolve(tp["waitTimeInSeconds"], run), &parsed)) {
      seconds = parsed;
    }
    d = absl::Seconds(seconds);
  }
  act["readyAtMs"] = absl::ToUnixMillis(now + world.Scaled(d));
}

void FinishActivity(World& world, nlohmann::json& act) {
  absl::Time now = world.Now();
  act["activityRunEnd"] = IsoTime(now);
  act["durationInMs"] = absl::ToUnixMillis(now) - act.value("startMs", absl::ToUnixMillis(now));
  act["lastUpdatedMs"] = absl::ToUnixMillis(now);
}

void PollActivity(World& world, nlohmann::json& act) {
  if (act.contains("databricks")) {
    auto view = world.platform().GetNotebookRun(act["databricks"]["workspaceId"],
                                                act["databricks"]["runId"]);
    if (!view.ok()) {
      Fail(act, "3202", std::string(view.status().message()));
      return;
    }
    nlohmann::json output = {
        {"runPageUrl", view->run_page_url},
        {"effectiveIntegrationRuntime", "AutoResolveIntegrationRuntime (West Europe)"},
        {"executionDuration", 0},
        {"durationInQueue", {{"integrationRuntimeQueue", 0}}},
        {"billingReference", {{"activityType", "ExternalActivity"}}}};
    if (view->life_cycle_state != "TERMINATED" && view->life_cycle_state != "INTERNAL_ERROR" &&
        view->life_cycle_state != "SKIPPED") {
      act["output"] = output;
      return;
    }
    if (!view->notebook_output.empty()) output["runOutput"] = view->notebook_output;
    act["output"] = output;
    if (view->result_state == "SUCCESS") {
      act["status"] = "Succeeded";
    } else if (view->result_state == "CANCELED") {
      act["status"] = "Cancelled";
    } else {
      std::string message = !view->error.empty() ? view->error : view->state_message;
      if (message.empty()) message = "Run failed with state " + view->result_state;
      Fail(act, "3204", message);
    }
    FinishActivity(world, act);
    return;
  }
  if (act.value("readyAtMs", int64_t{0}) <= absl::ToUnixMillis(world.Now())) {
    act["status"] = "Succeeded";
    act["output"] = nlohmann::json::object();
    FinishActivity(world, act);
  }
}

bool Terminal(const std::string& s) {
  return s == "Succeeded" || s == "Failed" || s == "Skipped" || s == "Cancelled";
}

bool ConditionMet(const std::string& condition, const std::string& status) {
  if (condition == "Completed") return status == "Succeeded" || status == "Failed";
  return condition == status;
}

void AdvanceRun(World& world, nlohmann::json& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  const std::string status = run["status"];
  int64_t now_ms = absl::ToUnixMillis(world.Now());
  nlohmann::json& acts = run["activities"];
  const nlohmann::json& defs = run["pipeline"]["activities"];
  if (status == "Canceling") {
    for (auto& act : acts) {
      if (act["status"] == "InProgress" && act.contains("databricks")) {
        world.platform()
            .CancelNotebookRun(act["databricks"]["workspaceId"], act["databricks"]["runId"])
            .IgnoreError();
      }
      if (!Terminal(act["status"])) {
        act["status"] = act["status"] == "Pending" ? "Skipped" : "Cancelled";
        if (act.contains("activityRunId")) FinishActivity(world, act);
      }
    }
    run["status"] = "Cancelled";
    run["message"] = "";
  } else if (status == "Queued") {
    if (run["queuedUntilMs"].get<int64_t>() > now_ms) return;
    run["status"] = "InProgress";
    run["runStart"] = IsoTime(world.Now());
    run["runStartMs"] = now_ms;
    run["lastUpdatedMs"] = now_ms;
    world.MarkDirty();
  } else if (status != "InProgress") {
    return;
  }
  if (run["status"] == "InProgress") {
    // Start what is ready, poll what runs, until nothing changes in this step.
    for (int pass = 0; pass < 64; ++pass) {
      bool changed = false;
      for (size_t i = 0; i < acts.size(); ++i) {
        nlohmann::json& act = acts[i];
        const nlohmann::json& def = defs[i];
        if (act["status"] == "InProgress") {
          PollActivity(world, act);
          changed = changed || act["status"] != "InProgress";
          continue;
        }
        if (act["status"] != "Pending") continue;
        bool waiting = false, blocked = false;
        for (const auto& dep : def.value("dependsOn", nlohmann::json::array())) {
          std::string dep_name = dep.value("activity", "");
          for (const auto& other : acts) {
            if (other["activityName"] != dep_name) continue;
            if (!Terminal(other["status"])) {
              waiting = true;
              break;
            }
            bool any = false;
            for (const auto& c :
                 dep.value("dependencyConditions", nlohmann::json::array({"Succeeded"}))) {
              any = any || ConditionMet(c, other["status"]);
            }
            if (!any) blocked = true;
          }
        }
        if (waiting) continue;
        changed = true;
        if (blocked) {
          act["status"] = "Skipped";
          continue;
        }
        StartActivity(world, run, act, def);
        if (act["status"] == "Failed") FinishActivity(world, act);
      }
      if (!changed) break;
      run["lastUpdatedMs"] = now_ms;
      world.MarkDirty();
    }
    bool all_done = true;
    for (const auto& act : acts) all_done = all_done && Terminal(act["status"]);
    if (!all_done) return;
    std::string failure;
    for (size_t i = 0; i < acts.size(); ++i) {
      if (acts[i]["status"] != "Failed") continue;
      // A failure handled by a dependent on Failed/Completed does not fail the pipeline.
      bool handled = false;
      for (const auto& def : defs) {
        for (const auto& dep : def.value("dependsOn", nlohmann::json::array())) {
          if (dep.value("activity", "") != acts[i]["activityName"]) continue;
          for (const auto& c : dep.value("dependencyConditions", nlohmann::json::array())) {
            handled = handled || c == "Failed" || c == "Completed";
          }
        }
      }
      if (!handled && failure.empty()) {
        failure = absl::StrCat("Operation on target ", acts[i]["activityName"].get<std::string>(),
                               " failed: ", acts[i]["error"].value("message", ""));
      }
    }
    run["status"] = failure.empty() ? "Succeeded" : "Failed";
    run["message"] = failure;
  }
  run["runEnd"] = IsoTime(world.Now());
  run["durationInMs"] = now_ms - run.value("runStartMs", now_ms);
  run["lastUpdatedMs"] = now_ms;
  world.MarkDirty();
}

nlohmann::json RunView(const nlohmann::json& run) {
  nlohmann::json v = {
      {"runId", run["runId"]},
      {"runGroupId", run.value("runGroupId", run["runId"].get<std::string>())},
      {"isLatest", run.value("isLatest", true)},
      {"pipelineName", run["pipelineName"]},
      {"parameters", run["parameters"]},
      {"invokedBy", {{"id", run["invokedById"]}, {"name", "Manual"}, {"invokedByType", "Manual"}}},
      {"status", run["status"]},
      {"message", run.value("message", "")},
      {"lastUpdated", IsoTime(absl::FromUnixMillis(run.value("lastUpdatedMs", int64_t{0})))},
      {"annotations", nlohmann::json::array()},
      {"runDimension", nlohmann::json::object()}};
  if (run.contains("runStart")) v["runStart"] = run["runStart"];
  if (run.contains("runEnd")) {
    v["runEnd"] = run["runEnd"];
    v["durationInMs"] = run["durationInMs"];
  }
  return v;
}

nlohmann::json ActivityView(const nlohmann::json& run, const nlohmann::json& act) {
  nlohmann::json v = {
      {"activityRunId", act["activityRunId"]},
      {"activityName", act["activityName"]},
      {"activityType", act["activityType"]},
      {"pipelineName", run["pipelineName"]},
      {"pipelineRunId", run["runId"]},
      {"status", act["status"]},
      {"activityRunStart", act["activityRunStart"]},
      {"input", act.value("input", nlohmann::json::object())},
      {"output", act.value("output", nlohmann::json::object())},
      {"linkedServiceName", act.value("linkedServiceName", "")},
      {"userProperties", nlohmann::json::object()},
      {"retryAttempt", nullptr},
      {"iterationHash", ""},
      {"error", act.value("error", nlohmann::json{{"errorCode", ""},
                                                  {"message", ""},
                                                  {"failureType", ""},
                                                  {"target", act["activityName"]}})}};
  if (act.contains("activityRunEnd")) {
    v["activityRunEnd"] = act["activityRunEnd"];
    v["durationInMs"] = act["durationInMs"];
  }
  return v;
}

// Applies the {"operand","operator","values"} filters of the query APIs.
bool PassesFilters(const nlohmann::json& filters,
                   const std::map<std::string, std::string>& fields) {
  if (!filters.is_array()) return true;
  for (const auto& f : filters) {
    auto it = fields.find(Lower(f.value("operand", "")));
    if (it == fields.end()) continue;
    std::string op = Lower(f.value("operator", "Equals"));
    bool in = false;
    for (const auto& v : f.value("values", nlohmann::json::array())) {
      in = in || (v.is_string() && Lower(v.get<std::string>()) == Lower(it->second));
    }
    bool positive = op == "equals" || op == "in";
    if (in != positive) return false;
  }
  return true;
}

// Applies the query's orderBy ([{"orderBy": "RunStart", "order": "DESC"}, ...]) to views
// already in a stable base order; unknown fields are ignored (ADF validates them against
// RunQueryOrderByField, which the SDK enforces before sending).
void OrderViews(std::vector<nlohmann::json>& views, const nlohmann::json& order_by) {
  static const auto* kFields =
      new std::map<std::string, std::string>{{"runstart", "runStart"},
                                             {"runend", "runEnd"},
                                             {"pipelinename", "pipelineName"},
                                             {"status", "status"},
                                             {"activityname", "activityName"},
                                             {"activityrunstart", "activityRunStart"},
                                             {"activityrunend", "activityRunEnd"}};
  if (!order_by.is_array()) return;
  // Last key first, so that stable sorts leave the first key the most significant.
  for (auto it = order_by.rbegin(); it != order_by.rend(); ++it) {
    if (!it->is_object()) continue;
    auto field = kFields->find(Lower(it->value("orderBy", "")));
    if (field == kFields->end()) continue;
    const std::string key = field->second;
    const bool desc = Lower(it->value("order", "ASC")) == "desc";
    std::stable_sort(views.begin(), views.end(),
                     [&](const nlohmann::json& a, const nlohmann::json& b) {
                       std::string va = a.contains(key) ? Stringify(a[key]) : "";
                       std::string vb = b.contains(key) ? Stringify(b[key]) : "";
                       return desc ? vb < va : va < vb;
                     });
  }
}

// The page of `views` the query body asks for, as the query APIs answer it.
Response QueryResponse(const ArmCall& call, std::vector<nlohmann::json> views,
                       const nlohmann::json& body) {
  OrderViews(views, body.value("orderBy", nlohmann::json::array()));
  auto page = QueryPage(views, body, call.world.config().page_size);
  if (!page.ok()) return ArmError(400, "BadRequest", std::string(page.status().message()));
  return ArmJson(200, *page);
}

Response RunNotFound(const std::string& id) {
  return ArmError(404, "PipelineRunNotFound", "Pipeline run '" + id + "' was not found.");
}

// Reads the lastUpdatedAfter/Before window; empty response when fine.
Response ReadWindow(const nlohmann::json& body, int64_t* after_ms, int64_t* before_ms) {
  auto after = ParseIsoTime(body.value("lastUpdatedAfter", ""));
  auto before = ParseIsoTime(body.value("lastUpdatedBefore", ""));
  if (!after.ok() || !before.ok()) {
    return ArmError(
        400, "BadRequest",
        "The request must contain lastUpdatedAfter and lastUpdatedBefore as ISO 8601 times.");
  }
  *after_ms = absl::ToUnixMillis(*after);
  *before_ms = absl::ToUnixMillis(*before);
  return ArmEmpty(0);
}

}  // namespace

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response CreatePipelineRun(ArmCall& call, const std::string& factory_id,
                           const std::string& pipeline_key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  nlohmann::json* pipeline = FindResource(world, pipeline_key);
  if (pipeline == nullptr) return ArmError(404, "NotFound", "Pipeline not found.");
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  const nlohmann::json& def = (*pipeline)["meta"]["raw"];
  nlohmann::json params = nlohmann::json::object();
  if (def.contains("parameters") && def["parameters"].is_object()) {
    for (auto& [k, spec] : def["parameters"].items()) {
      if (spec.is_object() && spec.contains("defaultValue"))
        params[k] = Stringify(spec["defaultValue"]);
    }
  }
  // referencePipelineRunId reruns with that run's parameters (the body's are ignored, as
  // the spec says); with isRecovery=true the new run joins its run group and becomes the
  // group's latest. startActivityName/startFromFailure are accepted, and every activity runs.
  const std::string reference_id = call.req.Query("referencePipelineRunId");
  std::string run_group;
  if (!reference_id.empty()) {
    nlohmann::json& runs = Runs(world);
    auto ref = runs.find(reference_id);
    if (ref == runs.end() || (*ref)["factoryId"] != Lower(factory_id))
      return RunNotFound(reference_id);
    params = (*ref)["parameters"];
    if (Lower(call.req.Query("isRecovery")) == "true") {
      run_group = ref->value("runGroupId", reference_id);
      for (auto& [id, other] : runs.items()) {
        if (other.value("runGroupId", id) == run_group) other["isLatest"] = false;
      }
    }
  } else if (body->is_object()) {
    for (auto& [k, v] : body->items()) params[k] = Stringify(v);
  }
  absl::Time now = world.Now();
  std::string run_id = NewGuid();
  if (run_group.empty()) run_group = run_id;
  nlohmann::json acts = nlohmann::json::array();
  for (const auto& a : def.value("activities", nlohmann::json::array())) {
    acts.push_back({{"activityName", a.value("name", "")},
                    {"activityType", a.value("type", "")},
                    {"status", "Pending"}});
  }
  nlohmann::json run = {{"runId", run_id},
                        {"factoryId", Lower(factory_id)},
                        {"factoryName", factory_id.substr(factory_id.rfind('/') + 1)},
                        {"pipelineName", (*pipeline)["body"]["name"]},
                        {"parameters", params},
                        {"pipeline", def},
                        {"activities", acts},
                        {"status", "Queued"},
                        {"invokedById", RandomHex(16)},
                        {"queuedUntilMs", absl::ToUnixMillis(now + world.Scaled(kQueueTime))},
                        {"runGroupId", run_group},
                        {"isLatest", true},
                        {"createdMs", absl::ToUnixMillis(now)},
                        {"lastUpdatedMs", absl::ToUnixMillis(now)}};
  Runs(world)[run_id] = run;
  world.MarkDirty();
  return ArmJson(200, {{"runId", run_id}});
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response HandlePipelineRuns(ArmCall& call, const std::string& factory_id,
                            size_t index) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  World& world = call.world;
  const std::string id = call.seg[index];
  nlohmann::json& runs = Runs(world);
  auto it = runs.find(id);
  if (it == runs.end() || (*it)["factoryId"] != Lower(factory_id)) return RunNotFound(id);
  nlohmann::json& run = *it;
  const auto& l = call.lseg;
  const std::string& m = call.req.method;
  if (l.size() == index + 1 && m == "GET") return ArmJson(200, RunView(run));
  if (l.size() == index + 2 && l[index + 1] == "cancel" && m == "POST") {
    std::string s = run["status"];
    if (s == "Queued" || s == "InProgress") {
      run["status"] = "Canceling";
      run["lastUpdatedMs"] = absl::ToUnixMillis(world.Now());
      world.MarkDirty();
    }
    return ArmEmpty(200);
  }
  if (l.size() == index + 2 && l[index + 1] == "queryactivityruns" && m == "POST") {
    auto body = call.Body();
    if (!body.ok()) return BadBody(body.status());
    int64_t after = 0, before = 0;
    Response bad = ReadWindow(*body, &after, &before);
    if (bad.status != 0) return bad;
    std::vector<nlohmann::json> value;
    for (const auto& act : run["activities"]) {
      if (!act.contains("activityRunId")) continue;
      int64_t updated = act.value("lastUpdatedMs", act.value("startMs", int64_t{0}));
      if (updated < after || updated > before) continue;
      if (!PassesFilters(body->value("filters", nlohmann::json::array()),
                         {{"activityname", act["activityName"]},
                          {"activitytype", act["activityType"]},
                          {"status", act["status"]}})) {
        continue;
      }
      value.push_back(ActivityView(run, act));
    }
    return QueryResponse(call, std::move(value), *body);
  }
  return ArmError(404, "InvalidResourceType", "Unsupported pipeline run path " + call.req.path);
}

// The router holds call.world.mu; the analysis cannot see that through call.world.
Response QueryPipelineRuns(ArmCall& call,
                           const std::string& factory_id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto body = call.Body();
  if (!body.ok()) return BadBody(body.status());
  int64_t after = 0, before = 0;
  Response bad = ReadWindow(*body, &after, &before);
  if (bad.status != 0) return bad;
  // Base order: creation, so that continuation tokens resume where the last page ended.
  std::vector<const nlohmann::json*> runs;
  for (auto& [id, run] : Runs(call.world).items()) runs.push_back(&run);
  std::stable_sort(runs.begin(), runs.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return a->value("createdMs", int64_t{0}) < b->value("createdMs", int64_t{0});
  });
  std::vector<nlohmann::json> value;
  for (const nlohmann::json* run_ptr : runs) {
    const nlohmann::json& run = *run_ptr;
    if (run["factoryId"] != Lower(factory_id)) continue;
    int64_t updated = run.value("lastUpdatedMs", int64_t{0});
    if (updated < after || updated > before) continue;
    if (!PassesFilters(body->value("filters", nlohmann::json::array()),
                       {{"pipelinename", run["pipelineName"]},
                        {"status", run["status"]},
                        {"rungroupid", run["runId"]}})) {
      continue;
    }
    value.push_back(RunView(run));
  }
  return QueryResponse(call, std::move(value), *body);
}

void SettlePipelineRuns(World& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(world.mu) {
  for (auto& [id, run] : Runs(world).items()) {
    const std::string s = run["status"];
    if (s == "Queued" || s == "InProgress" || s == "Canceling") AdvanceRun(world, run);
  }
}

}  // namespace envctl::cloudsim
