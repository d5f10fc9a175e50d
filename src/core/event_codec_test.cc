#include "core/event_codec.h"

#include <gtest/gtest.h>

namespace muster::core {
namespace {

TEST(EventCodec, PlacementEventsRoundTripThroughTheOutboxJson) {
  PlacementFulfilled f{"match-1", {"arn:gs/1", "10.0.0.1", "host.local", 7777, "custom-a"}, {{"p1", "psess-1"}, {"p2", "psess-2"}}};
  auto back = DecodeOutboxEvent("placement", ToJson(PlacementDetail(f)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const auto& g = std::get<PlacementFulfilled>(*back);
  EXPECT_EQ(g.placement_id, "match-1");
  EXPECT_EQ(g.endpoint, f.endpoint);
  EXPECT_EQ(g.placed_player_sessions, f.placed_player_sessions);

  for (auto kind : {PlacementEnded::Kind::kTimedOut, PlacementEnded::Kind::kCancelled, PlacementEnded::Kind::kFailed}) {
    PlacementEnded e{kind, "match-2", "no capacity"};
    auto b = DecodeOutboxEvent("placement", ToJson(PlacementDetail(e)));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(std::get<PlacementEnded>(*b).kind, kind);
    EXPECT_EQ(std::get<PlacementEnded>(*b).reason, "no capacity");
  }
  EXPECT_STREQ(TopicOf(Notice(f)), "placement");
  EXPECT_STREQ(TopicOf(Notice(GameSessionEnded{})), "fleet");
  EXPECT_STREQ(TopicOf(Notice(MatchmakingEvent{})), "matchmaking");
}

TEST(EventCodec, AMatchmakingEnvelopeGivesItsTicketsAndPlayers) {
  const char* body = R"({"version":"0","detail-type":"GameLift Matchmaking Event","detail":{
    "type":"MatchmakingSucceeded","tickets":[
      {"ticketId":"t1","players":[{"playerId":"a"},{"playerId":"b"}]},
      {"ticketId":"t2","players":[{"playerId":"c"}]}]}})";
  auto e = DecodeOutboxEvent("matchmaking", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  const auto& m = std::get<MatchmakingEvent>(*e);
  EXPECT_EQ(m.type, "MatchmakingSucceeded");
  EXPECT_EQ(m.ticket_ids, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(m.player_ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m.body, body);
}

TEST(EventCodec, ADamagedEventIsAnErrorNamingTheField) {
  struct Case {
    const char* topic;
    const char* body;
    const char* names;
  } cases[] = {
      {"placement", R"({"type":"PlacementFulfilled","placementId":"m","gameSessionArn":"g","ipAddress":"i",
                      "dnsName":"d","port":"7777","location":"l","placedPlayerSessions":[]})", "'port'"},
      {"placement", R"({"type":"PlacementFulfilled","placementId":"m","gameSessionArn":"g","ipAddress":"i",
                      "dnsName":"d","port":1,"location":"l","placedPlayerSessions":[{"playerId":"p"}]})",
       "placedPlayerSessions[0]"},
      {"placement", R"({"type":"PlacementTimedOut","placementId":"m"})", "'reason'"},
      {"placement", R"({"type":"Nope","placementId":"m"})", "unknown type 'Nope'"},
      {"placement", R"({"placementId":"m"})", "'type'"},
      {"matchmaking", R"({"detail":{"type":"MatchmakingSearching"}})", "detail.tickets"},
      {"matchmaking", R"({"detail":{"type":"X","tickets":[{"ticketId":"t","players":[{}]}]}})",
       "detail.tickets[0].players[0].playerId"},
      {"matchmaking", R"({"detail":{"tickets":[]}})", "detail.type"},
      {"matchmaking", R"([1,2])", "not a JSON object"},
      {"matchmaking", R"({"detail":)", "matchmaking event"},
      {"fleet", R"({})", "unknown topic 'fleet'"},
  };
  for (const auto& c : cases) {
    auto r = DecodeOutboxEvent(c.topic, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.names), std::string::npos) << r.error().message << " / " << c.names;
  }
}

}  // namespace
}  // namespace muster::core
