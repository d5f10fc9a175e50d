#include "sdk/server/server_sdk.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "sdk/server/testing/fake_backend.h"

namespace muster::sdk {
namespace {

using namespace std::chrono_literals;
using testing::FakeBackend;
using testing::QueryParams;
using testing::ReceivedRequest;

SdkOptions FastOptions() {
  SdkOptions o;
  o.handshake_timeout = 2s;
  o.request_timeout = 300ms;
  o.max_request_attempts = 3;
  o.heartbeat_interval = 10s;
  o.heartbeat_jitter = 0ms;
  o.reconnect_initial_backoff = 50ms;
  o.reconnect_max_backoff = 200ms;
  o.destroy_close_wait = 1s;
  return o;
}

ServerParameters Params(const FakeBackend& backend, std::string pid = "pid-1") {
  return ServerParameters{.web_socket_url = backend.url(),
                          .fleet_id = "fleet-1",
                          .host_id = "compute-1",
                          .process_id = std::move(pid),
                          .auth_token = "token-1"};
}

std::string CreateGameSessionPush(const std::string& id) {
  fleet::CreateGameSession c;
  c.game_session_id = id;
  c.game_session_name = "match";
  c.maximum_player_session_count = 4;
  c.port = 7777;
  c.ip_address = "127.0.0.1";
  c.game_properties = {{"mode", "ctf"}};
  return fleet::Encode(fleet::ServerMessage{"CreateGameSession", "", 200, "", c});
}

TEST(ServerSdk, ConnectsWithQueryParametersAndActivates) {
  FakeBackend backend;
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  EXPECT_TRUE(sdk.connected());
  ASSERT_TRUE(sdk.ProcessReady({.port = 7777, .log_paths = {"/tmp/game.log"}}).ok());
  auto targets = backend.targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].substr(0, 2), "/?");
  auto q = QueryParams(targets[0]);
  EXPECT_EQ(q["Authorization"], "token-1");
  EXPECT_EQ(q["ComputeId"], "compute-1");
  EXPECT_EQ(q["FleetId"], "fleet-1");
  EXPECT_EQ(q["pID"], "pid-1");
  EXPECT_EQ(q["sdkLanguage"], "Cpp");
  EXPECT_EQ(q["sdkVersion"], "5.4.0");
  EXPECT_FALSE(q["IdempotencyToken"].empty());
  auto act = backend.WaitForAction("ActivateServerProcess");
  ASSERT_TRUE(act);
  const auto& a = std::get<fleet::ActivateServerProcess>(act->message.body);
  EXPECT_EQ(a.port, 7777);
  EXPECT_EQ(a.sdk_language, "Cpp");
  EXPECT_EQ(a.log_paths, std::vector<std::string>{"/tmp/game.log"});
  EXPECT_TRUE(sdk.Destroy().ok());
  auto code = backend.WaitForCloseCode();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1001);
  EXPECT_FALSE(sdk.connected());
}

TEST(ServerSdk, InitFailsWhenBackendIsDown) {
  int port;
  {
    FakeBackend gone;
    port = gone.port();
  }
  ServerSdk sdk;
  ServerParameters p{.web_socket_url = "ws://127.0.0.1:" + std::to_string(port),
                     .fleet_id = "f", .host_id = "h", .process_id = "p", .auth_token = "t"};
  auto st = sdk.InitSDK(p, FastOptions());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(sdk.ProcessReady({}).ok());
}

