// What happens to a match once the matcher formed it: acceptance, placement (or STANDALONE
// completion), backfill into a running game session, and the placement outcome.
#include <algorithm>

#include "common/crypto.h"
#include "matchmaking/lifecycle.h"

namespace muster::matchmaking {

namespace {
json::array MetricsJson(const MatchResult& m) {
  json::array metrics;
  for (const auto& r : m.metrics) {
    metrics.push_back(json::object{{"ruleName", r.rule_name}, {"passedCount", r.passed}, {"failedCount", r.failed}});
  }
  return metrics;
}

constexpr int kMaxPlayersPerGameSession = 200;

int TeamCapacity(const RuleSet& rs) {
  int n = 0;
  for (const auto& t : rs.teams) n += t.max_players;
  return n;
}
}  // namespace

core::Effects MatchmakingCore::OnMatch(Config& cfg, const MatchResult& m) {
  core::Effects fx;
  std::string match_id = random_.Uuid4();
  Match match;
  match.configuration = cfg.spec.name;
  match.ticket_ids = m.ticket_ids;
  match.team_names = m.team_names;
  match.backfill_ticket_id = m.backfill_ticket_id;
  std::map<std::string, std::string> team_of;
  for (const auto& mp : m.players) team_of[mp.player_id] = mp.team;
  const bool acceptance = cfg.spec.acceptance_required;
  const Millis deadline = clock_.NowMillis() + cfg.spec.acceptance_timeout_ms;
  for (const auto& id : m.ticket_ids) {
    Ticket& t = tickets_.at(id);
    search_deadlines_.erase({t.search_deadline, id});
    t.match_id = match_id;
    if (t.backfill) {
      match.game_session_arn = t.backfill_game_session_arn;
    } else {
      for (auto& p : t.players) p.team = team_of[p.player_id];  // stored with the ticket
    }
    t.acceptance.clear();
    if (acceptance) {
      // Players already in the game session have nothing to accept.
      if (t.backfill) {
        for (const auto& p : t.players) t.acceptance[p.player_id] = true;
      }
      t.status = TicketStatus::kRequiresAcceptance;
      t.acceptance_deadline = deadline;
    }
  }
  json::object extra{{"acceptanceRequired", acceptance},
                     {"ruleEvaluationMetrics", MetricsJson(m)},
                     {"matchId", match_id}};
  if (acceptance) extra["acceptanceTimeout"] = cfg.spec.acceptance_timeout_ms / 1000;
  if (acceptance) match.acceptance_deadline = deadline;
  matches_[match_id] = match;
  Event(fx, cfg, "PotentialMatchCreated", TicketsOf(match), std::move(extra));
  if (acceptance) {
    for (const Ticket* t : TicketsOf(match)) Save(fx, *t);
    acceptance_deadlines_.insert({deadline, match_id});
    return fx;
  }
  fx.Append(Proceed(match_id));
  return fx;
}

core::Effects MatchmakingCore::Proceed(const std::string& match_id) {
  const Match& m = matches_.at(match_id);
  const Config& cfg = configs_.at(m.configuration);
  if (cfg.spec.mode == FlexMatchMode::kStandalone) return CompleteStandalone(match_id);
  return StartPlacement(match_id);
}

Ticket* MatchmakingCore::MarkCompleted(Config& cfg, const std::string& ticket_id) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return nullptr;
  Ticket& t = it->second;
  t.status = TicketStatus::kCompleted;
  t.end_time = clock_.NowMillis();
  RecordWait(cfg, t);
  return &t;
}

core::Effects MatchmakingCore::CompleteStandalone(const std::string& match_id) {
  core::Effects fx;
  Match m = matches_.at(match_id);
  matches_.erase(match_id);
  Config& cfg = configs_.at(m.configuration);
  std::vector<const Ticket*> done;
  for (const auto& id : m.ticket_ids) {
    if (Ticket* t = MarkCompleted(cfg, id)) {
      Save(fx, *t);
      done.push_back(t);
    }
  }
  // The teams travel in gameSessionInfo.players (playerId + team); there is no game session.
  Event(fx, cfg, "MatchmakingSucceeded", done, json::object{{"matchId", match_id}});
  for (const auto& id : m.ticket_ids) Forget(id);
  return fx;
}

