#include "placement/placement_core.h"

#include <gtest/gtest.h>

#include "core/event_codec.h"

namespace muster::placement {
namespace {

class PlacementTest : public ::testing::Test {
 protected:
  PlacementTest() : fleet_(env_, fleet::FleetOptions{}), core_(env_, fleet_) {
    fleet_.PutCompute({"fleet-1", "ca", "loc-a", "10.0.0.1", "", "t", 0});
    fleet_.PutCompute({"fleet-1", "cb", "loc-b", "10.0.0.2", "", "t", 0});
    core_.PutFleet("fleet-1", {"loc-a", "loc-b"});
    QueueConfig q;
    q.name = "q";
    q.timeout_ms = 30'000;
    q.fleets = {"fleet-1"};
    q.policies = {{200, 0}, {50, 10'000}};  // sorted to 50 ms for 10 s, then 200 ms
    core_.PutQueue(q);
  }

  std::string Ready(const std::string& compute, const std::string& pid) {
    std::string key;
    EXPECT_TRUE(fleet_.Connect(++conn_, "fleet-1", compute, pid, &key).ok());
    EXPECT_TRUE(fleet_.ActivateServerProcess(key, 7777, "5", "Cpp").ok());
    return key;
  }

  PlacementRequest Request(const std::string& id, int lat_a, int lat_b) {
    PlacementRequest r;
    r.placement_id = id;
    r.queue_name = "q";
    r.max_players = 2;
    r.players = {{"p1", "", {{"loc-a", lat_a}, {"loc-b", lat_b}}},
                 {"p2", "", {{"loc-a", lat_a}, {"loc-b", lat_b}}}};
    return r;
  }

  ManualClock clock_;
  SeededRandom random_{1};
  Env env_{clock_, random_};
  fleet::FleetCore fleet_;
  PlacementCore core_;
  std::uint64_t conn_ = 0;
};

TEST_F(PlacementTest, PicksLowestLatencyLocation) {
  Ready("ca", "a1");
  std::string kb = Ready("cb", "b1");
  auto fx = core_.Start(Request("pl", 40, 20));
  ASSERT_TRUE(fx.ok());
  ASSERT_EQ(fx->pushes.size(), 1u);
  EXPECT_EQ(fx->pushes[0].process_key, kb);
  EXPECT_EQ(core_.Find("pl")->location, "loc-b");
}

TEST_F(PlacementTest, LatencyPolicyCapRelaxesOverTime) {
  Ready("ca", "a1");
  auto fx = core_.Start(Request("pl", 120, 300));
  ASSERT_TRUE(fx.ok());
  EXPECT_TRUE(fx->pushes.empty());  // 120 ms > 50 ms cap during the first 10 s
  clock_.Advance(10'000);
  auto later = core_.Pump();
  ASSERT_EQ(later.pushes.size(), 1u);  // now the 200 ms cap admits loc-a
}

TEST_F(PlacementTest, WaitsForCapacityThenTimesOut) {
  auto fx = core_.Start(Request("pl", 10, 10));
  ASSERT_TRUE(fx.ok());
  EXPECT_TRUE(fx->pushes.empty());
  clock_.Advance(30'000);
  auto end = core_.Pump();
  ASSERT_EQ(end.notices.size(), 1u);
  EXPECT_EQ(std::get<core::PlacementEnded>(end.notices[0]).kind, core::PlacementEnded::Kind::kTimedOut);
  EXPECT_EQ(end.events.size(), 1u);
  EXPECT_EQ(core_.Find("pl"), nullptr);
}

TEST_F(PlacementTest, FulfilledAfterActivationWithPlayerSessions) {
  std::string ka = Ready("ca", "a1");
  auto fx = core_.Start(Request("pl", 10, 90));
  ASSERT_TRUE(fx.ok());
  std::string gs = core_.Find("pl")->game_session_arn;
  auto act = fleet_.ActivateGameSession(ka, gs);
  ASSERT_TRUE(act.ok());
  auto done = core_.OnFleetNotice(act->notices.at(0));
  ASSERT_EQ(done.notices.size(), 1u);
  const auto& d = std::get<core::PlacementFulfilled>(done.notices[0]);
  EXPECT_EQ(d.placed_player_sessions.size(), 2u);
  EXPECT_EQ(d.endpoint.port, 7777);
  // The outbox carries the same event as the detail of a queue placement event.
  ASSERT_EQ(done.events.size(), 1u);
  auto back = core::DecodeOutboxEvent(done.events[0].topic, done.events[0].body);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(std::get<core::PlacementFulfilled>(*back).placed_player_sessions, d.placed_player_sessions);
}

TEST_F(PlacementTest, FailedActivationRetriesOnAnotherProcess) {
  std::string a1 = Ready("ca", "a1");
  auto fx = core_.Start(Request("pl", 10, 90));
  ASSERT_TRUE(fx.ok());
  std::string a2 = Ready("ca", "a2");
  clock_.Advance(fleet::FleetOptions{}.activation_timeout_ms + 1);
  ASSERT_TRUE(fleet_.Heartbeat(a1, true).ok());
  ASSERT_TRUE(fleet_.Heartbeat(a2, true).ok());
  auto tick = fleet_.Tick();
  ASSERT_EQ(tick.notices.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<core::GameSessionFailed>(tick.notices[0]));
  auto retry = core_.OnFleetNotice(tick.notices[0]);
  ASSERT_EQ(retry.pushes.size(), 1u);
  EXPECT_NE(core_.Find("pl")->game_session_arn, "");
}

TEST_F(PlacementTest, AFreedProcessGoesToThePlacementThatWaitedLongest) {
  // No process yet: three placements wait. They arrive in the same millisecond, in an order
  // unlike the order of their ids.
  for (const char* id : {"m-3", "m-1", "m-2"}) ASSERT_TRUE(core_.Start(Request(id, 10, 10)).ok());
  Ready("ca", "a1");
  auto fx = core_.Pump();
  ASSERT_EQ(fx.pushes.size(), 1u);
  EXPECT_NE(core_.Find("m-3")->game_session_arn, "");
  EXPECT_EQ(core_.Find("m-1")->game_session_arn, "");
  EXPECT_EQ(core_.Find("m-2")->game_session_arn, "");
  Ready("ca", "a2");
  core_.Pump();
  EXPECT_NE(core_.Find("m-1")->game_session_arn, "");
  EXPECT_EQ(core_.Find("m-2")->game_session_arn, "");
}

TEST_F(PlacementTest, ANewPlacementDoesNotTakeCapacityFromOlderWaitingOnes) {
  ASSERT_TRUE(core_.Start(Request("old", 10, 10)).ok());  // waits: no process yet
  Ready("ca", "a1");                                       // capacity appears, no Pump yet
  auto fx = core_.Start(Request("new", 10, 10));
  ASSERT_TRUE(fx.ok());
  EXPECT_TRUE(fx->pushes.empty());
  EXPECT_EQ(core_.Find("new")->game_session_arn, "");
  core_.Pump();
  EXPECT_NE(core_.Find("old")->game_session_arn, "");
  EXPECT_EQ(core_.Find("new")->game_session_arn, "");
}

TEST_F(PlacementTest, RestoredPlacementsWaitInTheOrderTheyStarted) {
  std::vector<Placement> pending;
  for (auto [id, start] : std::vector<std::pair<std::string, Millis>>{{"z-old", 100}, {"a-new", 300}, {"m-mid", 200}}) {
    Placement p;
    p.request = Request(id, 10, 10);
    p.start_time = clock_.NowMillis() - 1000 + start;
    pending.push_back(std::move(p));
  }
  PlacementCore restored(env_, fleet_);
  restored.PutFleet("fleet-1", {"loc-a", "loc-b"});
  restored.PutQueue(*core_.FindQueue("q"));
  restored.Restore(std::move(pending));
  ASSERT_EQ(restored.PendingCount(), 3u);
  Ready("ca", "a1");
  restored.Pump();
  EXPECT_NE(restored.Find("z-old")->game_session_arn, "");
  EXPECT_EQ(restored.Find("m-mid")->game_session_arn, "");
  EXPECT_EQ(restored.Find("a-new")->game_session_arn, "");
  Ready("ca", "a2");
  restored.Pump();
  EXPECT_NE(restored.Find("m-mid")->game_session_arn, "");
  EXPECT_EQ(restored.Find("a-new")->game_session_arn, "");
}

TEST_F(PlacementTest, EndedPlacementsLeaveTheArrivalOrder) {
  ASSERT_TRUE(core_.Start(Request("first", 10, 10)).ok());
  ASSERT_TRUE(core_.Start(Request("second", 10, 10)).ok());
  ASSERT_TRUE(core_.Stop("first").ok());
  EXPECT_EQ(core_.PendingCount(), 1u);
  // The id can be used again and then queues behind "second".
  ASSERT_TRUE(core_.Start(Request("first", 10, 10)).ok());
  Ready("ca", "a1");
  core_.Pump();
  EXPECT_NE(core_.Find("second")->game_session_arn, "");
  EXPECT_EQ(core_.Find("first")->game_session_arn, "");
}

// Pump tries a waiting placement again only when something that could change its answer moved;
// each of these moves must still reach it.
TEST_F(PlacementTest, AWaitingPlacementIsServedWhenAProcessComesBackOrTheQueueChanges) {
  std::string a1 = Ready("ca", "a1");
  fleet_.Disconnect(conn_, a1);  // its socket dropped: not available
  ASSERT_TRUE(core_.Start(Request("pl", 10, 10)).ok());
  EXPECT_TRUE(core_.Pump().pushes.empty());
  EXPECT_TRUE(core_.Pump().pushes.empty());
  fleet_.Reattach(conn_, a1);  // the process reconnected: no store write, but capacity is back
  EXPECT_EQ(core_.Pump().pushes.size(), 1u);

  // A queue that only allows loc-b, with a process only in loc-a: the placement waits until the
  // queue is changed to allow loc-a.
  Ready("ca", "a2");
  QueueConfig only_b = *core_.FindQueue("q");
  only_b.name = "only-b";
  only_b.allowed_locations = {"loc-b"};
  core_.PutQueue(only_b);
  PlacementRequest r = Request("pl-b", 10, 10);
  r.queue_name = "only-b";
  ASSERT_TRUE(core_.Start(r).ok());
  EXPECT_TRUE(core_.Pump().pushes.empty());
  only_b.allowed_locations = {};
  core_.PutQueue(only_b);
  EXPECT_EQ(core_.Pump().pushes.size(), 1u);
  EXPECT_NE(core_.Find("pl-b")->game_session_arn, "");
}

TEST_F(PlacementTest, APumpWithNothingNewTriesNothingAndEachChangeThatMayFreeAProcessTriesAgain) {
  std::string a1 = Ready("ca", "a1");
  ASSERT_TRUE(core_.Start(Request("first", 10, 10)).ok());  // takes a1
  const std::string gs = core_.Find("first")->game_session_arn;
  ASSERT_NE(gs, "");
  ASSERT_TRUE(core_.Start(Request("waits", 10, 10)).ok());
  std::string a2 = Ready("ca", "a2");
  ASSERT_TRUE(fleet_.Heartbeat(a2, false).ok());  // a2 unhealthy: not available
  core_.Pump();
  const auto tries = core_.tries();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(core_.Pump().pushes.empty());
  EXPECT_EQ(core_.tries(), tries);  // nothing moved: no try
  clock_.Advance(1000);
  core_.Pump();
  EXPECT_EQ(core_.tries(), tries);  // time alone (no policy step) does not either
  ASSERT_TRUE(fleet_.Heartbeat(a2, true).ok());  // healthy again: capacity
  EXPECT_EQ(core_.Pump().pushes.size(), 1u);
  EXPECT_NE(core_.Find("waits")->game_session_arn, "");

  // A process that connects is not available until it activates.
  ASSERT_TRUE(core_.Start(Request("third", 10, 10)).ok());
  std::string a3;
  ASSERT_TRUE(fleet_.Connect(++conn_, "fleet-1", "ca", "a3", &a3).ok());
  EXPECT_TRUE(core_.Pump().pushes.empty());
  ASSERT_TRUE(fleet_.ActivateServerProcess(a3, 7777, "5", "Cpp").ok());
  EXPECT_EQ(core_.Pump().pushes.size(), 1u);
  EXPECT_NE(core_.Find("third")->game_session_arn, "");
}

TEST_F(PlacementTest, AvailableLooksAtTheLocationsOwnProcessesOnly) {
  std::string a1 = Ready("ca", "a1");
  std::string b1 = Ready("cb", "b1");
  ASSERT_EQ(fleet_.Available("fleet-1", "loc-a").size(), 1u);
  EXPECT_EQ(fleet_.Available("fleet-1", "loc-a")[0]->Key(), a1);
  EXPECT_EQ(fleet_.Available("fleet-1", "loc-b")[0]->Key(), b1);
  EXPECT_TRUE(fleet_.Available("fleet-1", "loc-c").empty());
  EXPECT_TRUE(fleet_.Available("fleet-2", "loc-a").empty());
  ASSERT_TRUE(fleet_.TerminateServerProcess(a1).ok());
  EXPECT_TRUE(fleet_.Available("fleet-1", "loc-a").empty());
  std::string a2 = Ready("ca", "a2");
  ASSERT_EQ(fleet_.Available("fleet-1", "loc-a").size(), 1u);
  EXPECT_EQ(fleet_.Available("fleet-1", "loc-a")[0]->Key(), a2);
}

TEST_F(PlacementTest, RowRoundTrip) {
  auto fx = core_.Start(Request("pl", 10, 20));
  ASSERT_TRUE(fx.ok());
  auto row = PlacementCore::ToRow(*core_.Find("pl"), 5);
  auto back = PlacementCore::FromRow(row);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->request.players.size(), 2u);
  EXPECT_EQ(back->request.players[1].latency_ms.at("loc-b"), 20);
  EXPECT_EQ(back->status, PlacementStatus::kPending);
}

TEST_F(PlacementTest, UnknownQueueIsNotFound) {
  auto r = Request("pl", 1, 1);
  r.queue_name = "nope";
  EXPECT_EQ(core_.Start(r).error().code, ErrorCode::kNotFound);
}

// Matchmaking asks through requests (topic "placement-requests"); whatever the core refuses is
// answered PlacementEnded kFailed for that placement, so the match's tickets hear of it.
TEST_F(PlacementTest, ARequestItCannotCarryOutIsAnsweredWithPlacementEndedFailed) {
  Ready("ca", "a1");
  PlacementRequest r = Request("pl", 20, 40);
  r.queue_name = "no-such-queue";
  auto fx = core_.OnRequest(core::PlacementRequested{r});
  EXPECT_TRUE(fx.writes.empty());
  EXPECT_TRUE(fx.pushes.empty());
  ASSERT_EQ(fx.notices.size(), 1u);
  const auto* ended = std::get_if<core::PlacementEnded>(&fx.notices[0]);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->placement_id, "pl");
  EXPECT_EQ(ended->kind, core::PlacementEnded::Kind::kFailed);
  EXPECT_NE(ended->reason.find("no-such-queue"), std::string::npos) << ended->reason;

  // A backfill into a session that does not exist: the same.
  fx = core_.OnRequest(core::BackfillRequested{"bf", "arn:no-such-session", {{"p9", "", {}}}, "{}", "ticket-9"});
  ASSERT_EQ(fx.notices.size(), 1u);
  ended = std::get_if<core::PlacementEnded>(&fx.notices[0]);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->placement_id, "bf");
  EXPECT_EQ(ended->kind, core::PlacementEnded::Kind::kFailed);
}

TEST_F(PlacementTest, ARequestedPlacementStartsAndAStopRequestCancelsItOnlyWhilePending) {
  auto fx = core_.OnRequest(core::PlacementRequested{Request("pl", 20, 40)});  // no process yet: pending
  ASSERT_NE(core_.Find("pl"), nullptr);
  EXPECT_TRUE(core_.PlacementPending("pl"));
  EXPECT_TRUE(fx.notices.empty());
  fx = core_.OnRequest(core::PlacementStopRequested{"pl"});
  ASSERT_EQ(fx.notices.size(), 1u);
  EXPECT_EQ(std::get<core::PlacementEnded>(fx.notices[0]).kind, core::PlacementEnded::Kind::kCancelled);
  EXPECT_FALSE(core_.PlacementPending("pl"));
  // Once it ended, a stop request (a second one, or one for a placement never made) changes nothing.
  EXPECT_TRUE(core_.OnRequest(core::PlacementStopRequested{"pl"}).empty());
  EXPECT_TRUE(core_.OnRequest(core::PlacementStopRequested{"never"}).empty());
}

TEST_F(PlacementTest, GameSessionsReadAsMatchmakingNeedsThem) {
  std::string key = Ready("ca", "a1");
  ASSERT_TRUE(core_.Start(Request("pl", 20, 40)).ok());
  std::string arn = core_.Find("pl")->game_session_arn;
  auto gs = core_.GameSession(arn);
  ASSERT_TRUE(gs.has_value());
  EXPECT_FALSE(gs->active);
  EXPECT_EQ(gs->status, "ACTIVATING");
  EXPECT_EQ(gs->max_players, 2);
  EXPECT_EQ(gs->occupied_slots(), 0);  // the players' sessions are reserved when it activates
  ASSERT_TRUE(fleet_.ActivateGameSession(key, arn).ok());
  gs = core_.GameSession(arn);
  EXPECT_TRUE(gs->active);
  EXPECT_EQ(gs->status, "ACTIVE");
  EXPECT_EQ(gs->occupied_slots(), 2);
  EXPECT_EQ(gs->present_players, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_FALSE(core_.GameSession("arn:nothing").has_value());
  EXPECT_TRUE(core_.QueueExists("q"));
  EXPECT_FALSE(core_.QueueExists("p"));
}

TEST_F(PlacementTest, ARequestWaitingBehindOlderOnesIsTriedAtOnceForCapacityTheyCannotUse) {
  // The older placement can only use loc-b, where there is no process.
  auto old = core_.OnRequest(core::PlacementRequested{Request("old", 999, 20)});
  ASSERT_TRUE(core_.PlacementPending("old"));
  std::string ka = Ready("ca", "a1");  // capacity in loc-a, which "old" cannot reach
  auto fx = core_.OnRequest(core::PlacementRequested{Request("new", 20, 999)});
  ASSERT_EQ(fx.pushes.size(), 1u);  // placed now, not at the next Pump
  EXPECT_EQ(fx.pushes[0].process_key, ka);
  EXPECT_EQ(core_.Find("new")->location, "loc-a");
  EXPECT_TRUE(core_.Find("old")->game_session_arn.empty());
  // Asked twice while pending: nothing changes, no answer.
  EXPECT_TRUE(core_.OnRequest(core::PlacementRequested{Request("old", 999, 20)}).empty());
  EXPECT_TRUE(core_.PlacementPending("old"));
}

// A backfill asked again (matchmaking reloaded before it heard the answer) is answered from the
// session, which carries its match's data once it was carried out: the players it placed keep
// their one slot each. A new backfill is placed as ever, even for a player holding a slot.
TEST_F(PlacementTest, ABackfillAskedAgainIsAnsweredFromTheSessionNotPlacedTwice) {
  std::string key = Ready("ca", "a1");
  PlacementRequest r = Request("pl", 20, 40);
  r.max_players = 6;
  ASSERT_TRUE(core_.Start(r).ok());
  std::string arn = core_.Find("pl")->game_session_arn;
  ASSERT_TRUE(fleet_.ActivateGameSession(key, arn).ok());
  const core::BackfillRequested backfill{"bf", arn, {{"p3", "", {}}}, R"({"matchId":"bf"})", "ticket-9"};

  auto first = core_.OnRequest(backfill);
  ASSERT_EQ(first.notices.size(), 1u);
  const auto* placed = std::get_if<core::PlacementFulfilled>(&first.notices[0]);
  ASSERT_NE(placed, nullptr);
  ASSERT_EQ(placed->placed_player_sessions.size(), 1u);
  const std::string session = placed->placed_player_sessions[0].player_session_id;
  EXPECT_EQ(core_.GameSession(arn)->occupied_slots(), 3);

  auto again = core_.OnRequest(backfill);
  EXPECT_TRUE(again.writes.empty());
  EXPECT_TRUE(again.pushes.empty());
  ASSERT_EQ(again.notices.size(), 1u);
  placed = std::get_if<core::PlacementFulfilled>(&again.notices[0]);
  ASSERT_NE(placed, nullptr);
  ASSERT_EQ(placed->placed_player_sessions.size(), 1u);
  EXPECT_EQ(placed->placed_player_sessions[0].player_session_id, session);
  EXPECT_EQ(placed->endpoint.port, 7777);
  EXPECT_EQ(core_.GameSession(arn)->occupied_slots(), 3);

  // The next backfill of the session, with p3 again among its players: placed, not answered.
  auto next = core_.OnRequest(
      core::BackfillRequested{"bf-2", arn, {{"p3", "", {}}, {"p4", "", {}}}, R"({"matchId":"bf-2"})", "ticket-9"});
  ASSERT_EQ(next.notices.size(), 1u);
  placed = std::get_if<core::PlacementFulfilled>(&next.notices[0]);
  ASSERT_NE(placed, nullptr);
  ASSERT_EQ(placed->placed_player_sessions.size(), 2u);
  EXPECT_NE(placed->placed_player_sessions[0].player_session_id, session);
  EXPECT_EQ(core_.GameSession(arn)->occupied_slots(), 5);

  // Asked again once a player it placed no longer holds a slot: refused, not placed again.
  ASSERT_TRUE(fleet_.RemovePlayerSession(key, arn, placed->placed_player_sessions[1].player_session_id).ok());
  auto late = core_.OnRequest(
      core::BackfillRequested{"bf-2", arn, {{"p3", "", {}}, {"p4", "", {}}}, R"({"matchId":"bf-2"})", "ticket-9"});
  ASSERT_EQ(late.notices.size(), 1u);
  const auto* ended = std::get_if<core::PlacementEnded>(&late.notices[0]);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->kind, core::PlacementEnded::Kind::kFailed);
  EXPECT_EQ(core_.GameSession(arn)->occupied_slots(), 4);
}

}  // namespace
}  // namespace muster::placement
