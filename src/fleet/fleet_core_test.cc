#include "fleet/fleet_core.h"
#include "fleet/protocol.h"

#include <gtest/gtest.h>

namespace muster::fleet {
namespace {

class FleetCoreTest : public ::testing::Test {
 protected:
  FleetCoreTest() : core_(env_, FleetOptions{}) {
    core_.PutCompute({"fleet-1", "compute-a", "custom-a", "10.0.0.1", "", "tok", 0});
  }

  std::string ReadyProcess(const std::string& pid, std::uint64_t conn) {
    std::string key;
    auto fx = core_.Connect(conn, "fleet-1", "compute-a", pid, &key);
    EXPECT_TRUE(fx.ok());
    EXPECT_TRUE(core_.ActivateServerProcess(key, 7000 + static_cast<int>(conn), "5.4.0", "Cpp").ok());
    return key;
  }

  std::string StartSession(const std::string& key, std::vector<std::string> players) {
    GameSessionSpec spec;
    spec.placement_id = "pl-1";
    spec.max_players = 4;
    for (auto& p : players) spec.players.push_back({p, ""});
    std::string gs;
    auto fx = core_.StartGameSession(key, std::move(spec), &gs);
    EXPECT_TRUE(fx.ok());
    EXPECT_EQ(fx->pushes.size(), 1u);
    return gs;
  }

  ManualClock clock_;
  SeededRandom random_{1};
  Env env_{clock_, random_};
  FleetCore core_;
};

TEST_F(FleetCoreTest, AuthenticatesComputeToken) {
  EXPECT_TRUE(core_.Authenticate("fleet-1", "compute-a", "tok").ok());
  EXPECT_EQ(core_.Authenticate("fleet-1", "compute-a", "bad").error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(core_.Authenticate("fleet-1", "nope", "tok").error().code, ErrorCode::kForbidden);
}

TEST_F(FleetCoreTest, FullSessionLifecycle) {
  std::string key = ReadyProcess("p1", 1);
  ASSERT_EQ(core_.Available("fleet-1", "custom-a").size(), 1u);
  std::string gs = StartSession(key, {"alice", "bob"});
  EXPECT_TRUE(core_.Available("fleet-1", "custom-a").empty());

  auto act = core_.ActivateGameSession(key, gs);
  ASSERT_TRUE(act.ok());
  ASSERT_EQ(act->notices.size(), 1u);
  const auto& n = std::get<core::GameSessionActivated>(act->notices[0]);
  ASSERT_EQ(n.player_sessions.size(), 2u);
  EXPECT_GT(n.endpoint.port, 7000);
  EXPECT_EQ(n.endpoint.game_session_arn, gs);
  std::string ps = n.player_sessions[0].player_session_id;
  EXPECT_EQ(ps.rfind("psess-", 0), 0u);

  // Re-sent ActivateGameSession (same RequestId after a timeout) is harmless.
  auto again = core_.ActivateGameSession(key, gs);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->notices.empty());

  EXPECT_TRUE(core_.AcceptPlayerSession(key, gs, ps).ok());
  auto reused = core_.AcceptPlayerSession(key, gs, ps);
  ASSERT_FALSE(reused.ok());
  EXPECT_NE(reused.error().message.find("only a RESERVED"), std::string::npos);
  EXPECT_EQ(core_.AcceptPlayerSession(key, gs, "psess-unknown").error().code, ErrorCode::kNotFound);

  EXPECT_TRUE(core_.RemovePlayerSession(key, gs, ps).ok());
  auto end = core_.TerminateServerProcess(key);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(std::holds_alternative<core::GameSessionEnded>(end->notices.at(0)));
  EXPECT_EQ(core_.FindGameSession(gs), nullptr);
}

TEST_F(FleetCoreTest, RejectsSessionOfAnotherProcess) {
  std::string k1 = ReadyProcess("p1", 1);
  std::string k2 = ReadyProcess("p2", 2);
  std::string gs1 = StartSession(k1, {"alice"});
  std::string gs2 = StartSession(k2, {"bob"});
  auto a1 = core_.ActivateGameSession(k1, gs1);
  ASSERT_TRUE(core_.ActivateGameSession(k2, gs2).ok());
  std::string ps1 = std::get<core::GameSessionActivated>(a1->notices[0]).player_sessions.at(0).player_session_id;
  // Process 2 claims process 1's session: not hosted by it.
  EXPECT_EQ(core_.AcceptPlayerSession(k2, gs1, ps1).error().code, ErrorCode::kForbidden);
  // Process 2 presents process 1's player session id for its own session.
  auto other = core_.AcceptPlayerSession(k2, gs2, ps1);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("another game session"), std::string::npos);
}

TEST_F(FleetCoreTest, ReservedPlayerSessionExpiresAfter60s) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  auto a = core_.ActivateGameSession(key, gs);
  std::string ps = std::get<core::GameSessionActivated>(a->notices[0]).player_sessions.at(0).player_session_id;
  clock_.Advance(60'001);
  core_.Tick();
  EXPECT_EQ(core_.FindPlayerSession(ps)->status, PlayerSessionStatus::kTimedOut);
  EXPECT_FALSE(core_.AcceptPlayerSession(key, gs, ps).ok());
}

TEST_F(FleetCoreTest, ActivationTimeoutFailsPlacementAndFreesProcess) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  clock_.Advance(61'000);
  ASSERT_TRUE(core_.Heartbeat(key, true).ok());
  auto fx = core_.Tick();
  ASSERT_EQ(fx.notices.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<core::GameSessionFailed>(fx.notices[0]));
  EXPECT_EQ(core_.Available("fleet-1", "custom-a").size(), 1u);
}

TEST_F(FleetCoreTest, SilentProcessIsTerminated) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  ASSERT_TRUE(core_.ActivateGameSession(key, gs).ok());
  clock_.Advance(FleetOptions{}.heartbeat_timeout_ms + 1);
  auto fx = core_.Tick();
  EXPECT_EQ(core_.FindProcess(key), nullptr);
  EXPECT_TRUE(std::holds_alternative<core::GameSessionEnded>(fx.notices.at(0)));
}

