// MetricsExposer: serves a Metrics registry at `/metrics` with prometheus-cpp's pull
// Exposer (its own small HTTP server). Optional: a binary that already runs an HTTP server
// can serve Metrics::Serialize() instead. Bind to loopback unless told otherwise.
#ifndef ENVCTL_METRICS_EXPOSER_H_
#define ENVCTL_METRICS_EXPOSER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "metrics/metrics.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace envctl::metrics {

class MetricsExposer {
 public:
  // Starts serving on `bind_address` ("127.0.0.1:9464"; port 0 picks a free one).
  // Unavailable, naming the address, when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Start(const std::string& bind_address,
                                                               Metrics& metrics);
  ~MetricsExposer();
  // The port actually listened on.
  int port() const;

 private:
  explicit MetricsExposer(std::unique_ptr<prometheus::Exposer> exposer);
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace envctl::metrics

#endif  // ENVCTL_METRICS_EXPOSER_H_
