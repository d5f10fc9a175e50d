#include "fleet/protocol.h"

#include <gtest/gtest.h>

namespace muster::fleet {
namespace {

ClientMessage RoundTrip(const ClientMessage& in) {
  auto out = DecodeClientMessage(Encode(in));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message) << " for " << Encode(in);
  return out.ok() ? *out : ClientMessage{};
}

ServerMessage RoundTrip(const ServerMessage& in) {
  auto out = DecodeServerMessage(Encode(in));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message) << " for " << Encode(in);
  return out.ok() ? *out : ServerMessage{};
}

std::string ClientError(std::string_view frame, FrameHeader* header = nullptr) {
  auto r = DecodeClientMessage(frame, header);
  EXPECT_FALSE(r.ok()) << frame;
  return r.ok() ? "" : r.error().message;
}

std::string ServerError(std::string_view frame) {
  auto r = DecodeServerMessage(frame);
  EXPECT_FALSE(r.ok()) << frame;
  return r.ok() ? "" : r.error().message;
}

TEST(ClientMessages, EveryRequestRoundTrips) {
  ActivateServerProcess a{"5.4.0", "Cpp", "tool", "1.0", 7777, {"/var/log/game.log"}};
  BackfillPlayer p;
  p.player_id = "player-1";
  p.team = "red";
  p.player_attributes["skill"] = AttributeValue{"DOUBLE", std::nullopt, 23.5, {}, {}};
  p.player_attributes["mode"] = AttributeValue{"STRING", "ctf", std::nullopt, {}, {}};
  p.player_attributes["maps"] =
      AttributeValue{"STRING_LIST", std::nullopt, std::nullopt, std::vector<std::string>{"a", "b"}, {}};
  p.player_attributes["char"] = AttributeValue{"STRING_DOUBLE_MAP", std::nullopt, std::nullopt, {},
                                               std::map<std::string, double>{{"mage", 0.5}}};
  p.latency_in_ms["us-east-1"] = 42;
  const std::vector<ClientRequest> bodies = {
      a,
      ActivateServerProcess{"5.4.0", "Go", std::nullopt, std::nullopt, 0, {}},
      HeartbeatServerProcess{false},
      ActivateGameSession{"arn:aws:gamelift:local::gamesession/fleet-1/gs-1"},
      UpdatePlayerSessionCreationPolicy{"gs-1", "DENY_ALL"},
      AcceptPlayerSession{"gs-1", "psess-1"},
      RemovePlayerSession{"gs-1", "psess-1"},
      DescribePlayerSessions{"gs-1", "p1", std::nullopt, "ACTIVE", "tok", 10},
      DescribePlayerSessions{},
      StartMatchBackfill{"t-1", "arn:gs", "arn:mmc", {p}},
      StopMatchBackfill{"arn:gs", "arn:mmc", "t-1"},
      GetComputeCertificate{},
      GetFleetRoleCredentials{"arn:aws:iam::1:role/x", "sess"},
      TerminateServerProcess{},
  };
  for (const auto& body : bodies) {
    ClientMessage m{"req-" + std::to_string(body.index()), body};
    EXPECT_EQ(RoundTrip(m), m) << Encode(m);
  }
}

TEST(ClientMessages, EncodesEnvelopeAtTopLevel) {
  auto v = ParseJson(Encode(ClientMessage{"r1", AcceptPlayerSession{"gs", "ps"}}));
  ASSERT_TRUE(v.ok());
  const auto& o = v->as_object();
  EXPECT_EQ(o.at("Action"), "AcceptPlayerSession");
  EXPECT_EQ(o.at("RequestId"), "r1");
  EXPECT_EQ(o.at("GameSessionId"), "gs");
  EXPECT_EQ(o.at("PlayerSessionId"), "ps");
  auto act = ParseJson(Encode(ClientMessage{"r2", ActivateServerProcess{"5", "Cpp", {}, {}, 1, {}}}));
  EXPECT_TRUE(act->as_object().at("LogPaths").is_null());
  EXPECT_TRUE(act->as_object().at("Port").is_int64());
}

