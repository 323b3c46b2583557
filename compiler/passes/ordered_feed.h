// Items made in order on a second thread while the calling thread takes
// them in the same order. The lint builds the condition of rule i + 1 (and
// the ones after) while it checks rule i against the rules before it, so
// at 100k rules the two halves of its first pass share the machine's
// cores instead of following each other.
//
// `produce(i)` writes item i wherever the caller keeps it; after wait(i)
// returns, the calling thread may read what produce(0..i) wrote (the
// wait is the synchronisation). Anything both threads touch besides that
// must be safe to share (the lint's analysis::Space locks).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace psl {

class OrderedFeed {
public:
  using Produce = std::function<void(size_t)>;

  // Makes items 0..n-1 with `produce`: on a second thread, started here,
  // when `threaded` (and the thread can be started); otherwise each wait()
  // makes the items up to the one it asks for on the calling thread (until
  // start_thread()), so the items are made in the same order either way.
  OrderedFeed(size_t n, Produce produce, bool threaded);
  // Stops the second thread after the item it is making, and joins it.
  ~OrderedFeed();
  OrderedFeed(const OrderedFeed &) = delete;
  OrderedFeed &operator=(const OrderedFeed &) = delete;

  // Returns once item i is made; rethrows what `produce` threw for it or
  // an earlier item (nothing after that item is made).
  void wait(size_t i);
  bool threaded() const { return thread_.joinable(); }
  // Without a second thread: starts one now, which makes the items after
  // the ones wait() has made so far. Called from the thread that calls
  // wait(). Does nothing when the thread runs, all items are made, or no
  // thread can be started.
  void start_thread();

private:
  void run(size_t from); // the second thread

  const size_t n_;
  Produce produce_;
  std::atomic<size_t> made_{0}; // items 0..made_-1 are ready
  std::atomic<bool> stop_{false};
  std::atomic<bool> waiting_{false}; // the caller sleeps in wait()
  std::mutex lock_;                  // for the two below and the wake-up
  std::condition_variable ready_;
  bool failed_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

} // namespace psl