TEST_F(FleetCoreTest, AHeartbeatMovesTheDeadlineAndManyProcessesTimeOutInOneTick) {
  const Millis timeout = FleetOptions{}.heartbeat_timeout_ms;
  std::vector<std::string> keys;
  for (std::uint64_t i = 1; i <= 50; ++i) keys.push_back(ReadyProcess("p" + std::to_string(i), i));
  clock_.Advance(timeout - 1);
  ASSERT_TRUE(core_.Heartbeat(keys[0], true).ok());  // p1 is heard from; the others are not
  clock_.Advance(2);
  core_.Tick();
  for (std::size_t i = 1; i < keys.size(); ++i) EXPECT_EQ(core_.FindProcess(keys[i]), nullptr) << keys[i];
  ASSERT_NE(core_.FindProcess(keys[0]), nullptr);  // its deadline moved with the heartbeat
  clock_.Advance(timeout - 2);
  core_.Tick();
  ASSERT_NE(core_.FindProcess(keys[0]), nullptr);
  clock_.Advance(2);
  core_.Tick();
  EXPECT_EQ(core_.FindProcess(keys[0]), nullptr);
}

TEST_F(FleetCoreTest, AProcessKeyReusedAfterItsProcessEndedKeepsOneDeadline) {
  const Millis timeout = FleetOptions{}.heartbeat_timeout_ms;
  std::string key = ReadyProcess("p1", 1);
  for (std::uint64_t round = 2; round < 50; ++round) {
    ASSERT_TRUE(core_.TerminateServerProcess(key).ok());
    clock_.Advance(1000);
    key = ReadyProcess("p1", round);  // a new server with the same pID
    core_.Tick();
  }
  EXPECT_EQ(core_.PendingDeadlines(), 1u);
  clock_.Advance(timeout - 1);
  core_.Tick();
  ASSERT_NE(core_.FindProcess(key), nullptr);
  clock_.Advance(2);
  core_.Tick();
  EXPECT_EQ(core_.FindProcess(key), nullptr);
}

TEST_F(FleetCoreTest, ReconnectRepushesActivatingSession) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  core_.Disconnect(1, key);
  std::string key2;
  auto fx = core_.Connect(9, "fleet-1", "compute-a", "p1", &key2);
  ASSERT_TRUE(fx.ok());
  EXPECT_EQ(key2, key);
  ASSERT_EQ(fx->pushes.size(), 1u);
  EXPECT_NE(fx->pushes[0].frame.find(gs), std::string::npos);
}

