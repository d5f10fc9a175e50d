// Acceptance, STANDALONE mode, wait estimates and backfill through the real fleet and placement
// cores (no mocks): each test drives the lifecycle on a manual clock and reads its effects.
#include <gtest/gtest.h>

#include <deque>

#include "fleet/fleet_core.h"
#include "fleet/protocol.h"
#include "matchmaking/lifecycle.h"
#include "placement/placement_core.h"

namespace muster::matchmaking {
namespace {

constexpr const char* kRules = R"({
  "name": "t", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}],
  "rules": [{"name": "SkillBand", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100}]
})";

class FlowTest : public ::testing::Test {
 protected:
  FlowTest() : fleet_(env_, fleet::FleetOptions{}), placement_(env_, fleet_), mm_(env_, placement_, "local", "123") {
    fleet_.PutCompute({"f", "c", "loc-a", "127.0.0.1", "", "tok", 0});
    placement_.PutFleet("f", {"loc-a"});
    placement::QueueConfig q;
    q.name = "q";
    q.fleets = {"f"};
    placement_.PutQueue(q);
    fleet_.Subscribe(bus_);
    placement_.Subscribe(bus_);
    mm_.Subscribe(bus_);
  }

  ConfigurationSpec Spec() {
    ConfigurationSpec spec;
    spec.name = "cfg";
    spec.arn = "arn:cfg";
    spec.rule_set = ParseRuleSet(kRules).value();
    spec.queue_name = "q";
    spec.request_timeout_ms = 60'000;
    return spec;
  }

  static std::vector<PlayerInput> Player(const std::string& id, double skill = 1000, const std::string& team = "") {
    PlayerInput p;
    p.player_id = id;
    p.attributes["skill"] = AttributeValue::Number(skill);
    p.latency_ms["loc-a"] = 30;
    p.team = team;
    return {p};
  }

  // Cascades the cores' notices and requests through a bus wired as the node's.
  core::Effects Deliver(core::Effects fx) { return bus_.Cascade(std::move(fx)); }

  std::string ReadyProcess(const std::string& pid = "p1", std::uint64_t conn = 1) {
    std::string key;
    EXPECT_TRUE(fleet_.Connect(conn, "f", "c", pid, &key).ok());
    EXPECT_TRUE(fleet_.ActivateServerProcess(key, 7777, "5", "Cpp").ok());
    return key;
  }

  static std::vector<std::string> Types(const core::Effects& fx) {
    std::vector<std::string> out;
    for (const auto& n : fx.notices) {
      if (const auto* e = std::get_if<core::MatchmakingEvent>(&n)) out.push_back(e->type);
    }
    return out;
  }
  // The detail of the first event of `type` in `fx`, parsed from its JSON text (kept by the
  // fixture), or nullptr.
  const json::object* Detail(const core::Effects& fx, const std::string& type) {
    for (const auto& n : fx.notices) {
      const auto* e = std::get_if<core::MatchmakingEvent>(&n);
      if (!e || e->type != type) continue;
      auto envelope = ParseJson(e->body);
      EXPECT_TRUE(envelope.ok()) << e->body;
      if (!envelope.ok()) return nullptr;
      details_.push_back(envelope->at("detail").as_object());
      return &details_.back();
    }
    return nullptr;
  }
  std::deque<json::object> details_;

  void StartTwo() {
    ASSERT_TRUE(mm_.StartTicket("cfg", "a", Player("pa"), "").ok());
    ASSERT_TRUE(mm_.StartTicket("cfg", "b", Player("pb"), "").ok());
  }

  // Configures `spec`, matches pa and pb onto a ready process and activates their game session;
  // returns its ARN (the process key is in key_).
  std::string ActiveSession(const ConfigurationSpec& spec) {
    EXPECT_TRUE(mm_.PutConfiguration(spec).ok());
    key_ = ReadyProcess();
    StartTwo();
    Deliver(mm_.Run());
    std::string arn = placement_.Find(mm_.Find("a")->match_id)->game_session_arn;
    Deliver(fleet_.ActivateGameSession(key_, arn).value());
    return arn;
  }

  std::string key_;
  ManualClock clock_;
  SeededRandom random_{1};
  Env env_{clock_, random_};
  fleet::FleetCore fleet_;
  placement::PlacementCore placement_;
  MatchmakingCore mm_;
  bus::Bus bus_;
};

