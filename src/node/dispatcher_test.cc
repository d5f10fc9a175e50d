// The dispatcher over a real SQLite store: every event reaches every subscriber once, typed and in
// seq order; durable cursors survive a restart; trimming waits for every durable cursor and for
// the retention window; recent subscribers start at their window; damaged events are skipped.

#include "node/dispatcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"
#include "core/event_codec.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

constexpr Millis kMinute = 60 * 1000;
constexpr Millis kHour = 60 * kMinute;

std::string Searching(const std::string& ticket, const std::string& player) {
  return R"({"detail-type":"GameLift Matchmaking Event","detail":{"type":"MatchmakingSearching","tickets":[{"ticketId":")" +
         ticket + R"(","players":[{"playerId":")" + player + R"("}]}]}})";
}

store::EventAppend MatchmakingAt(Millis time, const std::string& ticket = "t", const std::string& player = "p") {
  return {"matchmaking", Searching(ticket, player), time};
}

struct Seen {
  std::vector<std::int64_t> seqs;         // decoded events
  std::vector<std::string> kinds;
  std::vector<std::int64_t> undecodable;  // rows handed over without an event
  Dispatcher::Handler Handler() {
    return [this](const store::Event& e, core::LazyNotice& lazy) {
      const core::Notice* n = lazy.get();
      if (!n) {
        undecodable.push_back(e.seq);
        return;
      }
      seqs.push_back(e.seq);
      kinds.push_back(core::TopicOf(*n));
    };
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  std::int64_t Append(store::EventAppend e) {
    EXPECT_TRUE((*db_).Commit({}, {std::move(e)}).ok());
    return (*db_).LastEventSeq().value_or(-1);
  }
  std::size_t Outbox() { return (*db_).ReadEvents(0, 100000).value_or(std::vector<store::Event>{}).size(); }

  store::testing::TempSqliteStore db_;
  ManualClock clock_{100 * 24 * kHour};
};

TEST_F(DispatcherTest, EveryEventReachesEverySubscriberOnceTypedAndInOrder) {
  Seen durable, recent;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("log", durable.Handler());
  d.SubscribeRecent("view", 2 * kMinute, recent.Handler());
  ASSERT_TRUE(d.Start(/*thread=*/false).ok());
  std::int64_t a = Append(MatchmakingAt(clock_.NowMillis()));
  core::PlacementEnded ended{core::PlacementEnded::Kind::kTimedOut, "m1", "no process"};
  std::int64_t b = Append({"placement", ToJson(core::PlacementDetail(ended)), clock_.NowMillis()});
  auto n = d.Pump();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(durable.seqs, (std::vector<std::int64_t>{a, b}));
  EXPECT_EQ(durable.kinds, (std::vector<std::string>{"matchmaking", "placement"}));
  EXPECT_EQ(recent.seqs, durable.seqs);
  EXPECT_EQ(d.Pump().value_or(99), 0u);  // nothing new: nothing again
  EXPECT_EQ(durable.seqs.size(), 2u);
  EXPECT_EQ(d.Stats().position, b);
}

TEST_F(DispatcherTest, ADurableSubscriberResumesAfterItsSavedCursorNeverBefore) {
  std::int64_t first_unsaved = 0, last = 0;
  {
    Seen seen;
    Dispatcher d(*db_, clock_);
    d.SubscribeDurable("log", seen.Handler());
    ASSERT_TRUE(d.Start(false).ok());
    for (int i = 0; i < 3; ++i) Append(MatchmakingAt(clock_.NowMillis()));
    ASSERT_TRUE(d.Pump().ok());
    ASSERT_TRUE(d.SaveCursors().ok());
    first_unsaved = Append(MatchmakingAt(clock_.NowMillis()));
    last = Append(MatchmakingAt(clock_.NowMillis()));
    ASSERT_TRUE(d.Pump().ok());
    EXPECT_EQ(seen.seqs.size(), 5u);
    // A crash here: the last two were handled but their cursor was not written.
  }
  auto row = (*db_).Get(store::Table::kCursors, "log");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->body, "{\"seq\":" + std::to_string(first_unsaved - 1) + "}");
  Seen again;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("log", again.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(again.seqs, (std::vector<std::int64_t>{first_unsaved, last}));  // again, not lost
}

TEST_F(DispatcherTest, TrimmingWaitsForEveryDurableCursorAndForTheRetentionWindow) {
  DispatcherOptions o;
  o.retention_ms = kHour;
  Seen fast, slow;
  bool slow_synced = false;
  Dispatcher d(*db_, clock_, o);
  d.SubscribeDurable("fast", fast.Handler());
  d.SubscribeDurable("slow", slow.Handler(), [&]() -> Status {
    if (!slow_synced) return Error::Internal("not yet");
    return OkStatus();
  });
  ASSERT_TRUE(d.Start(false).ok());
  const Millis now = clock_.NowMillis();
  for (Millis age : {3 * kHour, 2 * kHour, 2 * kHour, 10 * kMinute}) Append(MatchmakingAt(now - age));
  ASSERT_TRUE(d.Pump().ok());
  ASSERT_TRUE(d.SaveCursors().ok());  // "slow" could not sync: its cursor stays before them all
  EXPECT_EQ(d.Trim().value_or(99), 0u);
  EXPECT_EQ(Outbox(), 4u);
  slow_synced = true;
  ASSERT_TRUE(d.SaveCursors().ok());
  EXPECT_EQ(d.Trim().value_or(99), 3u);  // the young one stays for its window
  EXPECT_EQ(Outbox(), 1u);
  EXPECT_EQ(d.Stats().trimmed, 3u);
  clock_.Advance(kHour);
  EXPECT_EQ(d.Trim().value_or(99), 1u);
  EXPECT_EQ(Outbox(), 0u);
  EXPECT_EQ(fast.seqs.size(), 4u);
  EXPECT_EQ(slow.seqs.size(), 4u);
}

TEST_F(DispatcherTest, ADurableSubscriberThatCannotKeepUpIsNamed) {
  DispatcherOptions o;
  o.lag_warning = 2;
  bool can_sync = true;
  Dispatcher d(*db_, clock_, o);
  d.SubscribeDurable("stuck", [](const store::Event&, core::LazyNotice&) {}, [&]() -> Status {
    if (!can_sync) return Error::Internal("disk full");
    return OkStatus();
  });
  ASSERT_TRUE(d.Start(false).ok());
  can_sync = false;
  for (int i = 0; i < 3; ++i) Append(MatchmakingAt(clock_.NowMillis()));
  ASSERT_TRUE(d.Pump().ok());
  ASSERT_TRUE(d.SaveCursors().ok());
  ASSERT_EQ(d.Laggards().size(), 1u);
  EXPECT_EQ(d.Laggards()[0], "stuck (3 events behind)");
  can_sync = true;
  ASSERT_TRUE(d.SaveCursors().ok());
  EXPECT_TRUE(d.Laggards().empty());
}

TEST_F(DispatcherTest, WithoutDurableSubscribersTheOutboxIsTrimmedByAgeOnceRead) {
  DispatcherOptions o;
  o.retention_ms = kHour;
  Dispatcher d(*db_, clock_, o);
  const Millis now = clock_.NowMillis();
  Append(MatchmakingAt(now - 30 * kHour));
  ASSERT_TRUE(d.Start(false).ok());  // it starts at the end: what was there is read already
  Append(MatchmakingAt(now - 2 * kHour));  // committed but not read yet: not trimmed
  EXPECT_EQ(d.Trim().value_or(99), 1u);
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(d.Trim().value_or(99), 1u);
  EXPECT_EQ(Outbox(), 0u);
}

TEST_F(DispatcherTest, ARecentSubscriberStartsWithItsWindowFoundByTime) {
  const Millis now = clock_.NowMillis();
  std::vector<std::int64_t> seqs;
  for (int i = 300; i >= 0; --i) seqs.push_back(Append(MatchmakingAt(now - i * 1000)));  // one a second
  for (Millis window : std::vector<Millis>{0, 60 * 1000, 120 * 1000, 1000 * 1000}) {
    Seen seen;
    Dispatcher d(*db_, clock_);
    d.SubscribeRecent("view", window, seen.Handler());
    ASSERT_TRUE(d.Start(false).ok());
    ASSERT_TRUE(d.Pump().ok());
    std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(window / 1000) + 1, seqs.size());
    ASSERT_EQ(seen.seqs.size(), want) << "window " << window;
    EXPECT_EQ(seen.seqs.back(), seqs.back());
  }
}

