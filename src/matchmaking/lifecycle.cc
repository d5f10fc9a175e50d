#include "matchmaking/lifecycle.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/time_util.h"

namespace muster::matchmaking {

const char* TicketStatusName(TicketStatus s) {
  switch (s) {
    case TicketStatus::kQueued: return "QUEUED";
    case TicketStatus::kSearching: return "SEARCHING";
    case TicketStatus::kRequiresAcceptance: return "REQUIRES_ACCEPTANCE";
    case TicketStatus::kPlacing: return "PLACING";
    case TicketStatus::kCompleted: return "COMPLETED";
    case TicketStatus::kFailed: return "FAILED";
    case TicketStatus::kCancelled: return "CANCELLED";
    case TicketStatus::kTimedOut: return "TIMED_OUT";
  }
  return "?";
}

bool IsTerminal(TicketStatus s) {
  return s == TicketStatus::kCompleted || s == TicketStatus::kFailed ||
         s == TicketStatus::kCancelled || s == TicketStatus::kTimedOut;
}

namespace {

json::array PlayersToJson(const std::vector<PlayerInput>& players, bool with_team) {
  json::array out;
  for (const auto& p : players) {
    json::object attrs;
    for (const auto& [name, v] : p.attributes) attrs[name] = AttributeValueToJson(v);
    json::object lat;
    for (const auto& [loc, ms] : p.latency_ms) lat[loc] = ms;
    json::object o{{"PlayerId", p.player_id}, {"PlayerAttributes", std::move(attrs)},
                   {"LatencyInMs", std::move(lat)}};
    if (with_team && !p.team.empty()) o["Team"] = p.team;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

json::object TicketToApiJson(const Ticket& t, const std::string& configuration_arn) {
  json::object o{{"TicketId", t.ticket_id},
                 {"ConfigurationName", t.configuration_name},
                 {"ConfigurationArn", configuration_arn},
                 {"Status", TicketStatusName(t.status)},
                 {"StartTime", EpochSeconds(t.start_time)},
                 {"Players", PlayersToJson(t.players, true)}};
  if (!t.status_reason.empty()) o["StatusReason"] = t.status_reason;
  if (!t.status_message.empty()) o["StatusMessage"] = t.status_message;
  if (t.end_time) o["EndTime"] = EpochSeconds(t.end_time);
  if (!t.game_session_arn.empty()) {
    json::array mps;
    for (const auto& m : t.matched_player_sessions) {
      mps.push_back(json::object{{"PlayerId", m.player_id}, {"PlayerSessionId", m.player_session_id}});
    }
    o["GameSessionConnectionInfo"] = json::object{{"GameSessionArn", t.game_session_arn},
                                                  {"IpAddress", t.ip_address},
                                                  {"DnsName", t.dns_name},
                                                  {"Port", t.port},
                                                  {"MatchedPlayerSessions", std::move(mps)}};
  }
  return o;
}

MatchmakingCore::MatchmakingCore(const Clock& clock, placement::PlacementCore& placement,
                                 std::string region, std::string account)
    : clock_(clock), placement_(placement), region_(std::move(region)), account_(std::move(account)) {}

Status MatchmakingCore::PutConfiguration(ConfigurationSpec spec) {
  if (!spec.rule_set) return Error::InvalidArgument("configuration " + spec.name + " has no rule set");
  if (spec.acceptance_required) {
    return Error::InvalidArgument("AcceptanceRequired is not supported yet by this Muster version");
  }
  if (spec.queue_name.empty() || !placement_.FindQueue(spec.queue_name)) {
    return Error::NotFound("game session queue '" + spec.queue_name + "' does not exist");
  }
  if (spec.request_timeout_ms < 1000 || spec.request_timeout_ms > 43'200'000) {
    return Error::InvalidArgument("RequestTimeoutSeconds must be between 1 and 43200");
  }
  auto& cfg = configs_[spec.name];
  if (!cfg.matcher || cfg.spec.rule_set != spec.rule_set) {
    // A changed rule set starts a fresh pool; tickets already searching are re-added.
    auto matcher = std::make_unique<Matcher>(spec.rule_set);
    for (auto& [id, t] : tickets_) {
      if (t.configuration_name == spec.name &&
          (t.status == TicketStatus::kQueued || t.status == TicketStatus::kSearching)) {
        (void)matcher->Add(TicketInput{t.ticket_id, t.players, t.start_time});
      }
    }
    cfg.matcher = std::move(matcher);
  }
  cfg.spec = std::move(spec);
  return OkStatus();
}

const ConfigurationSpec* MatchmakingCore::FindConfiguration(const std::string& name) const {
  auto it = configs_.find(name);
  return it == configs_.end() ? nullptr : &it->second.spec;
}

std::vector<const ConfigurationSpec*> MatchmakingCore::Configurations() const {
  std::vector<const ConfigurationSpec*> out;
  for (const auto& [name, cfg] : configs_) out.push_back(&cfg.spec);
  return out;
}

Result<core::Effects> MatchmakingCore::RemoveConfiguration(const std::string& name) {
  auto cit = configs_.find(name);
  if (cit == configs_.end()) {
    return Error::NotFound("matchmaking configuration '" + name + "' does not exist");
  }
  core::Effects fx;
  std::vector<std::string> live;
  for (const auto& [id, t] : tickets_) {
    if (t.configuration_name == name) live.push_back(id);
  }
  for (const auto& id : live) {
    Ticket& t = tickets_.at(id);
    cit->second.matcher->Remove(id);
    if (!t.match_id.empty()) match_tickets_.erase(t.match_id);
    fx.Append(Transition(t, TicketStatus::kFailed, "ConfigurationDeleted",
                         "matchmaking configuration " + name + " was deleted"));
    Forget(id);
  }
  configs_.erase(cit);
  return fx;
}

void MatchmakingCore::Save(core::Effects& fx, const Ticket& t) const {
  fx.writes.push_back(store::Write::Upsert(store::Table::kTickets, ToRow(t, clock_.NowMillis())));
}

void MatchmakingCore::Event(core::Effects& fx, const Config& cfg, const std::string& type,
                            const std::vector<const Ticket*>& tickets, json::object extra) {
  json::array ts;
  for (const Ticket* t : tickets) {
    json::array ps;
    for (const auto& p : t->players) {
      json::object po{{"playerId", p.player_id}};
      if (!p.team.empty()) po["team"] = p.team;
      ps.push_back(std::move(po));
    }
    ts.push_back(json::object{{"ticketId", t->ticket_id},
                              {"startTime", FormatIso8601(t->start_time)},
                              {"players", std::move(ps)}});
  }
  json::object detail{{"type", type}, {"tickets", std::move(ts)}};
  if (!cfg.spec.custom_event_data.empty()) detail["customEventData"] = cfg.spec.custom_event_data;
  for (auto& kv : extra) detail[kv.key()] = std::move(kv.value());
  Millis now = clock_.NowMillis();
  json::object envelope{{"version", "0"},
                        {"id", Uuid4()},
                        {"detail-type", "GameLift Matchmaking Event"},
                        {"source", "aws.gamelift"},
                        {"account", account_},
                        {"time", FormatIso8601(now)},
                        {"region", region_},
                        {"resources", json::array{json::value(cfg.spec.arn)}},
                        {"detail", std::move(detail)}};
  fx.events.push_back({"matchmaking", ToJson(envelope), now});
  fx.notices.push_back({"matchmaking", std::move(envelope)});
}

Result<core::Effects> MatchmakingCore::StartTicket(const std::string& configuration,
                                                   std::string ticket_id,
                                                   std::vector<PlayerInput> players,
                                                   std::string owner) {
  auto cit = configs_.find(configuration);
  if (cit == configs_.end()) {
    return Error::NotFound("matchmaking configuration '" + configuration + "' does not exist");
  }
  if (ticket_id.empty()) ticket_id = Uuid4();
  if (ticket_id.size() > 128 ||
      !std::all_of(ticket_id.begin(), ticket_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      })) {
    return Error::InvalidArgument("TicketId must be 1 to 128 characters of [a-zA-Z0-9-.]");
  }
  if (tickets_.count(ticket_id)) return Error::Conflict("ticket " + ticket_id + " already exists");
  for (const auto& p : players) {
    auto live = live_players_.find(p.player_id);
    if (live != live_players_.end()) {
      return Error::Conflict("player " + p.player_id + " already has ticket " + live->second + " in progress");
    }
  }
  Ticket t;
  t.ticket_id = ticket_id;
  t.configuration_name = configuration;
  t.owner = std::move(owner);
  t.status = TicketStatus::kQueued;
  t.start_time = clock_.NowMillis();
  t.players = players;
  MUSTER_RETURN_IF_ERROR(cit->second.matcher->Add(TicketInput{ticket_id, std::move(players), t.start_time}));
  core::Effects fx;
  // Insert (not upsert): a ticket id reused after a restart or by another node is a conflict.
  fx.writes.push_back(store::Write::Insert(store::Table::kTickets, ToRow(t, clock_.NowMillis())));
  for (const auto& p : t.players) live_players_[p.player_id] = ticket_id;
  tickets_[ticket_id] = std::move(t);
  return fx;
}

void MatchmakingCore::AbortStart(const std::string& ticket_id) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return;
  configs_.at(it->second.configuration_name).matcher->Remove(ticket_id);
  Forget(ticket_id);
}

core::Effects MatchmakingCore::Transition(Ticket& t, TicketStatus to, const std::string& reason,
                                          const std::string& message) {
  core::Effects fx;
  t.status = to;
  t.status_reason = reason;
  t.status_message = message;
  if (IsTerminal(to)) t.end_time = clock_.NowMillis();
  Save(fx, t);
  const Config& cfg = configs_.at(t.configuration_name);
  const char* type = nullptr;
  json::object extra;
  switch (to) {
    case TicketStatus::kSearching: type = "MatchmakingSearching"; break;
    case TicketStatus::kTimedOut:
      type = "MatchmakingTimedOut";
      extra = {{"reason", "TimedOut"}, {"message", message}};
      break;
    case TicketStatus::kCancelled:
      type = "MatchmakingCancelled";
      extra = {{"reason", "Cancelled"}, {"message", message}};
      break;
    case TicketStatus::kFailed:
      type = "MatchmakingFailed";
      extra = {{"reason", reason}, {"message", message}};
      break;
    default: break;
  }
  if (type) Event(fx, cfg, type, {&t}, std::move(extra));
  return fx;
}

void MatchmakingCore::Forget(const std::string& ticket_id) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return;
  for (const auto& p : it->second.players) live_players_.erase(p.player_id);
  tickets_.erase(it);
}

Result<core::Effects> MatchmakingCore::StopTicket(const std::string& ticket_id) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return Error::NotFound("ticket " + ticket_id + " is not active");
  Ticket& t = it->second;
  if (t.status != TicketStatus::kQueued && t.status != TicketStatus::kSearching) {
    return Error::InvalidArgument("ticket " + ticket_id + " is " + TicketStatusName(t.status) +
                                  " and can no longer be cancelled");
  }
  configs_.at(t.configuration_name).matcher->Remove(ticket_id);
  core::Effects fx = Transition(t, TicketStatus::kCancelled, "Cancelled", "cancelled by request");
  Forget(ticket_id);
  return fx;
}

