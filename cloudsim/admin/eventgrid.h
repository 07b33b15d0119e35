// EventGrid: webhook subscriptions for ARM resource events (reference §10). Subscribe()
// runs the validation handshake synchronously (SubscriptionValidationEvent, expects 200
// with the validationResponse); Publish() queues an event for every subscriber and a
// worker thread delivers it as a one-element array with aeg-* headers, retrying failed
// deliveries a bounded number of times with backoff. Endpoints may be http or https
// (https is not verified: webhooks are loopback receivers with their own certificates).
// Thread-safe; the destructor stops the worker (undelivered events are dropped).
#ifndef ENVCTL_CLOUDSIM_ADMIN_EVENTGRID_H_
#define ENVCTL_CLOUDSIM_ADMIN_EVENTGRID_H_

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim {

class EventGrid {
 public:
  EventGrid(std::string subscription_id, int max_attempts = 5,
            absl::Duration first_backoff = absl::Milliseconds(200));
  ~EventGrid();

  // FailedPrecondition when the endpoint cannot be reached or does not echo the code.
  absl::Status Subscribe(const std::string& endpoint);
  void Publish(const nlohmann::json& event);
  std::vector<std::string> Endpoints();

 private:
  struct Delivery {
    std::string endpoint;
    std::string payload;
    int attempt = 0;
    absl::Time not_before;
  };
  void Worker();

  const std::string subscription_id_;
  const int max_attempts_;
  const absl::Duration first_backoff_;
  absl::Mutex mu_;
  std::vector<std::string> endpoints_ ABSL_GUARDED_BY(mu_);
  std::deque<Delivery> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_ADMIN_EVENTGRID_H_
