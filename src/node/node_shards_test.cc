// The node with matchmaking as a shard of its own (NodeOptions::matchmaking_shard): the two sides
// commit apart, hand each other their notices once durable, and a failed batch fences and reloads
// its own side while the other keeps serving. Over a real SQLite file behind a FaultStore; the
// node is driven from one thread (no writer), so the handing over runs in order after each commit.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "node/node.h"
#include "node/node_fault_fixture.h"
#include "node/node_test_setup.h"
#include "store/commit_writer.h"

namespace muster::node {
namespace {

using testing::kRules1v1;

class NodeShardsTest : public testing::FaultyNodeTest {
 protected:
  NodeShardsTest() : FaultyNodeTest(NodeOptions{.matchmaking_shard = true}) {}

  virtual NodeSetup NodeSetUp() { return testing::OneQueueSetup(kRules1v1, 600'000); }

  void SetUp() override {
    Status st = node_.Start(NodeSetUp());
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  Status StartTicket(const std::string& id) {
    auto t = node_.tickets().StartMatchmaking("cfg", {testing::Player("player-" + id)}, "", id);
    return t.ok() ? OkStatus() : Status(t.take_error());
  }

  Status Heartbeat(const std::string& key) {
    json::object reply;
    fleet::HeartbeatServerProcess beat;
    beat.health_status = true;
    return node_.game_servers().Request(key, fleet::ClientMessage{"r-hb", beat}, &reply);
  }

  // The one game session in the store (empty when there is none, a failure when more).
  std::string OnlyGameSession() {
    auto sessions = (*db_).List(store::Table::kGameSessions, "", 10);
    EXPECT_TRUE(sessions.ok());
    if (!sessions.ok() || sessions->empty()) return "";
    EXPECT_EQ(sessions->size(), 1u);
    return sessions->front().id;
  }

  void Activate(const std::string& key, const std::string& arn) {
    Status st = testing::ActivateSession(node_, key, arn);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  // The one game session is activated by `key`: both tickets complete.
  void ActivateAndComplete(const std::string& key) {
    std::string arn = OnlyGameSession();
    ASSERT_FALSE(arn.empty());
    Activate(key, arn);
    ExpectCompleted("a");
    ExpectCompleted("b");
  }

  void ExpectCompleted(const std::string& id) {
    auto t = node_.tickets().GetTicket(id);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->status, matchmaking::TicketStatus::kCompleted) << id << ": " << t->status_message;
    EXPECT_EQ(t->port, 7777) << id;
    ASSERT_EQ(t->matched_player_sessions.size(), 1u) << id;
    EXPECT_FALSE(t->matched_player_sessions.front().player_session_id.empty()) << id;
    EXPECT_EQ(Stored(store::Table::kTickets, id), "COMPLETED");
  }

};

TEST_F(NodeShardsTest, AMatchIsPlacedAndCompletedAcrossTheTwoShards) {
  std::string key = Ready(1);
  ASSERT_TRUE(StartTicket("a").ok());
  ASSERT_TRUE(StartTicket("b").ok());
  node_.RunMatchmaking();
  auto a = node_.tickets().GetTicket("a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->status, matchmaking::TicketStatus::kPlacing);
  // The request reached the server side once the tickets' PLACING was durable: the placement
  // waits for its game session to activate.
  EXPECT_EQ(Stored(store::Table::kPlacements, a->match_id), "PENDING");
  std::string arn = OnlyGameSession();
  ASSERT_FALSE(arn.empty());
  Activate(key, arn);
  // The answer came back: the tickets completed with where to connect.
  EXPECT_EQ(Stored(store::Table::kPlacements, a->match_id), "FULFILLED");
  ExpectCompleted("a");
  ExpectCompleted("b");
  EXPECT_EQ(node_.reloads(), 0u);
}

TEST_F(NodeShardsTest, AFailedMatchmakingBatchReloadsMatchmakingAloneAndItsMatchIsMadeAgain) {
  std::string key = Ready(1);
  ASSERT_TRUE(StartTicket("a").ok());
  ASSERT_TRUE(StartTicket("b").ok());
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  node_.RunMatchmaking();  // the match's batch fails
  EXPECT_EQ(node_.matchmaking_reloads(), 1u);
  EXPECT_EQ(node_.reloads(), 1u);  // the server side was not reloaded
  EXPECT_FALSE(node_.fenced());
  EXPECT_NE(Stored(store::Table::kTickets, "a"), "PLACING");
  EXPECT_EQ(OnlyGameSession(), "");  // nothing was asked of the server side
  EXPECT_TRUE(Heartbeat(key).ok());
  node_.RunMatchmaking();
  ActivateAndComplete(key);
}

TEST_F(NodeShardsTest, AFencedMatchmakingShardLeavesTheServerSideServingUntilATickReloadsIt) {
  std::string key = Ready(1);
  ASSERT_TRUE(StartTicket("a").ok());
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  faults_.SetReadFault(Error::Unavailable("injected: read error"));
  // A ticket's commit fails and matchmaking's reload cannot read the store: it stays fenced.
  EXPECT_FALSE(node_.tickets().StartMatchmaking("cfg", {testing::Player("c")}, "").ok());
  EXPECT_TRUE(node_.fenced());
  auto refused = node_.tickets().StartMatchmaking("cfg", {testing::Player("d")}, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  // The server side was not touched: its game server is served.
  EXPECT_TRUE(Heartbeat(key).ok());
  EXPECT_EQ(node_.reloads(), node_.matchmaking_reloads());
  faults_.ClearFaults();
  node_.Tick();  // matchmaking's part reloads it
  EXPECT_FALSE(node_.fenced());
  ASSERT_TRUE(StartTicket("b").ok());
  node_.RunMatchmaking();
  ActivateAndComplete(key);
}

TEST_F(NodeShardsTest, AFailedServerBatchReloadsTheServerSideAloneAndMatchmakingAsksAgain) {
  std::string key = Ready(1);
  ASSERT_TRUE(StartTicket("a").ok());
  ASSERT_TRUE(StartTicket("b").ok());
  // The tickets' PLACING commits; the server side's batch with the placement fails, and its
  // reload cannot read the store: the server side stays fenced.
  faults_.FailCommits(1, 1, Error::Unavailable("injected: disk I/O error"));
  faults_.SetReadFault(Error::Unavailable("injected: read error"));
  node_.RunMatchmaking();
  EXPECT_TRUE(node_.fenced());
  EXPECT_EQ(node_.matchmaking_reloads(), 0u);
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
  auto match = node_.tickets().GetTicket("a")->match_id;
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "(absent)");
  EXPECT_EQ(Heartbeat(key).error().code, ErrorCode::kUnavailable);
  faults_.ClearFaults();
  // Matchmaking serves meanwhile.
  ASSERT_TRUE(StartTicket("c").ok());
  node_.Tick();  // the server side reloads; matchmaking asks again for its placing match
  EXPECT_EQ(node_.matchmaking_reloads(), 0u);
  EXPECT_FALSE(node_.fenced());
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  EXPECT_TRUE(Heartbeat(key).ok());
  ActivateAndComplete(key);
}

TEST_F(NodeShardsTest, AStopDroppedWhileTheServerSideWasFencedIsSentAgainWhenItReloads) {
  ASSERT_TRUE(StartTicket("a").ok());
  ASSERT_TRUE(StartTicket("b").ok());
  node_.RunMatchmaking();  // no game server yet: the placement waits
  const std::string match = node_.tickets().GetTicket("a")->match_id;
  ASSERT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  // A game server's activation fails to commit and the server side's reload cannot read the store.
  auto key = node_.game_servers().Connect(1, "f1", "c1", "pid-1");
  ASSERT_TRUE(key.ok());
  fleet::ActivateServerProcess ready;
  ready.sdk_version = "5.4.0";
  ready.sdk_language = "Cpp";
  ready.port = 7777;
  json::object reply;
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  faults_.SetReadFault(Error::Unavailable("injected: read error"));
  EXPECT_FALSE(node_.game_servers().Request(*key, fleet::ClientMessage{"r-1", ready}, &reply).ok());
  ASSERT_TRUE(node_.fenced());
  faults_.ClearFaults();
  // The configuration goes: its placing tickets fail, and the stop of their placement finds the
  // server side fenced.
  ASSERT_TRUE(node_.definitions().DeleteConfiguration("cfg").ok());
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "FAILED");
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  node_.Tick();  // the server side reloads; matchmaking stops what it no longer places
  EXPECT_FALSE(node_.fenced());
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "CANCELLED");
  // The game server, active now, gets no game session for the failed match.
  ASSERT_TRUE(node_.game_servers().Request(*key, fleet::ClientMessage{"r-2", ready}, &reply).ok());
  node_.Tick();
  EXPECT_EQ(OnlyGameSession(), "");
}

TEST_F(NodeShardsTest, AnAnswerLostWithAFailedMatchmakingBatchIsAnsweredAgainFromTheStore) {
  std::string key = Ready(1);
  ASSERT_TRUE(StartTicket("a").ok());
  ASSERT_TRUE(StartTicket("b").ok());
  node_.RunMatchmaking();
  std::string arn = OnlyGameSession();
  ASSERT_FALSE(arn.empty());
  // The activation commits (placement FULFILLED); matchmaking's batch completing the tickets fails.
  faults_.FailCommits(1, 1, Error::Unavailable("injected: disk I/O error"));
  Activate(key, arn);
  EXPECT_EQ(node_.matchmaking_reloads(), 1u);
  EXPECT_EQ(node_.reloads(), 1u);
  // Matchmaking's reload asked again, and the server side answered from the stored placement:
  // the same game session, no second one.
  ExpectCompleted("a");
  ExpectCompleted("b");
  EXPECT_EQ(OnlyGameSession(), arn);
  EXPECT_EQ(node_.tickets().GetTicket("a")->game_session_arn, arn);
}

// Teams of one or two: a 1v1 leaves a slot on each side for an automatic backfill.
constexpr const char* kRulesUpTo2 = R"({
  "name": "s2", "ruleLanguageVersion": "1.0",
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}]
})";