core::Effects MatchmakingCore::Run() {
  core::Effects fx;
  Millis now = clock_.NowMillis();
  for (auto& [id, t] : tickets_) {
    if (t.status == TicketStatus::kQueued) fx.Append(Transition(t, TicketStatus::kSearching, "", ""));
  }
  for (auto& [name, cfg] : configs_) {
    for (auto& m : cfg.matcher->Run(now)) fx.Append(StartPlacement(cfg, m));
  }
  std::vector<std::string> expired;
  for (auto& [id, t] : tickets_) {
    if (t.status == TicketStatus::kSearching &&
        now - t.start_time >= configs_.at(t.configuration_name).spec.request_timeout_ms) {
      expired.push_back(id);
    }
  }
  for (const auto& id : expired) {
    Ticket& t = tickets_.at(id);
    configs_.at(t.configuration_name).matcher->Remove(id);
    fx.Append(Transition(t, TicketStatus::kTimedOut, "TimedOut",
                         "no match was found within the request timeout"));
    Forget(id);
  }
  return fx;
}

core::Effects MatchmakingCore::StartPlacement(Config& cfg, const MatchResult& m) {
  core::Effects fx;
  std::string match_id = Uuid4();
  std::vector<const Ticket*> tickets;
  std::map<std::string, std::string> team_of;
  for (const auto& mp : m.players) team_of[mp.player_id] = mp.team;
  for (const auto& id : m.ticket_ids) {
    Ticket& t = tickets_.at(id);
    t.match_id = match_id;
    for (auto& p : t.players) p.team = team_of[p.player_id];  // stored with the ticket
    t.status = TicketStatus::kPlacing;
    Save(fx, t);
    tickets.push_back(&t);
  }
  match_tickets_[match_id] = m.ticket_ids;

  json::array metrics;
  for (const auto& r : m.metrics) {
    metrics.push_back(json::object{{"ruleName", r.rule_name}, {"passedCount", r.passed}, {"failedCount", r.failed}});
  }
  Event(fx, cfg, "PotentialMatchCreated", tickets,
        json::object{{"acceptanceRequired", false}, {"ruleEvaluationMetrics", std::move(metrics)},
                     {"matchId", match_id}});

  // MatchmakerData for the game server: teams with players and their attributes.
  std::map<std::string, const PlayerInput*> by_player;
  for (const Ticket* t : tickets) {
    for (const auto& p : t->players) by_player[p.player_id] = &p;
  }
  json::array teams;
  for (const auto& team : m.team_names) {
    json::array players;
    for (const auto& mp : m.players) {
      if (mp.team != team) continue;
      json::object attrs;
      for (const auto& [name, v] : by_player.at(mp.player_id)->attributes) {
        static const char* kTypes[] = {"STRING", "DOUBLE", "STRING_LIST", "STRING_DOUBLE_MAP"};
        json::value wire = AttributeValueToJson(v);
        attrs[name] = json::object{{"attributeType", kTypes[static_cast<int>(v.type)]},
                                   {"valueAttribute", wire.as_object().begin()->value()}};
      }
      players.push_back(json::object{{"playerId", mp.player_id}, {"attributes", std::move(attrs)}});
    }
    teams.push_back(json::object{{"name", team}, {"players", std::move(players)}});
  }
  json::object matchmaker_data{{"matchId", match_id},
                               {"matchmakingConfigurationArn", cfg.spec.arn},
                               {"teams", std::move(teams)},
                               {"autoBackfillMode", nullptr},
                               {"autoBackfillTicketId", nullptr}};

  placement::PlacementRequest req;
  req.placement_id = match_id;
  req.queue_name = cfg.spec.queue_name;
  req.game_session_name = match_id;
  req.max_players = static_cast<int>(m.players.size()) + cfg.spec.additional_player_count;
  for (const auto& mp : m.players) {
    const PlayerInput* p = by_player.at(mp.player_id);
    req.players.push_back({mp.player_id, "", p->latency_ms});
  }
  req.matchmaker_data = ToJson(matchmaker_data);
  req.game_session_data = cfg.spec.game_session_data;
  req.game_properties = cfg.spec.game_properties;
  auto started = placement_.Start(std::move(req));
  if (!started.ok()) {
    for (const Ticket* t : tickets) {
      fx.Append(Transition(tickets_.at(t->ticket_id), TicketStatus::kFailed, "PlacementFailed",
                           started.error().message));
    }
    for (const auto& id : m.ticket_ids) Forget(id);
    match_tickets_.erase(match_id);
    return fx;
  }
  fx.Append(std::move(started).value());
  return fx;
}