TEST_F(DispatcherTest, AnEventThatDoesNotDecodeIsSkippedAndCounted) {
  Seen seen;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("log", seen.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  std::int64_t bad1 = Append({"matchmaking", "{\"detail\":{}}", clock_.NowMillis()});
  std::int64_t bad2 = Append({"mystery", "{}", clock_.NowMillis()});
  std::int64_t good = Append(MatchmakingAt(clock_.NowMillis()));
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(seen.seqs, std::vector<std::int64_t>{good});
  EXPECT_EQ(seen.undecodable, (std::vector<std::int64_t>{bad1, bad2}));  // raw rows, no event
  EXPECT_EQ(d.Stats().undecodable, 2u);
  EXPECT_EQ(d.Stats().decoded, 3u);
  ASSERT_TRUE(d.SaveCursors().ok());
  EXPECT_EQ(d.Stats().slowest_cursor, good);  // moved past them
}

// Decoding is the dispatcher's main cost at intake (a JSON parse per event); an event that no
// subscriber asks for is handed over without one.
TEST_F(DispatcherTest, AnEventNoSubscriberAsksForIsNotDecoded) {
  std::vector<std::int64_t> raw;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("raw", [&](const store::Event& e, core::LazyNotice&) { raw.push_back(e.seq); });
  ASSERT_TRUE(d.Start(false).ok());
  std::int64_t a = Append(MatchmakingAt(clock_.NowMillis()));
  std::int64_t bad = Append({"matchmaking", "{\"detail\":{}}", clock_.NowMillis()});
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(raw, (std::vector<std::int64_t>{a, bad}));
  EXPECT_EQ(d.Stats().delivered, 2u);
  EXPECT_EQ(d.Stats().decoded, 0u);
  EXPECT_EQ(d.Stats().undecodable, 0u);  // nobody read it
}

TEST_F(DispatcherTest, AFailedReadIsRetriedAndLosesNothing) {
  store::FaultStore faults(*db_);
  Seen seen;
  Dispatcher d(faults, clock_);
  d.SubscribeDurable("log", seen.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  std::int64_t a = Append(MatchmakingAt(clock_.NowMillis()));
  faults.SetReadFault(Error::Internal("disk I/O error"));
  EXPECT_FALSE(d.Pump().ok());
  faults.SetReadFault(std::nullopt);
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(seen.seqs, std::vector<std::int64_t>{a});
}

TEST_F(DispatcherTest, ItsThreadDeliversSoonAfterNotifyAndSavesCursorsAtStop) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::int64_t> got;
  DispatcherOptions o;
  o.poll_ms = 60'000;  // only Notify wakes it in this test
  Dispatcher d(*db_, SystemClock::Instance(), o);
  d.SubscribeDurable("log", [&](const store::Event& e, core::LazyNotice&) {
    std::lock_guard lock(mu);
    got.push_back(e.seq);
    cv.notify_all();
  });
  ASSERT_TRUE(d.Start().ok());
  std::int64_t a = Append(MatchmakingAt(SystemClock::Instance().NowMillis()));
  d.Notify();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !got.empty(); }));
  }
  std::int64_t b = Append(MatchmakingAt(SystemClock::Instance().NowMillis()));
  d.Stop();  // the last pass delivers b and writes the cursor
  EXPECT_EQ(got, (std::vector<std::int64_t>{a, b}));
  auto row = (*db_).Get(store::Table::kCursors, "log");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->body, "{\"seq\":" + std::to_string(b) + "}");
}

