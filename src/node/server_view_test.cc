// The server view answers matchmaking's reads as the placement core itself does, fed only the rows
// the cores commit: a scenario through the real cores (no mocks), compared at every step.
#include "node/server_view.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bus/bus.h"
#include "fleet/fleet_core.h"
#include "matchmaking/lifecycle.h"
#include "matchmaking/rule_set.h"
#include "placement/placement_core.h"

namespace muster::node {
namespace {

constexpr const char* kRules = R"({
  "name": "t", "ruleLanguageVersion": "1.0",
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}]
})";

class ServerViewTest : public ::testing::Test {
 protected:
  ServerViewTest() {
    fleet_.PutCompute({"f", "c", "loc-a", "127.0.0.1", "", "tok", 0});
    placement_.PutFleet("f", {"loc-a"});
    placement::QueueConfig q;
    q.name = "q";
    q.fleets = {"f"};
    placement_.PutQueue(q);
    view_.ReplaceQueues({{"q", *placement_.Queue("q")}});
    matchmaking::ConfigurationSpec spec;
    spec.name = "cfg";
    spec.arn = "arn:cfg";
    spec.rule_set = matchmaking::ParseRuleSet(kRules).value();
    spec.queue_name = "q";
    spec.backfill_mode = matchmaking::BackfillMode::kAutomatic;
    EXPECT_TRUE(mm_.PutConfiguration(spec).ok());
    fleet_.Subscribe(bus_);
    placement_.Subscribe(bus_);
    mm_.Subscribe(bus_);
  }

  // Cascades `fx` and hands its writes to the view, as a durable commit does.
  void Commit(core::Effects fx) {
    fx = bus_.Cascade(std::move(fx));
    store::CoalesceWrites(&fx.writes);
    for (const auto& n : fx.notices) {
      if (const auto* r = std::get_if<core::PlacementRequested>(&n)) placements_.insert(r->request.placement_id);
    }
    for (const auto& w : fx.writes) {
      if (w.table == store::Table::kGameSessions) sessions_.insert(w.row.id);
    }
    view_.Apply(fx.writes);
    ExpectSameAnswers();
  }
  void Commit(Result<core::Effects> fx) {
    ASSERT_TRUE(fx.ok()) << fx.error().message;
    Commit(std::move(fx).value());
  }

  void ExpectSameAnswers() {
    for (const auto& id : placements_) {
      EXPECT_EQ(view_.PlacementPending(id), placement_.PlacementPending(id)) << id;
    }
    for (const auto& arn : sessions_) {
      auto core = placement_.GameSession(arn);
      auto viewed = view_.GameSession(arn);
      ASSERT_EQ(viewed.has_value(), core.has_value()) << arn;
      if (!core) continue;
      EXPECT_EQ(viewed->active, core->active);
      EXPECT_EQ(viewed->status, core->status);
      EXPECT_EQ(viewed->max_players, core->max_players);
      EXPECT_EQ(viewed->configuration_arn, core->configuration_arn);
      EXPECT_EQ(viewed->occupied_slots(), core->occupied_slots());
      std::sort(core->present_players.begin(), core->present_players.end());
      std::sort(viewed->present_players.begin(), viewed->present_players.end());
      EXPECT_EQ(viewed->present_players, core->present_players);
    }
    for (const char* q : {"q", "other"}) {
      auto viewed = view_.Queue(q);
      auto core = placement_.Queue(q);
      ASSERT_EQ(viewed.has_value(), core.has_value()) << q;
      if (core) EXPECT_EQ(viewed->locations, core->locations);
    }
    ++compared_;
  }

  void Start(const std::string& ticket, const std::string& player) {
    matchmaking::PlayerInput p;
    p.player_id = player;
    p.latency_ms["loc-a"] = 20;
    Commit(mm_.StartTicket("cfg", ticket, {p}, ""));
  }

  std::string SessionOf(const std::string& ticket) {
    return placement_.Find(mm_.Find(ticket)->match_id)->game_session_arn;
  }

  ManualClock clock_;
  SeededRandom random_{7};
  Env env_{clock_, random_};
  fleet::FleetCore fleet_{env_, fleet::FleetOptions{}};
  placement::PlacementCore placement_{env_, fleet_};
  matchmaking::MatchmakingCore mm_{env_, placement_, "local", "123"};
  bus::Bus bus_;
  ServerView view_;
  std::set<std::string> placements_;
  std::set<std::string> sessions_;
  int compared_ = 0;
};