core::Effects MatchmakingCore::OnPlacementNotice(const json::object& notice) {
  core::Effects fx;
  auto* type = notice.if_contains("type");
  auto* pid = notice.if_contains("placementId");
  if (!type || !pid || !type->is_string() || !pid->is_string()) return fx;
  auto mit = match_tickets_.find(std::string(pid->get_string()));
  if (mit == match_tickets_.end()) return fx;
  std::vector<std::string> ids = mit->second;
  match_tickets_.erase(mit);
  if (type->get_string() == "PlacementFulfilled") {
    std::map<std::string, std::string> psess;  // player → player session
    for (const auto& ps : notice.at("placedPlayerSessions").as_array()) {
      psess[std::string(ps.at("playerId").as_string())] = std::string(ps.at("playerSessionId").as_string());
    }
    std::vector<const Ticket*> done;
    json::array players;
    for (const auto& id : ids) {
      auto it = tickets_.find(id);
      if (it == tickets_.end()) continue;
      Ticket& t = it->second;
      t.status = TicketStatus::kCompleted;
      t.end_time = clock_.NowMillis();
      t.game_session_arn = std::string(notice.at("gameSessionArn").as_string());
      t.ip_address = std::string(notice.at("ipAddress").as_string());
      t.dns_name = std::string(notice.at("dnsName").as_string());
      t.port = static_cast<int>(notice.at("port").as_int64());
      t.matched_player_sessions.clear();
      for (const auto& p : t.players) {
        std::string id2 = psess.count(p.player_id) ? psess[p.player_id] : std::string();
        t.matched_player_sessions.push_back({p.player_id, id2});
        json::object po{{"playerId", p.player_id}, {"playerSessionId", id2}};
        if (!p.team.empty()) po["team"] = p.team;
        players.push_back(std::move(po));
      }
      Save(fx, t);
      done.push_back(&t);
    }
    if (!done.empty()) {
      const Config& cfg = configs_.at(done.front()->configuration_name);
      Event(fx, cfg, "MatchmakingSucceeded", done,
            json::object{{"matchId", done.front()->match_id},
                         {"gameSessionInfo",
                          json::object{{"gameSessionArn", notice.at("gameSessionArn")},
                                       {"ipAddress", notice.at("ipAddress")},
                                       {"dnsName", notice.at("dnsName")},
                                       {"port", notice.at("port")},
                                       {"players", std::move(players)}}}});
    }
  } else {
    std::string reason = notice.if_contains("reason") && notice.at("reason").is_string()
                             ? std::string(notice.at("reason").as_string())
                             : std::string("placement did not succeed");
    for (const auto& id : ids) {
      auto it = tickets_.find(id);
      if (it == tickets_.end()) continue;
      fx.Append(Transition(it->second, TicketStatus::kFailed, "PlacementFailed",
                           std::string(type->get_string()) + ": " + reason));
    }
  }
  for (const auto& id : ids) Forget(id);
  return fx;
}