// Matchmaking never calls the server side's cores: a match asks for its placement with a request,
// and the answer (PlacementFulfilled, or PlacementEnded for a refusal) completes or fails it.
TEST_F(FlowTest, AMatchAsksTheServerSideForItsPlacementAndHearsTheAnswer) {
  auto spec = Spec();
  spec.additional_player_count = 3;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  std::string key = ReadyProcess();
  StartTwo();
  auto fx = mm_.Run();  // not cascaded: nothing reaches the placement core
  EXPECT_EQ(placement_.PendingCount(), 0u);
  EXPECT_TRUE(fx.pushes.empty());
  for (const auto& w : fx.writes) EXPECT_EQ(w.table, store::Table::kTickets);
  const core::PlacementRequest* req = nullptr;
  for (const auto& n : fx.notices) {
    if (const auto* r = std::get_if<core::PlacementRequested>(&n)) req = &r->request;
  }
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->placement_id, mm_.Find("a")->match_id);
  EXPECT_EQ(req->queue_name, "q");
  EXPECT_EQ(req->max_players, 4 + 3);  // both teams full, plus the additional players
  ASSERT_EQ(req->players.size(), 2u);
  EXPECT_EQ(req->players[0].latency_ms.at("loc-a"), 30);
  EXPECT_NE(req->matchmaker_data.find(spec.arn), std::string::npos);
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kPlacing);

  // Carried out: the game session is created on the process; its activation completes the match.
  auto placed = Deliver(std::move(fx));
  ASSERT_EQ(placed.pushes.size(), 1u);
  EXPECT_EQ(placed.pushes[0].process_key, key);
  std::string arn = placement_.Find(mm_.Find("a")->match_id)->game_session_arn;
  auto active = Deliver(fleet_.ActivateGameSession(key, arn).value());
  EXPECT_EQ(Types(active), std::vector<std::string>{"MatchmakingSucceeded"});
  EXPECT_EQ(mm_.Find("a"), nullptr);

  // A request the server side refuses fails the match's tickets with the reason.
  StartTwo();
  fx = mm_.Run();
  std::string match = mm_.Find("a")->match_id;
  auto refused = mm_.OnPlacementNotice(core::PlacementEnded{core::PlacementEnded::Kind::kFailed, match, "no room"});
  EXPECT_EQ(Types(refused), (std::vector<std::string>{"MatchmakingFailed", "MatchmakingFailed"}));  // one per ticket
  EXPECT_EQ(mm_.Find("a"), nullptr);
  EXPECT_NE(refused.writes.back().row.body.find("no room"), std::string::npos);
}

TEST_F(FlowTest, AcceptanceByEveryPlayerMovesToPlacing) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 30'000;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  StartTwo();
  auto fx = Deliver(mm_.Run());
  const auto* created = Detail(fx, "PotentialMatchCreated");
  ASSERT_NE(created, nullptr);
  EXPECT_TRUE(created->at("acceptanceRequired").as_bool());
  EXPECT_EQ(created->at("acceptanceTimeout").as_int64(), 30);
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kRequiresAcceptance);
  EXPECT_TRUE(fx.pushes.empty());  // nothing placed before acceptance

  // A ticket not in REQUIRES_ACCEPTANCE, an unknown player, an unknown ticket: clear errors.
  EXPECT_EQ(mm_.AcceptMatch("a", {"stranger"}, true).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mm_.AcceptMatch("nope", {"pa"}, true).error().code, ErrorCode::kNotFound);

  auto first = mm_.AcceptMatch("a", {"pa"}, true);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Types(*first), std::vector<std::string>{"AcceptMatch"});
  const auto* am = Detail(*first, "AcceptMatch");
  bool saw_accepted = false;
  for (const auto& p : am->at("gameSessionInfo").at("players").as_array()) {
    if (p.at("playerId") == "pa") saw_accepted = p.at("accepted").as_bool();
  }
  EXPECT_TRUE(saw_accepted);
  ReadyProcess();
  auto second = Deliver(mm_.AcceptMatch("b", {"pb"}, true).value());
  auto types = Types(second);
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0], "AcceptMatch");
  EXPECT_EQ(types[1], "AcceptMatchCompleted");
  EXPECT_EQ(Detail(second, "AcceptMatchCompleted")->at("acceptance"), "Accepted");
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kPlacing);
  EXPECT_EQ(second.pushes.size(), 1u);  // CreateGameSession
}

TEST_F(FlowTest, ARejectingPlayerCancelsOnlyTheirTicket) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 30'000;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  StartTwo();
  mm_.Run();
  ASSERT_TRUE(mm_.AcceptMatch("a", {"pa"}, true).ok());
  auto fx = mm_.AcceptMatch("b", {"pb"}, false);
  ASSERT_TRUE(fx.ok());
  EXPECT_EQ(Detail(*fx, "AcceptMatchCompleted")->at("acceptance"), "Rejected");
  EXPECT_EQ(mm_.Find("b"), nullptr);  // cancelled and gone
  ASSERT_NE(mm_.Find("a"), nullptr);
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kSearching);
  EXPECT_TRUE(mm_.Find("a")->players[0].team.empty());
  auto types = Types(*fx);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MatchmakingCancelled"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MatchmakingSearching"), 1);
  // The one left searching is matched again with a newcomer.
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  mm_.Run();
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kRequiresAcceptance);
  EXPECT_EQ(mm_.Find("c")->status, TicketStatus::kRequiresAcceptance);
  // The player who rejected may start again.
  EXPECT_TRUE(mm_.StartTicket("cfg", "b2", Player("pb"), "").ok());
}