TEST_F(DispatcherTest, ACursorBehindWhatWasTrimmedIsReportedAsAGap) {
  {
    Dispatcher d(*db_, clock_);
    Seen seen;
    d.SubscribeDurable("log", seen.Handler());
    ASSERT_TRUE(d.Start(false).ok());  // its cursor row: before everything below
  }
  std::int64_t last = 0;
  for (int i = 0; i < 5; ++i) last = Append(MatchmakingAt(clock_.NowMillis()));
  ASSERT_TRUE((*db_).TrimEvents(last - 2).ok());  // three it never read are gone
  Seen seen;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("log", seen.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  EXPECT_EQ(d.Stats().gaps, 3u);
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(seen.seqs, (std::vector<std::int64_t>{last - 1, last}));
}

TEST_F(DispatcherTest, TheRecentWindowIsFoundAfterATrimmedPrefix) {
  const Millis now = clock_.NowMillis();
  std::vector<std::int64_t> seqs;
  for (int i = 100; i >= 0; --i) seqs.push_back(Append(MatchmakingAt(now - i * 1000)));
  ASSERT_TRUE((*db_).TrimEvents(seqs[40]).ok());  // the 41 oldest are gone
  for (Millis window : std::vector<Millis>{0, 10'000, 59'000, 70'000, 500'000}) {
    Seen seen;
    Dispatcher d(*db_, clock_);
    d.SubscribeRecent("view", window, seen.Handler());
    ASSERT_TRUE(d.Start(false).ok());
    ASSERT_TRUE(d.Pump().ok());
    std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(window / 1000) + 1, 60);
    ASSERT_EQ(seen.seqs.size(), want) << "window " << window;
    EXPECT_EQ(seen.seqs.front(), seqs[101 - want]);
  }
}

TEST_F(DispatcherTest, APumpStopsAfterItsBatchesSoCursorsAndStopAreHeard) {
  DispatcherOptions o;
  o.batch = 10;
  Seen seen;
  Dispatcher d(*db_, clock_, o);
  d.SubscribeDurable("log", seen.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  for (int i = 0; i < 35; ++i) Append(MatchmakingAt(clock_.NowMillis()));
  EXPECT_EQ(d.Pump(2).value_or(0), 20u);
  EXPECT_EQ(d.Pump(2).value_or(0), 15u);
  EXPECT_EQ(seen.seqs.size(), 35u);
}

TEST_F(DispatcherTest, AHandlerThatThrowsIsLoggedAndTheOthersGoOn) {
  Seen seen;
  Dispatcher d(*db_, clock_);
  d.SubscribeDurable("thrower", [](const store::Event&, core::LazyNotice&) { throw std::runtime_error("boom"); });
  d.SubscribeDurable("log", seen.Handler());
  ASSERT_TRUE(d.Start(false).ok());
  std::int64_t a = Append(MatchmakingAt(clock_.NowMillis()));
  ASSERT_TRUE(d.Pump().ok());
  EXPECT_EQ(seen.seqs, std::vector<std::int64_t>{a});
}

}  // namespace
}  // namespace muster::node
