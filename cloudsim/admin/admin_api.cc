#include "cloudsim/admin/admin_api.h"

#include "absl/strings/strip.h"
#include "cloudsim/core/util.h"

namespace envctl::cloudsim {
namespace {

Response Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump();
  return r;
}

Response Error(int status, const std::string& message) {
  return Json(status, {{"error", message}});
}

}  // namespace

Response HandleAdmin(const Request& req, RequestStats& stats, FaultInjector& faults,
                     EventGrid& eventgrid) {
  std::string path(absl::StripSuffix(req.path, "/"));
  const std::string& m = req.method;
  if (path == "/_cloudsim/health" && m == "GET") return Json(200, {{"status", "ok"}});
  if (path == "/_cloudsim/stats") {
    if (m == "GET") return Json(200, stats.Counters());
    if (m == "DELETE") {
      stats.ResetCounters();
      return Json(200, stats.Counters());
    }
  }
  if (path == "/_cloudsim/requests") {
    if (m == "GET") return Json(200, stats.Log());
    if (m == "DELETE") {
      stats.ClearLog();
      return Json(200, stats.Log());
    }
  }
  if (path == "/_cloudsim/faults") {
    if (m == "GET") return Json(200, {{"faults", faults.List()}});
    if (m == "DELETE") {
      faults.Clear();
      return Json(200, {{"faults", nlohmann::json::array()}});
    }
    if (m == "POST") {
      nlohmann::json body = ParseRequestJson(req.body);
      if (body.is_discarded()) return Error(400, "the body is not valid JSON");
      nlohmann::json list = body.is_array() ? body : nlohmann::json::array({body});
      for (const auto& f : list) {
        absl::Status st = faults.Add(f);
        if (!st.ok()) return Error(400, std::string(st.message()));
      }
      return Json(200, {{"faults", faults.List()}});
    }
  }
  if (path == "/_cloudsim/eventgrid") {
    if (m == "GET") return Json(200, {{"endpoints", eventgrid.Endpoints()}});
    if (m == "POST") {
      nlohmann::json body = ParseRequestJson(req.body);
      if (!body.is_object() || !body.contains("endpoint") || !body["endpoint"].is_string()) {
        return Error(400, "expected {\"endpoint\": \"http(s)://...\"}");
      }
      absl::Status st = eventgrid.Subscribe(body["endpoint"].get<std::string>());
      if (!st.ok()) return Error(400, std::string(st.message()));
      return Json(200, {{"endpoints", eventgrid.Endpoints()}});
    }
  }
  return Error(404, "unknown admin call " + m + " " + req.path +
                        " (see cloudsim/README.md for the admin API)");
}

}  // namespace envctl::cloudsim
