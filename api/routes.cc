#include "api/routes.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace envctl::api {

void AddStandardRoutes(HttpServer& server, controller::ControllerApi& api,
                       metrics::Metrics& metrics) {
  server.Handle("GET", "/metrics", [&metrics](const HttpRequest&) {
    HttpResponse response;
    response.content_type = kPrometheusTextContentType;
    response.body = metrics.Serialize();
    return response;
  });
  server.Handle("GET", "/healthz", [&api](const HttpRequest&) {
    HttpResponse response;
    response.headers.emplace_back("Cache-Control", "no-store");
    std::string why;
    if (api.Healthy(&why)) {
      response.body = "ok\n";
    } else {
      response.status = 503;
      response.body = absl::StrCat("unhealthy: ", why.empty() ? "(no reason given)" : why, "\n");
    }
    return response;
  });
}

}  // namespace envctl::api
