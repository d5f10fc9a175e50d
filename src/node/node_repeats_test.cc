// A match whose tickets are PLACING while its placement is not pending asks for it again at
// start (core::PlacementRepeated, node/repeats.h). Once the two sides commit apart (docs/shell.md,
// "Shards"), a crash between their commits leaves exactly such states; here they are made by
// rewriting rows of a real SQLite store between two runs of a node.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "node/node.h"
#include "node/node_test_setup.h"
#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

using testing::kRules1v1;


class NodeRepeatsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> StartNode() {
    auto node = std::make_unique<Node>(*db_, env_);
    Status st = node->Start(testing::OneQueueSetup(kRules1v1, 600'000));
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return node;
  }

  // Two players matched (PLACING); returns the match id.
  std::string Match(Node& node) {
    for (const char* id : {"a", "b"}) {
      EXPECT_TRUE(node.tickets().StartMatchmaking("cfg", {testing::Player(std::string("player-") + id)}, "", id).ok());
    }
    node.RunMatchmaking();
    auto a = node.tickets().GetTicket("a");
    EXPECT_TRUE(a.ok());
    EXPECT_EQ(a->status, matchmaking::TicketStatus::kPlacing);
    return a->match_id;
  }

  // A connected, active game server process; returns its key.
  std::string Ready(Node& node, std::uint64_t connection) {
    auto key = testing::ReadyProcess(node, connection);
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    return key.ok() ? *key : "";
  }

  void Activate(Node& node, const std::string& key, const std::string& arn) {
    Status st = testing::ActivateSession(node, key, arn);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  store::Row Row(store::Table t, const std::string& id) {
    auto row = (*db_).Get(t, id);
    EXPECT_TRUE(row.ok() && row->has_value()) << id;
    return row.ok() && row->has_value() ? **row : store::Row{};
  }

  // Puts rows back as they were (the side that committed them "did not").
  void PutBack(const std::vector<store::Row>& rows, store::Table t) {
    std::vector<store::Write> writes;
    for (const auto& r : rows) writes.push_back(store::Write::Upsert(t, r));
    ASSERT_TRUE((*db_).Commit(writes, {}).ok());
  }

  matchmaking::Ticket Stored(const std::string& id) {
    auto t = matchmaking::MatchmakingCore::FromRow(Row(store::Table::kTickets, id));
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : matchmaking::Ticket{};
  }

  store::testing::TempSqliteStore db_;
  ManualClock clock_{1'700'000'000'000};
  SeededRandom random_{3};
  Env env_{clock_, random_};
};

TEST_F(NodeRepeatsTest, AMatchWhosePlacementWasNeverStoredIsPlacedAgainAtStart) {
  std::string match;
  {
    auto node = StartNode();
    match = Match(*node);  // no game server yet: the placement waits
  }
  // The placement's commit "was lost": its row goes.
  ASSERT_TRUE((*db_).Commit({store::Write::Delete(store::Table::kPlacements, match)}, {}).ok());

  auto node = StartNode();
  EXPECT_EQ(Stored("a").status, matchmaking::TicketStatus::kPlacing);  // not failed
  EXPECT_EQ(Row(store::Table::kPlacements, match).status, "PENDING");   // asked for again
  // And it is placed like any other: a process comes, the session activates, the match completes.
  std::string key = Ready(*node, 2);
  node->Tick();
  auto sessions = (*db_).List(store::Table::kGameSessions, "", 10);
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  Activate(*node, key, sessions->front().id);
  for (const char* id : {"a", "b"}) {
    auto t = node->tickets().GetTicket(id);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->status, matchmaking::TicketStatus::kCompleted) << id;
    EXPECT_EQ(t->port, 7777);
  }
}

TEST_F(NodeRepeatsTest, AMatchWhosePlacementWasFulfilledCompletesAtStartWithItsConnectionInfo) {
  std::vector<store::Row> placing;
  std::string arn;
  std::map<std::string, std::string> sessions_of;  // ticket → its player session, as first told
  {
    auto node = StartNode();
    std::string key = Ready(*node, 1);
    std::string match = Match(*node);  // placed on the process at once: ACTIVATING
    placing = {Row(store::Table::kTickets, "a"), Row(store::Table::kTickets, "b")};
    EXPECT_EQ(Row(store::Table::kPlacements, match).status, "PENDING");
    auto sessions = (*db_).List(store::Table::kGameSessions, "", 10);
    ASSERT_TRUE(sessions.ok());
    ASSERT_EQ(sessions->size(), 1u);
    arn = sessions->front().id;
    Activate(*node, key, arn);
    for (const char* id : {"a", "b"}) {
      matchmaking::Ticket t = Stored(id);
      EXPECT_EQ(t.status, matchmaking::TicketStatus::kCompleted);
      ASSERT_EQ(t.matched_player_sessions.size(), 1u);
      sessions_of[id] = t.matched_player_sessions[0].player_session_id;
    }
  }
  // The tickets' completion "was lost": they are PLACING again, the placement FULFILLED.
  PutBack(placing, store::Table::kTickets);

  auto node = StartNode();
  for (const char* id : {"a", "b"}) {
    matchmaking::Ticket t = Stored(id);
    EXPECT_EQ(t.status, matchmaking::TicketStatus::kCompleted) << id;
    EXPECT_EQ(t.game_session_arn, arn);
    EXPECT_EQ(t.ip_address, "127.0.0.1");
    EXPECT_EQ(t.port, 7777);
    ASSERT_EQ(t.matched_player_sessions.size(), 1u);
    EXPECT_EQ(t.matched_player_sessions[0].player_id, std::string("player-") + id);
    EXPECT_EQ(t.matched_player_sessions[0].player_session_id, sessions_of[id]);
  }
  // With the event a client waits for (in a real crash the first run's would be lost with its
  // commit; here the first run committed it before its rows were put back).
  auto events = (*db_).ReadEvents(0, 1000);
  ASSERT_TRUE(events.ok());
  int succeeded = 0;
  for (const auto& e : *events) succeeded += e.body.find("\"MatchmakingSucceeded\"") != std::string::npos;
  EXPECT_EQ(succeeded, 2);  // once in the first run, once now
}

TEST_F(NodeRepeatsTest, AMatchWhosePlacementTimedOutFailsAtStartWithThatReason) {
  std::vector<store::Row> placing;
  {
    auto node = StartNode();
    Match(*node);  // no game server: the placement waits, then times out
    placing = {Row(store::Table::kTickets, "a"), Row(store::Table::kTickets, "b")};
    clock_.Advance(31'000);
    node->Tick();
    EXPECT_EQ(Stored("a").status, matchmaking::TicketStatus::kFailed);
  }
  PutBack(placing, store::Table::kTickets);

  auto node = StartNode();
  for (const char* id : {"a", "b"}) {
    matchmaking::Ticket t = Stored(id);
    EXPECT_EQ(t.status, matchmaking::TicketStatus::kFailed) << id;
    EXPECT_NE(t.status_message.find("PlacementTimedOut"), std::string::npos) << t.status_message;
  }
}

TEST_F(NodeRepeatsTest, AMatchWhoseGameSessionEndedMeanwhileFailsAtStart) {
  std::vector<store::Row> placing;
  {
    auto node = StartNode();
    std::string key = Ready(*node, 1);
    Match(*node);
    placing = {Row(store::Table::kTickets, "a"), Row(store::Table::kTickets, "b")};
    auto sessions = (*db_).List(store::Table::kGameSessions, "", 10);
    ASSERT_TRUE(sessions.ok());
    ASSERT_EQ(sessions->size(), 1u);
    Activate(*node, key, sessions->front().id);
    json::object reply;
    ASSERT_TRUE(node->game_servers().Request(key, fleet::ClientMessage{"r-3", fleet::TerminateServerProcess{}}, &reply).ok());
  }
  PutBack(placing, store::Table::kTickets);

  auto node = StartNode();
  for (const char* id : {"a", "b"}) {
    matchmaking::Ticket t = Stored(id);
    EXPECT_EQ(t.status, matchmaking::TicketStatus::kFailed) << id;  // no endpoint that no longer exists
    EXPECT_NE(t.status_message.find("ended before the match heard of it"), std::string::npos) << t.status_message;
  }
}

TEST_F(NodeRepeatsTest, APendingPlacementWhoseQueueIsGoneFailsAndIsStoredFailed) {
  std::string match;
  {
    auto node = StartNode();
    match = Match(*node);  // pending on q1
  }
  // Started again with q1 gone (the configuration now places through q2).
  NodeSetup setup = testing::OneQueueSetup(kRules1v1, 600'000);
  setup.queues[0].name = "q2";
  setup.configurations[0].queue_name = "q2";
  Node node(*db_, env_);
  ASSERT_TRUE(node.Start(setup).ok());
  for (const char* id : {"a", "b"}) {
    matchmaking::Ticket t = Stored(id);
    EXPECT_EQ(t.status, matchmaking::TicketStatus::kFailed) << id;
    EXPECT_NE(t.status_message.find("its queue q1 is not defined"), std::string::npos) << t.status_message;
  }
  EXPECT_EQ(Row(store::Table::kPlacements, match).status, "FAILED");
}

}  // namespace
}  // namespace muster::node