core::Effects MatchmakingCore::Restore(std::vector<Ticket> tickets) {
  core::Effects fx;
  for (auto& t : tickets) {
    if (IsTerminal(t.status)) continue;
    auto cit = configs_.find(t.configuration_name);
    if (cit == configs_.end()) {
      // Its configuration is gone: end it with its event rather than leave a player waiting.
      t.status = TicketStatus::kFailed;
      t.status_reason = "ConfigurationDeleted";
      t.status_message = "matchmaking configuration " + t.configuration_name + " no longer exists";
      t.end_time = clock_.NowMillis();
      Save(fx, t);
      Config gone;
      gone.spec.arn = "arn:aws:gamelift:" + region_ + ":" + account_ + ":matchmakingconfiguration/" + t.configuration_name;
      Event(fx, gone, "MatchmakingFailed", {&t},
            json::object{{"reason", t.status_reason}, {"message", t.status_message}});
      continue;
    }
    std::string id = t.ticket_id;
    for (const auto& p : t.players) live_players_[p.player_id] = id;
    if (t.status == TicketStatus::kPlacing) {
      if (!placement_.Find(t.match_id)) {
        // Its placement did not survive: fail it with its event.
        auto& stored = tickets_[id] = std::move(t);
        fx.Append(Transition(stored, TicketStatus::kFailed, "PlacementFailed",
                             "the placement for this match was lost in a restart"));
        Forget(id);
        continue;
      }
      match_tickets_[t.match_id].push_back(id);
      tickets_[id] = std::move(t);
      continue;
    }
    if (!cit->second.matcher->Add(TicketInput{id, t.players, t.start_time}).ok()) {
      auto& stored = tickets_[id] = std::move(t);
      fx.Append(Transition(stored, TicketStatus::kFailed, "InvalidTicket",
                           "the ticket no longer fits its configuration's rule set"));
      Forget(id);
      continue;
    }
    tickets_[id] = std::move(t);
  }
  return fx;
}