TEST_F(FleetCoreTest, RestoreBringsBackSessionsDisconnected) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  FleetCore restored(env_, FleetOptions{});
  restored.Restore({{"fleet-1", "compute-a", "custom-a", "10.0.0.1", "", "tok", 0}},
                   {*core_.FindProcess(key)}, {*core_.FindGameSession(gs)}, {});
  EXPECT_TRUE(restored.Available("fleet-1", "custom-a").empty());  // busy and disconnected
  std::string k;
  auto fx = restored.Connect(3, "fleet-1", "compute-a", "p1", &k);
  ASSERT_TRUE(fx.ok());
  EXPECT_EQ(fx->pushes.size(), 1u);
  EXPECT_TRUE(restored.ActivateGameSession(k, gs).ok());
}

TEST_F(FleetCoreTest, RestoredProcessesGetAFullHeartbeatWindow) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  ASSERT_TRUE(core_.ActivateGameSession(key, gs).ok());
  Process stored = *core_.FindProcess(key);  // last_seen as written at activation
  clock_.Advance(10 * 60'000);              // a long game, then musterd restarts
  FleetCore restored(env_, FleetOptions{});
  restored.Restore({{"fleet-1", "compute-a", "custom-a", "10.0.0.1", "", "tok", 0}}, {stored},
                   {*core_.FindGameSession(gs)}, {});
  auto fx = restored.Tick();
  EXPECT_TRUE(fx.notices.empty());
  ASSERT_NE(restored.FindProcess(key), nullptr);
  EXPECT_NE(restored.FindGameSession(gs), nullptr);
}

TEST_F(FleetCoreTest, LateAcceptIsRefusedAndTimedOutByTickInTheStore) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  auto a = core_.ActivateGameSession(key, gs);
  std::string ps = std::get<core::GameSessionActivated>(a->notices[0]).player_sessions.at(0).player_session_id;
  clock_.Advance(60'001);
  EXPECT_FALSE(core_.AcceptPlayerSession(key, gs, ps).ok());
  auto fx = core_.Tick();  // the state change happens here, with its write
  EXPECT_EQ(core_.FindPlayerSession(ps)->status, PlayerSessionStatus::kTimedOut);
  bool written = false;
  for (const auto& w : fx.writes) written |= w.table == store::Table::kPlayerSessions && w.row.status == "TIMEDOUT";
  EXPECT_TRUE(written);
}

TEST_F(FleetCoreTest, ProcessUnhealthyForTooLongIsTerminated) {
  std::string key = ReadyProcess("p1", 1);
  ASSERT_TRUE(core_.Heartbeat(key, false).ok());
  EXPECT_TRUE(core_.Available("fleet-1", "custom-a").empty());
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(60'000);
    ASSERT_TRUE(core_.Heartbeat(key, false).ok());  // alive, but unhealthy
    core_.Tick();
  }
  EXPECT_EQ(core_.FindProcess(key), nullptr);
}

TEST_F(FleetCoreTest, PlayerSessionCreationPolicy) {
  std::string key = ReadyProcess("p1", 1);
  std::string gs = StartSession(key, {"alice"});
  ASSERT_TRUE(core_.ActivateGameSession(key, gs).ok());
  ASSERT_TRUE(core_.UpdatePlayerSessionCreationPolicy(key, gs, "DENY_ALL").ok());
  EXPECT_EQ(core_.FindGameSession(gs)->player_session_policy, "DENY_ALL");
  EXPECT_FALSE(core_.UpdatePlayerSessionCreationPolicy(key, gs, "MAYBE").ok());
  EXPECT_EQ(core_.UpdatePlayerSessionCreationPolicy(key, "gs-other", "DENY_ALL").error().code, ErrorCode::kForbidden);
}

TEST_F(FleetCoreTest, PushedCreateGameSessionDecodesAsTheProtocolSays) {
  std::string key = ReadyProcess("p1", 1);
  GameSessionSpec spec;
  spec.placement_id = "pl";
  spec.max_players = 2;
  spec.players = {{"alice", ""}};
  spec.matchmaker_data = R"({"matchId":"m"})";
  spec.game_properties = {{"mode", "ctf"}};
  std::string gs;
  auto fx = core_.StartGameSession(key, spec, &gs);
  ASSERT_TRUE(fx.ok());
  auto m = DecodeServerMessage(fx->pushes.at(0).frame);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->is_push());
  const auto& c = std::get<CreateGameSession>(m->body);
  EXPECT_EQ(c.game_session_id, gs);
  EXPECT_EQ(c.maximum_player_session_count, 2);
  EXPECT_EQ(c.port, 7001);
  EXPECT_EQ(c.game_properties.at("mode"), "ctf");
  EXPECT_EQ(c.matchmaker_data, R"({"matchId":"m"})");
}

}  // namespace
}  // namespace muster::fleet