std::string MatchmakingCore::MatchmakerData(const Config& cfg, const std::string& match_id,
                                            const Match& m, const std::string& auto_ticket_id) const {
  json::array teams;
  for (const auto& team : m.team_names) {
    json::array players;
    for (const Ticket* t : TicketsOf(m)) {
      for (const auto& p : t->players) {
        if (p.team != team) continue;
        json::object attrs;
        for (const auto& [name, v] : p.attributes) {
          static const char* kTypes[] = {"STRING", "DOUBLE", "STRING_LIST", "STRING_DOUBLE_MAP"};
          json::value wire = AttributeValueToJson(v);
          attrs[name] = json::object{{"attributeType", kTypes[static_cast<int>(v.type)]},
                                     {"valueAttribute", wire.as_object().begin()->value()}};
        }
        players.push_back(json::object{{"playerId", p.player_id}, {"attributes", std::move(attrs)}});
      }
    }
    teams.push_back(json::object{{"name", team}, {"players", std::move(players)}});
  }
  const bool automatic = cfg.spec.backfill_mode == BackfillMode::kAutomatic;
  json::object data{{"matchId", match_id},
                    {"matchmakingConfigurationArn", cfg.spec.arn},
                    {"teams", std::move(teams)},
                    {"autoBackfillMode", automatic ? json::value("AUTOMATIC") : json::value(nullptr)},
                    {"autoBackfillTicketId", auto_ticket_id.empty() ? json::value(nullptr) : json::value(auto_ticket_id)}};
  return ToJson(data);
}

core::Effects MatchmakingCore::StartPlacement(const std::string& match_id) {
  core::Effects fx;
  const Match& m = matches_.at(match_id);
  for (const auto& id : m.ticket_ids) {
    Ticket& t = tickets_.at(id);
    t.status = TicketStatus::kPlacing;
    t.acceptance_deadline = 0;
    Save(fx, t);
  }
  // Answered by PlacementFulfilled or PlacementEnded (OnPlacementNotice), a refusal included.
  fx.notices.push_back(Request(match_id));
  return fx;
}

core::Notice MatchmakingCore::Request(const std::string& match_id) const {
  const Match& m = matches_.at(match_id);
  if (m.backfill_ticket_id.empty()) return core::PlacementRequested{RequestFor(match_id)};
  const Config& cfg = configs_.at(m.configuration);
  std::vector<core::PlayerRequest> players;
  for (const Ticket* t : TicketsOf(m)) {
    if (t->backfill) continue;  // already in the game session
    for (const auto& p : t->players) players.push_back({p.player_id, "", p.latency_ms});
  }
  const Ticket& b = tickets_.at(m.backfill_ticket_id);
  return core::BackfillRequested{match_id, m.game_session_arn, std::move(players),
                                 MatchmakerData(cfg, match_id, m, b.auto_backfill ? b.ticket_id : ""),
                                 m.backfill_ticket_id};
}

core::PlacementRequest MatchmakingCore::RequestFor(const std::string& match_id) const {
  const Match& m = matches_.at(match_id);
  const Config& cfg = configs_.at(m.configuration);
  core::PlacementRequest req;
  req.placement_id = match_id;
  req.queue_name = cfg.spec.queue_name;
  req.game_session_name = match_id;
  // Room for every team at its maximum plus the configuration's extra slots (backfill fills it).
  req.max_players = std::min(kMaxPlayersPerGameSession,
                             TeamCapacity(*cfg.spec.rule_set) + cfg.spec.additional_player_count);
  for (const Ticket* t : TicketsOf(m)) {
    for (const auto& p : t->players) req.players.push_back({p.player_id, "", p.latency_ms});
  }
  req.matchmaker_data = MatchmakerData(cfg, match_id, m, "");
  req.game_session_data = cfg.spec.game_session_data;
  req.game_properties = cfg.spec.game_properties;
  return req;
}