const Ticket* MatchmakingCore::Find(const std::string& ticket_id) const {
  auto it = tickets_.find(ticket_id);
  return it == tickets_.end() ? nullptr : &it->second;
}

store::Row MatchmakingCore::ToRow(const Ticket& t, Millis now) {
  json::array mps;
  for (const auto& m : t.matched_player_sessions) {
    mps.push_back(json::object{{"PlayerId", m.player_id}, {"PlayerSessionId", m.player_session_id}});
  }
  json::object o{{"TicketId", t.ticket_id},
                 {"ConfigurationName", t.configuration_name},
                 {"Owner", t.owner},
                 {"StatusReason", t.status_reason},
                 {"StatusMessage", t.status_message},
                 {"StartTime", t.start_time},
                 {"EndTime", t.end_time},
                 {"Players", PlayersToJson(t.players, true)},
                 {"MatchId", t.match_id},
                 {"GameSessionArn", t.game_session_arn},
                 {"IpAddress", t.ip_address},
                 {"DnsName", t.dns_name},
                 {"Port", t.port},
                 {"MatchedPlayerSessions", std::move(mps)}};
  store::Row row;
  row.id = t.ticket_id;
  row.index = t.owner;
  row.status = TicketStatusName(t.status);
  row.body = ToJson(o);
  row.updated = now;
  return row;
}