TEST(ClientMessages, ToleratesUnknownFieldsAndNulls) {
  auto r = DecodeClientMessage(
      R"({"Action":"AcceptPlayerSession","RequestId":"r","GameSessionId":"g","PlayerSessionId":"p","NewField":[1,2]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<AcceptPlayerSession>(r->body).player_session_id, "p");
  auto act = DecodeClientMessage(
      R"({"Action":"ActivateServerProcess","RequestId":"r","SdkVersion":"5","SdkLanguage":"Cpp","SdkToolName":null,"Port":1,"LogPaths":null})");
  ASSERT_TRUE(act.ok()) << act.error().message;
  EXPECT_FALSE(std::get<ActivateServerProcess>(act->body).sdk_tool_name.has_value());
}

TEST(ClientMessages, AcceptsGoSdkRoleArnTypo) {
  auto r = DecodeClientMessage(
      R"({"Action":"GetFleetRoleCredentials","RequestId":"r","RoleArnm":"arn:role","RoleSessionName":"s"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<GetFleetRoleCredentials>(r->body).role_arn, "arn:role");
}

TEST(ClientMessages, RejectsMalformedJson) {
  FrameHeader h;
  EXPECT_NE(ClientError(R"({"Action":"AcceptPlayerSession",)", &h).find("malformed JSON"),
            std::string::npos);
  EXPECT_EQ(h.action, "");
  EXPECT_NE(ClientError("").find("malformed JSON"), std::string::npos);
}

TEST(ClientMessages, RejectsNonObject) {
  EXPECT_EQ(ClientError(R"(["Action"])"), "frame must be a JSON object");
  EXPECT_EQ(ClientError("42"), "frame must be a JSON object");
}

TEST(ClientMessages, RejectsOversizedFrame) {
  std::string big = R"({"Action":"AcceptPlayerSession","RequestId":"r","X":")" +
                    std::string(kMaxClientFrameBytes, 'x') + "\"}";
  auto r = DecodeClientMessage(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(WireStatus(r.error().code), 400);
}

TEST(ClientMessages, RejectsTooDeep) {
  std::string deep = R"({"Action":"TerminateServerProcess","RequestId":"r","X":)" +
                     std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_NE(ClientError(deep).find("deeper"), std::string::npos);
}

TEST(ClientMessages, RejectsMissingOrUnknownAction) {
  FrameHeader h;
  EXPECT_EQ(ClientError(R"({"RequestId":"r1"})", &h), "Action: is required");
  EXPECT_EQ(h.request_id, "r1");
  h = {};
  EXPECT_EQ(ClientError(R"({"Action":"LaunchMissiles","RequestId":"r2"})", &h),
            "Action: unknown action \"LaunchMissiles\"");
  EXPECT_EQ(h.action, "LaunchMissiles");
  EXPECT_EQ(h.request_id, "r2");
  EXPECT_EQ(ClientError(R"({"Action":7,"RequestId":"r"})"), "Action: must be a string");
  // A push action is not something a game server may send.
  EXPECT_EQ(ClientError(R"({"Action":"CreateGameSession","RequestId":"r"})"),
            "Action: unknown action \"CreateGameSession\"");
}

TEST(ClientMessages, RejectsMissingOrBadRequestId) {
  FrameHeader h;
  EXPECT_EQ(ClientError(R"({"Action":"TerminateServerProcess"})", &h), "RequestId: is required");
  EXPECT_EQ(h.action, "TerminateServerProcess");
  EXPECT_EQ(ClientError(R"({"Action":"TerminateServerProcess","RequestId":""})"),
            "RequestId: must not be empty");
  EXPECT_EQ(ClientError(R"({"Action":"TerminateServerProcess","RequestId":5})"),
            "RequestId: must be a string");
}

TEST(ClientMessages, RejectsMissingRequiredFields) {
  FrameHeader h;
  EXPECT_EQ(ClientError(R"({"Action":"AcceptPlayerSession","RequestId":"r","GameSessionId":"g"})", &h),
            "PlayerSessionId: is required");
  EXPECT_EQ(h.action, "AcceptPlayerSession");
  EXPECT_EQ(h.request_id, "r");
  EXPECT_EQ(ClientError(R"({"Action":"ActivateGameSession","RequestId":"r"})"),
            "GameSessionId: is required");
  EXPECT_EQ(ClientError(R"({"Action":"HeartbeatServerProcess","RequestId":"r"})"),
            "HealthStatus: is required");
  EXPECT_EQ(ClientError(R"({"Action":"ActivateServerProcess","RequestId":"r","SdkVersion":"5","SdkLanguage":"Cpp"})"),
            "Port: is required");
  EXPECT_EQ(ClientError(R"({"Action":"StartMatchBackfill","RequestId":"r","GameSessionArn":"g","MatchmakingConfigurationArn":"m"})"),
            "Players: is required");
  EXPECT_EQ(ClientError(R"({"Action":"StopMatchBackfill","RequestId":"r","GameSessionArn":"g","MatchmakingConfigurationArn":"m"})"),
            "TicketId: is required");
  EXPECT_EQ(ClientError(R"({"Action":"GetFleetRoleCredentials","RequestId":"r"})"),
            "RoleArn: is required");
}

TEST(ClientMessages, RejectsWrongTypes) {
  const std::string act = R"({"Action":"ActivateServerProcess","RequestId":"r","SdkVersion":"5","SdkLanguage":"Cpp","Port":)";
  EXPECT_EQ(ClientError(act + "7777.0}"), "Port: must be an integer");
  EXPECT_EQ(ClientError(act + "\"7777\"}"), "Port: must be an integer");
  EXPECT_EQ(ClientError(act + "70000}"), "Port: must be between 0 and 65535");
  EXPECT_EQ(ClientError(act + "1,\"LogPaths\":[1]}"), "LogPaths: element 0 must be a string");
  EXPECT_EQ(ClientError(act + "1,\"LogPaths\":\"x\"}"), "LogPaths: must be an array");
  EXPECT_EQ(ClientError(R"({"Action":"HeartbeatServerProcess","RequestId":"r","HealthStatus":"true"})"),
            "HealthStatus: must be a boolean");
  EXPECT_EQ(ClientError(R"({"Action":"AcceptPlayerSession","RequestId":"r","GameSessionId":1,"PlayerSessionId":"p"})"),
            "GameSessionId: must be a string");
  EXPECT_EQ(ClientError(R"({"Action":"DescribePlayerSessions","RequestId":"r","Limit":2.5})"),
            "Limit: must be an integer");
  EXPECT_EQ(ClientError(R"({"Action":"UpdatePlayerSessionCreationPolicy","RequestId":"r","GameSessionId":"g","PlayerSessionPolicy":"SOMETIMES"})"),
            "PlayerSessionPolicy: must be ACCEPT_ALL or DENY_ALL");
}

TEST(ClientMessages, RejectsBadBackfillPlayers) {
  const std::string pre = R"({"Action":"StartMatchBackfill","RequestId":"r","GameSessionArn":"g","MatchmakingConfigurationArn":"m","Players":)";
  EXPECT_EQ(ClientError(pre + "[5]}"), "Players[0] must be a JSON object");
  EXPECT_EQ(ClientError(pre + "[{}]}"), "Players[0].PlayerId: is required");
  EXPECT_EQ(ClientError(pre + R"([{"PlayerId":"p","LatencyInMs":{"x":1.5}}]})"),
            "Players[0].LatencyInMs: value of \"x\" must be a non-negative integer");
  EXPECT_EQ(ClientError(pre + R"([{"PlayerId":"p","PlayerAttributes":{"s":{"AttrType":"BLOB"}}}]})"),
            "Players[0].PlayerAttributes.s.AttrType: must be one of NONE, STRING, DOUBLE, STRING_LIST, STRING_DOUBLE_MAP");
  EXPECT_EQ(ClientError(pre + R"([{"PlayerId":"p","PlayerAttributes":{"s":{"AttrType":"DOUBLE","N":"1"}}}]})"),
            "Players[0].PlayerAttributes.s.N: must be a number");
  EXPECT_EQ(ClientError(pre + R"([{"PlayerId":"p","PlayerAttributes":{"s":{"AttrType":"STRING_DOUBLE_MAP","SDM":{"a":"x"}}}}]})"),
            "Players[0].PlayerAttributes.s.SDM: values must be finite numbers");
}

TEST(ServerMessages, PushesRoundTrip) {
  CreateGameSession c{"arn:aws:gamelift:local::gamesession/fleet-1/gs-1", "name", 8, 7777,
                      "127.0.0.1", "host.local", "data", R"({"matchId":"m"})",
                      {{"mode", "ctf"}, {"map", "dust"}}};
  GameSessionInfo g{"gs", "n", "fleet-1", 4, 7000, "10.0.0.1", "d", "gd", "{}", {{"k", "v"}},
                    "local", "ACTIVE", ""};
  const std::vector<ServerMessage> msgs = {
      {"CreateGameSession", "", 200, "", c},
      {"CreateGameSession", "push-1", 200, "", c},
      {"UpdateGameSession", "", 200, "", UpdateGameSession{g, "BACKFILL_FAILED", "t-1"}},
      {"TerminateProcess", "", 200, "", TerminateProcess{1'763'000'000}},
      {"RefreshConnection", "", 200, "", RefreshConnection{"wss://h:9443", "tok"}},
  };
  for (const auto& m : msgs) {
    auto out = RoundTrip(m);
    EXPECT_EQ(out, m) << Encode(m);
    EXPECT_TRUE(out.is_push());
  }
}

TEST(ServerMessages, RepliesRoundTrip) {
  PlayerSessionInfo ps{"psess-1", "p1", "gs", "fleet-1", 1000, 2000, "ACTIVE", "127.0.0.1",
                       7777, "pd", "dns"};
  const std::vector<ServerMessage> msgs = {
      {"AcceptPlayerSession", "r1", 200, "", std::monostate{}},
      {"ActivateServerProcess", "r2", 200, "", std::monostate{}},
      {"DescribePlayerSessions", "r3", 200, "", DescribePlayerSessionsResult{{ps, ps}, "next"}},
      {"StartMatchBackfill", "r4", 200, "", StartMatchBackfillResult{"t-9"}},
      {"GetComputeCertificate", "r5", 200, "", GetComputeCertificateResult{"c", "/p"}},
      {"GetFleetRoleCredentials", "r6", 200, "",
       GetFleetRoleCredentialsResult{"AK", "SK", "ST", 123, "arn:u", "rid"}},
      {"AcceptPlayerSession", "r7", 400, "player session psess-1 is not RESERVED", std::monostate{}},
  };
  for (const auto& m : msgs) {
    auto out = RoundTrip(m);
    EXPECT_EQ(out, m) << Encode(m);
    EXPECT_FALSE(out.is_push());
  }
}

TEST(ServerMessages, EncodeReplyWithFields) {
  json::object fields;
  fields["TicketId"] = "t-1";
  std::string frame = EncodeReply("StartMatchBackfill", "r", 200, "", &fields);
  auto m = DecodeServerMessage(frame);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(std::get<StartMatchBackfillResult>(m->body).ticket_id, "t-1");
  auto e = DecodeServerMessage(EncodeReply("AcceptPlayerSession", "r", 404, "no such player session"));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->ok());
  EXPECT_EQ(e->error_message, "no such player session");
  EXPECT_EQ(ErrorFromStatus(e->status_code, e->error_message).code, ErrorCode::kNotFound);
}

TEST(ServerMessages, RejectsBadFrames) {
  EXPECT_NE(ServerError("{").find("malformed JSON"), std::string::npos);
  EXPECT_EQ(ServerError("[]"), "frame must be a JSON object");
  EXPECT_EQ(ServerError(R"({"RequestId":"r","StatusCode":200})"), "Action: is required");
  EXPECT_EQ(ServerError(R"({"Action":"Nope","StatusCode":200})"), "Action: unknown action \"Nope\"");
  EXPECT_EQ(ServerError(R"({"Action":"AcceptPlayerSession","RequestId":"r"})"),
            "StatusCode: is required in a reply");
  EXPECT_EQ(ServerError(R"({"Action":"AcceptPlayerSession","StatusCode":200})"),
            "RequestId: is required in a reply");
  EXPECT_EQ(ServerError(R"({"Action":"AcceptPlayerSession","RequestId":"r","StatusCode":200.0})"),
            "StatusCode: must be an integer");
  EXPECT_EQ(ServerError(R"({"Action":"CreateGameSession","GameSessionId":"g","Port":7777.5})"),
            "Port: must be an integer");
  EXPECT_EQ(ServerError(R"({"Action":"CreateGameSession"})"), "GameSessionId: is required");
  EXPECT_EQ(ServerError(R"({"Action":"CreateGameSession","GameSessionId":"g","GameProperties":{"a":1}})"),
            "GameProperties: value of \"a\" must be a string");
  EXPECT_EQ(ServerError(R"({"Action":"CreateGameSession","GameSessionId":"g","GameProperties":[]})"),
            "GameProperties: must be an object");
  EXPECT_EQ(ServerError(R"({"Action":"UpdateGameSession"})"), "GameSession: is required");
  EXPECT_EQ(ServerError(R"({"Action":"UpdateGameSession","GameSession":{"GameSessionId":"g","Port":"1"}})"),
            "GameSession.Port: must be an integer");
  EXPECT_EQ(ServerError(R"({"Action":"TerminateProcess","TerminationTime":1.5})"),
            "TerminationTime: must be an integer");
  EXPECT_EQ(ServerError(R"({"Action":"RefreshConnection","AuthToken":"t"})"),
            "RefreshConnectionEndpoint: is required");
  EXPECT_EQ(ServerError(R"({"Action":"DescribePlayerSessions","RequestId":"r","StatusCode":200,"PlayerSessions":[{"PlayerSessionId":"p","CreationTime":"x"}]})"),
            "PlayerSessions[0].CreationTime: must be an integer");
  std::string big = R"({"Action":"CreateGameSession","GameSessionId":"g","X":")" +
                    std::string(kMaxServerFrameBytes, 'x') + "\"}";
  auto r = DecodeServerMessage(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
}

TEST(ServerMessages, ErrorReplyBodyIsNotValidated) {
  // An error reply need not carry the success fields.
  auto m = DecodeServerMessage(
      R"({"Action":"DescribePlayerSessions","RequestId":"r","StatusCode":500,"PlayerSessions":"garbage"})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->status_code, 500);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m->body));
}

TEST(WireStatusMapping, CoversErrorCodes) {
  EXPECT_EQ(WireStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(WireStatus(ErrorCode::kUnauthorized), 401);
  EXPECT_EQ(WireStatus(ErrorCode::kForbidden), 403);
  EXPECT_EQ(WireStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(WireStatus(ErrorCode::kConflict), 409);
  EXPECT_EQ(WireStatus(ErrorCode::kLimitExceeded), 429);
  EXPECT_EQ(WireStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(ErrorFromStatus(409, "").code, ErrorCode::kConflict);
  EXPECT_EQ(ErrorFromStatus(502, "").message, "request failed with status 502");
}

// Found by fuzz.server_protocol_fuzz: a 74-digit number. It decodes and re-encodes; values agree
// to float rounding (Boost.JSON 1.81 reads number literals to within one ulp, not exactly).
TEST(Protocol, VeryLongNumberLiteralsReencode) {
  std::string frame = R"({"Action":"StartMatchBackfill","RequestId":"r4","GameSessionArn":"a",)"
                      R"("MatchmakingConfigurationArn":"c","Players":[{"PlayerId":"p","PlayerAttributes":)"
                      R"({"skill":{"AttrType":"DOUBLE","N":1066666666666666666666666666666666666666666666666666666666666666666666666}},)"
                      R"("LatencyInMs":{"custom-a":20},"Team":"red"}]})";
  auto m1 = DecodeClientMessage(frame);
  ASSERT_TRUE(m1.ok()) << m1.error().message;
  auto m2 = DecodeClientMessage(Encode(*m1));
  ASSERT_TRUE(m2.ok());
  auto n1 = std::get<StartMatchBackfill>(m1->body).players.at(0).player_attributes.at("skill").n.value();
  auto n2 = std::get<StartMatchBackfill>(m2->body).players.at(0).player_attributes.at("skill").n.value();
  EXPECT_NEAR(n2 / n1, 1.0, 1e-14);
}

}  // namespace
}  // namespace muster::fleet
