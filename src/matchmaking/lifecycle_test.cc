#include "matchmaking/lifecycle.h"

#include <gtest/gtest.h>

#include <set>

#include <map>

#include "fleet/fleet_core.h"
#include "placement/placement_core.h"

namespace muster::matchmaking {
namespace {

constexpr const char* kRules = R"({
  "name": "t", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "SkillBand", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100},
            {"name": "LowLatency", "type": "latency", "maxLatency": 150}],
  "expansions": [{"target": "rules[SkillBand].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 1000}]}]
})";

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest()
      : fleet_(env_, fleet::FleetOptions{}), placement_(env_, fleet_), mm_(env_, placement_, "local", "123") {
    fleet_.PutCompute({"f", "c", "loc-a", "127.0.0.1", "", "tok", 0});
    placement_.PutFleet("f", {"loc-a"});
    placement::QueueConfig q;
    q.name = "q";
    q.fleets = {"f"};
    placement_.PutQueue(q);
    EXPECT_TRUE(mm_.PutConfiguration(Spec("cfg")).ok());
    fleet_.Subscribe(bus_);
    placement_.Subscribe(bus_);
    mm_.Subscribe(bus_);
  }

  // A matchmaking run with its requests carried out by the server side, as the node's bus does.
  core::Effects Run() { return bus_.Cascade(mm_.Run()); }

  // A configuration of kRules on queue q, ARN "arn:<name>".
  static ConfigurationSpec Spec(const std::string& name) {
    ConfigurationSpec spec;
    spec.name = name;
    spec.arn = "arn:" + name;
    spec.rule_set = ParseRuleSet(kRules).value();
    spec.queue_name = "q";
    spec.request_timeout_ms = 60'000;
    return spec;
  }

  std::vector<PlayerInput> Player(const std::string& id, double skill) {
    PlayerInput p;
    p.player_id = id;
    p.attributes["skill"] = AttributeValue::Number(skill);
    p.latency_ms["loc-a"] = 30;
    return {p};
  }

  std::string ReadyProcess() {
    std::string key;
    EXPECT_TRUE(fleet_.Connect(1, "f", "c", "p1", &key).ok());
    EXPECT_TRUE(fleet_.ActivateServerProcess(key, 7777, "5", "Cpp").ok());
    return key;
  }

  static std::vector<std::string> EventTypes(const core::Effects& fx) {
    std::vector<std::string> out;
    for (const auto& n : fx.notices) {
      if (const auto* e = std::get_if<core::MatchmakingEvent>(&n)) out.push_back(e->type);
    }
    return out;
  }

  ManualClock clock_;
  SeededRandom random_{1};
  Env env_{clock_, random_};
  fleet::FleetCore fleet_;
  placement::PlacementCore placement_;
  MatchmakingCore mm_;
  bus::Bus bus_;
};

TEST_F(LifecycleTest, FourPlayersSearchMatchPlaceComplete) {
  std::string key = ReadyProcess();
  for (int i = 0; i < 4; ++i) {
    auto fx = mm_.StartTicket("cfg", "t" + std::to_string(i), Player("p" + std::to_string(i), 1000 + i), "id" + std::to_string(i));
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(mm_.Find("t" + std::to_string(i))->status, TicketStatus::kQueued);
  }
  auto run = Run();
  auto types = EventTypes(run);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MatchmakingSearching"), 4);
  EXPECT_EQ(std::count(types.begin(), types.end(), "PotentialMatchCreated"), 1);
  ASSERT_EQ(run.pushes.size(), 1u);  // CreateGameSession to the one process
  EXPECT_EQ(mm_.Find("t0")->status, TicketStatus::kPlacing);

  const auto* p = placement_.Find(mm_.Find("t0")->match_id);
  ASSERT_NE(p, nullptr);
  auto act = fleet_.ActivateGameSession(key, p->game_session_arn);
  ASSERT_TRUE(act.ok());
  auto placed = placement_.OnFleetNotice(act->notices.at(0));
  auto done = mm_.OnPlacementNotice(placed.notices.at(0));
  EXPECT_EQ(EventTypes(done), std::vector<std::string>{"MatchmakingSucceeded"});
  // Completed tickets leave memory; their final rows carry the connection info.
  EXPECT_EQ(mm_.LiveTickets(), 0u);
  int completed = 0;
  for (const auto& w : done.writes) {
    if (w.table != store::Table::kTickets) continue;
    auto t = MatchmakingCore::FromRow(w.row);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->status, TicketStatus::kCompleted);
    EXPECT_EQ(t->port, 7777);
    ASSERT_EQ(t->matched_player_sessions.size(), 1u);
    EXPECT_EQ(t->matched_player_sessions[0].player_session_id.rfind("psess-", 0), 0u);
    ++completed;
  }
  EXPECT_EQ(completed, 4);
  const auto& event = std::get<core::MatchmakingEvent>(done.notices.back());
  EXPECT_EQ(event.ticket_ids.size(), 4u);
  EXPECT_EQ(event.player_ids.size(), 4u);
  auto envelope = ParseJson(event.body);
  ASSERT_TRUE(envelope.ok());
  const auto& detail = envelope->at("detail").as_object();
  EXPECT_EQ(detail.at("gameSessionInfo").at("players").as_array().size(), 4u);
}

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& kv : o) out.emplace_back(kv.key());
  return out;
}