class NodeShardsBackfillTest : public NodeShardsTest {
 protected:
  NodeSetup NodeSetUp() override {
    NodeSetup s = testing::OneQueueSetup(kRulesUpTo2, 600'000);
    s.configurations.front().backfill_mode = matchmaking::BackfillMode::kAutomatic;
    return s;
  }

  // a and b play in a session with room for two more; matchmaking starts its automatic backfill
  // once it reads the session active (from the server view), and c starts searching.
  void PlayingWithABackfillAndANewPlayer() {
    std::string key = Ready(1);
    ASSERT_TRUE(StartTicket("a").ok());
    ASSERT_TRUE(StartTicket("b").ok());
    node_.RunMatchmaking();
    ActivateAndComplete(key);
    ASSERT_TRUE(StartTicket("c").ok());
  }
};

TEST_F(NodeShardsBackfillTest, AnAutomaticBackfillCrossesBothShardsIntoTheRunningSession) {
  ASSERT_NO_FATAL_FAILURE(PlayingWithABackfillAndANewPlayer());
  // c joins the session through a BackfillRequested answered by the server side.
  node_.RunMatchmaking();
  auto c = node_.tickets().GetTicket("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, matchmaking::TicketStatus::kCompleted) << c->status_message;
  EXPECT_EQ(c->game_session_arn, node_.tickets().GetTicket("a")->game_session_arn);
  EXPECT_EQ(OnlyGameSession(), c->game_session_arn);
  auto players = (*db_).ListByIndex(store::Table::kPlayerSessions, c->game_session_arn, 10);
  ASSERT_TRUE(players.ok());
  EXPECT_EQ(players->size(), 3u);
}

TEST_F(NodeShardsBackfillTest, ABackfillAnswerLostWithAFailedMatchmakingBatchIsAnsweredAgainFromTheSession) {
  ASSERT_NO_FATAL_FAILURE(PlayingWithABackfillAndANewPlayer());
  // The backfill match's PLACING commits, the server side places c in the session, and
  // matchmaking's batch completing c fails.
  faults_.FailCommits(2, 1, Error::Unavailable("injected: disk I/O error"));
  node_.RunMatchmaking();
  EXPECT_EQ(node_.matchmaking_reloads(), 1u);
  EXPECT_EQ(node_.reloads(), 1u);
  // Matchmaking's reload asked again; the server side answered with c's slot, not a second one.
  auto c = node_.tickets().GetTicket("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, matchmaking::TicketStatus::kCompleted) << c->status_message;
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "COMPLETED");
  auto players = (*db_).ListByIndex(store::Table::kPlayerSessions, c->game_session_arn, 10);
  ASSERT_TRUE(players.ok());
  EXPECT_EQ(players->size(), 3u);
  ASSERT_EQ(c->matched_player_sessions.size(), 1u);
  bool found = false;
  for (const auto& row : *players) found = found || row.id == c->matched_player_sessions[0].player_session_id;
  EXPECT_TRUE(found);
}

// With the group-commit writer, each shard's completions posted to a queue of its own (its owner
// thread), which the test drains in turn.
class NodeShardsWriterTest : public NodeShardsTest {
 protected:
  void SetUp() override {
    NodeShardsTest::SetUp();
    node_.UseWriter(writer_, server_.Poster(), {matchmaking_.Poster()});
  }
  void TearDown() override { writer_.Stop(); }

  // Runs both queues until `done` holds (false after 10 s).
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (server_.Run() + matchmaking_.Run() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  void StartAsync(const std::string& id) {
    node_.RunOnConfiguration("cfg", [this, id] {
      node_.tickets().StartMatchmakingAsync("cfg", {testing::Player("player-" + id)}, "", id,
                                            [](Result<matchmaking::Ticket> t) { EXPECT_TRUE(t.ok()); });
    });
  }
  bool StoredAs(const std::string& id, const char* status) { return Stored(store::Table::kTickets, id) == status; }

  store::CommitWriter writer_{faults_};
  testing::PostQueue server_, matchmaking_;
};

TEST_F(NodeShardsWriterTest, EachSideCommitsItsOwnBatchesAndHandsTheOtherItsNoticesOnItsOwnThread) {
  std::string key = Ready(1);
  StartAsync("a");
  StartAsync("b");
  node_.RunOnDefinitions([this] { node_.RunMatchmaking(); });
  ASSERT_TRUE(RunUntil([&] { return !OnlyGameSession().empty(); }));
  // The request went to the server side's queue, not run on matchmaking's.
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
  std::string arn = OnlyGameSession();
  node_.RunOnOwner([&] {
    node_.game_servers().RequestAsync(key, fleet::ClientMessage{"r-2", fleet::ActivateGameSession{arn}},
                                      [](Status st, json::object) { EXPECT_TRUE(st.ok()); });
  });
  ASSERT_TRUE(RunUntil([&] { return StoredAs("a", "COMPLETED") && StoredAs("b", "COMPLETED"); }));
  ExpectCompleted("a");
  ExpectCompleted("b");
  EXPECT_EQ(node_.reloads(), 0u);
}

TEST_F(NodeShardsWriterTest, ARequestHandedOverAfterTheStopBeganIsAskedForAgainAtTheNextStart) {
  StartAsync("a");
  StartAsync("b");
  node_.RunOnDefinitions([this] { node_.RunMatchmaking(); });
  // Matchmaking's queue only: the tickets' PLACING commits, and the request waits on the server
  // side's queue.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!StoredAs("a", "PLACING") && std::chrono::steady_clock::now() < deadline) matchmaking_.Run();
  ASSERT_TRUE(StoredAs("a", "PLACING"));
  std::string match = node_.tickets().GetTicket("a")->match_id;
  node_.BeginStop();
  ASSERT_TRUE(RunUntil([&] { return writer_.stats().queued == 0 && server_.Empty(); }));
  writer_.Stop();
  server_.Run();
  matchmaking_.Run();
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "(absent)");  // dropped at the stop
  // The next start asks again.
  Node next(*db_, env_, NodeOptions{.matchmaking_shard = true});
  Status st = next.Start(NodeSetUp());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
}

}  // namespace
}  // namespace muster::node
