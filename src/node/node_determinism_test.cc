// A Node on a ManualClock and a SeededRandom: the same commands give byte-identical stores and
// outbox events (every id — tickets, matches, placements, game sessions, player sessions, events —
// comes from the Env), on a real SQLite file.
#include <gtest/gtest.h>

#include <string>

#include "node/node.h"
#include "node/node_test_setup.h"
#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

constexpr const char* kRules1v1 = R"({
  "name": "d1v1", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
})";


// Every row of every table and every outbox event, as text.
std::string Dump(store::Store& s) {
  std::string out;
  for (int t = 0; t < store::kTableCount; ++t) {
    const auto table = static_cast<store::Table>(t);
    auto rows = s.List(table, "", 100000);
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) continue;
    for (const auto& r : *rows) {
      out += std::string(store::TableName(table)) + "|" + r.id + "|" + r.index + "|" + r.status + "|" +
             r.body + "|" + std::to_string(r.version) + "|" + std::to_string(r.updated) + "\n";
    }
  }
  auto events = s.ReadEvents(0, 100000);
  EXPECT_TRUE(events.ok());
  if (events.ok()) {
    for (const auto& e : *events) {
      out += "event|" + std::to_string(e.seq) + "|" + e.topic + "|" + e.body + "|" +
             std::to_string(e.time) + "\n";
    }
  }
  return out;
}

// Five players: two matches are found, one game server process hosts the first, the second match
// waits for capacity until its placement times out, the fifth ticket times out unmatched.
std::string RunScenario(std::uint64_t seed) {
  store::testing::TempSqliteStore db;
  ManualClock clock(1'700'000'000'000);
  SeededRandom random(seed);
  Env env{clock, random};
  Node node(*db, env);
  Status started = node.Start(testing::OneQueueSetup(kRules1v1, 60'000));
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
  if (!started.ok()) return "";

  auto key = node.game_servers().Connect(1, "f1", "c1", "pid-1");
  EXPECT_TRUE(key.ok());
  if (!key.ok()) return "";
  json::object reply;
  fleet::ActivateServerProcess ready;
  ready.sdk_version = "5.4.0";
  ready.sdk_language = "Cpp";
  ready.port = 7777;
  EXPECT_TRUE(node.game_servers().Request(*key, fleet::ClientMessage{"r-1", ready}, &reply).ok());

  for (int i = 0; i < 5; ++i) {
    clock.Advance(10);
    auto t = node.tickets().StartMatchmaking("cfg", {testing::Player("player-" + std::to_string(i))},
                                             "owner-" + std::to_string(i));
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  }
  node.RunMatchmaking();
  clock.Advance(100);
  node.Tick();

  // The process activates the game session it was asked to start.
  auto sessions = (*db).List(store::Table::kGameSessions, "", 10);
  EXPECT_TRUE(sessions.ok());
  EXPECT_EQ(sessions.ok() ? sessions->size() : 0u, 1u);
  if (sessions.ok() && !sessions->empty()) {
    fleet::ActivateGameSession activate;
    activate.game_session_id = sessions->front().id;
    EXPECT_TRUE(node.game_servers().Request(*key, fleet::ClientMessage{"r-2", activate}, &reply).ok());
  }
  for (int i = 0; i < 70; ++i) {  // past the placement and ticket timeouts
    clock.Advance(1000);
    node.Tick();
  }
  return Dump(*db);
}

TEST(NodeDeterminismTest, TheSameSeedGivesByteIdenticalStoresAndEvents) {
  const std::string a = RunScenario(7);
  const std::string b = RunScenario(7);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  // The scenario reached every outcome it is meant to (so the comparison covers their ids).
  EXPECT_NE(a.find("tickets|"), std::string::npos);
  EXPECT_NE(a.find("|COMPLETED|"), std::string::npos);
  EXPECT_NE(a.find("|TIMED_OUT|"), std::string::npos);
  EXPECT_NE(a.find("psess-"), std::string::npos);
  EXPECT_NE(a.find("MatchmakingSucceeded"), std::string::npos);
  EXPECT_NE(a.find("PlacementTimedOut"), std::string::npos);
  // Another seed gives other ids.
  EXPECT_NE(a, RunScenario(8));
}

}  // namespace
}  // namespace muster::node
