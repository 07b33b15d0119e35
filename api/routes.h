// The controller's standard HTTP endpoints:
//   GET /metrics  every envctl metric in the Prometheus text format (version 0.0.4)
//   GET /healthz  200 "ok" when the controller is healthy, else 503 with the reason
// The webhook routes (/webhooks/git, /webhooks/eventgrid) belong to watchers/ and are
// added by the binary. `api` and `metrics` must outlive `server`.
#ifndef ENVCTL_API_ROUTES_H_
#define ENVCTL_API_ROUTES_H_

#include "api/http_server.h"
#include "controller/controller_api.h"
#include "metrics/metrics.h"

namespace envctl::api {

// Content-Type of /metrics.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

void AddStandardRoutes(HttpServer& server, controller::ControllerApi& api,
                       metrics::Metrics& metrics);

}  // namespace envctl::api

#endif  // ENVCTL_API_ROUTES_H_
