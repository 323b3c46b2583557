// The event stream hub: order, bounded per-client queues, the client cap,
// Last-Event-ID catch-up and closing.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "api/event_hub.h"

namespace psr::api {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<const std::string> data(const std::string &s) {
  return std::make_shared<const std::string>(s);
}

TEST(EventHub, FormatsServerSentEvents) {
  Event e{7, "summary", data("{\"seq\":1}")};
  EXPECT_EQ(format_event(e), "id: 7\nevent: summary\ndata: {\"seq\":1}\n\n");
  Event two{8, "note", data("a\nb")};
  EXPECT_EQ(format_event(two), "id: 8\nevent: note\ndata: a\ndata: b\n\n");
}

TEST(EventHub, EveryClientGetsEveryEventInOrder) {
  auto hub = EventHub::create({});
  auto a = hub->subscribe();
  auto b = hub->subscribe();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(hub->publish("summary", data("1")), 1u);
  EXPECT_EQ(hub->publish("summary", data("2")), 2u);
  std::string expected = "id: 1\nevent: summary\ndata: 1\n\n"
                         "id: 2\nevent: summary\ndata: 2\n\n";
  EXPECT_EQ(a->next(milliseconds(0)), expected);
  EXPECT_EQ(b->next(milliseconds(0)), expected);
  EXPECT_EQ(a->next(milliseconds(0)), "");
  EXPECT_EQ(hub->published(), 2u);
}

TEST(EventHub, ASlowClientLosesTheOldestAndIsToldHowMany) {
  auto hub = EventHub::create({3, 4, 8});
  auto slow = hub->subscribe();
  for (int i = 1; i <= 10; ++i)
    hub->publish("summary", data(std::to_string(i)));
  std::string got = *slow->next(milliseconds(0));
  EXPECT_EQ(got, "event: lost\ndata: {\"lost\":7}\n\n"
                 "id: 8\nevent: summary\ndata: 8\n\n"
                 "id: 9\nevent: summary\ndata: 9\n\n"
                 "id: 10\nevent: summary\ndata: 10\n\n");
  EXPECT_EQ(slow->lost(), 7u);
  EXPECT_EQ(hub->lost(), 7u);
  // Told once.
  hub->publish("summary", data("11"));
  EXPECT_EQ(*slow->next(milliseconds(0)),
            "id: 11\nevent: summary\ndata: 11\n\n");
}

TEST(EventHub, PublishingNeverWaitsForClients) {
  auto hub = EventHub::create({4, 4, 8});
  auto never_reads = hub->subscribe();
  // A queue that never drains: publish() would block here (and the test
  // time out) if it waited for the client.
  for (int i = 0; i < 100000; ++i)
    hub->publish("summary", data("x"));
  EXPECT_EQ(hub->lost(), 100000u - 4u);
}

TEST(EventHub, ClientsAreCapped) {
  auto hub = EventHub::create({4, 2, 8});
  auto a = hub->subscribe();
  auto b = hub->subscribe();
  EXPECT_EQ(hub->subscribe(), nullptr);
  EXPECT_EQ(hub->clients(), 2u);
  a.reset();
  EXPECT_EQ(hub->clients(), 1u);
  EXPECT_NE(hub->subscribe(), nullptr);
}

TEST(EventHub, LastEventIdReplaysWhatIsStillInTheHistory) {
  auto hub = EventHub::create({16, 4, 3});
  for (int i = 1; i <= 5; ++i)
    hub->publish("summary", data(std::to_string(i)));
  auto back = hub->subscribe(3);
  EXPECT_EQ(*back->next(milliseconds(0)), "id: 4\nevent: summary\ndata: 4\n\n"
                                          "id: 5\nevent: summary\ndata: 5\n\n");
  // Older than the history (3 events): what is left of it.
  auto old = hub->subscribe(0);
  EXPECT_EQ(*old->next(milliseconds(0)), "id: 3\nevent: summary\ndata: 3\n\n"
                                         "id: 4\nevent: summary\ndata: 4\n\n"
                                         "id: 5\nevent: summary\ndata: 5\n\n");
  auto fresh = hub->subscribe();
  EXPECT_EQ(*fresh->next(milliseconds(0)), "");
}

TEST(EventHub, NextWaitsForAnEventAndCloseEndsEveryStream) {
  auto hub = EventHub::create({});
  auto sub = hub->subscribe();
  std::thread publisher([&] {
    std::this_thread::sleep_for(milliseconds(50));
    hub->publish("summary", data("late"));
  });
  auto got = sub->next(milliseconds(3'600'000));
  publisher.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "id: 1\nevent: summary\ndata: late\n\n");
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    hub->close();
  });
  // Woken by close(), not by the end of the wait (the test would time
  // out first).
  EXPECT_FALSE(sub->next(milliseconds(3'600'000)).has_value());
  closer.join();
  EXPECT_EQ(hub->subscribe(), nullptr);
}

} // namespace
} // namespace psr::api
