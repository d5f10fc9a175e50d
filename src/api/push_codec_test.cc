#include "api/push_codec.h"

#include <gtest/gtest.h>

namespace muster::api {
namespace {

PushRequest Parsed(std::string_view text) {
  auto r = ParsePushRequest(text, 60'000);
  if (auto* e = std::get_if<PushRequestError>(&r)) ADD_FAILURE() << text << ": " << e->error.message;
  return std::holds_alternative<PushRequest>(r) ? std::get<PushRequest>(r) : PushRequest{};
}

PushRequestError Refused(std::string_view text) {
  auto r = ParsePushRequest(text, 60'000);
  if (std::holds_alternative<PushRequest>(r)) {
    ADD_FAILURE() << text << " was accepted";
    return {};
  }
  return std::get<PushRequestError>(r);
}

TEST(PushCodecTest, ReadsEachAction) {
  PushRequest r = Parsed(R"({"action":"startMatchmaking","requestId":"r1","configuration":"ranked",
                            "latencies":{"custom-a":20,"custom-b":0}})");
  EXPECT_EQ(r.action, PushAction::kStartMatchmaking);
  EXPECT_EQ(r.request_id, "r1");
  EXPECT_EQ(r.configuration, "ranked");
  EXPECT_EQ(r.latencies, (std::map<std::string, int>{{"custom-a", 20}, {"custom-b", 0}}));
  r = Parsed(R"({"action":"startMatchmaking"})");
  EXPECT_TRUE(r.configuration.empty());
  EXPECT_TRUE(r.latencies.empty());
  r = Parsed(R"({"action":"stopMatchmaking","ticketId":"t1"})");
  EXPECT_EQ(r.action, PushAction::kStopMatchmaking);
  EXPECT_EQ(r.ticket_id, "t1");
  r = Parsed(R"({"action":"acceptMatch","ticketId":"t2","accept":false})");
  EXPECT_EQ(r.action, PushAction::kAcceptMatch);
  EXPECT_FALSE(r.accept);
  r = Parsed(R"({"action":"describeTicket","ticketId":"t3"})");
  EXPECT_EQ(r.action, PushAction::kDescribeTicket);
  EXPECT_EQ(Parsed(R"({"action":"ping"})").action, PushAction::kPing);
}

TEST(PushCodecTest, RefusesBadMessagesNamingTheFieldAndKeepingWhatIsReadable) {
  EXPECT_EQ(Refused("not json").error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Refused("[1,2]").error.code, ErrorCode::kInvalidArgument);
  PushRequestError e = Refused(R"({"requestId":"r9"})");
  EXPECT_EQ(e.request_id, "r9");
  EXPECT_NE(e.error.message.find("action"), std::string::npos);
  e = Refused(R"({"action":"fly","requestId":"r8"})");
  EXPECT_EQ(e.error.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.action, "fly");
  EXPECT_EQ(e.request_id, "r8");
  EXPECT_NE(e.error.message.find("startMatchmaking"), std::string::npos) << "lists the known actions";
  e = Refused(R"({"action":"stopMatchmaking"})");
  EXPECT_NE(e.error.message.find("ticketId"), std::string::npos);
  e = Refused(R"({"action":"acceptMatch","ticketId":"t"})");
  EXPECT_NE(e.error.message.find("accept"), std::string::npos);
  e = Refused(R"({"action":"startMatchmaking","latencies":{"a":-1}})");
  EXPECT_NE(e.error.message.find("latencies"), std::string::npos);
  e = Refused(R"({"action":"startMatchmaking","latencies":{"a":"fast"}})");
  EXPECT_NE(e.error.message.find("latencies"), std::string::npos);
  e = Refused(R"({"action":"ping","extra":1})");
  EXPECT_NE(e.error.message.find("extra"), std::string::npos);
  e = Refused(R"({"action":"ping","requestId":")" + std::string(65, 'x') + R"("})");
  EXPECT_NE(e.error.message.find("requestId"), std::string::npos);
  EXPECT_TRUE(e.request_id.empty()) << "a requestId too long is not repeated";
  EXPECT_EQ(Refused(std::string(kMaxPushMessageBytes + 1, ' ')).error.code, ErrorCode::kInvalidArgument);
}

TEST(PushCodecTest, AnswersCarryTheActionAndRequestId) {
  EXPECT_EQ(PushTicketReply(PushAction::kDescribeTicket, "r1", json::object{{"ticketId", "t"}}),
            R"({"type":"reply","action":"describeTicket","requestId":"r1","ticket":{"ticketId":"t"}})");
  EXPECT_EQ(PushPong("", "2026-12-06T00:00:00.000Z"), R"({"type":"pong","time":"2026-12-06T00:00:00.000Z"})");
  EXPECT_EQ(PushError("fly", "r2", Error::NotFound("unknown action")),
            R"({"type":"error","action":"fly","requestId":"r2","error":{"code":"NotFound","message":"unknown action"}})");
}

constexpr const char* kSucceeded = R"({"version":"0","detail-type":"GameLift Matchmaking Event","detail":{
  "type":"MatchmakingSucceeded","matchId":"m1",
  "tickets":[{"ticketId":"t1","players":[{"playerId":"alice","team":"red"}]},
             {"ticketId":"t2","players":[{"playerId":"bob","team":"blue"},{"playerId":"carol","team":"blue"}]}],
  "gameSessionInfo":{"ipAddress":"10.0.0.1","port":7777,"players":[
    {"playerId":"alice","playerSessionId":"psess-a","team":"red"},
    {"playerId":"bob","playerSessionId":"psess-b","team":"blue"},
    {"playerId":"carol","playerSessionId":"psess-c","team":"blue"}]}}})";

TEST(PushCodecTest, AnEventShowsAPlayerOnlyItsOwnTicketsAndSeat) {
  auto forBob = EventForPlayer(kSucceeded, "bob");
  ASSERT_TRUE(forBob);
  auto v = ParseJson(*forBob);
  ASSERT_TRUE(v.ok());
  const json::object& d = v->at("detail").as_object();
  ASSERT_EQ(d.at("tickets").as_array().size(), 1u);
  EXPECT_EQ(d.at("tickets").as_array()[0].at("ticketId"), "t2");
  const json::array& players = d.at("gameSessionInfo").at("players").as_array();
  ASSERT_EQ(players.size(), 1u);
  EXPECT_EQ(players[0].at("playerSessionId"), "psess-b");
  EXPECT_EQ(d.at("gameSessionInfo").at("ipAddress"), "10.0.0.1");
  EXPECT_EQ(v->at("detail-type"), "GameLift Matchmaking Event");
  EXPECT_EQ(forBob->find("psess-a"), std::string::npos);
  EXPECT_EQ(forBob->find("alice"), std::string::npos);
  EXPECT_FALSE(EventForPlayer(kSucceeded, "mallory"));
  EXPECT_FALSE(EventForPlayer("not json", "bob"));
  EXPECT_FALSE(EventForPlayer(R"({"detail":{"tickets":"x"}})", "bob"));
}

}  // namespace
}  // namespace muster::api
