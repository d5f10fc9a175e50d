// The client-addressed stream: a player's listener gets its own tickets' matchmaking events and no
// one else's; what happens while it is away (within the replay window) is handed over when it comes
// back, in order and once; unwatched players and old events cost no memory.

#include "node/client_stream.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "core/event_codec.h"

namespace muster::node {
namespace {

struct Sink {
  std::vector<std::int64_t> seqs;
  ClientStream::Listener Listener() {
    return [this](std::int64_t seq, const std::shared_ptr<const std::string>& json) {
      EXPECT_NE(json->find("MatchmakingSearching"), std::string::npos);
      seqs.push_back(seq);
    };
  }
};

class ClientStreamTest : public ::testing::Test {
 protected:
  // A matchmaking event of one ticket with `players`, as the dispatcher hands it over.
  void Event(std::vector<std::string> players) {
    std::string tickets;
    for (const auto& p : players) tickets += std::string(tickets.empty() ? "" : ",") + R"({"playerId":")" + p + R"("})";
    store::Event raw{++seq_, "matchmaking",
                     R"({"detail":{"type":"MatchmakingSearching","tickets":[{"ticketId":"t","players":[)" + tickets + "]}]}}",
                     clock_.NowMillis()};
    core::LazyNotice lazy(raw.topic, raw.body);
    stream_.OnEvent(raw, lazy);
    if (stream_.WatchedPlayers() > 0) {
      ASSERT_TRUE(lazy.tried());
      ASSERT_NE(lazy.get(), nullptr) << lazy.error()->message;
    }
  }

  ManualClock clock_{1'000'000};
  ClientStream stream_{clock_, ClientStreamOptions{120'000, 4, 1000}};
  std::int64_t seq_ = 0;
};

TEST_F(ClientStreamTest, APlayerGetsItsOwnEventsOnly) {
  Sink alice, bob;
  stream_.Attach("alice", alice.Listener());
  stream_.Attach("bob", bob.Listener());
  Event({"alice"});
  Event({"bob"});
  Event({"alice", "bob", "carol"});
  Event({"alice", "alice"});  // named twice: once
  EXPECT_EQ(alice.seqs, (std::vector<std::int64_t>{1, 3, 4}));
  EXPECT_EQ(bob.seqs, (std::vector<std::int64_t>{2, 3}));
}

TEST_F(ClientStreamTest, AReconnectWithinTheWindowGetsWhatItMissedInOrderOnce) {
  Sink first;
  auto id = stream_.Attach("alice", first.Listener());
  Event({"alice"});
  stream_.Detach(id);
  clock_.Advance(1000);
  Event({"alice"});
  Event({"alice"});
  Sink second;
  clock_.Advance(60'000);
  stream_.Attach("alice", second.Listener());
  EXPECT_EQ(first.seqs, std::vector<std::int64_t>{1});
  EXPECT_EQ(second.seqs, (std::vector<std::int64_t>{2, 3}));  // not 1: it had that one
  Event({"alice"});
  EXPECT_EQ(second.seqs, (std::vector<std::int64_t>{2, 3, 4}));
  Sink third;  // a second socket of the same player gets only what no socket was handed
  stream_.Attach("alice", third.Listener());
  EXPECT_TRUE(third.seqs.empty());
}

TEST_F(ClientStreamTest, AfterTheWindowThePlayerIsForgotten) {
  Sink first;
  auto id = stream_.Attach("alice", first.Listener());
  stream_.Detach(id);
  Event({"alice"});
  EXPECT_EQ(stream_.KeptEvents(), 1u);
  clock_.Advance(120'001);
  Event({"bob"});  // any event sweeps
  EXPECT_EQ(stream_.WatchedPlayers(), 0u);
  EXPECT_EQ(stream_.KeptEvents(), 0u);
  Sink later;
  stream_.Attach("alice", later.Listener());
  EXPECT_TRUE(later.seqs.empty());
}

TEST_F(ClientStreamTest, UnwatchedPlayersCostNothingAndEachPlayerKeepsABoundedTail) {
  for (int i = 0; i < 100; ++i) Event({"poller-" + std::to_string(i)});
  EXPECT_EQ(stream_.WatchedPlayers(), 0u);
  EXPECT_EQ(stream_.KeptEvents(), 0u);
  Sink s;
  auto id = stream_.Attach("alice", s.Listener());
  stream_.Detach(id);
  for (int i = 0; i < 10; ++i) Event({"alice"});
  EXPECT_EQ(stream_.KeptEvents(), 4u);  // max_events_per_player
  Sink back;
  stream_.Attach("alice", back.Listener());
  EXPECT_EQ(back.seqs, (std::vector<std::int64_t>{107, 108, 109, 110}));  // the latest, in order
}

TEST_F(ClientStreamTest, OtherEventsAreIgnored) {
  Sink s;
  stream_.Attach("alice", s.Listener());
  store::Event placement{1, "placement", "{}", clock_.NowMillis()};
  core::LazyNotice lazy_placement(placement.topic, placement.body);
  stream_.OnEvent(placement, lazy_placement);
  store::Event bad{2, "matchmaking", "{\"detail\":{}}", clock_.NowMillis()};  // does not decode
  core::LazyNotice lazy_bad(bad.topic, bad.body);
  stream_.OnEvent(bad, lazy_bad);
  EXPECT_NE(lazy_bad.error(), nullptr);
  EXPECT_TRUE(s.seqs.empty());
}

// The polling flow's players are watched by nobody: their events cost the stream no parse.
TEST_F(ClientStreamTest, WatchingNobodyItDecodesNothing) {
  store::Event raw{1, "matchmaking", "{\"detail\":{}}", clock_.NowMillis()};
  core::LazyNotice lazy(raw.topic, raw.body);
  stream_.OnEvent(raw, lazy);
  EXPECT_FALSE(lazy.tried());
  Sink s;
  stream_.Attach("alice", s.Listener());
  stream_.OnEvent(raw, lazy);
  EXPECT_TRUE(lazy.tried());
}

}  // namespace
}  // namespace muster::node
