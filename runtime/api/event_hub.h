// The live event stream (/api/v1/events, server-sent events): one
// publisher (psd's loop: summaries now, decisions later), many clients.
//
// Each client has its own bounded queue: a client that reads slower than
// events come loses the oldest ones (and is told how many, with a `lost`
// event) instead of blocking the publisher or growing memory. The number
// of clients is capped too. Events carry ids; a client that reconnects
// with Last-Event-ID gets what it missed from a short history.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "api/http.h"

namespace psr::api {

struct Event {
  uint64_t id = 0;
  std::string type;                        // "summary", later "decision"
  std::shared_ptr<const std::string> data; // one JSON document
};

// "id: ID\nevent: TYPE\ndata: DATA\n\n" (a DATA line break becomes
// another data: line, as the SSE format wants).
std::string format_event(const Event &e);

class EventHub;

class Subscription : public ResponseStream {
public:
  ~Subscription() override;
  // Waits up to `wait`; returns every queued event as SSE text ("" when
  // none came), or nullopt once the hub is closed.
  std::optional<std::string> next(std::chrono::milliseconds wait) override;
  uint64_t lost() const;

private:
  friend class EventHub;
  explicit Subscription(std::shared_ptr<EventHub> hub) : hub_(std::move(hub)) {}
  std::shared_ptr<EventHub> hub_;
  // Guarded by hub_->mu_.
  std::deque<Event> queue_;
  uint64_t lost_ = 0;        // dropped from this client's queue, in total
  uint64_t lost_unsent_ = 0; // not yet reported to the client
};

class EventHub : public std::enable_shared_from_this<EventHub> {
public:
  struct Limits {
    size_t queue = 32;   // events waiting per client
    size_t clients = 4;  // clients at once
    size_t history = 64; // events kept for Last-Event-ID
  };
  static std::shared_ptr<EventHub> create(Limits limits);

  // Null when `clients` are already connected or the hub is closed. With
  // `last_event_id`, the events after it that are still in the history
  // are queued first.
  std::shared_ptr<Subscription>
  subscribe(std::optional<uint64_t> last_event_id = std::nullopt);

  // Queues an event for every client; returns its id (1, 2, ...).
  uint64_t publish(const std::string &type,
                   std::shared_ptr<const std::string> data);

  // Ends every stream (psd stopping); later subscribes get null.
  void close();

  size_t clients() const;
  uint64_t published() const;
  uint64_t lost() const; // events dropped from slow clients' queues
  const Limits &limits() const { return limits_; }

private:
  friend class Subscription;
  explicit EventHub(Limits limits) : limits_(limits) {}
  void unsubscribe(Subscription *s);
  void enqueue(Subscription *s, const Event &e); // holds mu_

  const Limits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<Subscription *> subs_;
  std::deque<Event> history_;
  uint64_t next_id_ = 1;
  uint64_t lost_ = 0;
  bool closed_ = false;
};

} // namespace psr::api
