#include "api/event_hub.h"

namespace psr::api {

std::string format_event(const Event &e) {
  std::string out = "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\n";
  const std::string &data = e.data ? *e.data : std::string();
  size_t start = 0;
  for (;;) {
    size_t end = data.find('\n', start);
    out += "data: ";
    out.append(data, start, end == std::string::npos ? end : end - start);
    out += "\n";
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  out += "\n";
  return out;
}

std::shared_ptr<EventHub> EventHub::create(Limits limits) {
  if (limits.queue == 0)
    limits.queue = 1;
  return std::shared_ptr<EventHub>(new EventHub(limits));
}

void EventHub::enqueue(Subscription *s, const Event &e) {
  if (s->queue_.size() >= limits_.queue) {
    s->queue_.pop_front();
    ++s->lost_;
    ++s->lost_unsent_;
    ++lost_;
  }
  s->queue_.push_back(e);
}

std::shared_ptr<Subscription>
EventHub::subscribe(std::optional<uint64_t> last_event_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || subs_.size() >= limits_.clients)
    return nullptr;
  std::shared_ptr<Subscription> s(new Subscription(shared_from_this()));
  if (last_event_id)
    for (const Event &e : history_)
      if (e.id > *last_event_id)
        enqueue(s.get(), e);
  subs_.insert(s.get());
  return s;
}

uint64_t EventHub::publish(const std::string &type,
                           std::shared_ptr<const std::string> data) {
  Event e;
  e.type = type;
  e.data = std::move(data);
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.id = next_id_++;
    history_.push_back(e);
    while (history_.size() > limits_.history)
      history_.pop_front();
    for (Subscription *s : subs_)
      enqueue(s, e);
  }
  cv_.notify_all();
  return e.id;
}

void EventHub::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void EventHub::unsubscribe(Subscription *s) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(s);
}

size_t EventHub::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

uint64_t EventHub::published() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_id_ - 1;
}

uint64_t EventHub::lost() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lost_;
}

Subscription::~Subscription() { hub_->unsubscribe(this); }

uint64_t Subscription::lost() const {
  std::lock_guard<std::mutex> lock(hub_->mu_);
  return lost_;
}

std::optional<std::string> Subscription::next(std::chrono::milliseconds wait) {
  std::deque<Event> events;
  uint64_t lost = 0;
  {
    std::unique_lock<std::mutex> lock(hub_->mu_);
    hub_->cv_.wait_for(lock, wait,
                       [&] { return hub_->closed_ || !queue_.empty(); });
    if (hub_->closed_)
      return std::nullopt;
    events.swap(queue_);
    lost = lost_unsent_;
    lost_unsent_ = 0;
  }
  std::string out;
  if (lost != 0)
    out += "event: lost\ndata: {\"lost\":" + std::to_string(lost) + "}\n\n";
  for (const Event &e : events)
    out += format_event(e);
  return out;
}

} // namespace psr::api
