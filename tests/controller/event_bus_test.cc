#include "controller/event_bus.h"

#include <thread>

#include "gtest/gtest.h"

namespace envctl::controller {
namespace {

envctl::v1::Event Make(const std::string& env, const std::string& message) {
  envctl::v1::Event e;
  e.set_type(envctl::v1::EVENT_TYPE_RESOURCE_RECONCILED);
  e.set_environment(env);
  e.set_message(message);
  return e;
}

TEST(EventBusTest, SubscriberGetsItsEnvironmentsEventsInOrder) {
  EventBus bus;
  auto all = bus.Subscribe("");
  auto test = bus.Subscribe("test");
  bus.Publish(Make("dev", "1"));
  bus.Publish(Make("test", "2"));
  bus.Publish(Make("test", "3"));
  envctl::v1::Event e;
  ASSERT_TRUE(test->Next(&e, absl::Seconds(1)));
  EXPECT_EQ(e.message(), "2");
  ASSERT_TRUE(test->Next(&e, absl::Seconds(1)));
  EXPECT_EQ(e.message(), "3");
  EXPECT_FALSE(test->Next(&e, absl::Milliseconds(10)));
  for (const char* want : {"1", "2", "3"}) {
    ASSERT_TRUE(all->Next(&e, absl::Seconds(1)));
    EXPECT_EQ(e.message(), want);
  }
}

TEST(EventBusTest, SlowSubscriberLosesTheOldestEvents) {
  EventBus bus(/*buffer_per_subscriber=*/2);
  auto sub = bus.Subscribe("");
  for (const char* m : {"1", "2", "3"}) bus.Publish(Make("test", m));
  envctl::v1::Event e;
  ASSERT_TRUE(sub->Next(&e, absl::Seconds(1)));
  EXPECT_EQ(e.message(), "2");
}

TEST(EventBusTest, CloseWakesABlockedNextAndUnsubscribes) {
  EventBus bus;
  auto sub = bus.Subscribe("");
  std::thread reader([&] {
    envctl::v1::Event e;
    EXPECT_FALSE(sub->Next(&e, absl::Minutes(5)));
  });
  sub->Close();
  reader.join();
  bus.Publish(Make("test", "after close"));
  EXPECT_EQ(bus.SubscribersForTest(), 0);
}

TEST(EventBusTest, EventPublishedBeforeSubscribeIsNotDelivered) {
  EventBus bus;
  bus.Publish(Make("test", "early"));
  auto sub = bus.Subscribe("");
  envctl::v1::Event e;
  EXPECT_FALSE(sub->Next(&e, absl::Milliseconds(10)));
}

}  // namespace
}  // namespace envctl::controller