TEST(ServerSdk, RejectsBadParametersAndCallsBeforeInit) {
  ServerSdk sdk;
  EXPECT_EQ(sdk.AcceptPlayerSession("psess-1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sdk.ProcessEnding().error().code, ErrorCode::kUnavailable);
  auto st = sdk.InitSDK({.web_socket_url = "http://x", .fleet_id = "f", .host_id = "h",
                         .process_id = "p", .auth_token = "t"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

TEST(ServerSdk, InitTwiceIsAConflict) {
  FakeBackend backend;
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  EXPECT_EQ(sdk.InitSDK(Params(backend), FastOptions()).error().code, ErrorCode::kConflict);
  // After Destroy the SDK can be initialised again, e.g. as a new process.
  ASSERT_TRUE(sdk.Destroy().ok());
  ASSERT_TRUE(sdk.InitSDK(Params(backend, "pid-2"), FastOptions()).ok());
  EXPECT_EQ(QueryParams(backend.targets().back())["pID"], "pid-2");
}

TEST(ServerSdk, CreateGameSessionRunsCallbackWhichActivates) {
  FakeBackend backend;
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  std::promise<GameSession> started;
  std::promise<Status> activated;
  ProcessParameters pp;
  pp.port = 7000;
  pp.on_start_game_session = [&](GameSession gs) {
    // Callbacks may call the SDK (they run on the callback thread, not the I/O thread).
    activated.set_value(sdk.ActivateGameSession());
    started.set_value(std::move(gs));
  };
  ASSERT_TRUE(sdk.ProcessReady(pp).ok());
  EXPECT_EQ(sdk.GetGameSessionId().error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(backend.Push(CreateGameSessionPush("arn:gs/fleet-1/gs-1")));
  auto fut = started.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  GameSession gs = fut.get();
  EXPECT_EQ(gs.game_session_id, "arn:gs/fleet-1/gs-1");
  EXPECT_EQ(gs.maximum_player_session_count, 4);
  EXPECT_EQ(gs.fleet_id, "fleet-1");
  EXPECT_EQ(gs.game_properties.at("mode"), "ctf");
  EXPECT_TRUE(activated.get_future().get().ok());
  auto act = backend.WaitForAction("ActivateGameSession");
  ASSERT_TRUE(act);
  EXPECT_EQ(std::get<fleet::ActivateGameSession>(act->message.body).game_session_id,
            "arn:gs/fleet-1/gs-1");
  EXPECT_EQ(*sdk.GetGameSessionId(), "arn:gs/fleet-1/gs-1");
}

TEST(ServerSdk, UpdateAndTerminatePushesReachCallbacks) {
  FakeBackend backend;
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  std::promise<UpdateGameSession> updated;
  std::promise<void> terminated;
  ProcessParameters pp;
  pp.on_update_game_session = [&](UpdateGameSession u) { updated.set_value(std::move(u)); };
  pp.on_process_terminate = [&] { terminated.set_value(); };
  ASSERT_TRUE(sdk.ProcessReady(pp).ok());
  fleet::UpdateGameSession u;
  u.game_session.game_session_id = "gs";
  u.update_reason = "BACKFILL_FAILED";
  ASSERT_TRUE(backend.Push(fleet::Encode(fleet::ServerMessage{"UpdateGameSession", "", 200, "", u})));
  ASSERT_TRUE(backend.Push(fleet::Encode(
      fleet::ServerMessage{"TerminateProcess", "", 200, "", fleet::TerminateProcess{1'800'000'000}})));
  auto uf = updated.get_future();
  ASSERT_EQ(uf.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(uf.get().update_reason, "BACKFILL_FAILED");
  ASSERT_EQ(terminated.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*sdk.GetTerminationTime(), 1'800'000'000);
}

TEST(ServerSdk, AcceptPlayerSessionReportsBackendVerdict) {
  FakeBackend backend;
  backend.SetHandler([](const ReceivedRequest& r) -> std::optional<std::string> {
    if (auto* a = std::get_if<fleet::AcceptPlayerSession>(&r.message.body)) {
      if (a->player_session_id != "psess-good") {
        return fleet::EncodeReply(r.message.action(), r.message.request_id, 400,
                                  "player session " + a->player_session_id + " is not valid");
      }
    }
    return FakeBackend::Ok(r);
  });
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  ASSERT_TRUE(sdk.ProcessReady({}).ok());
  ASSERT_TRUE(backend.Push(CreateGameSessionPush("gs-1")));
  for (int i = 0; i < 500 && !sdk.GetGameSessionId().ok(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(sdk.GetGameSessionId().ok());
  EXPECT_TRUE(sdk.AcceptPlayerSession("psess-good").ok());
  auto bad = sdk.AcceptPlayerSession("psess-bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "player session psess-bad is not valid");
  EXPECT_TRUE(sdk.RemovePlayerSession("psess-good").ok());
  auto rm = backend.WaitForAction("RemovePlayerSession");
  ASSERT_TRUE(rm);
  EXPECT_EQ(std::get<fleet::RemovePlayerSession>(rm->message.body).game_session_id, "gs-1");
}

TEST(ServerSdk, WithheldReplyIsResentWithSameRequestId) {
  FakeBackend backend;
  std::atomic<int> seen{0};
  backend.SetHandler([&](const ReceivedRequest& r) -> std::optional<std::string> {
    if (r.message.action() == "TerminateServerProcess" && seen++ == 0) return std::nullopt;
    return FakeBackend::Ok(r);
  });
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), FastOptions()).ok());
  ASSERT_TRUE(sdk.ProcessEnding().ok());
  std::vector<std::string> ids;
  for (const auto& r : backend.requests()) {
    if (r.message.action() == "TerminateServerProcess") ids.push_back(r.message.request_id);
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]);
}

TEST(ServerSdk, GivesUpAfterMaxAttempts) {
  FakeBackend backend;
  backend.SetHandler([](const ReceivedRequest&) { return std::optional<std::string>(); });
  ServerSdk sdk;
  auto o = FastOptions();
  o.request_timeout = 100ms;
  o.max_request_attempts = 2;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), o).ok());
  auto st = sdk.ProcessReady({});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find("after 2 attempt"), std::string::npos);
  EXPECT_EQ(backend.requests().size(), 2u);
}

TEST(ServerSdk, ReconnectsWithoutReactivatingAndResendsPending) {
  FakeBackend backend;
  backend.SetHandler([](const ReceivedRequest& r) -> std::optional<std::string> {
    // The first connection never answers DescribePlayerSessions.
    if (r.message.action() == "DescribePlayerSessions" && r.connection == 1) return std::nullopt;
    if (r.message.action() == "DescribePlayerSessions") {
      fleet::DescribePlayerSessionsResult res;
      res.player_sessions.push_back({.player_session_id = "psess-1", .player_id = "p1", .status = "ACTIVE"});
      return fleet::Encode(fleet::ServerMessage{r.message.action().data(), r.message.request_id, 200, "", res});
    }
    return FakeBackend::Ok(r);
  });
  ServerSdk sdk;
  auto o = FastOptions();
  o.request_timeout = 2s;  // the re-send must come from the reconnect, not the timer
  ASSERT_TRUE(sdk.InitSDK(Params(backend), o).ok());
  ASSERT_TRUE(sdk.ProcessReady({.port = 1}).ok());
  auto fut = std::async(std::launch::async, [&] {
    return sdk.DescribePlayerSessions({.game_session_id = "gs"});
  });
  auto first = backend.WaitForAction("DescribePlayerSessions");
  ASSERT_TRUE(first);
  backend.DropConnections();
  ASSERT_TRUE(backend.WaitForConnections(2));
  auto result = fut.get();
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->player_sessions.size(), 1u);
  EXPECT_EQ(result->player_sessions[0].player_session_id, "psess-1");
  auto second = backend.WaitFor([](const ReceivedRequest& r) {
    return r.connection == 2 && r.message.action() == "DescribePlayerSessions";
  });
  ASSERT_TRUE(second);
  EXPECT_EQ(second->message.request_id, first->message.request_id);
  int activations = 0;
  for (const auto& r : backend.requests()) activations += r.message.action() == "ActivateServerProcess";
  EXPECT_EQ(activations, 1);
  auto t = backend.targets();
  EXPECT_EQ(QueryParams(t[0])["pID"], QueryParams(t[1])["pID"]);
  EXPECT_EQ(QueryParams(t[0])["IdempotencyToken"], QueryParams(t[1])["IdempotencyToken"]);
}

TEST(ServerSdk, HeartbeatsCarryHealthCheckResult) {
  FakeBackend backend;
  ServerSdk sdk;
  auto o = FastOptions();
  o.heartbeat_interval = 50ms;
  o.heartbeat_jitter = 10ms;
  ASSERT_TRUE(sdk.InitSDK(Params(backend), o).ok());
  std::atomic<int> checks{0};
  ASSERT_TRUE(sdk.ProcessReady({.on_health_check = [&] { return ++checks < 0; }}).ok());
  auto count_beats = [&] {
    int beats = 0;
    for (const auto& r : backend.requests()) {
      if (r.message.action() != "HeartbeatServerProcess") continue;
      EXPECT_FALSE(std::get<fleet::HeartbeatServerProcess>(r.message.body).health_status);
      ++beats;
    }
    return beats;
  };
  for (int i = 0; i < 200 && count_beats() < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(count_beats(), 3);
  EXPECT_GE(checks.load(), 3);
  ASSERT_TRUE(sdk.ProcessEnding().ok());
}

TEST(ServerSdk, FollowsRefreshConnection) {
  FakeBackend old_backend;
  FakeBackend new_backend;
  ServerSdk sdk;
  ASSERT_TRUE(sdk.InitSDK(Params(old_backend), FastOptions()).ok());
  ASSERT_TRUE(sdk.ProcessReady({}).ok());
  fleet::RefreshConnection r{new_backend.url(), "token-2"};
  ASSERT_TRUE(old_backend.Push(fleet::Encode(fleet::ServerMessage{"RefreshConnection", "", 200, "", r})));
  ASSERT_TRUE(new_backend.WaitForConnections(1));
  EXPECT_EQ(QueryParams(new_backend.targets()[0])["Authorization"], "token-2");
  auto code = old_backend.WaitForCloseCode();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1001);
  ASSERT_TRUE(sdk.ProcessEnding().ok());
  EXPECT_TRUE(new_backend.WaitForAction("TerminateServerProcess"));
  EXPECT_EQ(old_backend.connections(), 1);
}

}  // namespace
}  // namespace muster::sdk
