#include "passes/ordered_feed.h"

#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace psl {

OrderedFeed::OrderedFeed(size_t n, Produce produce, bool threaded)
    : n_(n), produce_(std::move(produce)) {
  if (!threaded || n_ == 0)
    return;
  start_thread();
}

void OrderedFeed::start_thread() {
  const size_t from = made_.load();
  if (thread_.joinable() || from >= n_)
    return;
  try {
    thread_ = std::thread([this, from] { run(from); });
  } catch (const std::system_error &) {
    // No thread to be had: wait() makes the items itself.
  }
}

OrderedFeed::~OrderedFeed() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
}

void OrderedFeed::run(size_t from) {
  for (size_t i = from; i < n_ && !stop_; ++i) {
    try {
      produce_(i);
    } catch (...) {
      std::lock_guard<std::mutex> hold(lock_);
      failed_ = true;
      error_ = std::current_exception();
      ready_.notify_all();
      return;
    }
    // Sequentially consistent, with the waiter's flag: either the waiter
    // sees this item made, or this thread sees the waiter and wakes it.
    made_.store(i + 1);
    if (waiting_.load()) {
      std::lock_guard<std::mutex> hold(lock_);
      ready_.notify_all();
    }
  }
}

void OrderedFeed::wait(size_t i) {
  if (i >= n_)
    throw std::out_of_range("OrderedFeed::wait: no item " + std::to_string(i));
  if (made_.load(std::memory_order_acquire) > i)
    return;
  if (!thread_.joinable()) {
    // Made here, in order, up to item i.
    for (size_t k = made_.load(); k <= i && k < n_; ++k) {
      produce_(k);
      made_.store(k + 1);
    }
    return;
  }
  std::unique_lock<std::mutex> hold(lock_);
  waiting_.store(true);
  ready_.wait(hold, [&] { return made_.load() > i || failed_; });
  waiting_.store(false);
  if (made_.load() <= i && failed_)
    std::rethrow_exception(error_);
}

} // namespace psl