TEST_F(LifecycleTest, EventsAreWrittenAsBoostWritesTheirDocumentsInTheManagedServicesOrder) {
  ConfigurationSpec spec = Spec("custom");
  spec.custom_event_data = "custom \"data\"\n";
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  std::string key = ReadyProcess();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(mm_.StartTicket("custom", "t" + std::to_string(i), Player("p\"" + std::to_string(i), 1000), "").ok());
  }
  auto run = Run();
  const auto* p = placement_.Find(mm_.Find("t0")->match_id);
  ASSERT_NE(p, nullptr);
  auto act = fleet_.ActivateGameSession(key, p->game_session_arn);
  ASSERT_TRUE(act.ok());
  auto done = mm_.OnPlacementNotice(placement_.OnFleetNotice(act->notices.at(0)).notices.at(0));
  run.Append(std::move(done));
  const std::vector<std::string> envelope_keys{"version", "id",     "detail-type", "source", "account",
                                               "time",    "region", "resources",   "detail"};
  const std::map<std::string, std::vector<std::string>> detail_keys{
      {"MatchmakingSearching", {"type", "tickets", "gameSessionInfo", "customEventData", "estimatedWaitMillis"}},
      {"PotentialMatchCreated",
       {"type", "tickets", "gameSessionInfo", "customEventData", "acceptanceRequired", "ruleEvaluationMetrics", "matchId"}},
      {"MatchmakingSucceeded", {"type", "tickets", "gameSessionInfo", "customEventData", "matchId"}}};
  std::set<std::string> seen;
  ASSERT_EQ(run.events.size(), 6u);
  std::vector<std::string> bodies;  // of the matchmaking events among the notices (requests too)
  for (const auto& n : run.notices) {
    if (const auto* e = std::get_if<core::MatchmakingEvent>(&n)) bodies.push_back(e->body);
  }
  ASSERT_EQ(bodies.size(), run.events.size());
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    const std::string& body = run.events[i].body;
    EXPECT_EQ(bodies[i], body);
    auto doc = ParseJson(body);
    ASSERT_TRUE(doc.ok()) << body;
    EXPECT_EQ(ToJson(*doc), body);  // the same bytes Boost.JSON writes for the document
    EXPECT_EQ(Keys(doc->as_object()), envelope_keys);
    const auto& detail = doc->at("detail").as_object();
    const std::string type(detail.at("type").as_string());
    seen.insert(type);
    ASSERT_TRUE(detail_keys.count(type)) << type;
    EXPECT_EQ(Keys(detail), detail_keys.at(type)) << type;
    EXPECT_EQ(detail.at("customEventData"), "custom \"data\"\n");
    if (type == "MatchmakingSucceeded") {
      // The game session's own info (from placement) took the place of the players-only one.
      const auto& info = detail.at("gameSessionInfo").as_object();
      EXPECT_EQ(info.at("port").as_int64(), 7777);
      EXPECT_EQ(info.at("players").as_array().size(), 4u);
      EXPECT_EQ(std::string(info.at("players").as_array()[0].at("playerSessionId").as_string()).rfind("psess-", 0), 0u);
    }
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(LifecycleTest, TimesOutWithEvent) {
  ASSERT_TRUE(mm_.StartTicket("cfg", "lonely", Player("p", 1000), "id").ok());
  Run();
  clock_.Advance(60'000);
  auto fx = Run();
  EXPECT_EQ(EventTypes(fx), std::vector<std::string>{"MatchmakingTimedOut"});
  EXPECT_EQ(mm_.Find("lonely"), nullptr);
}

TEST_F(LifecycleTest, CancelOnlyWhileSearching) {
  ASSERT_TRUE(mm_.StartTicket("cfg", "t", Player("p", 1000), "id").ok());
  auto fx = mm_.StopTicket("t");
  ASSERT_TRUE(fx.ok());
  EXPECT_EQ(EventTypes(*fx), std::vector<std::string>{"MatchmakingCancelled"});
  EXPECT_EQ(mm_.StopTicket("t").error().code, ErrorCode::kNotFound);
}

TEST_F(LifecycleTest, PlacementTimeoutFailsTickets) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(mm_.StartTicket("cfg", "t" + std::to_string(i), Player("p" + std::to_string(i), 1000), "").ok());
  Run();  // matched, but no process: placement pending
  EXPECT_EQ(mm_.Find("t0")->status, TicketStatus::kPlacing);
  clock_.Advance(600'000);
  auto timed_out = placement_.Pump();
  auto fx = mm_.OnPlacementNotice(timed_out.notices.at(0));
  auto types = EventTypes(fx);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MatchmakingFailed"), 4);
}

TEST_F(LifecycleTest, DuplicateTicketAndBadConfiguration) {
  ASSERT_TRUE(mm_.StartTicket("cfg", "t", Player("p", 1000), "").ok());
  EXPECT_EQ(mm_.StartTicket("cfg", "t", Player("q", 1000), "").error().code, ErrorCode::kConflict);
  EXPECT_EQ(mm_.StartTicket("nope", "u", Player("q", 1000), "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(mm_.StartTicket("cfg", "bad id!", Player("q", 1000), "").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(LifecycleTest, APlayerHasOneLiveTicketAndItsTeamIsStoredWithIt) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(mm_.StartTicket("cfg", "t" + std::to_string(i), Player("p" + std::to_string(i), 1000), "").ok());
  }
  auto run = Run();  // matched, waiting for placement (no process)
  ASSERT_EQ(mm_.Find("t0")->status, TicketStatus::kPlacing);
  auto again = mm_.StartTicket("cfg", "t9", Player("p0", 1000), "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  // The team chosen by the match is part of the stored ticket, so it survives a restart.
  std::string team;
  for (const auto& w : run.writes) {
    if (w.table == store::Table::kTickets && w.row.id == "t0" && w.row.status == "PLACING") {
      team = MatchmakingCore::FromRow(w.row)->players.at(0).team;
    }
  }
  EXPECT_TRUE(team == "red" || team == "blue") << team;
  // Once the ticket ended, the player may search again.
  ASSERT_TRUE(mm_.StartTicket("cfg", "lonely", Player("solo", 1000), "").ok());
  ASSERT_TRUE(mm_.StopTicket("lonely").ok());
  EXPECT_TRUE(mm_.StartTicket("cfg", "lonely-2", Player("solo", 1000), "").ok());
}

// The rule is per configuration (docs/matchmaking.md): a player may search in two game modes at
// once, as configurations may be owned by different threads (and, later, nodes). Reloaded tickets
// keep the rule.
TEST_F(LifecycleTest, APlayerHasOneLiveTicketPerConfiguration) {
  ASSERT_TRUE(mm_.PutConfiguration(Spec("other")).ok());
  ASSERT_TRUE(mm_.StartTicket("cfg", "a", Player("p", 1000), "").ok());
  auto in_other = mm_.StartTicket("other", "b", Player("p", 1000), "");
  ASSERT_TRUE(in_other.ok()) << in_other.error().message;
  auto twice = mm_.StartTicket("other", "c", Player("p", 1000), "");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  EXPECT_NE(twice.error().message.find("'other'"), std::string::npos) << twice.error().message;
  // Ending the ticket in one configuration frees the player there only.
  ASSERT_TRUE(mm_.StopTicket("a").ok());
  EXPECT_TRUE(mm_.StartTicket("cfg", "d", Player("p", 1000), "").ok());
  EXPECT_EQ(mm_.StartTicket("other", "e", Player("p", 1000), "").error().code, ErrorCode::kConflict);
}

TEST_F(LifecycleTest, TicketsOfAVanishedConfigurationFailWithTheirEvent) {
  ASSERT_TRUE(mm_.StartTicket("cfg", "t", Player("p", 1000), "").ok());
  Ticket t = *mm_.Find("t");
  t.configuration_name = "gone";
  MatchmakingCore fresh(env_, placement_, "local", "123");
  auto fx = fresh.Restore({t});
  ASSERT_EQ(EventTypes(fx), std::vector<std::string>{"MatchmakingFailed"});
  EXPECT_EQ(ParseJson(std::get<core::MatchmakingEvent>(fx.notices[0]).body)->at("resources").as_array()[0].as_string(),
            "arn:aws:gamelift:local:123:matchmakingconfiguration/gone");
}

// Every field of a ticket as one document, to compare tickets.
json::object Fields(const Ticket& t) {
  json::array players;
  for (const auto& p : t.players) {
    json::object attrs;
    for (const auto& [name, v] : p.attributes) attrs[name] = AttributeValueToJson(v);
    json::object lat;
    for (const auto& [loc, ms] : p.latency_ms) lat[loc] = ms;
    players.push_back(json::object{{"id", p.player_id}, {"team", p.team}, {"attrs", attrs}, {"lat", lat}});
  }
  json::array mps;
  for (const auto& m : t.matched_player_sessions) mps.push_back(json::array{m.player_id.c_str(), m.player_session_id.c_str()});
  json::object acc;
  for (const auto& [id, yes] : t.acceptance) acc[id] = yes;
  return json::object{{"id", t.ticket_id}, {"cfg", t.configuration_name}, {"owner", t.owner},
                      {"status", TicketStatusName(t.status)}, {"reason", t.status_reason},
                      {"message", t.status_message}, {"start", t.start_time}, {"end", t.end_time},
                      {"players", players}, {"match", t.match_id}, {"arn", t.game_session_arn},
                      {"ip", t.ip_address}, {"dns", t.dns_name}, {"port", t.port}, {"mps", mps},
                      {"acc", acc}, {"acc_deadline", t.acceptance_deadline}, {"backfill", t.backfill},
                      {"auto_backfill", t.auto_backfill}, {"bf_arn", t.backfill_game_session_arn},
                      {"wait", t.estimated_wait_ms}, {"deadline", t.search_deadline}};
}

TEST_F(LifecycleTest, ATicketRowReadsBackEveryFieldSetOrLeftAtItsDefault) {
  Ticket bare;
  bare.ticket_id = "t0";
  bare.configuration_name = "cfg";
  bare.start_time = 5;
  bare.players = Player("p0", 1000);
  bare.players[0].attributes.clear();
  bare.players[0].latency_ms.clear();
  auto bare_row = MatchmakingCore::ToRow(bare, 1);
  // Defaults are left out of the row: it holds the ids, the start and the player only.
  EXPECT_EQ(bare_row.body, R"({"TicketId":"t0","ConfigurationName":"cfg","StartTime":5,"Players":[{"PlayerId":"p0"}]})");
  auto bare_back = MatchmakingCore::FromRow(bare_row);
  ASSERT_TRUE(bare_back.ok()) << bare_back.error().message;
  EXPECT_EQ(Fields(*bare_back), Fields(bare));
  EXPECT_EQ(bare_back->estimated_wait_ms, -1);

  Ticket full = bare;
  full.ticket_id = "t1";
  full.owner = "us-east-1:owner";
  full.status = TicketStatus::kRequiresAcceptance;
  full.status_reason = "Reason \"quoted\"";
  full.status_message = "line\nbreak";
  full.end_time = 9;
  full.players = Player("p1", 1234.5);
  full.players[0].team = "red";
  full.players[0].latency_ms = {{"loc-a", 20}, {"loc-b", 0}};
  full.match_id = "m";
  full.game_session_arn = "arn:gs";
  full.ip_address = "10.0.0.1";
  full.dns_name = "host.example";
  full.port = 7777;
  full.matched_player_sessions = {{"p1", "psess-1"}};
  full.acceptance = {{"p1", true}, {"p2", false}};
  full.acceptance_deadline = 99;
  full.backfill = true;
  full.auto_backfill = true;
  full.backfill_game_session_arn = "arn:bf";
  full.estimated_wait_ms = 0;
  full.search_deadline = 60'005;
  auto full_row = MatchmakingCore::ToRow(full, 1);
  EXPECT_EQ(full_row.status, "REQUIRES_ACCEPTANCE");
  EXPECT_EQ(full_row.index, "us-east-1:owner");
  auto full_back = MatchmakingCore::FromRow(full_row);
  ASSERT_TRUE(full_back.ok()) << full_back.error().message;
  EXPECT_EQ(Fields(*full_back), Fields(full));
}

TEST_F(LifecycleTest, ARowWrittenWithEveryDefaultSpeltOutStillReads) {
  // The shape rows had before defaults were left out (stores written by earlier versions).
  store::Row row;
  row.id = "t";
  row.status = "COMPLETED";
  row.body = R"({"TicketId":"t","ConfigurationName":"duel","Owner":"","StatusReason":"","StatusMessage":"",)"
             R"("StartTime":17,"EndTime":21,"Players":[{"PlayerId":"p","PlayerAttributes":{},"LatencyInMs":{},)"
             R"("Team":"red"}],"MatchId":"m","GameSessionArn":"","IpAddress":"","DnsName":"","Port":0,)"
             R"("MatchedPlayerSessions":[],"Acceptance":{},"AcceptanceDeadline":0,"Backfill":false,)"
             R"("AutoBackfill":false,"BackfillGameSessionArn":"","EstimatedWaitMs":-1,"SearchDeadline":600017})";
  auto t = MatchmakingCore::FromRow(row);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->status, TicketStatus::kCompleted);
  EXPECT_EQ(t->end_time, 21);
  EXPECT_EQ(t->players.at(0).team, "red");
  EXPECT_EQ(t->estimated_wait_ms, -1);
  EXPECT_EQ(t->search_deadline, 600017);
  // Written again, it is the short form.
  EXPECT_EQ(MatchmakingCore::ToRow(*t, 0).body.find("\"Port\""), std::string::npos);
}

TEST_F(LifecycleTest, RestoreResumesSearchingTickets) {
  ASSERT_TRUE(mm_.StartTicket("cfg", "t", Player("p", 1000), "owner").ok());
  auto row = MatchmakingCore::ToRow(*mm_.Find("t"), 0);
  MatchmakingCore again(env_, placement_, "local", "123");
  ConfigurationSpec spec;
  spec.name = "cfg";
  spec.rule_set = ParseRuleSet(kRules).value();
  spec.queue_name = "q";
  ASSERT_TRUE(again.PutConfiguration(spec).ok());
  again.Restore({MatchmakingCore::FromRow(row).value()});
  ASSERT_NE(again.Find("t"), nullptr);
  EXPECT_EQ(again.Find("t")->owner, "owner");
  EXPECT_EQ(again.Find("t")->players[0].attributes.at("skill").n, 1000);
}

// At a restart, a placing match whose placement is not pending asks again (the shell answers from
// the store, node/repeats.h); a backfill match sends its BackfillRequested again (the placement
// core answers it from the session when the session already carries that match's data).
TEST_F(LifecycleTest, RestoredPlacingMatchesWithoutAPendingPlacementAskAgain) {
  Ticket a;
  a.ticket_id = "a";
  a.configuration_name = "cfg";
  a.status = TicketStatus::kPlacing;
  a.match_id = "m-1";
  a.players = Player("pa", 1000);
  a.players[0].team = "red";
  Ticket b = a;
  b.ticket_id = "b";
  b.players = Player("pb", 1000);
  b.players[0].team = "blue";
  // A backfill match: the backfill ticket and the new player it matched, both PLACING.
  Ticket filler = a;
  filler.ticket_id = "filler";
  filler.match_id = "m-2";
  filler.players = Player("pc", 1000);
  Ticket backfill = filler;
  backfill.ticket_id = "backfill";
  backfill.backfill = true;
  backfill.backfill_game_session_arn = "arn:gs";
  backfill.players = Player("pd", 1000);

  MatchmakingCore fresh(env_, placement_, "local", "123");
  ASSERT_TRUE(fresh.PutConfiguration(Spec("cfg")).ok());
  auto fx = fresh.Restore({filler, a, backfill, b});
  std::vector<const core::PlacementRepeated*> repeats;
  std::vector<const core::BackfillRequested*> backfills;
  for (const auto& n : fx.notices) {
    if (const auto* r = std::get_if<core::PlacementRepeated>(&n)) repeats.push_back(r);
    if (const auto* r = std::get_if<core::BackfillRequested>(&n)) backfills.push_back(r);
  }
  ASSERT_EQ(repeats.size(), 1u);
  ASSERT_EQ(backfills.size(), 1u);
  EXPECT_EQ(backfills[0]->placement_id, "m-2");
  EXPECT_EQ(backfills[0]->game_session_arn, "arn:gs");
  EXPECT_EQ(backfills[0]->backfill_ticket_id, "backfill");
  ASSERT_EQ(backfills[0]->players.size(), 1u);  // the new player, not those already in the session
  EXPECT_EQ(backfills[0]->players[0].player_id, "pc");
  const core::PlacementRequest& req = repeats[0]->request;
  EXPECT_EQ(req.placement_id, "m-1");
  EXPECT_EQ(req.queue_name, "q");
  ASSERT_EQ(req.players.size(), 2u);
  EXPECT_EQ(req.players[0].latency_ms.at("loc-a"), 30);
  EXPECT_NE(req.matchmaker_data.find("\"red\""), std::string::npos) << req.matchmaker_data;
  ASSERT_NE(fresh.Find("a"), nullptr);
  EXPECT_EQ(fresh.Find("a")->status, TicketStatus::kPlacing);
  for (const char* id : {"filler", "backfill"}) {
    ASSERT_NE(fresh.Find(id), nullptr) << id;
    EXPECT_EQ(fresh.Find(id)->status, TicketStatus::kPlacing) << id;
  }
  EXPECT_TRUE(EventTypes(fx).empty());

  // Its answer completes it as a first answer would.
  auto done = fresh.OnPlacementNotice(core::PlacementFulfilled{
      "m-1", core::Endpoint{"arn:gs-9", "10.0.0.9", "", 7000, "loc-a"}, {{"pa", "psess-a"}, {"pb", "psess-b"}}});
  EXPECT_EQ(EventTypes(done), std::vector<std::string>{"MatchmakingSucceeded"});
  EXPECT_EQ(fresh.Find("a"), nullptr);
}

// A restore reconciles with the server side: a backfill ticket of a game session that is no
// longer live (its GameSessionEnded was lost between the two sides) ends as it would have, and a
// pending placement it asked for but no longer places (its stop was lost) is stopped.
TEST_F(LifecycleTest, ARestoreEndsWhatALostNoticeBetweenTheSidesWouldHaveEnded) {
  Ticket backfill;
  backfill.ticket_id = "backfill";
  backfill.configuration_name = "cfg";
  backfill.status = TicketStatus::kSearching;
  backfill.backfill = true;
  backfill.backfill_game_session_arn = "arn:gone";
  backfill.players = Player("pd", 1000);
  backfill.players[0].team = "red";
  // A pending placement of a match whose tickets have ended (none is restored).
  placement::PlacementRequest request;
  request.placement_id = "m-old";
  request.queue_name = "q";
  request.max_players = 2;
  request.players = {{"pa", "", {{"loc-a", 30}}}};
  request.matchmaker_data = "{}";
  ASSERT_TRUE(placement_.Start(request).ok());
  // And one the management API would start (no matchmaker data): not matchmaking's to stop.
  request.placement_id = "api";
  request.matchmaker_data.clear();
  ASSERT_TRUE(placement_.Start(request).ok());

  // A STANDALONE configuration's backfill of the game's own session, which the server side does
  // not know: it goes on searching.
  ConfigurationSpec solo = Spec("solo");
  solo.mode = FlexMatchMode::kStandalone;
  solo.queue_name.clear();
  Ticket own = backfill;
  own.ticket_id = "own";
  own.configuration_name = "solo";
  own.backfill_game_session_arn = "the-games-own-session";

  MatchmakingCore fresh(env_, placement_, "local", "123");
  ASSERT_TRUE(fresh.PutConfiguration(Spec("cfg")).ok());
  ASSERT_TRUE(fresh.PutConfiguration(solo).ok());
  auto fx = fresh.Restore({backfill, own});
  std::vector<std::string> stopped;
  for (const auto& n : fx.notices) {
    if (const auto* s = std::get_if<core::PlacementStopRequested>(&n)) stopped.push_back(s->placement_id);
    EXPECT_FALSE(std::holds_alternative<core::BackfillStatus>(n));  // no game server to tell
  }
  EXPECT_EQ(stopped, std::vector<std::string>{"m-old"});
  EXPECT_EQ(fresh.Find("backfill"), nullptr);
  ASSERT_NE(fresh.Find("own"), nullptr);
  EXPECT_EQ(fresh.Find("own")->status, TicketStatus::kSearching);
  EXPECT_EQ(EventTypes(fx), std::vector<std::string>{"MatchmakingCancelled"});

  // When the two sides agree, nothing.
  MatchmakingCore agreed(env_, placement_, "local", "123");
  ASSERT_TRUE(agreed.PutConfiguration(Spec("cfg")).ok());
  ASSERT_TRUE(placement_.Stop("m-old").ok());
  EXPECT_TRUE(agreed.Restore({}).empty());
}

}  // namespace
}  // namespace muster::matchmaking
