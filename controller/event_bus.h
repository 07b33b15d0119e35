// EventBus: fans controller events (sync started/finished, resource reconciled or failed,
// drift, runs, source changes) out to WatchEvents subscribers. Each subscriber has its own
// bounded buffer: a slow one loses its oldest events rather than slowing the controller.
// Thread-safe; subscriptions may outlive the bus's publishers but not the bus.
#ifndef ENVCTL_CONTROLLER_EVENT_BUS_H_
#define ENVCTL_CONTROLLER_EVENT_BUS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "controller/controller_api.h"
#include "envctl/v1/service.pb.h"

namespace envctl::controller {

class EventBus {
 public:
  explicit EventBus(size_t buffer_per_subscriber = 1000) : buffer_(buffer_per_subscriber) {}
  ~EventBus();

  void Publish(const envctl::v1::Event& event);
  // Events of `environment` ("" = all) published from now on.
  std::unique_ptr<EventSubscription> Subscribe(const std::string& environment);
  int SubscribersForTest();

  struct Channel;  // one subscriber's buffer (event_bus.cc)

 private:
  const size_t buffer_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace envctl::controller

#endif  // ENVCTL_CONTROLLER_EVENT_BUS_H_
