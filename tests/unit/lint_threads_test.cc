// The lint's second thread: OrderedFeed (items made in order on another
// thread while the caller takes them), and the lint giving the same
// diagnostics, notes included, whether the conditions are built on a
// second thread or on the calling one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "driver.h"
#include "passes/ordered_feed.h"

namespace psl {
namespace {

// ------------------------------------------------------------ OrderedFeed

TEST(OrderedFeed, MakesEveryItemInOrderWithAndWithoutAThread) {
  for (bool threaded : {false, true}) {
    std::vector<size_t> order;
    std::vector<size_t> items(1000, 0);
    OrderedFeed feed(
        items.size(),
        [&](size_t i) {
          order.push_back(i); // one producer: no other thread writes it
          items[i] = i * i;
        },
        threaded);
    EXPECT_EQ(feed.threaded(), threaded);
    for (size_t i = 0; i < items.size(); ++i) {
      feed.wait(i);
      EXPECT_EQ(items[i], i * i)
          << "item " << i << (threaded ? ", threaded" : "");
    }
    feed.wait(3); // an item made before: returns at once
    ASSERT_EQ(order.size(), items.size());
    for (size_t i = 0; i < order.size(); ++i)
      EXPECT_EQ(order[i], i);
  }
}

TEST(OrderedFeed, WithoutAThreadMakesOnlyWhatIsAskedFor) {
  size_t made = 0;
  OrderedFeed feed(
      100, [&](size_t) { ++made; }, false);
  EXPECT_EQ(made, 0u);
  feed.wait(9);
  EXPECT_EQ(made, 10u);
  feed.wait(4);
  EXPECT_EQ(made, 10u);
}

TEST(OrderedFeed, AThreadStartedLateMakesTheRestInOrder) {
  std::vector<size_t> order;
  std::vector<size_t> items(1000, 0);
  OrderedFeed feed(
      items.size(),
      [&](size_t i) {
        order.push_back(i); // made by one thread at a time
        items[i] = i + 1;
      },
      false);
  feed.wait(99); // the first 100 on this thread
  EXPECT_FALSE(feed.threaded());
  EXPECT_EQ(order.size(), 100u);
  feed.start_thread();
  EXPECT_TRUE(feed.threaded());
  feed.start_thread(); // once
  for (size_t i = 0; i < items.size(); ++i) {
    feed.wait(i);
    EXPECT_EQ(items[i], i + 1) << "item " << i;
  }
  ASSERT_EQ(order.size(), items.size());
  for (size_t i = 0; i < order.size(); ++i)
    EXPECT_EQ(order[i], i);

  // With every item made, there is nothing to start a thread for.
  OrderedFeed done(
      3, [](size_t) {}, false);
  done.wait(2);
  done.start_thread();
  EXPECT_FALSE(done.threaded());
}

TEST(OrderedFeed, RethrowsWhatTheItemThrewAndMakesNothingAfterIt) {
  for (bool threaded : {false, true}) {
    std::atomic<size_t> made{0};
    OrderedFeed feed(
        100,
        [&](size_t i) {
          if (i == 7)
            throw std::runtime_error("item 7");
          ++made;
        },
        threaded);
    feed.wait(6);
    try {
      feed.wait(7);
      ADD_FAILURE() << "no exception" << (threaded ? ", threaded" : "");
    } catch (const std::runtime_error &e) {
      EXPECT_STREQ(e.what(), "item 7");
    }
    EXPECT_THROW(feed.wait(50), std::runtime_error);
    EXPECT_EQ(made.load(), 7u);
  }
}

TEST(OrderedFeed, AskingPastTheLastItemIsAnError) {
  OrderedFeed feed(
      3, [](size_t) {}, true);
  feed.wait(2);
  EXPECT_THROW(feed.wait(3), std::out_of_range);
}

TEST(OrderedFeed, StopsWhenDestroyedBeforeTheLastItem) {
  std::atomic<size_t> made{0};
  const size_t n = size_t{1} << 40; // never reached: the destructor stops it
  {
    OrderedFeed feed(
        n, [&](size_t) { ++made; }, true);
    feed.wait(1000);
  }
  EXPECT_GE(made.load(), 1001u);
  EXPECT_LT(made.load(), n);
}

// ------------------------------------------------------- the lint's thread

// Every diagnostic of the sink, with its notes and ranges.
std::string render(const DiagnosticSink &sink) {
  std::string out;
  for (const auto &d : sink.diagnostics()) {
    out += std::to_string(d.range.begin.line) + ":" +
           std::to_string(d.range.begin.column) + ": " +
           diag_info(d.code).name + ": " + d.message + "\n";
    for (const auto &n : d.notes)
      out += "  note " + std::to_string(n.range.begin.line) + ":" +
             std::to_string(n.range.begin.column) + ": " + n.message + "\n";
  }
  return out;
}

// A policy past the size where the lint takes a second thread, with every
// kind of finding, and opaque atoms (rates, dynamic sets) whose first uses
// are spread over the whole policy, so their dimension numbers depend on
// the order the conditions are built in.
std::string large_policy(size_t rules) {
  std::string text = "policy big {\n"
                     "  const unused_net = 192.0.2.0/24\n"
                     "  set blocked : ip dynamic ttl 10m capacity 1024\n"
                     "  set scanners : ip dynamic ttl 10m capacity 1024\n";
  const char *rates[] = {"rate(ip.src) > 10/s", "rate(ip.dst) > 1k/s",
                         "rate(ip.src, tcp.dport) > 100/s",
                         "rate(ip.src, burst 50) > 20/s"};
  for (size_t i = 0; i < rules; ++i) {
    const std::string n = std::to_string(i);
    const std::string net = "10." + std::to_string(i % 200) + "." +
                            std::to_string(i / 200 % 250) + ".0/24";
    std::string cond;
    switch (i % 9) {
    case 0: // shadowed by the rule before it (case 8)
      cond = "ip.src in " + net + " and tcp.dport == 22";
      break;
    case 1:
      cond = "ip.src in " + net + " and " + rates[i / 9 % 4];
      break;
    case 2:
      cond = "ip.src in blocked and tcp.dport == " + std::to_string(i % 60000);
      break;
    case 3:
      cond = "ip.src in scanners and " + std::string(rates[(i / 9 + 1) % 4]);
      break;
    case 4: // always false
      cond = "tcp.dport == 1 and tcp.dport == 2";
      break;
    case 5: // redundant: rule i + 1 drops the same and more
      cond = "ip.dst in 172.16." + std::to_string(i % 250) +
             ".0/24 and udp.dport == 53";
      break;
    case 6:
      cond = "ip.dst in 172.16." + std::to_string((i - 1) % 250) + ".0/24";
      break;
    case 7:
      cond = "rate(ip.dst, tcp.dport, burst " + std::to_string(i % 7 + 1) +
             ") > " + std::to_string(i % 5 + 1) + "k/s";
      break;
    default: // covers case 0 of the next rule
      cond = "ip.src in 10." + std::to_string((i + 1) % 200) + "." +
             std::to_string((i + 1) / 200 % 250) + ".0/24";
      break;
    }
    const char *action = i % 9 == 6 || i % 9 == 5 ? "drop"
                         : i % 2                  ? "drop"
                                                  : "pass";
    text += "  rule r" + n + ": " + cond + " => " + action + "\n";
  }
  // Always true; a count, so the default still drops ARP (W0209).
  text += "  rule always: true => count\n";
  text += "  default drop\n}\n";
  return text;
}

TEST(LintThreads, TheSecondThreadChangesNoDiagnostic) {
  const std::string text = large_policy(2000);
  PassOptions alone;
  alone.threads = 1;
  PassOptions threaded; // chooses the second thread at this size
  auto a = check_source("big.psl", text, alone);
  auto b = check_source("big.psl", text, threaded);
  ASSERT_FALSE(a.diags.has_errors()) << render(a.diags).substr(0, 2000);
  const std::string ra = render(a.diags), rb = render(b.diags);
  // Every kind of finding is there, so the comparison covers each.
  for (const char *code :
       {"W0201", "W0202", "W0203", "W0205", "W0207", "W0209"})
    EXPECT_NE(ra.find(code), std::string::npos) << code;
  EXPECT_EQ(ra, rb);
}

// Beside a build on a machine with two cores, the lint starts its second
// thread once the build is done (pass_manager.cc, PassOptions::core_freed):
// the diagnostics are those of the lint alone.
TEST(LintThreads, ASecondThreadStartedLateChangesNoDiagnostic) {
  const std::string text = large_policy(2000);
  PassOptions alone;
  alone.threads = 1;
  auto a = check_source("big.psl", text, alone);
  std::atomic<bool> freed{false};
  PassOptions late;
  late.threads = 1;
  late.core_freed = &freed;
  // The core is freed while the lint is at work: rule by rule, the
  // conditions the lint asks for are built until then.
  bool built = false;
  auto b = check_source(
      "big.psl", text, late, [&](const Policy &, const SourceFile &) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        freed = true;
        built = true;
      });
  EXPECT_TRUE(built);
  EXPECT_EQ(render(a.diags), render(b.diags));
}

} // namespace
} // namespace psl
