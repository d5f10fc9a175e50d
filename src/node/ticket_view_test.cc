#include "node/ticket_view.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace muster::node {
namespace {

store::Row TicketRow(const std::string& id, matchmaking::TicketStatus status) {
  matchmaking::Ticket t;
  t.ticket_id = id;
  t.configuration_name = "cfg";
  t.status = status;
  matchmaking::PlayerInput p;
  p.player_id = "player-" + id;
  t.players.push_back(p);
  return matchmaking::MatchmakingCore::ToRow(t, 1000);
}

store::Write Put(const std::string& id, matchmaking::TicketStatus status) {
  return store::Write::Upsert(store::Table::kTickets, TicketRow(id, status));
}

TEST(TicketView, HoldsWhatCommittedAndNothingElse) {
  TicketView view;
  EXPECT_FALSE(view.Find("t1").has_value());
  store::Row other;
  other.id = "t2";
  view.Apply({Put("t1", matchmaking::TicketStatus::kQueued),
              store::Write::Upsert(store::Table::kProcesses, other)});
  auto t1 = view.Find("t1");
  ASSERT_TRUE(t1.has_value());
  ASSERT_TRUE(t1->ok());
  EXPECT_EQ((*t1)->status, matchmaking::TicketStatus::kQueued);
  EXPECT_FALSE(view.Find("t2").has_value());  // not a ticket row
  view.Apply({Put("t1", matchmaking::TicketStatus::kCompleted)});
  EXPECT_EQ((*view.Find("t1"))->status, matchmaking::TicketStatus::kCompleted);  // re-decoded
  view.Apply({store::Write::Delete(store::Table::kTickets, "t1")});
  EXPECT_FALSE(view.Find("t1").has_value());
}

TEST(TicketView, KeepsEveryLiveTicketAndOnlyTheLatestEndedOnes) {
  TicketView view(/*max_ended=*/2);
  view.Apply({Put("live", matchmaking::TicketStatus::kSearching)});
  for (const char* id : {"e1", "e2", "e3"}) view.Apply({Put(id, matchmaking::TicketStatus::kFailed)});
  EXPECT_FALSE(view.Find("e1").has_value());  // the oldest ended one went
  EXPECT_TRUE(view.Find("e2").has_value());
  EXPECT_TRUE(view.Find("e3").has_value());
  EXPECT_TRUE(view.Find("live").has_value());
  EXPECT_EQ(view.size(), 3u);
}

TEST(TicketView, ARowThatDoesNotDecodeIsAnErrorNotACrash) {
  TicketView view;
  store::Row bad;
  bad.id = "bad";
  bad.status = "QUEUED";
  bad.body = "{not json";
  view.Put(bad);
  auto t = view.Find("bad");
  ASSERT_TRUE(t.has_value());
  EXPECT_FALSE(t->ok());
}

// Rows are decoded outside the lock: a decode of a row that was replaced meanwhile must not be
// kept over the new one. Readers race a writer; once the writer is done, every read gives the
// last row.
TEST(TicketView, ADecodeOfAReplacedRowIsNotKept) {
  TicketView view;
  view.Apply({Put("t1", matchmaking::TicketStatus::kQueued)});
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto t = view.Find("t1");
        ASSERT_TRUE(t.has_value());
        ASSERT_TRUE(t->ok());
        reads.fetch_add(1);
      }
    });
  }
  // The readers must overlap the replacements: wait until they run, and go on replacing until
  // they have read a while (on a loaded machine 2,000 replacements may finish before a reader
  // is first scheduled).
  while (reads.load() == 0) std::this_thread::yield();
  const int first = reads.load();
  for (int i = 0; i < 2000 || reads.load() < first + 1000; ++i) {
    view.Apply({Put("t1", i % 2 ? matchmaking::TicketStatus::kSearching : matchmaking::TicketStatus::kQueued)});
  }
  view.Apply({Put("t1", matchmaking::TicketStatus::kCompleted)});
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*view.Find("t1"))->status, matchmaking::TicketStatus::kCompleted);
}

}  // namespace
}  // namespace muster::node