Result<Ticket> MatchmakingCore::FromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, ParseStoredObject(row.body, "ticket row " + row.id));
  Ticket t;
  t.ticket_id = StringOr(o, "TicketId");
  t.configuration_name = StringOr(o, "ConfigurationName");
  t.owner = StringOr(o, "Owner");
  t.status_reason = StringOr(o, "StatusReason");
  t.status_message = StringOr(o, "StatusMessage");
  t.start_time = IntOr(o, "StartTime");
  t.end_time = IntOr(o, "EndTime");
  t.match_id = StringOr(o, "MatchId");
  t.game_session_arn = StringOr(o, "GameSessionArn");
  t.ip_address = StringOr(o, "IpAddress");
  t.dns_name = StringOr(o, "DnsName");
  t.port = static_cast<int>(IntOr(o, "Port"));
  if (auto* a = o.if_contains("Players"); a && a->is_array()) {
    for (const auto& pv : a->get_array()) {
      if (!pv.is_object()) continue;
      const auto& po = pv.get_object();
      PlayerInput p;
      p.player_id = StringOr(po, "PlayerId");
      p.team = StringOr(po, "Team");
      if (auto* at = po.if_contains("PlayerAttributes"); at && at->is_object()) {
        for (const auto& kv : at->get_object()) {
          auto val = ParseAttributeValue(kv.value(), kv.key());
          if (val.ok()) p.attributes[std::string(kv.key())] = std::move(val).value();
        }
      }
      if (auto* l = po.if_contains("LatencyInMs"); l && l->is_object()) {
        for (const auto& kv : l->get_object()) {
          if (kv.value().is_int64()) p.latency_ms[std::string(kv.key())] = static_cast<int>(kv.value().get_int64());
        }
      }
      t.players.push_back(std::move(p));
    }
  }
  if (auto* a = o.if_contains("MatchedPlayerSessions"); a && a->is_array()) {
    for (const auto& m : a->get_array()) {
      if (m.is_object()) t.matched_player_sessions.push_back({StringOr(m.get_object(), "PlayerId"), StringOr(m.get_object(), "PlayerSessionId")});
    }
  }
  for (auto s : {TicketStatus::kQueued, TicketStatus::kSearching, TicketStatus::kRequiresAcceptance,
                 TicketStatus::kPlacing, TicketStatus::kCompleted, TicketStatus::kFailed,
                 TicketStatus::kCancelled, TicketStatus::kTimedOut}) {
    if (row.status == TicketStatusName(s)) t.status = s;
  }
  return t;
}

}  // namespace muster::matchmaking