TEST_F(ServerViewTest, AnswersAsThePlacementCoreThroughAGamesLife) {
  // A match with no process yet: its placement waits.
  Start("a", "pa");
  Start("b", "pb");
  Commit(mm_.Run());
  ASSERT_EQ(placements_.size(), 1u);
  EXPECT_TRUE(view_.PlacementPending(*placements_.begin()));

  // A process comes: the game session is created (ACTIVATING), then activated.
  std::string key;
  Commit(fleet_.Connect(1, "f", "c", "p1", &key));
  Commit(fleet_.ActivateServerProcess(key, 7777, "5", "Cpp"));
  Commit(placement_.Pump());
  std::string arn = SessionOf("a");
  ASSERT_TRUE(view_.GameSession(arn).has_value());
  EXPECT_FALSE(view_.GameSession(arn)->active);
  Commit(fleet_.ActivateGameSession(key, arn));
  auto live = view_.GameSession(arn);
  ASSERT_TRUE(live.has_value());
  EXPECT_TRUE(live->active);
  EXPECT_EQ(live->occupied_slots(), 2);
  EXPECT_FALSE(view_.PlacementPending(*placements_.begin()));

  // Players join and one leaves; the automatic backfill fills its slot.
  auto ps = fleet_.FindGameSession(arn)->player_session_ids;
  ASSERT_EQ(ps.size(), 2u);
  Commit(fleet_.AcceptPlayerSession(key, arn, ps[0]));
  Commit(fleet_.AcceptPlayerSession(key, arn, ps[1]));
  Commit(fleet_.RemovePlayerSession(key, arn, ps[1]));
  EXPECT_EQ(view_.GameSession(arn)->occupied_slots(), 1);
  Start("c", "pc");
  Commit(mm_.Run());
  EXPECT_EQ(view_.GameSession(arn)->occupied_slots(), 2);

  // The process ends: its game session is gone from the view as from the core.
  Commit(fleet_.TerminateServerProcess(key));
  EXPECT_FALSE(view_.GameSession(arn).has_value());
  EXPECT_GT(compared_, 10);
}

TEST_F(ServerViewTest, ReplaceTakesTheWholeStateAndRowsInAnyOrder) {
  fleet::GameSession g;
  g.game_session_id = "arn:gs-1";
  g.status = fleet::GameSessionStatus::kActive;
  g.max_players = 4;
  fleet::PlayerSession holding{"psess-1", "p1", "arn:gs-1", "f", "", fleet::PlayerSessionStatus::kActive, 0, 0};
  fleet::PlayerSession left{"psess-2", "p2", "arn:gs-1", "f", "", fleet::PlayerSessionStatus::kCompleted, 0, 0};
  placement::Placement pending;
  pending.request.placement_id = "pl-1";
  view_.Replace({pending}, {g}, {holding, left});
  EXPECT_TRUE(view_.PlacementPending("pl-1"));
  auto s = view_.GameSession("arn:gs-1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->present_players, std::vector<std::string>{"p1"});

  // One commit whose player session row comes before its (new) game session's row.
  fleet::GameSession g2 = g;
  g2.game_session_id = "arn:gs-2";
  fleet::PlayerSession p3{"psess-3", "p3", "arn:gs-2", "f", "", fleet::PlayerSessionStatus::kReserved, 0, 0};
  view_.Apply({store::Write::Upsert(store::Table::kPlayerSessions, fleet::PlayerSessionRow(p3, 0)),
               store::Write::Upsert(store::Table::kGameSessions, fleet::GameSessionRow(g2, 0))});
  ASSERT_TRUE(view_.GameSession("arn:gs-2").has_value());
  EXPECT_EQ(view_.GameSession("arn:gs-2")->occupied_slots(), 1);

  // A row that does not decode is skipped; the rest of the commit applies.
  store::Row damaged;
  damaged.id = "arn:gs-3";
  damaged.body = "{not json";
  placement::Placement done = pending;
  done.status = placement::PlacementStatus::kFulfilled;
  view_.Apply({store::Write::Upsert(store::Table::kGameSessions, damaged),
               store::Write::Upsert(store::Table::kPlacements, placement::PlacementCore::ToRow(done, 0))});
  EXPECT_FALSE(view_.GameSession("arn:gs-3").has_value());
  EXPECT_FALSE(view_.PlacementPending("pl-1"));
}

}  // namespace
}  // namespace muster::node
