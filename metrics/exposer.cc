#include "metrics/exposer.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace envctl::metrics {

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Start(
    const std::string& bind_address, Metrics& metrics) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(bind_address);
    exposer->RegisterCollectable(metrics.registry(), "/metrics");
    return std::unique_ptr<MetricsExposer>(new MetricsExposer(std::move(exposer)));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", bind_address, ": ", e.what()));
  }
}

MetricsExposer::MetricsExposer(std::unique_ptr<prometheus::Exposer> exposer)
    : exposer_(std::move(exposer)) {}

MetricsExposer::~MetricsExposer() = default;

int MetricsExposer::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace envctl::metrics
