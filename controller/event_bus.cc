#include "controller/event_bus.h"

#include <algorithm>
#include <deque>

namespace envctl::controller {

struct EventBus::Channel {
  std::string environment;
  size_t capacity = 0;
  absl::Mutex mu;
  absl::CondVar cv;
  std::deque<envctl::v1::Event> events ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
};

namespace {

class ChannelSubscription : public EventSubscription {
 public:
  explicit ChannelSubscription(std::shared_ptr<EventBus::Channel> channel)
      : channel_(std::move(channel)) {}
  ~ChannelSubscription() override { Close(); }

  bool Next(envctl::v1::Event* event, absl::Duration timeout) override {
    EventBus::Channel& c = *channel_;
    absl::MutexLock lock(&c.mu);
    const absl::Time deadline = absl::Now() + timeout;
    while (c.events.empty() && !c.closed) {
      if (c.cv.WaitWithDeadline(&c.mu, deadline)) break;
    }
    if (c.closed || c.events.empty()) return false;
    *event = std::move(c.events.front());
    c.events.pop_front();
    return true;
  }

  void Close() override {
    absl::MutexLock lock(&channel_->mu);
    channel_->closed = true;
    channel_->cv.SignalAll();
  }

 private:
  std::shared_ptr<EventBus::Channel> channel_;
};

}  // namespace

EventBus::~EventBus() {
  absl::MutexLock lock(&mu_);
  for (auto& c : channels_) {
    absl::MutexLock channel_lock(&c->mu);
    c->closed = true;
    c->cv.SignalAll();
  }
}

void EventBus::Publish(const envctl::v1::Event& event) {
  absl::MutexLock lock(&mu_);
  channels_.erase(std::remove_if(channels_.begin(), channels_.end(),
                                 [](const std::shared_ptr<Channel>& c) {
                                   absl::MutexLock channel_lock(&c->mu);
                                   return c->closed;
                                 }),
                  channels_.end());
  for (auto& c : channels_) {
    if (!c->environment.empty() && c->environment != event.environment()) continue;
    absl::MutexLock channel_lock(&c->mu);
    if (c->events.size() >= c->capacity) c->events.pop_front();
    c->events.push_back(event);
    c->cv.Signal();
  }
}

std::unique_ptr<EventSubscription> EventBus::Subscribe(const std::string& environment) {
  auto channel = std::make_shared<Channel>();
  channel->environment = environment;
  channel->capacity = buffer_;
  absl::MutexLock lock(&mu_);
  channels_.push_back(channel);
  return std::make_unique<ChannelSubscription>(std::move(channel));
}

int EventBus::SubscribersForTest() {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (auto& c : channels_) {
    absl::MutexLock channel_lock(&c->mu);
    if (!c->closed) ++n;
  }
  return n;
}

}  // namespace envctl::controller
