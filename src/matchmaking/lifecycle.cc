#include "matchmaking/lifecycle.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace muster::matchmaking {

namespace {
constexpr std::size_t kWaitHistory = 100;
constexpr Millis kWaitHistoryWindow = 15 * 60'000;

Status ValidTicketId(const std::string& id) {
  if (id.size() > 128 || !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      })) {
    return Error::InvalidArgument("TicketId must be 1 to 128 characters of [a-zA-Z0-9-.]");
  }
  return OkStatus();
}
}  // namespace

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

MatchmakingCore::MatchmakingCore(const Env& env, const core::ServerReads& server, std::string region,
                                 std::string account)
    : clock_(env.clock), random_(env.random), server_(server), region_(std::move(region)), account_(std::move(account)) {}

void MatchmakingCore::Subscribe(bus::Bus& bus) {
  bus.Subscribe("placement", [this](const core::Notice& n) { return OnPlacementNotice(n); });
  bus.Subscribe("fleet", [this](const core::Notice& n) { return OnFleetNotice(n); });
}

Status MatchmakingCore::CheckConfiguration(const ConfigurationSpec& spec) const {
  if (!spec.rule_set) return Error::InvalidArgument("configuration " + spec.name + " has no rule set");
  if (spec.acceptance_required &&
      (spec.acceptance_timeout_ms < 1000 || spec.acceptance_timeout_ms > 600'000)) {
    return Error::InvalidArgument("AcceptanceTimeoutSeconds must be between 1 and 600 when AcceptanceRequired is true");
  }
  if (spec.mode == FlexMatchMode::kWithQueue &&
      (spec.queue_name.empty() || !server_.QueueExists(spec.queue_name))) {
    return Error::NotFound("game session queue '" + spec.queue_name + "' does not exist");
  }
  if (spec.request_timeout_ms < 1000 || spec.request_timeout_ms > 43'200'000) {
    return Error::InvalidArgument("RequestTimeoutSeconds must be between 1 and 43200");
  }
  return OkStatus();
}

Status MatchmakingCore::PutConfiguration(ConfigurationSpec spec) {
  MUSTER_RETURN_IF_ERROR(CheckConfiguration(spec));
  auto& cfg = configs_[spec.name];
  if (!cfg.matcher || cfg.spec.rule_set != spec.rule_set) {
    // A changed rule set starts a fresh pool; tickets already searching are re-added.
    auto matcher = std::make_unique<Matcher>(spec.rule_set);
    for (auto& [id, t] : tickets_) {
      if (t.configuration_name == spec.name &&
          (t.status == TicketStatus::kQueued || t.status == TicketStatus::kSearching)) {
        TicketInput in{t.ticket_id, t.players, t.start_time};
        in.backfill = t.backfill;
        // One the new rule set refuses ends FAILED (with its event) at the next Run.
        if (!matcher->Add(std::move(in)).ok()) invalidated_.push_back(id);
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
    LeaveSearch(t);
    if (auto m = matches_.find(t.match_id); m != matches_.end()) {
      acceptance_deadlines_.erase({m->second.acceptance_deadline, t.match_id});
      matches_.erase(m);
      // A pending placement would otherwise still start a game for these failed tickets.
      if (t.status == TicketStatus::kPlacing) fx.notices.push_back(core::PlacementStopRequested{t.match_id});
    }
    t.auto_backfill = false;  // the configuration is gone: no successor
    fx.Append(End(t, TicketStatus::kFailed, "ConfigurationDeleted",
                  "matchmaking configuration " + name + " was deleted", "BACKFILL_FAILED"));
  }
  configs_.erase(cit);
  return fx;
}

void MatchmakingCore::Save(core::Effects& fx, const Ticket& t) const {
  fx.writes.push_back(store::Write::Upsert(store::Table::kTickets, ToRow(t, clock_.NowMillis())));
}

// The event's JSON is written straight as text (JsonWriter): one or two events per ticket on the
// intake path. `extra`'s members go into detail, after the ones written here; a gameSessionInfo or
// customEventData in `extra` takes the place of the one written here. `extra` never names type or
// tickets (they would be written twice).
void MatchmakingCore::Event(core::Effects& fx, const Config& cfg, const std::string& type,
                            const std::vector<const Ticket*>& tickets, json::object extra) {
  core::MatchmakingEvent event;
  event.type = type;
  const Millis now = clock_.NowMillis();
  std::string body;
  body.reserve(512 + 160 * tickets.size());
  JsonWriter w(body);
  w.BeginObject()
      .Member("version", "0")
      .Member("id", random_.Uuid4())
      .Member("detail-type", "GameLift Matchmaking Event")
      .Member("source", "aws.gamelift")
      .Member("account", account_)
      .Member("time", FormatIso8601(now))
      .Member("region", region_);
  w.Key("resources").BeginArray().String(cfg.spec.arn).EndArray();
  w.Key("detail").BeginObject().Member("type", type);
  // A player as the event names it, in detail.tickets[].players and gameSessionInfo.players.
  auto player = [&w](const Ticket& t, const PlayerInput& p) {
    w.BeginObject().Member("playerId", p.player_id);
    if (!p.team.empty()) w.Member("team", p.team);
    if (auto a = t.acceptance.find(p.player_id);
        a != t.acceptance.end() && t.status == TicketStatus::kRequiresAcceptance) {
      w.Member("accepted", a->second);
    }
    w.EndObject();
  };
  w.Key("tickets").BeginArray();
  for (const Ticket* t : tickets) {
    event.ticket_ids.push_back(t->ticket_id);
    w.BeginObject()
        .Member("ticketId", t->ticket_id)
        .Member("startTime", FormatIso8601(t->start_time));
    w.Key("players").BeginArray();
    for (const auto& p : t->players) {
      event.player_ids.push_back(p.player_id);
      player(*t, p);
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  auto from_extra = [&](std::string_view key) {
    auto it = extra.find(key);
    if (it == extra.end()) return false;
    w.Member(key, it->value());
    extra.stable_erase(it);  // the other members keep their order
    return true;
  };
  if (!from_extra("gameSessionInfo")) {
    w.Key("gameSessionInfo").BeginObject().Key("players").BeginArray();
    for (const Ticket* t : tickets) {
      for (const auto& p : t->players) player(*t, p);
    }
    w.EndArray().EndObject();
  }
  if (!from_extra("customEventData") && !cfg.spec.custom_event_data.empty()) {
    w.Member("customEventData", cfg.spec.custom_event_data);
  }
  for (const auto& kv : extra) w.Member(kv.key(), kv.value());
  w.EndObject().EndObject();
  event.body = body;
  fx.events.push_back({"matchmaking", std::move(body), now});
  fx.notices.push_back(std::move(event));
}

Millis MatchmakingCore::EstimatedWait(const std::string& configuration) const {
  auto it = configs_.find(configuration);
  if (it == configs_.end()) return -1;
  Millis now = clock_.NowMillis();
  std::vector<Millis> waits;
  for (const auto& [at, wait] : it->second.recent_waits) {
    if (now - at <= kWaitHistoryWindow) waits.push_back(wait);
  }
  if (waits.empty()) return -1;
  std::nth_element(waits.begin(), waits.begin() + waits.size() / 2, waits.end());
  return waits[waits.size() / 2];
}

void MatchmakingCore::RecordWait(Config& cfg, const Ticket& t) {
  if (t.backfill) return;
  Millis now = clock_.NowMillis();
  cfg.recent_waits.emplace_back(now, now - t.start_time);
  while (cfg.recent_waits.size() > kWaitHistory ||
         (!cfg.recent_waits.empty() && now - cfg.recent_waits.front().first > kWaitHistoryWindow)) {
    cfg.recent_waits.pop_front();
  }
}

Status MatchmakingCore::EnterSearch(Config& cfg, Ticket& t) {
  TicketInput in{t.ticket_id, t.players, t.start_time};
  in.backfill = t.backfill;
  MUSTER_RETURN_IF_ERROR(cfg.matcher->Add(std::move(in)));
  if (t.search_deadline == 0) t.search_deadline = t.start_time + cfg.spec.request_timeout_ms;
  search_deadlines_.insert({t.search_deadline, t.ticket_id});
  return OkStatus();
}

void MatchmakingCore::LeaveSearch(Ticket& t) {
  auto cit = configs_.find(t.configuration_name);
  if (cit == configs_.end()) return;
  cit->second.matcher->Remove(t.ticket_id);
  search_deadlines_.erase({t.search_deadline, t.ticket_id});
}

Result<MatchmakingCore::Config*> MatchmakingCore::CheckNewTicket(const std::string& configuration,
                                                                std::string* ticket_id) {
  auto cit = configs_.find(configuration);
  if (cit == configs_.end()) {
    return Error::NotFound("matchmaking configuration '" + configuration + "' does not exist");
  }
  if (ticket_id->empty()) *ticket_id = random_.Uuid7(clock_.NowMillis());
  MUSTER_RETURN_IF_ERROR(ValidTicketId(*ticket_id));
  if (tickets_.count(*ticket_id)) return Error::Conflict("ticket " + *ticket_id + " already exists");
  return &cit->second;
}

Result<core::Effects> MatchmakingCore::StartTicket(const std::string& configuration,
                                                   std::string ticket_id,
                                                   std::vector<PlayerInput> players,
                                                   std::string owner) {
  MUSTER_ASSIGN_OR_RETURN(Config * cfg, CheckNewTicket(configuration, &ticket_id));
  for (const auto& p : players) {
    auto live = live_players_.find({configuration, p.player_id});
    if (live != live_players_.end()) {
      return Error::Conflict("player " + p.player_id + " already has ticket " + live->second + " in progress in " +
                             "matchmaking configuration '" + configuration + "'");
    }
  }
  Ticket t;
  t.ticket_id = ticket_id;
  t.configuration_name = configuration;
  t.owner = std::move(owner);
  t.status = TicketStatus::kQueued;
  t.start_time = clock_.NowMillis();
  t.players = std::move(players);
  t.estimated_wait_ms = EstimatedWait(configuration);
  MUSTER_RETURN_IF_ERROR(EnterSearch(*cfg, t));
  core::Effects fx;
  // Insert (not upsert): a ticket id reused after a restart or by another node is a conflict.
  fx.writes.push_back(store::Write::Insert(store::Table::kTickets, ToRow(t, clock_.NowMillis())));
  for (const auto& p : t.players) live_players_[{configuration, p.player_id}] = ticket_id;
  queued_.push_back(ticket_id);
  tickets_[ticket_id] = std::move(t);
  return fx;
}

Result<core::Effects> MatchmakingCore::StartBackfill(const std::string& configuration,
                                                     std::string ticket_id,
                                                     const std::string& game_session_arn,
                                                     std::vector<PlayerInput> players) {
  MUSTER_ASSIGN_OR_RETURN(Config * cfg, CheckNewTicket(configuration, &ticket_id));
  if (game_session_arn.empty()) return Error::InvalidArgument("GameSessionArn must not be empty");
  if (players.empty()) {
    return Error::InvalidArgument("Players: a backfill request lists the players already in the game session");
  }
  for (std::size_t i = 0; i < players.size(); ++i) {
    if (players[i].team.empty()) {
      return Error::InvalidArgument("Players[" + std::to_string(i) + "].Team: every player of a backfill request needs the team it is on");
    }
  }
  // One live backfill ticket per session and configuration: a new request replaces one that is
  // still searching (as in the managed service); one in a proposed match or being placed stays.
  std::string replaces;
  if (auto b = backfills_.find({game_session_arn, configuration}); b != backfills_.end()) {
    auto old = tickets_.find(b->second);
    if (old != tickets_.end() && old->second.status != TicketStatus::kQueued &&
        old->second.status != TicketStatus::kSearching) {
      return Error::Conflict("game session " + game_session_arn + " has backfill ticket " + b->second +
                             " in a match (" + TicketStatusName(old->second.status) + "); try again when it ends");
    }
    replaces = b->second;
  }
  if (cfg->spec.mode == FlexMatchMode::kWithQueue) {
    auto gs = server_.GameSession(game_session_arn);
    if (!gs) return Error::NotFound("game session " + game_session_arn + " does not exist");
    if (!gs->active) {
      return Error::InvalidArgument("game session " + game_session_arn + " is " + gs->status +
                                    "; backfill needs an ACTIVE session");
    }
    // Backfilled with the matchmaker that made its match (as the managed service asks), so a
    // session has one backfill configuration, on one matchmaking side, and one live backfill.
    if (!gs->configuration_arn.empty() && gs->configuration_arn != cfg->spec.arn) {
      return Error::InvalidArgument("game session " + game_session_arn + " was matched by " + gs->configuration_arn +
                                    "; backfill it with that configuration, not '" + configuration + "'");
    }
  }
  Ticket t;
  t.ticket_id = ticket_id;
  t.configuration_name = configuration;
  t.status = TicketStatus::kQueued;
  t.start_time = clock_.NowMillis();
  t.players = std::move(players);
  t.backfill = true;
  t.backfill_game_session_arn = game_session_arn;
  MUSTER_RETURN_IF_ERROR(EnterSearch(*cfg, t));
  core::Effects fx;
  fx.writes.push_back(store::Write::Insert(store::Table::kTickets, ToRow(t, clock_.NowMillis())));
  if (replaces.empty()) {
    backfills_[{game_session_arn, configuration}] = ticket_id;
  } else {
    // The replaced ticket's end is stored in the same commit as the new ticket (computed on a
    // copy: nothing changes in memory until CommitStart, so AbortStart leaves it searching).
    Ticket old = tickets_.at(replaces);
    old.auto_backfill = false;  // replaced on purpose: no successor
    fx.Append(Transition(old, TicketStatus::kCancelled, "Cancelled", "replaced by backfill ticket " + ticket_id));
    fx.Append(BackfillEnded(old, "BACKFILL_CANCELLED"));
    replacing_[ticket_id] = replaces;
  }
  queued_.push_back(ticket_id);
  tickets_[ticket_id] = std::move(t);
  return fx;
}

void MatchmakingCore::AbortStart(const std::string& ticket_id) {
  replacing_.erase(ticket_id);
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return;
  LeaveSearch(it->second);
  Forget(ticket_id);
}

void MatchmakingCore::CommitStart(const std::string& ticket_id) {
  auto r = replacing_.find(ticket_id);
  if (r == replacing_.end()) return;
  std::string old_id = r->second;
  replacing_.erase(r);
  auto nt = tickets_.find(ticket_id);
  if (nt == tickets_.end()) return;
  // The store already holds the old ticket CANCELLED (StartBackfill's commit); memory follows.
  // Nothing runs between StartBackfill and CommitStart, so the old ticket is still searching.
  if (auto old = tickets_.find(old_id); old != tickets_.end()) {
    LeaveSearch(old->second);
    Forget(old_id);
  }
  backfills_[{nt->second.backfill_game_session_arn, nt->second.configuration_name}] = ticket_id;
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
    case TicketStatus::kSearching:
      type = "MatchmakingSearching";
      extra = {{"estimatedWaitMillis", t.estimated_wait_ms >= 0
                                           ? json::value((t.estimated_wait_ms + 999) / 1000)
                                           : json::value("NOT_AVAILABLE")}};
      break;
    case TicketStatus::kTimedOut:
      type = "MatchmakingTimedOut";
      extra = {{"reason", "TimedOut"}, {"message", message}};
      break;
    case TicketStatus::kCancelled:
      type = "MatchmakingCancelled";
      extra = {{"reason", reason.empty() ? "Cancelled" : reason}, {"message", message}};
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
  const Ticket& t = it->second;
  if (t.backfill) {
    auto b = backfills_.find({t.backfill_game_session_arn, t.configuration_name});
    if (b != backfills_.end() && b->second == ticket_id) backfills_.erase(b);
  } else {
    for (const auto& p : t.players) {
      auto l = live_players_.find({t.configuration_name, p.player_id});
      if (l != live_players_.end() && l->second == ticket_id) live_players_.erase(l);
    }
  }
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
  LeaveSearch(t);
  t.auto_backfill = false;  // stopped on purpose: no successor
  return End(t, TicketStatus::kCancelled, "Cancelled", "cancelled by request", "BACKFILL_CANCELLED");
}

core::Effects MatchmakingCore::Run() {
  core::Effects fx;
  Millis now = clock_.NowMillis();
  std::vector<std::string> queued;
  queued.swap(queued_);
  for (const auto& id : queued) {
    auto it = tickets_.find(id);
    if (it != tickets_.end() && it->second.status == TicketStatus::kQueued) {
      fx.Append(Transition(it->second, TicketStatus::kSearching, "", ""));
    }
  }
  std::vector<std::string> invalidated;
  invalidated.swap(invalidated_);
  for (const auto& id : invalidated) {
    auto it = tickets_.find(id);
    if (it == tickets_.end() || (it->second.status != TicketStatus::kSearching &&
                                 it->second.status != TicketStatus::kQueued)) {
      continue;
    }
    search_deadlines_.erase({it->second.search_deadline, id});
    fx.Append(End(it->second, TicketStatus::kFailed, "InvalidTicket",
                  "the ticket does not fit the configuration's new rule set", "BACKFILL_FAILED"));
  }
  for (auto& [name, cfg] : configs_) {
    for (auto& m : cfg.matcher->Run(now)) fx.Append(OnMatch(cfg, m));
  }
  while (!search_deadlines_.empty() && search_deadlines_.begin()->first <= now) {
    std::string id = search_deadlines_.begin()->second;
    search_deadlines_.erase(search_deadlines_.begin());
    auto it = tickets_.find(id);
    if (it == tickets_.end()) continue;
    Ticket& t = it->second;
    if (t.status != TicketStatus::kSearching && t.status != TicketStatus::kQueued) continue;
    configs_.at(t.configuration_name).matcher->Remove(id);
    fx.Append(End(t, TicketStatus::kTimedOut, "TimedOut", "no match was found within the request timeout",
                  "BACKFILL_TIMED_OUT"));
  }
  while (!acceptance_deadlines_.empty() && acceptance_deadlines_.begin()->first <= now) {
    std::string match_id = acceptance_deadlines_.begin()->second;
    acceptance_deadlines_.erase(acceptance_deadlines_.begin());
    if (matches_.count(match_id)) fx.Append(DropMatch(match_id, /*timed_out=*/true));
  }
  return fx;
}

Result<core::Effects> MatchmakingCore::AcceptMatch(const std::string& ticket_id,
                                                   const std::vector<std::string>& player_ids,
                                                   bool accept) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return Error::NotFound("ticket " + ticket_id + " is not active");
  Ticket& t = it->second;
  if (t.status != TicketStatus::kRequiresAcceptance) {
    return Error::InvalidArgument("ticket " + ticket_id + " is " + TicketStatusName(t.status) +
                                  "; AcceptMatch applies only to REQUIRES_ACCEPTANCE tickets");
  }
  if (player_ids.empty()) return Error::InvalidArgument("PlayerIds must name at least one player");
  for (const auto& pid : player_ids) {
    bool found = std::any_of(t.players.begin(), t.players.end(),
                             [&](const PlayerInput& p) { return p.player_id == pid; });
    if (!found) return Error::InvalidArgument("player " + pid + " is not in ticket " + ticket_id);
  }
  for (const auto& pid : player_ids) t.acceptance[pid] = accept;
  std::string match_id = t.match_id;
  const Match& m = matches_.at(match_id);
  Config& cfg = configs_.at(m.configuration);
  core::Effects fx;
  Save(fx, t);
  Event(fx, cfg, "AcceptMatch", TicketsOf(m), json::object{{"matchId", match_id}});
  if (!accept) {
    fx.Append(DropMatch(match_id, /*timed_out=*/false));
    return fx;
  }
  for (const Ticket* u : TicketsOf(m)) {
    for (const auto& p : u->players) {
      auto a = u->acceptance.find(p.player_id);
      if (a == u->acceptance.end() || !a->second) return fx;  // still waiting
    }
  }
  acceptance_deadlines_.erase({m.acceptance_deadline, match_id});
  Event(fx, cfg, "AcceptMatchCompleted", TicketsOf(m),
        json::object{{"acceptance", "Accepted"}, {"matchId", match_id}});
  fx.Append(Proceed(match_id));
  return fx;
}

std::vector<const Ticket*> MatchmakingCore::TicketsOf(const Match& m) const {
  std::vector<const Ticket*> out;
  for (const auto& id : m.ticket_ids) {
    auto it = tickets_.find(id);
    if (it != tickets_.end()) out.push_back(&it->second);
  }
  return out;
}

core::Effects MatchmakingCore::Restore(std::vector<Ticket> tickets) {
  core::Effects fx;
  std::set<std::string> ask_again;  // placing matches whose placement is not pending
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
    if (t.backfill) {
      backfills_[{t.backfill_game_session_arn, t.configuration_name}] = id;
    } else {
      for (const auto& p : t.players) live_players_[{t.configuration_name, p.player_id}] = id;
    }
    if (t.status == TicketStatus::kPlacing || t.status == TicketStatus::kRequiresAcceptance) {
      bool placing = t.status == TicketStatus::kPlacing;
      // (A backfill match has no pending placement: it is placed at once, or asked again.)
      if (placing && !server_.PlacementPending(t.match_id)) ask_again.insert(t.match_id);
      Match& m = matches_[t.match_id];
      m.configuration = t.configuration_name;
      m.ticket_ids.push_back(id);
      if (m.team_names.empty()) {
        for (const auto& team : cit->second.spec.rule_set->teams) m.team_names.push_back(team.name);
      }
      if (t.backfill) {
        m.backfill_ticket_id = id;
        m.game_session_arn = t.backfill_game_session_arn;
      }
      if (!placing) {
        m.acceptance_deadline = t.acceptance_deadline;
        acceptance_deadlines_.insert({t.acceptance_deadline, t.match_id});
      }
      tickets_[id] = std::move(t);
      continue;
    }
    if (!EnterSearch(cit->second, t).ok()) {
      auto& stored = tickets_[id] = std::move(t);
      fx.Append(End(stored, TicketStatus::kFailed, "InvalidTicket",
                    "the ticket no longer fits its configuration's rule set", "BACKFILL_FAILED"));
      continue;
    }
    if (t.status == TicketStatus::kQueued) queued_.push_back(id);
    tickets_[id] = std::move(t);
  }
  for (const auto& match_id : ask_again) fx.notices.push_back(Repeat(match_id));
  fx.Append(Reconcile());
  return fx;
}

core::Effects MatchmakingCore::Reconcile() {
  core::Effects fx;
  // Placements it asked for and no longer holds: a PlacementStopRequested was lost.
  for (const auto& [id, configuration_arn] : server_.MatchPlacementsPending()) {
    if (owns_ && !owns_(configuration_arn)) continue;  // another core's to reconcile
    auto m = matches_.find(id);
    bool placing = false;
    if (m != matches_.end() && !m->second.ticket_ids.empty()) {
      auto t = tickets_.find(m->second.ticket_ids.front());
      placing = t != tickets_.end() && t->second.status == TicketStatus::kPlacing;
    }
    if (!placing) fx.notices.push_back(core::PlacementStopRequested{id});
  }
  // Backfills of sessions Muster placed that ended: a GameSessionEnded was lost. (A STANDALONE
  // configuration backfills the game's own sessions, which the server side does not know.)
  std::set<std::string> ended;
  for (const auto& [key, ticket_id] : backfills_) {
    const std::string& arn = key.first;
    auto t = tickets_.find(ticket_id);
    if (t == tickets_.end()) continue;
    auto cfg = configs_.find(t->second.configuration_name);
    if (cfg == configs_.end() || cfg->second.spec.mode != FlexMatchMode::kWithQueue) continue;
    if (!server_.GameSession(arn)) ended.insert(arn);
  }
  for (const auto& arn : ended) {
    fx.Append(OnFleetNotice(core::GameSessionEnded{"", arn, "the game session ended"}));
  }
  return fx;
}

core::Effects MatchmakingCore::RepeatPlacements() {
  core::Effects fx;
  for (const auto& [match_id, m] : matches_) {
    if (m.ticket_ids.empty()) continue;
    auto it = tickets_.find(m.ticket_ids.front());
    if (it != tickets_.end() && it->second.status == TicketStatus::kPlacing) fx.notices.push_back(Repeat(match_id));
  }
  fx.Append(Reconcile());
  return fx;
}

core::Notice MatchmakingCore::Repeat(const std::string& match_id) const {
  if (!matches_.at(match_id).backfill_ticket_id.empty()) return Request(match_id);
  return core::PlacementRepeated{RequestFor(match_id)};
}

const Ticket* MatchmakingCore::Find(const std::string& ticket_id) const {
  auto it = tickets_.find(ticket_id);
  return it == tickets_.end() ? nullptr : &it->second;
}

}  // namespace muster::matchmaking
