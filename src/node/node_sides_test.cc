// The node with several matchmaking sides (NodeOptions::matchmaking_sides): each configuration is
// owned by one side, fixed by its name, whose core holds its tickets and matcher and whose shard
// commits, fences and reloads them. Over a real SQLite file behind a FaultStore. Most tests drive
// the node from one thread (no writer); the last gives each side a queue of its own and checks
// that an operation runs on the side that owns what it names.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleet/model.h"
#include "node/node.h"
#include "node/node_fault_fixture.h"
#include "node/node_test_setup.h"
#include "store/commit_writer.h"

namespace muster::node {
namespace {

using testing::kRules1v1;

class NodeSidesTest : public testing::FaultyNodeTest {
 protected:
  NodeSidesTest() : FaultyNodeTest(NodeOptions{.matchmaking_shard = true, .matchmaking_sides = 2}) {}

  void SetUp() override {
    // A second configuration that falls to the other side than "cfg".
    for (int i = 0; other_.empty(); ++i) {
      std::string name = "mode-" + std::to_string(i);
      if (node_.MatchmakingSideOf(name) != node_.MatchmakingSideOf("cfg")) other_ = name;
    }
    side_cfg_ = node_.MatchmakingSideOf("cfg");
    side_other_ = node_.MatchmakingSideOf(other_);
    NodeSetup setup = testing::OneQueueSetup(kRules1v1, 600'000);
    auto spec = setup.configurations.front();
    spec.name = other_;
    setup.configurations.push_back(spec);
    Status st = node_.Start(setup);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  Status StartTicket(const std::string& configuration, const std::string& id, const std::string& player) {
    auto t = node_.tickets().StartMatchmaking(configuration, {testing::Player(player)}, "", id);
    return t.ok() ? OkStatus() : Status(t.take_error());
  }

  // Every stored game session is activated by the process it was placed on.
  void ActivateAll() {
    auto sessions = (*db_).List(store::Table::kGameSessions, "", 100);
    ASSERT_TRUE(sessions.ok());
    for (const auto& row : *sessions) {
      auto g = fleet::GameSessionFromRow(row);
      ASSERT_TRUE(g.ok());
      Status st = testing::ActivateSession(node_, g->process_key, g->game_session_id);
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
  }

  void ExpectCompleted(const std::string& id) {
    auto t = node_.tickets().GetTicket(id);
    ASSERT_TRUE(t.ok()) << id;
    EXPECT_EQ(t->status, matchmaking::TicketStatus::kCompleted) << id << ": " << t->status_message;
    ASSERT_EQ(t->matched_player_sessions.size(), 1u) << id;
    EXPECT_EQ(Stored(store::Table::kTickets, id), "COMPLETED");
  }

  std::string other_;
  std::size_t side_cfg_ = 0, side_other_ = 0;
};

TEST_F(NodeSidesTest, EachConfigurationIsMatchedOnItsOwnSideAndBothArePlaced) {
  EXPECT_EQ(node_.matchmaking_sides(), 2u);
  EXPECT_NE(side_cfg_, side_other_);
  EXPECT_EQ(node_.MatchmakingSideOf("arn:aws:gamelift:local:000000000000:matchmakingconfiguration/" + other_),
            side_other_);
  EXPECT_EQ(node_.definitions().ListConfigurations().size(), 2u);
  ASSERT_TRUE(node_.definitions().FindConfiguration(other_).has_value());
  Ready(1);
  Ready(2);
  // The same two players search in both configurations at once (one live ticket per
  // configuration, docs/matchmaking.md).
  ASSERT_TRUE(StartTicket("cfg", "a", "p1").ok());
  ASSERT_TRUE(StartTicket("cfg", "b", "p2").ok());
  ASSERT_TRUE(StartTicket(other_, "c", "p1").ok());
  ASSERT_TRUE(StartTicket(other_, "d", "p2").ok());
  EXPECT_EQ(StartTicket(other_, "e", "p1").error().code, ErrorCode::kConflict);
  // A side's run matches its own configuration's tickets only.
  node_.RunMatchmaking(side_cfg_);
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "QUEUED");
  node_.RunMatchmaking(side_other_);
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "PLACING");
  // The server side's answers reach both sides; each completes its own match.
  ActivateAll();
  for (const char* id : {"a", "b", "c", "d"}) ExpectCompleted(id);
  EXPECT_NE(node_.tickets().GetTicket("a")->game_session_arn, node_.tickets().GetTicket("c")->game_session_arn);
  EXPECT_EQ(node_.reloads(), 0u);
}

// A side that reloads reconciles with the server side for its own configurations only: the other
// side's pending placement is not one it lost track of.
TEST_F(NodeSidesTest, AFailedBatchReloadsItsSideAloneAndLeavesTheOtherSidesPlacementPending) {
  ASSERT_TRUE(StartTicket("cfg", "a", "p1").ok());
  ASSERT_TRUE(StartTicket("cfg", "b", "p2").ok());
  node_.RunMatchmaking(side_cfg_);  // no game server yet: the placement waits
  const std::string match = node_.tickets().GetTicket("a")->match_id;
  ASSERT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  ASSERT_TRUE(StartTicket(other_, "c", "p3").ok());
  ASSERT_TRUE(StartTicket(other_, "d", "p4").ok());
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  node_.RunMatchmaking(side_other_);  // its match's batch fails: that side reloads
  EXPECT_EQ(node_.matchmaking_reloads(), 1u);
  EXPECT_EQ(node_.reloads(), 1u);
  EXPECT_FALSE(node_.fenced());
  EXPECT_EQ(Stored(store::Table::kPlacements, match), "PENDING");
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
  node_.RunMatchmaking(side_other_);
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "PLACING");
  Ready(1);
  Ready(2);
  ActivateAll();
  for (const char* id : {"a", "b", "c", "d"}) ExpectCompleted(id);
}

TEST_F(NodeSidesTest, AFencedSideRefusesItsConfigurationWhileTheOtherSideAcceptsTickets) {
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  faults_.SetReadFault(Error::Unavailable("injected: read error"));
  // The ticket's commit fails and its side's reload cannot read the store: that side is fenced.
  EXPECT_FALSE(StartTicket(other_, "", "p9").ok());
  faults_.ClearFaults();
  EXPECT_TRUE(node_.side_fenced(side_other_));
  EXPECT_FALSE(node_.side_fenced(side_cfg_));
  EXPECT_TRUE(node_.fenced());
  EXPECT_EQ(StartTicket(other_, "", "p8").error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(StartTicket("cfg", "a", "p1").ok());
  ASSERT_TRUE(StartTicket("cfg", "b", "p2").ok());
  node_.RunMatchmaking(side_cfg_);
  EXPECT_EQ(Stored(store::Table::kTickets, "a"), "PLACING");
  node_.Tick();  // each side's part: the fenced one reloads
  EXPECT_FALSE(node_.fenced());
  ASSERT_TRUE(StartTicket(other_, "c", "p3").ok());
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "QUEUED");
}

// With a writer, each side's closures posted to a queue of its own.
class NodeSidesWriterTest : public NodeSidesTest {
 protected:
  void SetUp() override {
    NodeSidesTest::SetUp();
    node_.UseWriter(writer_, server_.Poster(), {sides_[0].Poster(), sides_[1].Poster()});
  }
  void TearDown() override { writer_.Stop(); }
  // Runs the server side's queue and those of `sides` until `done` holds (false after 10 s).
  bool RunUntil(const std::function<bool()>& done, std::vector<std::size_t> sides = {0, 1}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::size_t ran = server_.Run();
      for (auto i : sides) ran += sides_[i].Run();
      if (ran == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  store::CommitWriter writer_{faults_};
  testing::PostQueue server_;
  testing::PostQueue sides_[2];
};

TEST_F(NodeSidesWriterTest, AnOperationRunsOnTheSideThatOwnsItsConfigurationOrTicket) {
  bool started = false;
  node_.RunOnConfiguration(other_, [&] {
    node_.tickets().StartMatchmakingAsync(other_, {testing::Player("p1")}, "", "c",
                                          [&](Result<matchmaking::Ticket> t) { started = t.ok(); });
  });
  // Only that side's queue is run: the start was posted there.
  ASSERT_TRUE(RunUntil([&] { return started; }, {side_other_}));
  // A committed ticket is found through the ticket view; its stop runs on its side.
  bool stopped = false;
  node_.RunOnTicket("c", [&] { stopped = node_.tickets().StopMatchmaking("c").ok(); });
  ASSERT_TRUE(RunUntil([&] { return stopped; }, {side_other_}));
  EXPECT_EQ(Stored(store::Table::kTickets, "c"), "CANCELLED");
  // An unknown ticket goes to the first side, which answers that it does not exist.
  Status unknown = OkStatus();
  bool answered = false;
  node_.RunOnTicket("nobody", [&] {
    auto t = node_.tickets().StopMatchmaking("nobody");
    unknown = t.ok() ? OkStatus() : Status(t.take_error());
    answered = true;
  });
  ASSERT_TRUE(RunUntil([&] { return answered; }, {0}));
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(node_.reloads(), 0u);
}

// The same ticket ids started on both sides at once, each side's queue run by a thread of its
// own: each id is taken once and refused once before staging, never by a failing commit (which
// would reload a side).
TEST_F(NodeSidesWriterTest, ATicketIdStartedOnTwoSidesAtOnceIsTakenByOne) {
  constexpr int kIds = 300;
  std::atomic<int> taken{0}, refused{0}, answered{0};
  for (int i = 0; i < kIds; ++i) {
    for (const std::string& configuration : {std::string("cfg"), other_}) {
      node_.RunOnConfiguration(configuration, [&, configuration, i] {
        node_.tickets().StartMatchmakingAsync(
            configuration, {testing::Player(configuration + "-" + std::to_string(i))}, "", "id-" + std::to_string(i),
            [&](Result<matchmaking::Ticket> t) {
              if (t.ok()) {
                ++taken;
              } else if (t.error().code == ErrorCode::kConflict) {
                ++refused;
              }
              ++answered;
            });
      });
    }
  }
  auto done = [&] { return answered.load() == 2 * kIds; };
  std::vector<std::thread> owners;
  for (auto& side : sides_) {
    owners.emplace_back([&] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (side.Run() == 0) std::this_thread::yield();
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (server_.Run() == 0) std::this_thread::yield();
  }
  for (auto& t : owners) t.join();
  ASSERT_TRUE(done());
  EXPECT_EQ(taken.load(), kIds);
  EXPECT_EQ(refused.load(), kIds);
  EXPECT_EQ(node_.reloads(), 0u);
}

}  // namespace
}  // namespace muster::node