core::Effects MatchmakingCore::ReturnToSearch(Ticket& t) {
  core::Effects fx;
  t.match_id.clear();
  t.acceptance.clear();
  t.acceptance_deadline = 0;
  if (!t.backfill) {
    for (auto& p : t.players) p.team.clear();
  }
  Config& cfg = configs_.at(t.configuration_name);
  if (t.backfill && cfg.spec.mode == FlexMatchMode::kWithQueue) {
    auto gs = server_.GameSession(t.backfill_game_session_arn);
    if (!gs || !gs->active) {
      t.auto_backfill = false;
      return End(t, TicketStatus::kCancelled, "GameSessionEnded", "the game session being backfilled ended",
                 "BACKFILL_CANCELLED");
    }
  }
  auto st = EnterSearch(cfg, t);
  if (!st.ok()) {
    return End(t, TicketStatus::kFailed, "InvalidTicket", st.error().message, "BACKFILL_FAILED");
  }
  fx.Append(Transition(t, TicketStatus::kSearching, "", ""));
  return fx;
}

core::Effects MatchmakingCore::DropMatch(const std::string& match_id, bool timed_out) {
  core::Effects fx;
  Match m = matches_.at(match_id);
  matches_.erase(match_id);
  acceptance_deadlines_.erase({m.acceptance_deadline, match_id});
  Config& cfg = configs_.at(m.configuration);
  Event(fx, cfg, "AcceptMatchCompleted", TicketsOf(m),
        json::object{{"acceptance", timed_out ? "TimedOut" : "Rejected"}, {"matchId", match_id}});
  for (const auto& id : m.ticket_ids) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) continue;
    Ticket& t = it->second;
    bool rejected = false, all_accepted = true;
    for (const auto& p : t.players) {
      auto a = t.acceptance.find(p.player_id);
      if (a == t.acceptance.end()) {
        all_accepted = false;
      } else if (!a->second) {
        rejected = true;
      }
    }
    // A rejecting player ends their own ticket; on a timeout so does one who never answered.
    if (rejected || (timed_out && !all_accepted)) {
      fx.Append(End(t, TicketStatus::kCancelled, rejected ? "AcceptanceRejected" : "AcceptanceTimedOut",
                    rejected ? "a player of this ticket rejected the match"
                             : "a player of this ticket did not accept the match in time",
                    "BACKFILL_CANCELLED"));
    } else {
      fx.Append(ReturnToSearch(t));
    }
  }
  return fx;
}

core::Effects MatchmakingCore::End(Ticket& t, TicketStatus to, const std::string& reason,
                                   const std::string& message, const std::string& backfill_reason) {
  core::Effects fx = Transition(t, to, reason, message);
  std::string id = t.ticket_id;
  if (!t.backfill) {
    Forget(id);
    return fx;
  }
  fx.Append(BackfillEnded(t, backfill_reason));
  bool successor = t.auto_backfill;
  std::string arn = t.backfill_game_session_arn;
  std::vector<PlayerInput> players = t.players;
  std::string configuration = t.configuration_name;
  Forget(id);
  if (successor) fx.Append(MaybeAutoBackfill(configs_.at(configuration), arn, std::move(players)));
  return fx;
}

core::Effects MatchmakingCore::BackfillEnded(const Ticket& t, const std::string& reason) {
  core::Effects fx;
  fx.notices.push_back(core::BackfillStatus{t.backfill_game_session_arn, reason, t.ticket_id});
  return fx;
}

core::Effects MatchmakingCore::MaybeAutoBackfill(const Config& cfg, const std::string& arn,
                                                 std::vector<PlayerInput> players) {
  core::Effects fx;
  if (cfg.spec.backfill_mode != BackfillMode::kAutomatic || cfg.spec.mode != FlexMatchMode::kWithQueue) {
    return fx;
  }
  auto gs = server_.GameSession(arn);
  if (!gs || !gs->active) return fx;
  // Only the players still holding a slot in the session (those who left are dropped).
  std::set<std::string> present(gs->present_players.begin(), gs->present_players.end());
  std::erase_if(players, [&](const PlayerInput& p) { return !present.count(p.player_id); });
  if (players.empty() || backfills_.count({arn, cfg.spec.name})) return fx;  // never replaces a running backfill
  if (static_cast<int>(players.size()) >= TeamCapacity(*cfg.spec.rule_set)) return fx;
  if (gs->occupied_slots() >= gs->max_players) return fx;
  auto started = StartBackfill(cfg.spec.name, "auto-backfill-" + random_.Uuid4(), arn, std::move(players));
  if (!started.ok()) return fx;  // e.g. a manual backfill is already running
  fx.Append(std::move(started).value());
  Ticket& started_ticket = tickets_.at(backfills_.at({arn, cfg.spec.name}));
  started_ticket.auto_backfill = true;
  Save(fx, started_ticket);
  return fx;
}