TEST_F(FlowTest, AcceptanceTimeoutCancelsSilentTicketsAndReturnsAcceptedOnes) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 10'000;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  StartTwo();
  mm_.Run();
  ASSERT_TRUE(mm_.AcceptMatch("a", {"pa"}, true).ok());
  clock_.Advance(9'999);
  EXPECT_TRUE(Types(mm_.Run()).empty());
  clock_.Advance(1);
  auto fx = mm_.Run();
  EXPECT_EQ(Detail(fx, "AcceptMatchCompleted")->at("acceptance"), "TimedOut");
  EXPECT_EQ(mm_.Find("b"), nullptr);
  EXPECT_EQ(mm_.Find("a")->status, TicketStatus::kSearching);
  // The request timeout still counts from the original start.
  clock_.Advance(50'000);
  auto later = mm_.Run();
  EXPECT_EQ(Types(later), std::vector<std::string>{"MatchmakingTimedOut"});
}

TEST_F(FlowTest, AcceptanceSurvivesARestart) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 30'000;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  StartTwo();
  mm_.Run();
  auto accepted = mm_.AcceptMatch("a", {"pa"}, true);
  ASSERT_TRUE(accepted.ok());
  // What the store holds after that commit, read back by a fresh core (a restarted node).
  std::vector<Ticket> rows;
  for (const char* id : {"a", "b"}) rows.push_back(MatchmakingCore::FromRow(MatchmakingCore::ToRow(*mm_.Find(id), 0)).value());
  MatchmakingCore again(env_, placement_, "local", "123");
  ASSERT_TRUE(again.PutConfiguration(spec).ok());
  again.Restore(rows);
  ASSERT_EQ(again.Find("a")->status, TicketStatus::kRequiresAcceptance);
  EXPECT_TRUE(again.Find("a")->acceptance.at("pa"));
  auto done = again.AcceptMatch("b", {"pb"}, true);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(Detail(*done, "AcceptMatchCompleted")->at("acceptance").as_string(), "Accepted");
  EXPECT_EQ(again.Find("a")->status, TicketStatus::kPlacing);
  // The deadline survived too: a second restored copy times out at the original time.
  MatchmakingCore third(env_, placement_, "local", "123");
  ASSERT_TRUE(third.PutConfiguration(spec).ok());
  third.Restore(rows);
  clock_.Advance(30'000);
  auto fx = third.Run();
  EXPECT_EQ(Detail(fx, "AcceptMatchCompleted")->at("acceptance").as_string(), "TimedOut");
}

TEST_F(FlowTest, AcceptanceConfigurationNeedsATimeout) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 0;
  EXPECT_EQ(mm_.PutConfiguration(spec).error().code, ErrorCode::kInvalidArgument);
  spec.acceptance_timeout_ms = 601'000;
  EXPECT_EQ(mm_.PutConfiguration(spec).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(FlowTest, StandaloneCompletesWithTeamsAndNoPlacement) {
  auto spec = Spec();
  spec.mode = FlexMatchMode::kStandalone;
  spec.queue_name.clear();
  spec.custom_event_data = "tournament-7";
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  StartTwo();
  auto fx = mm_.Run();
  EXPECT_TRUE(fx.pushes.empty());
  EXPECT_EQ(placement_.PendingCount(), 0u);
  const auto* ok = Detail(fx, "MatchmakingSucceeded");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->at("customEventData"), "tournament-7");
  std::set<std::string> teams;
  for (const auto& p : ok->at("gameSessionInfo").at("players").as_array()) {
    teams.insert(std::string(p.at("team").as_string()));
  }
  EXPECT_EQ(teams, (std::set<std::string>{"red", "blue"}));
  EXPECT_EQ(mm_.Find("a"), nullptr);
  bool completed = false;
  for (const auto& w : fx.writes) {
    if (w.row.id == "a" && w.row.status == "COMPLETED") completed = true;
  }
  EXPECT_TRUE(completed);
}

TEST_F(FlowTest, WithQueueModeNeedsAnExistingQueue) {
  auto spec = Spec();
  spec.queue_name = "missing";
  EXPECT_EQ(mm_.PutConfiguration(spec).error().code, ErrorCode::kNotFound);
}

TEST_F(FlowTest, EstimatedWaitComesFromRecentMatches) {
  auto spec = Spec();
  spec.mode = FlexMatchMode::kStandalone;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  EXPECT_EQ(mm_.EstimatedWait("cfg"), -1);
  ASSERT_TRUE(mm_.StartTicket("cfg", "a", Player("pa"), "").ok());
  auto searching = mm_.Run();
  EXPECT_EQ(Detail(searching, "MatchmakingSearching")->at("estimatedWaitMillis"), "NOT_AVAILABLE");
  clock_.Advance(4'000);
  ASSERT_TRUE(mm_.StartTicket("cfg", "b", Player("pb"), "").ok());
  mm_.Run();  // waits: a 4 s, b 0 s
  clock_.Advance(1'000);
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  clock_.Advance(6'000);
  ASSERT_TRUE(mm_.StartTicket("cfg", "d", Player("pd"), "").ok());
  mm_.Run();  // waits: c 6 s, d 0 s → history {4, 0, 6, 0}
  EXPECT_EQ(mm_.EstimatedWait("cfg"), 4'000);
  ASSERT_TRUE(mm_.StartTicket("cfg", "e", Player("pe"), "").ok());
  EXPECT_EQ(mm_.Find("e")->estimated_wait_ms, 4'000);
  EXPECT_EQ(TicketToApiJson(*mm_.Find("e"), "arn").at("EstimatedWaitTime").as_int64(), 4);
  auto fx = mm_.Run();
  EXPECT_EQ(Detail(fx, "MatchmakingSearching")->at("estimatedWaitMillis").as_int64(), 4);
  // History older than 15 minutes no longer counts.
  clock_.Advance(16 * 60'000);
  EXPECT_EQ(mm_.EstimatedWait("cfg"), -1);
}

TEST_F(FlowTest, EventsCarryGameSessionPlayersAndRuleMetrics) {
  ASSERT_TRUE(mm_.PutConfiguration(Spec()).ok());
  StartTwo();
  auto fx = mm_.Run();
  const auto* created = Detail(fx, "PotentialMatchCreated");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->at("gameSessionInfo").at("players").as_array().size(), 2u);
  const auto& metrics = created->at("ruleEvaluationMetrics").as_array();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].at("ruleName"), "SkillBand");
  EXPECT_GE(metrics[0].at("passedCount").as_int64(), 1);
}

TEST_F(FlowTest, GamePropertiesAndSessionDataReachTheGameServer) {
  auto spec = Spec();
  spec.game_properties = {{"mode", "ctf"}, {"map", "dunes"}};
  spec.game_session_data = "seed=42";
  spec.additional_player_count = 3;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ReadyProcess();
  StartTwo();
  auto fx = Deliver(mm_.Run());
  ASSERT_EQ(fx.pushes.size(), 1u);
  auto frame = fleet::DecodeServerMessage(fx.pushes[0].frame);
  ASSERT_TRUE(frame.ok()) << frame.error().message;
  const auto& cgs = std::get<fleet::CreateGameSession>(frame->body);
  EXPECT_EQ(cgs.game_properties.at("mode"), "ctf");
  EXPECT_EQ(cgs.game_properties.at("map"), "dunes");
  EXPECT_EQ(cgs.game_session_data, "seed=42");
  EXPECT_EQ(cgs.maximum_player_session_count, 4 + 3);  // both teams at their maximum, plus 3
  auto data = ParseJson(cgs.matchmaker_data, {}).value().as_object();
  EXPECT_EQ(data.at("matchmakingConfigurationArn"), "arn:cfg");
  EXPECT_EQ(data.at("teams").as_array().size(), 2u);
}


TEST_F(FlowTest, ManualBackfillFillsTheRunningSession) {
  ASSERT_TRUE(mm_.PutConfiguration(Spec()).ok());
  std::string key = ReadyProcess();
  StartTwo();
  auto placed = Deliver(mm_.Run());
  const auto* p = placement_.Find(mm_.Find("a")->match_id);
  ASSERT_NE(p, nullptr);
  std::string arn = p->game_session_arn;
  auto active = Deliver(fleet_.ActivateGameSession(key, arn).value());
  ASSERT_EQ(Types(active), std::vector<std::string>{"MatchmakingSucceeded"});

  // The game server asks for backfill with its current players and their teams.
  std::vector<PlayerInput> current;
  auto succeeded = ParseJson(std::get<core::MatchmakingEvent>(active.notices.back()).body);
  ASSERT_TRUE(succeeded.ok());
  for (const auto& pl : succeeded->at("detail").at("gameSessionInfo").at("players").as_array()) {
    auto in = Player(std::string(pl.at("playerId").as_string()), 1000, std::string(pl.at("team").as_string()))[0];
    current.push_back(in);
  }
  auto no_team = current;
  no_team[0].team.clear();
  EXPECT_EQ(mm_.StartBackfill("cfg", "bf0", arn, no_team).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mm_.StartBackfill("cfg", "bf0", "arn:unknown", current).error().code, ErrorCode::kNotFound);
  // Only the configuration that made the session's match backfills it.
  auto other = Spec();
  other.name = "other";
  other.arn = "arn:other";
  ASSERT_TRUE(mm_.PutConfiguration(other).ok());
  auto wrong = mm_.StartBackfill("other", "bf0", arn, current);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.error().message.find("arn:cfg"), std::string::npos) << wrong.error().message;
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf", arn, current).ok());
  EXPECT_TRUE(Types(mm_.Run()) == std::vector<std::string>{"MatchmakingSearching"});  // alone: no match

  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc", 1020), "").ok());
  auto fx = Deliver(mm_.Run());
  auto types = Types(fx);
  ASSERT_EQ(std::count(types.begin(), types.end(), "MatchmakingSucceeded"), 1);
  const auto* ok = Detail(fx, "MatchmakingSucceeded");
  EXPECT_EQ(ok->at("gameSessionInfo").at("gameSessionArn").as_string(), arn);
  EXPECT_EQ(ok->at("tickets").as_array().size(), 2u);
  // The game server hears of its new player in UpdateGameSession with the new MatchmakerData.
  ASSERT_EQ(fx.pushes.size(), 1u);
  auto frame = fleet::DecodeServerMessage(fx.pushes[0].frame);
  ASSERT_TRUE(frame.ok());
  const auto& update = std::get<fleet::UpdateGameSession>(frame->body);
  EXPECT_EQ(update.update_reason, "MATCHMAKING_DATA_UPDATED");
  EXPECT_EQ(update.backfill_ticket_id, "bf");
  auto data = ParseJson(update.game_session.matchmaker_data, {}).value().as_object();
  int players = 0;
  for (const auto& team : data.at("teams").as_array()) players += static_cast<int>(team.at("players").as_array().size());
  EXPECT_EQ(players, 3);
  // The newcomer has a RESERVED player session in that game session; the old players kept theirs.
  const fleet::GameSession* gs = fleet_.FindGameSession(arn);
  EXPECT_EQ(fleet_.OccupiedSlots(*gs), 3);
  bool c_completed = false;
  for (const auto& w : fx.writes) {
    if (w.row.id != "c" || w.row.status != "COMPLETED") continue;
    auto t = MatchmakingCore::FromRow(w.row).value();
    c_completed = t.game_session_arn == arn && t.matched_player_sessions.size() == 1;
  }
  EXPECT_TRUE(c_completed);
  // Kept their teams: the backfill ticket's players are where they were.
  for (const auto& team : data.at("teams").as_array()) {
    for (const auto& pl : team.at("players").as_array()) {
      for (const auto& cur : current) {
        if (pl.at("playerId").as_string() == cur.player_id) {
          EXPECT_EQ(team.at("name").as_string(), cur.team);
        }
      }
    }
  }
}

TEST_F(FlowTest, ANewBackfillRequestReplacesTheSearchingOne) {
  std::string arn = ActiveSession(Spec());
  auto first = mm_.StartBackfill("cfg", "bf1", arn, Player("pa", 1000, "red"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->pushes.empty());  // nothing to replace
  mm_.CommitStart("bf1");
  mm_.Run();
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf2", arn, Player("pa", 1000, "red")).ok());
  // Until the new ticket is stored, the old one keeps the session; an abort leaves it so.
  mm_.AbortStart("bf2");
  ASSERT_NE(mm_.Find("bf1"), nullptr);
  EXPECT_EQ(mm_.Find("bf1")->status, TicketStatus::kSearching);
  auto started = mm_.StartBackfill("cfg", "bf2", arn, Player("pa", 1000, "red"));
  ASSERT_TRUE(started.ok());
  // One commit holds both: the new ticket first, then the old one's end.
  auto fx = Deliver(std::move(started).value());
  EXPECT_EQ(fx.writes.front().row.id, "bf2");
  mm_.CommitStart("bf2");
  EXPECT_EQ(mm_.Find("bf1"), nullptr);
  ASSERT_NE(mm_.Find("bf2"), nullptr);
  EXPECT_EQ(Detail(fx, "MatchmakingCancelled")->at("tickets").as_array()[0].at("ticketId").as_string(), "bf1");
  ASSERT_EQ(fx.pushes.size(), 1u);
  auto update = std::get<fleet::UpdateGameSession>(fleet::DecodeServerMessage(fx.pushes[0].frame).value().body);
  EXPECT_EQ(update.update_reason, "BACKFILL_CANCELLED");
  EXPECT_EQ(update.backfill_ticket_id, "bf1");
  bool cancelled = false;
  for (const auto& w : fx.writes) cancelled = cancelled || (w.row.id == "bf1" && w.row.status == "CANCELLED");
  EXPECT_TRUE(cancelled);
  // The replacement is the session's backfill: it fills the open slot.
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  auto filled = Deliver(mm_.Run());
  ASSERT_EQ(filled.pushes.size(), 1u);
  EXPECT_EQ(std::get<fleet::UpdateGameSession>(fleet::DecodeServerMessage(filled.pushes[0].frame).value().body)
                .backfill_ticket_id, "bf2");
}

TEST_F(FlowTest, ABackfillInAProposedMatchIsNotReplaced) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 30'000;
  spec.mode = FlexMatchMode::kStandalone;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf1", "session-1", Player("p1", 1000, "red")).ok());
  ASSERT_TRUE(mm_.StartTicket("cfg", "n", Player("pn"), "").ok());
  mm_.Run();
  ASSERT_EQ(mm_.Find("bf1")->status, TicketStatus::kRequiresAcceptance);
  auto again = mm_.StartBackfill("cfg", "bf2", "session-1", Player("p1", 1000, "red"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("REQUIRES_ACCEPTANCE"), std::string::npos) << again.error().message;
}

TEST_F(FlowTest, StoppingABackfillTellsTheGameServer) {
  std::string arn = ActiveSession(Spec());
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf", arn, Player("pa", 1000, "red")).ok());
  auto fx = mm_.StopTicket("bf");
  ASSERT_TRUE(fx.ok());
  *fx = Deliver(std::move(fx).value());  // the fleet tells the game server
  ASSERT_EQ(fx->pushes.size(), 1u);
  auto frame = fleet::DecodeServerMessage(fx->pushes[0].frame).value();
  EXPECT_EQ(std::get<fleet::UpdateGameSession>(frame.body).update_reason, "BACKFILL_CANCELLED");
  // A new backfill for the same session is allowed once the old one ended.
  EXPECT_TRUE(mm_.StartBackfill("cfg", "bf2", arn, Player("pa", 1000, "red")).ok());
  // The game session ending cancels its backfill.
  auto ended = Deliver(fleet_.TerminateServerProcess(key_).value());
  EXPECT_EQ(mm_.Find("bf2"), nullptr);
}

TEST_F(FlowTest, TwoBackfillTicketsAreNeverMatchedTogether) {
  auto spec = Spec();
  spec.mode = FlexMatchMode::kStandalone;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf1", "session-1", Player("p1", 1000, "red")).ok());
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf2", "session-2", Player("p2", 1000, "blue")).ok());
  auto fx = mm_.Run();
  EXPECT_EQ(Detail(fx, "PotentialMatchCreated"), nullptr);
  ASSERT_TRUE(mm_.StartTicket("cfg", "n", Player("pn", 1000), "").ok());
  auto one = mm_.Run();
  const auto* ok = Detail(one, "MatchmakingSucceeded");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->at("tickets").as_array().size(), 2u);  // one backfill ticket and the newcomer
  EXPECT_TRUE((mm_.Find("bf1") == nullptr) != (mm_.Find("bf2") == nullptr));
}

TEST_F(FlowTest, AutomaticBackfillStartsForOpenSlots) {
  auto spec = Spec();
  spec.backfill_mode = BackfillMode::kAutomatic;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  std::string key = ReadyProcess();
  StartTwo();
  auto placed = Deliver(mm_.Run());
  auto frame = fleet::DecodeServerMessage(placed.pushes.at(0).frame).value();
  auto data = ParseJson(std::get<fleet::CreateGameSession>(frame.body).matchmaker_data, {}).value().as_object();
  EXPECT_EQ(data.at("autoBackfillMode"), "AUTOMATIC");
  std::string arn = placement_.Find(mm_.Find("a")->match_id)->game_session_arn;
  auto active = Deliver(fleet_.ActivateGameSession(key, arn).value());
  // 2 of 4 slots taken: an automatic backfill ticket searches for the session.
  auto types = Types(active);
  EXPECT_EQ(types.back(), "MatchmakingSucceeded");
  EXPECT_EQ(mm_.LiveTickets(), 1u);
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  auto fx = Deliver(mm_.Run());
  ASSERT_EQ(fx.pushes.size(), 1u);
  auto update = std::get<fleet::UpdateGameSession>(fleet::DecodeServerMessage(fx.pushes[0].frame).value().body);
  EXPECT_EQ(update.backfill_ticket_id.rfind("auto-backfill-", 0), 0u);
  auto newdata = ParseJson(update.game_session.matchmaker_data, {}).value().as_object();
  EXPECT_EQ(newdata.at("autoBackfillTicketId").as_string(), update.backfill_ticket_id);
  // Still one slot open: another automatic ticket takes over.
  EXPECT_EQ(mm_.LiveTickets(), 1u);
  ASSERT_TRUE(mm_.StartTicket("cfg", "d", Player("pd"), "").ok());
  Deliver(mm_.Run());
  EXPECT_EQ(fleet_.OccupiedSlots(*fleet_.FindGameSession(arn)), 4);
  EXPECT_EQ(mm_.LiveTickets(), 0u);  // full: no more backfill
}

// --- review regressions ---------------------------------------------------------------------

TEST_F(FlowTest, PlayersOfABackfilledSessionMaySearchAgain) {
  auto spec = Spec();
  spec.backfill_mode = BackfillMode::kAutomatic;
  std::string arn = ActiveSession(spec);
  ASSERT_EQ(mm_.LiveTickets(), 1u);  // the automatic backfill ticket lists pa and pb
  // pa wants another game while the automatic backfill of theirs searches.
  ASSERT_TRUE(mm_.StartTicket("cfg", "again", Player("pa"), "").ok());
  // pa's own ticket is not the newcomer that fills pa's session.
  auto fx = Deliver(mm_.Run());
  EXPECT_EQ(Detail(fx, "MatchmakingSucceeded"), nullptr);
  EXPECT_EQ(fleet_.OccupiedSlots(*fleet_.FindGameSession(arn)), 2);
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  fx = Deliver(mm_.Run());
  // Either pc filled the session (pa still searching for another game) or pa and pc made a new
  // match; never pa twice in one session.
  if (!fx.pushes.empty()) {
    auto frame = fleet::DecodeServerMessage(fx.pushes[0].frame).value();
    auto data = ParseJson(std::get<fleet::UpdateGameSession>(frame.body).game_session.matchmaker_data, {})
                    .value().as_object();
    std::vector<std::string> ids;
    for (const auto& team : data.at("teams").as_array()) {
      for (const auto& pl : team.at("players").as_array()) ids.emplace_back(pl.at("playerId").as_string());
    }
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::string>{"pa", "pb", "pc"}));
    ASSERT_NE(mm_.Find("again"), nullptr);
    EXPECT_EQ(mm_.Find("again")->status, TicketStatus::kSearching);
  } else {
    ASSERT_NE(mm_.Find("again"), nullptr);
    EXPECT_EQ(mm_.Find("again")->match_id, mm_.Find("c")->match_id);
    EXPECT_FALSE(mm_.Find("again")->match_id.empty());
  }
}

// One live backfill ticket per session and configuration (docs/matchmaking.md): configurations
// may be owned by different matchmaking sides, which share nothing. The session's end cancels
// every one of them.
TEST_F(FlowTest, ASessionHasOneLiveBackfillTicketPerConfigurationAndItsEndCancelsThemAll) {
  auto spec = Spec();
  spec.mode = FlexMatchMode::kStandalone;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  spec.name = "other";
  spec.arn = "arn:other";
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf-1", "session-9", Player("px", 1000, "red")).ok());
  mm_.CommitStart("bf-1");
  ASSERT_TRUE(mm_.StartBackfill("other", "bf-2", "session-9", Player("px", 1000, "red")).ok());
  mm_.CommitStart("bf-2");
  EXPECT_NE(mm_.Find("bf-1"), nullptr);  // not replaced by the other configuration's
  // The same configuration's request replaces its searching ticket.
  ASSERT_TRUE(mm_.StartBackfill("other", "bf-3", "session-9", Player("px", 1000, "red")).ok());
  mm_.CommitStart("bf-3");
  EXPECT_EQ(mm_.Find("bf-2"), nullptr);
  auto fx = mm_.OnFleetNotice(core::GameSessionEnded{"", "session-9", "the game session ended"});
  EXPECT_EQ(mm_.Find("bf-1"), nullptr);
  EXPECT_EQ(mm_.Find("bf-3"), nullptr);
  int cancelled = 0;
  for (const auto& w : fx.writes) cancelled += w.row.status == "CANCELLED";
  EXPECT_EQ(cancelled, 2);
}

TEST_F(FlowTest, ABackfillMayListAPlayerWhoSearchesOnTheirOwn) {
  auto spec = Spec();
  spec.mode = FlexMatchMode::kStandalone;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ASSERT_TRUE(mm_.StartTicket("cfg", "solo", Player("px"), "").ok());
  EXPECT_TRUE(mm_.StartBackfill("cfg", "bf", "session-9", Player("px", 1000, "red")).ok());
  EXPECT_EQ(mm_.StartTicket("cfg", "solo2", Player("px"), "").error().code, ErrorCode::kConflict);
  auto fx = mm_.Run();  // px's own ticket cannot fill px's session
  EXPECT_EQ(Detail(fx, "MatchmakingSucceeded"), nullptr);
  ASSERT_TRUE(mm_.StartTicket("cfg", "n", Player("pn"), "").ok());
  fx = mm_.Run();
  const auto* ok = Detail(fx, "MatchmakingSucceeded");
  ASSERT_NE(ok, nullptr);
  std::vector<std::string> ids;
  for (const auto& t : ok->at("tickets").as_array()) {
    for (const auto& pl : t.at("players").as_array()) ids.emplace_back(pl.at("playerId").as_string());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end()) << "a player twice in one match";
}

TEST_F(FlowTest, RequestTimeoutIsFixedWhenTheTicketStarts) {
  auto spec = Spec();  // 60 s
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  ASSERT_TRUE(mm_.StartTicket("cfg", "a", Player("pa"), "").ok());
  mm_.Run();
  spec.request_timeout_ms = 300'000;  // an update applies to tickets started after it
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  Ticket stored = MatchmakingCore::FromRow(MatchmakingCore::ToRow(*mm_.Find("a"), 0)).value();
  EXPECT_EQ(stored.search_deadline, stored.start_time + 60'000);
  // A restarted node keeps the same deadline as this one.
  MatchmakingCore again(env_, placement_, "local", "123");
  ASSERT_TRUE(again.PutConfiguration(spec).ok());
  again.Restore({stored});
  clock_.Advance(59'999);
  EXPECT_TRUE(Types(mm_.Run()).empty());
  EXPECT_TRUE(Types(again.Run()).empty());
  clock_.Advance(1);
  EXPECT_EQ(Types(mm_.Run()), std::vector<std::string>{"MatchmakingTimedOut"});
  EXPECT_EQ(Types(again.Run()), std::vector<std::string>{"MatchmakingTimedOut"});
  ASSERT_TRUE(mm_.StartTicket("cfg", "later", Player("pl"), "").ok());
  EXPECT_EQ(mm_.Find("later")->search_deadline, clock_.NowMillis() + 300'000);
}

TEST_F(FlowTest, DeletingAConfigurationStopsItsPendingPlacement) {
  ASSERT_TRUE(mm_.PutConfiguration(Spec()).ok());
  StartTwo();
  Deliver(mm_.Run());  // no game server yet: PLACING with a pending placement
  std::string match = mm_.Find("a")->match_id;
  ASSERT_EQ(mm_.Find("a")->status, TicketStatus::kPlacing);
  auto removed = mm_.RemoveConfiguration("cfg");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(placement_.PlacementPending(match));  // asked to stop, by a request
  Deliver(std::move(removed).value());
  EXPECT_EQ(mm_.Find("a"), nullptr);
  EXPECT_EQ(placement_.Find(match), nullptr);
  ReadyProcess();
  EXPECT_TRUE(Deliver(placement_.Pump()).pushes.empty());  // no game for failed tickets
}

TEST_F(FlowTest, ABackfillWhoseSessionEndedDuringAcceptanceIsCancelled) {
  auto spec = Spec();
  spec.acceptance_required = true;
  spec.acceptance_timeout_ms = 10'000;
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  std::string key = ReadyProcess();
  StartTwo();
  Deliver(mm_.Run());
  ASSERT_TRUE(mm_.AcceptMatch("a", {"pa"}, true).ok());
  Deliver(mm_.AcceptMatch("b", {"pb"}, true).value());
  std::string arn = placement_.Find(mm_.Find("a")->match_id)->game_session_arn;
  Deliver(fleet_.ActivateGameSession(key, arn).value());
  std::vector<PlayerInput> ps{Player("pa", 1000, "red")[0], Player("pb", 1000, "blue")[0]};
  ASSERT_TRUE(mm_.StartBackfill("cfg", "bf", arn, ps).ok());
  ASSERT_TRUE(mm_.StartTicket("cfg", "c", Player("pc"), "").ok());
  Deliver(mm_.Run());
  ASSERT_EQ(mm_.Find("bf")->status, TicketStatus::kRequiresAcceptance);
  Deliver(fleet_.TerminateServerProcess(key).value());  // the session ends meanwhile
  clock_.Advance(10'000);
  auto fx = Deliver(mm_.Run());
  EXPECT_EQ(mm_.Find("bf"), nullptr);
  EXPECT_EQ(mm_.Find("c"), nullptr);  // never answered: cancelled
  bool cancelled = false;
  for (const auto& w : fx.writes) cancelled |= w.row.id == "bf" && w.row.status == "CANCELLED";
  EXPECT_TRUE(cancelled);
}

TEST_F(FlowTest, ARuleSetChangeFailsTicketsThatNoLongerFit) {
  ASSERT_TRUE(mm_.PutConfiguration(Spec()).ok());
  std::vector<PlayerInput> two{Player("p1")[0], Player("p2")[0]};
  ASSERT_TRUE(mm_.StartTicket("cfg", "duo", two, "").ok());
  mm_.Run();
  auto spec = Spec();
  spec.rule_set = ParseRuleSet(R"({"name": "s", "ruleLanguageVersion": "1.0",
    "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 1}, {"name": "b", "minPlayers": 1, "maxPlayers": 1}]})").value();
  ASSERT_TRUE(mm_.PutConfiguration(spec).ok());
  auto fx = mm_.Run();
  ASSERT_EQ(Types(fx), std::vector<std::string>{"MatchmakingFailed"});
  EXPECT_EQ(Detail(fx, "MatchmakingFailed")->at("reason").as_string(), "InvalidTicket");
  EXPECT_EQ(mm_.Find("duo"), nullptr);
  EXPECT_TRUE(mm_.StartTicket("cfg", "solo", Player("p1"), "").ok());  // the players are free again
}

}  // namespace
}  // namespace muster::matchmaking