core::Effects MatchmakingCore::OnPlacementNotice(const core::Notice& notice) {
  core::Effects fx;
  const auto* fulfilled = std::get_if<core::PlacementFulfilled>(&notice);
  const auto* ended = std::get_if<core::PlacementEnded>(&notice);
  if (!fulfilled && !ended) return fx;
  const std::string& match_id = fulfilled ? fulfilled->placement_id : ended->placement_id;
  auto mit = matches_.find(match_id);
  if (mit == matches_.end()) return fx;
  Match m = mit->second;
  matches_.erase(mit);
  Config& cfg = configs_.at(m.configuration);
  if (fulfilled) {
    const core::Endpoint& where = fulfilled->endpoint;
    std::map<std::string, std::string> psess;  // player → player session
    for (const auto& ps : fulfilled->placed_player_sessions) psess[ps.player_id] = ps.player_session_id;
    std::vector<const Ticket*> done;
    json::array players;
    std::vector<PlayerInput> everyone;  // for automatic backfill
    const std::string& arn = where.game_session_arn;
    for (const auto& id : m.ticket_ids) {
      Ticket* tp = MarkCompleted(cfg, id);
      if (!tp) continue;
      Ticket& t = *tp;
      t.game_session_arn = arn;
      t.ip_address = where.ip_address;
      t.dns_name = where.dns_name;
      t.port = where.port;
      t.matched_player_sessions.clear();
      for (const auto& p : t.players) {
        everyone.push_back(p);
        auto ps = psess.find(p.player_id);
        if (ps == psess.end()) continue;  // a backfill ticket's players are already in
        t.matched_player_sessions.push_back({p.player_id, ps->second});
        json::object po{{"playerId", p.player_id}, {"playerSessionId", ps->second}};
        if (!p.team.empty()) po["team"] = p.team;
        players.push_back(std::move(po));
      }
      Save(fx, t);
      done.push_back(&t);
    }
    if (!done.empty()) {
      Event(fx, cfg, "MatchmakingSucceeded", done,
            json::object{{"matchId", match_id},
                         {"gameSessionInfo",
                          json::object{{"gameSessionArn", where.game_session_arn},
                                       {"ipAddress", where.ip_address},
                                       {"dnsName", where.dns_name},
                                       {"port", where.port},
                                       {"players", std::move(players)}}}});
    }
    for (const auto& id : m.ticket_ids) Forget(id);
    fx.Append(MaybeAutoBackfill(cfg, arn, std::move(everyone)));
    return fx;
  }
  const std::string reason = ended->reason.empty() ? "placement did not succeed" : ended->reason;
  for (const auto& id : m.ticket_ids) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) continue;
    Ticket& t = it->second;
    if (!m.backfill_ticket_id.empty() && !t.backfill) {
      // The session could not take them; they did nothing wrong: search again.
      fx.Append(ReturnToSearch(t));
      continue;
    }
    t.auto_backfill = false;  // the session cannot take players: no successor
    fx.Append(End(t, TicketStatus::kFailed, "PlacementFailed",
                  std::string(core::PlacementEndedType(ended->kind)) + ": " + reason, "BACKFILL_FAILED"));
  }
  return fx;
}

core::Effects MatchmakingCore::OnFleetNotice(const core::Notice& notice) {
  core::Effects fx;
  const auto* ended = std::get_if<core::GameSessionEnded>(&notice);
  if (!ended) return fx;
  // The session's backfill tickets, one per configuration that backfills it.
  std::vector<std::string> ids;
  for (auto b = backfills_.lower_bound({ended->game_session_arn, ""});
       b != backfills_.end() && b->first.first == ended->game_session_arn; ++b) {
    ids.push_back(b->second);
  }
  for (const auto& id : ids) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) continue;
    Ticket& t = it->second;
    if (t.status != TicketStatus::kQueued && t.status != TicketStatus::kSearching) continue;
    LeaveSearch(t);
    t.auto_backfill = false;
    // No UpdateGameSession: the session is gone.
    fx.Append(Transition(t, TicketStatus::kCancelled, "GameSessionEnded",
                         "the game session being backfilled ended"));
    Forget(t.ticket_id);
  }
  return fx;
}

}  // namespace muster::matchmaking
